"""The restaurant's profile (issue 28): checked by the settings API and the Profile page alike,
shown on the storefront's header (open or closed now, address with a map search, a phone to
tap), in its meta and Open Graph tags, and on the receipt an EU restaurant must give."""

import datetime
import html
import re
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import pytest

from omniorder.settings.document import default_settings, validate_settings
from omniorder.settings.hours import opening_status
from tests.support.app import SYS_TOKEN
from tests.support.choices import set_settings
from tests.support.languages import translated
from tests.support.mail import post_order
from tests.support.staff import signed_in
from tests.support.storefront import menu

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
BERLIN = ZoneInfo("Europe/Berlin")
NNBSP = "\u202f"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

ROMA = {
    "description": "Wood-fired pizza since 1998.\nBring your own <script>alert(1)</script>",
    "address": {
        "lines": ["Hauptstraße 1", "Hinterhof"],
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
    },
    "phone": "030 1234567",
    "email": "hallo@roma.example",
    "website": "https://roma.example/?a=1&b=2",
    "social": {"instagram": "https://instagram.com/roma"},
    "legal_name": "Pizzeria Roma GmbH",
    "vat_id": "de 123 456 789",
}


def patch(client, tenant, change):
    url = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    return client.patch(url, headers=AUTH, json=change)


# --- the settings API ------------------------------------------------------------------------


def test_a_profile_is_stored_clean_with_the_phone_in_e164(client, tenant):
    response = patch(client, tenant, {"profile": ROMA})
    assert response.status_code == 200, response.json
    profile = response.json["profile"]
    assert profile["phone"] == "+49301234567"  # read in Germany, the address's country
    assert profile["vat_id"] == "DE123456789"
    assert profile["address"]["country"] == "DE"
    assert profile["social"] == {
        "instagram": "https://instagram.com/roma",
        "facebook": "",
        "tiktok": "",
        "x": "",
    }
    # a change merges: the city alone keeps the rest
    moved = patch(client, tenant, {"profile": {"address": {"city": "Potsdam"}}})
    assert moved.json["profile"]["address"]["lines"] == ["Hauptstraße 1", "Hinterhof"]
    assert moved.json["profile"]["phone"] == "+49301234567"


def test_a_new_restaurant_has_an_empty_profile(client, tenant):
    profile = client.get(f"/api/v1/sys/tenants/{tenant.domain}/settings", headers=AUTH).json[
        "profile"
    ]
    assert profile["description"] == "" and profile["address"]["lines"] == []
    assert profile["phone"] == "" and profile["vat_id"] == ""


@pytest.mark.parametrize(
    ("profile", "status", "fields"),
    [
        pytest.param(
            {"phone": "12 34", "address": {"country": "US"}},
            422,
            {"profile.phone": "is not a valid phone number for US (United States)"},
            id="phone-not-of-its-country",
        ),
        pytest.param(
            {"phone": "030 1234567"},
            422,
            {
                "profile.phone": "must start with + and its country code (+49 …) "
                "while no country is set"
            },
            id="national-phone-without-country",
        ),
        pytest.param(
            {"phone": "call us"},
            400,
            {"profile.phone": "must be a phone number such as +49 30 1234567"},
            id="phone-not-a-number",
        ),
        pytest.param(
            {"website": "javascript:alert(1)"},
            400,
            {"profile.website": "must be an http:// or https:// address"},
            id="url-not-http",
        ),
        pytest.param(
            {"social": {"x": "https://..."}},
            422,
            {
                "profile.social.x": "must be an http:// or https:// address with a host name, "
                "such as https://example.com"
            },
            id="url-without-host",
        ),
        pytest.param(
            {"description": "x" * 501},
            400,
            {"profile.description": "must be at most 500 characters"},
            id="description-too-long",
        ),
        pytest.param(
            {"address": {"country": "XX"}},
            400,
            {"profile.address.country": "must be an ISO 3166 country code such as DE, or empty"},
            id="unknown-country",
        ),
        pytest.param(
            {"vat_id": "DE ...."},
            422,
            {"profile.vat_id": "must be a VAT number such as DE123456789"},
            id="vat-id-of-punctuation",
        ),
        pytest.param(
            {"address": {"lines": ["a", "b", "c", "d"]}, "fax": "1"},
            400,
            {
                "profile.address.lines": "must be a list of at most 3 lines",
                "profile.fax": "is not a field here (description, address, phone, email, "
                "website, social, legal_name, vat_id)",
            },
            id="four-lines-and-a-fax",
        ),
    ],
)
def test_a_bad_profile_is_refused_naming_the_field_and_nothing_is_saved(
    client, tenant, profile, status, fields
):
    response = patch(client, tenant, {"profile": profile, "prep_minutes": 42})
    assert response.status_code == status, response.json
    assert response.json["fields"] == fields
    settings = client.get(f"/api/v1/sys/tenants/{tenant.domain}/settings", headers=AUTH).json
    assert settings["prep_minutes"] == 15 and settings["profile"]["phone"] == ""


# --- the Profile page --------------------------------------------------------------------------


def page_fields(**typed) -> dict:
    fields = dict.fromkeys(
        (
            "description address_line1 address_line2 address_line3 postal_code city country "
            "phone email website instagram facebook tiktok x legal_name vat_id"
        ).split(),
        "",
    )
    return {**fields, **typed}


def test_an_admin_fills_in_the_profile_and_sees_it_again(app, tenant):
    admin = signed_in(app, tenant, "admin")
    page = admin.get("/admin/profile")
    assert page.status_code == 200
    assert 'href="/admin/branding"' in page.text and ">Profile</a>" in page.text
    saved = admin.post(
        "/admin/profile",
        page_fields(
            description="  Pizza.  ",
            address_line2=" Hauptstraße 1 ",
            city="Berlin",
            country="de",
            phone=" 030 1234567 ",
            website="roma.example",
            vat_id="DE123456789",
        ),
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith("?saved=1")
    again = admin.get("/admin/profile?saved=1").text
    assert "Profile saved." in again
    assert 'value="Hauptstraße 1"' in again  # the empty first line is not kept
    assert 'value="+49301234567"' in again
    assert 'value="https://roma.example"' in again
    assert '<option selected value="DE">Germany</option>' in again


def test_the_profile_page_shows_each_problem_beside_its_field_and_saves_nothing(app, tenant):
    admin = signed_in(app, tenant, "admin")
    refused = admin.post(
        "/admin/profile",
        page_fields(
            description="x" * 501,
            address_line3="<b>3</b>\x07",
            country="US",
            phone="12 34",
            instagram="ftp://roma.example",
        ),
    )
    assert refused.status_code == 400
    page = refused.text
    assert "Nothing was saved." in page
    for field, message in (
        ("description", "must be at most 500 characters"),
        ("address_line3", "must be one line of text without control characters (it holds U+0007)"),
        ("phone", "is not a valid phone number for US (United States)"),
        ("instagram", "must be an http:// or https:// address"),
    ):
        assert f'<p id="{field}-problem" class="notice">{message}</p>' in page, field
        assert re.search(rf'aria-describedby="[^"]*{field}-problem"[^>]*aria-invalid="true"', page)
    assert "<b>3</b>" not in page
    assert admin.get("/admin/profile").text.count("aria-invalid") == 0
    with_description = admin.get("/admin/profile").text
    assert "xxxxx" not in with_description


def test_only_admins_edit_the_profile(app, tenant):
    manager = signed_in(app, tenant, "manager")
    assert manager.get("/admin/profile").status_code == 403
    assert manager.post("/admin/profile", page_fields(city="X")).status_code == 403


# --- open or closed, at fixed moments ----------------------------------------------------------


def berlin(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=BERLIN).astimezone(datetime.UTC)


def week(locale="en_US", **changes) -> dict:
    hours = {
        "mon": [["11:00", "22:00"]],
        "tue": [["11:00", "22:00"]],
        "fri": [["17:00", "02:00"]],
        "sat": [["02:00", "24:00"]],
        "sun": [["00:00", "03:00"]],
    }
    return validate_settings(
        {**default_settings(), "timezone": "Europe/Berlin", "locale": locale, "hours": hours}
        | changes
    )


@pytest.mark.parametrize(
    ("at", "locale", "expected"),
    [
        ((2026, 11, 30, 12), "en_US", (True, f"Open now · closes 10:00{NNBSP}PM")),  # a Monday
        ((2026, 11, 30, 12), "de_DE", (True, "Open now · closes 22:00")),
        ((2026, 11, 30, 9), "en_US", (False, f"Closed · opens 11:00{NNBSP}AM")),  # later today
        ((2026, 11, 30, 23), "en_US", (False, f"Closed · opens Tue, 11:00{NNBSP}AM")),
        ((2026, 11, 30, 23), "de_DE", (False, "Closed · opens Di., 11:00")),
        ((2026, 12, 1, 23), "de_DE", (False, "Closed · opens Fr., 17:00")),
        # Friday 17:00 to Sunday 03:00 without a break: one opening
        ((2026, 12, 4, 18), "de_DE", (True, "Open now · closes So., 03:00")),
    ],
)
def test_the_header_says_open_or_closed_on_the_restaurants_clock(at, locale, expected):
    assert opening_status(week(locale), berlin(*at)) == expected


def test_a_closed_date_and_hours_around_the_clock():
    holiday = week("de_DE", closed_dates=["2026-11-30"])
    assert opening_status(holiday, berlin(2026, 11, 30, 12)) == (False, "Closed · opens Di., 11:00")
    evening = week("de_DE", hours={"mon": [["17:00", "24:00"]], "tue": [["00:00", "01:00"]]})
    assert opening_status(evening, berlin(2026, 11, 30, 18)) == (True, "Open now · closes 01:00")
    always = validate_settings(default_settings())
    assert opening_status(always, berlin(2026, 11, 30, 12)) == (True, "Open now")
    never = week(hours={day: [] for day in DAYS})
    assert opening_status(never, berlin(2026, 11, 30, 12)) == (False, "Closed")


# --- the storefront ----------------------------------------------------------------------------


def storefront(client, tenant) -> str:
    response = client.get("/", headers={"Host": tenant.domain})
    assert response.status_code == 200
    return response.text


def test_the_storefront_header_has_the_address_with_a_map_link_and_a_phone_to_tap(
    app, client, tenant
):
    set_settings(app, tenant, profile=ROMA)
    page = storefront(client, tenant)
    header = page.split('<section class="restaurant-header"', 1)[1].split("</section>", 1)[0]
    assert '<p class="restaurant-status is-open">Open now</p>' in header  # open all day
    address = "Hauptstraße 1, Hinterhof, 10115 Berlin, Germany"
    map_url = "https://www.openstreetmap.org/search?query=" + quote_plus(address)
    assert f'href="{html.escape(map_url)}">{address}' in header
    assert '<a class="restaurant-phone" href="tel:+49301234567">030 1234567</a>' in header
    assert 'href="https://roma.example/?a=1&amp;b=2"' in header
    assert 'href="https://instagram.com/roma" rel="noopener">Instagram</a>' in header
    # the restaurant's words are text, never markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header and "<script>alert" not in page


def test_a_phone_abroad_is_shown_internationally(app, client, tenant):
    set_settings(app, tenant, profile={"phone": "+33 1 42 68 53 00", "address": {"country": "DE"}})
    assert 'href="tel:+33142685300">+33 1 42 68 53 00</a>' in storefront(client, tenant)


def test_a_closed_storefront_says_when_it_opens(app, client, tenant):
    day = datetime.datetime.now(BERLIN).date() + datetime.timedelta(days=3)
    hours = {d: [] for d in DAYS} | {DAYS[day.weekday()]: [["11:30", "14:30"]]}
    set_settings(app, tenant, timezone="Europe/Berlin", locale="de_DE", hours=hours)
    weekday = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")[day.weekday()]
    notice = translated("de", "Closed · opens %(time)s", time=f"{weekday}, 11:30")
    assert f'<p class="restaurant-status is-closed">{notice}</p>' in storefront(client, tenant)


def test_the_meta_description_and_open_graph_tags_come_from_the_profile(app, client, tenant):
    fallback = storefront(client, tenant)
    sentence = f"Order from {html.escape(tenant.name)} online: see the menu, order, and pick up"
    assert f'<meta name="description" content="{sentence}' in fallback
    set_settings(app, tenant, profile={"description": 'Pizza "al taglio"\n& <more>'})
    page = storefront(client, tenant)
    about = "Pizza &#34;al taglio&#34; &amp; &lt;more&gt;"
    assert f'<meta name="description" content="{about}">' in page
    assert f'<meta property="og:description" content="{about}">' in page
    assert f'<meta property="og:title" content="{html.escape(tenant.name)}">' in page
    assert '<meta property="og:type" content="website">' in page
    assert f'<meta property="og:url" content="http://{tenant.domain}/">' in page


# --- the receipt -------------------------------------------------------------------------------


def euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}\xa0€"


def test_the_receipt_names_the_company_its_address_vat_id_and_the_tax_per_rate(app, client, tenant):
    set_settings(
        app,
        tenant,
        currency="EUR",
        locale="de_DE",
        tax={"rate_bp": 1900, "inclusive": True},
        profile=ROMA,
    )
    fries = str(menu(app, tenant)["Fries"].id)
    placed = post_order(
        client, tenant, customer_name="Ada", items=[{"menu_item_id": fries, "quantity": 3}]
    )
    order = placed.json
    receipt = client.get(f"/orders/{order['id']}/receipt", headers={"Host": tenant.domain}).text
    assert '<span class="receipt-legal-name">Pizzeria Roma GmbH</span>' in receipt
    assert "Hauptstraße 1<br>Hinterhof<br>10115 Berlin<br>Deutschland<br>" in receipt
    assert '<a href="tel:+49301234567">030 1234567</a>' in receipt
    assert translated("de", "VAT ID: %(vat_id)s", vat_id="DE123456789") in receipt
    net = order["subtotal"] - order["tax"]
    assert order["tax"] == round(order["subtotal"] * 19 / 119)
    vat, tax_line = translated("de", "VAT"), "%(tax)s on %(net)s net: %(amount)s"
    expected = translated(
        "de", tax_line, tax=f"{vat} 19\xa0%", net=euros(net), amount=euros(order["tax"])
    )
    assert f'<p class="receipt-tax">{expected}</p>' in receipt
    # after a change of rate the old receipt states no rate rather than a wrong one
    set_settings(app, tenant, tax={"rate_bp": 700})
    later = client.get(f"/orders/{order['id']}/receipt", headers={"Host": tenant.domain}).text
    assert translated("de", tax_line, tax=vat, net=euros(net), amount=euros(order["tax"])) in later
