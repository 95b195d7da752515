"""A restaurant's settings: one document, changed through the admin page, `flask tenants
settings` and the system API alike, validated whole (nothing saved on any error), and seen in
how every page writes money."""

import json
import re
import threading
import time

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from omniorder.languages import SHIPPED
from tests.support.app import SYS_TOKEN
from tests.support.languages import translated
from tests.support.settings import PAGE_FIELDS
from tests.support.staff import Staff, signed_in
from tests.support.storefront import Customer, menu

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
DEFAULTS = {
    "timezone": "UTC",
    "currency": "USD",
    "locale": "en_US",
    "languages": ["en"],
    "tax": {"rate_bp": 0, "inclusive": False},
    "tips": {"enabled": False, "presets_percent": [10, 15, 20]},
    "hours": {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    "closed_dates": [],
    "prep_minutes": 15,
    "slot_minutes": 15,
    "max_orders_per_slot": 0,
    "pause": None,
    "payments": {
        "online": "off",
        "stripe": {"publishable_key": None, "secret_key": None, "webhook_secret": None},
    },
    "images": {"logo": None, "banner": None},
    "profile": {
        "description": "",
        "address": {"lines": [], "postal_code": "", "city": "", "country": ""},
        "phone": "",
        "email": "",
        "website": "",
        "social": {"instagram": "", "facebook": "", "tiktok": "", "x": ""},
        "legal_name": "",
        "vat_id": "",
    },
    "published": True,
    "setup_confirmed": [],
    "printers": [],
    "kitchen_keys": {
        "bump": "Enter",
        "recall": "r",
        "undo": "u",
        "sold_out": "s",
        "help": "?",
        "previous_ticket": "ArrowUp",
        "next_ticket": "ArrowDown",
        "previous_column": "ArrowLeft",
        "next_column": "ArrowRight",
    },
    "expo": True,
    "pickup_screen_names": False,
}


@pytest.fixture(autouse=True)
def _forget_failed_attempts():
    """Each test starts with no failed system-token attempts counted against its address."""
    from omniorder.blueprints import sysapi

    sysapi._failures.clear()
    yield
    sysapi._failures.clear()


def settings_url(domain: str) -> str:
    return f"/api/v1/sys/tenants/{domain}/settings"


def patch(client, domain, body, **kwargs):
    return client.patch(settings_url(domain), json=body, headers=AUTH, **kwargs)


def stored(db_connection, tenant) -> dict:
    """The settings row as it is in the database (defaults not filled in)."""
    document = db_connection.scalar(
        text(f'SELECT document FROM "{tenant.schema_name}".settings')  # noqa: S608
    )
    db_connection.rollback()  # no open transaction may hold up the tenant's drop
    return document


def configure(client, tenant, **change) -> dict:
    response = patch(client, tenant.domain, change)
    assert response.status_code == 200, response.text
    return response.json


# --- the document and the system API -------------------------------------------------------


def test_a_new_restaurant_has_the_defaults(client, runner, tenant, db_connection):
    response = client.get(settings_url(tenant.domain), headers=AUTH)
    assert response.status_code == 200 and response.json == DEFAULTS
    printed = runner.invoke(args=["tenants", "settings", tenant.domain])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == DEFAULTS
    assert stored(db_connection, tenant) == {}  # defaults are filled in when read, not copied


BAD_CHANGES = [  # (change, the keys the 400 names)
    ({"timezone": 5}, {"timezone"}),
    ({"timezone": "Mars/Olympus_Mons"}, {"timezone"}),
    ({"timezone": ""}, {"timezone"}),
    ({"timezone": "europe/berlin"}, {"timezone"}),
    ({"currency": "ZZZ"}, {"currency"}),
    ({"currency": "eur"}, {"currency"}),
    ({"currency": None}, {"currency"}),
    ({"currency": "ADP"}, {"currency"}),  # the Andorran peseta, withdrawn in 2002
    ({"currency": "XXX"}, {"currency"}),  # ISO 4217's "no currency"
    ({"locale": "zz_ZZ"}, {"locale"}),
    ({"locale": "de-DE"}, {"locale"}),
    ({"locale": ""}, {"locale"}),
    ({"locale": ["de_DE"]}, {"locale"}),
    ({"tax": 19}, {"tax"}),
    ({"tax": None}, {"tax"}),
    ({"tax": {"rate_bp": 10_001}}, {"tax.rate_bp"}),
    ({"tax": {"rate_bp": -1}}, {"tax.rate_bp"}),
    ({"tax": {"rate_bp": 19.5}}, {"tax.rate_bp"}),
    ({"tax": {"rate_bp": "1900"}}, {"tax.rate_bp"}),
    ({"tax": {"rate_bp": True}}, {"tax.rate_bp"}),
    ({"tax": {"rate_bp": 10**40}}, {"tax.rate_bp"}),
    ({"tax": {"inclusive": "yes"}}, {"tax.inclusive"}),
    ({"tax": {"inclusive": 1}}, {"tax.inclusive"}),
    ({"tax": {"rate": 1900}}, {"tax.rate"}),
    ({"tax": {"rate": 1, "rate_bp": -5}}, {"tax.rate", "tax.rate_bp"}),
    ({"tips": []}, {"tips"}),
    ({"tips": {"enabled": "true"}}, {"tips.enabled"}),
    ({"tips": {"presets_percent": [0]}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": [101]}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": [5, 5]}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": [1, 2, 3, 4, 5, 6]}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": "10"}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": [10.5]}}, {"tips.presets_percent"}),
    ({"tips": {"presets_percent": [True]}}, {"tips.presets_percent"}),
    ({"tips": {"max": 3}}, {"tips.max"}),
    ({"colour": {"mon": []}}, {"colour"}),
    ({"Timezone": "UTC"}, {"Timezone"}),
    ({"timezone": "Europe/Berlin", "currency": "ZZZ"}, {"currency"}),
    ({"locale": "de_DE", "tax": {"rate_bp": 20_000}, "nope": 1}, {"tax.rate_bp", "nope"}),
    ({"kitchen_keys": "Enter"}, {"kitchen_keys"}),
    ({"kitchen_keys": {"bump": "Return"}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"bump": ""}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"bump": "3"}}, {"kitchen_keys.bump"}),  # digits select tickets
    ({"kitchen_keys": {"bump": None}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"bump": "\u0000"}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"bump": "\ud800"}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"bump": "<script>"}}, {"kitchen_keys.bump"}),
    ({"kitchen_keys": {"explode": "x"}}, {"kitchen_keys.explode"}),
    ({"expo": "no"}, {"expo"}),
    ({"pickup_screen_names": 1}, {"pickup_screen_names"}),
]


@pytest.mark.parametrize("change, keys", BAD_CHANGES, ids=[str(c[0]) for c in BAD_CHANGES])
def test_every_bad_value_is_400_naming_its_key_and_nothing_is_saved(
    client, tenant, db_connection, change, keys
):
    configure(client, tenant, tax={"rate_bp": 700, "inclusive": True})
    before = stored(db_connection, tenant)
    response = patch(client, tenant.domain, change)
    assert response.status_code == 400, response.text
    assert set(response.json["fields"]) == keys, response.json
    assert all(response.json["fields"].values())
    assert stored(db_connection, tenant) == before
    assert client.get(settings_url(tenant.domain), headers=AUTH).json["tax"]["rate_bp"] == 700


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"[]", "application/json"),
        (b'"timezone"', "application/json"),
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b'{"timezone": "UTC"}', "text/plain"),
        (b'{"\\ud800": 1}', "application/json"),
        (b"[" * 100_000, "application/json"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(client, tenant, db_connection, body, content_type):
    response = client.patch(
        settings_url(tenant.domain), data=body, content_type=content_type, headers=AUTH
    )
    assert response.status_code == 400 and "error" in response.json
    assert stored(db_connection, tenant) == {}


def test_the_kitchen_keys_are_single_keys_stored_as_the_board_matches_them(client, tenant):
    keys = configure(client, tenant, kitchen_keys={"bump": " ", "recall": "B", "undo": "F2"})
    assert keys["kitchen_keys"]["bump"] == " " and keys["kitchen_keys"]["recall"] == "b"
    assert keys["kitchen_keys"]["undo"] == "F2" and keys["kitchen_keys"]["help"] == "?"
    swapped = configure(client, tenant, kitchen_keys={"bump": "b", "recall": " "})
    assert swapped["kitchen_keys"]["bump"] == "b" and swapped["kitchen_keys"]["recall"] == " "
    twice = patch(client, tenant.domain, {"kitchen_keys": {"recall": "F2"}})
    assert twice.status_code == 422, twice.text
    assert twice.json["fields"] == {"kitchen_keys.undo": "is already the key of recall"}


def test_patch_merges_the_given_keys_one_level_deep(client, tenant, db_connection):
    configure(client, tenant, tax={"rate_bp": 1900, "inclusive": True}, timezone="Europe/Berlin")
    merged = configure(client, tenant, tax={"rate_bp": 700})
    assert merged["tax"] == {"rate_bp": 700, "inclusive": True}  # inclusive kept
    assert merged["timezone"] == "Europe/Berlin"  # untouched keys kept
    merged = configure(client, tenant, tips={"enabled": True})
    assert merged["tips"] == {"enabled": True, "presets_percent": [10, 15, 20]}
    merged = configure(client, tenant, tips={"presets_percent": [15, 5]}, locale="de_de")
    assert merged["tips"] == {"enabled": True, "presets_percent": [5, 15]}
    assert merged["locale"] == "de_DE"  # normalized once, stored as Babel writes it
    assert configure(client, tenant) == merged  # an empty change changes nothing
    expected = {
        **DEFAULTS,
        "timezone": "Europe/Berlin",
        "locale": "de_DE",
        "languages": ["de"],  # never chosen: it follows the locale
        "tax": {"rate_bp": 700, "inclusive": True},
        "tips": {"enabled": True, "presets_percent": [5, 15]},
    }
    assert client.get(settings_url(tenant.domain), headers=AUTH).json == expected
    assert stored(db_connection, tenant) == expected  # the stored document is whole


def test_unknown_or_malformed_domains_and_missing_tokens(client, tenant, db_connection):
    for method in (client.get, client.patch):
        ghost = method(settings_url("ghost.localhost"), headers=AUTH, json={})
        assert ghost.status_code == 404 and ghost.json["error"]
        malformed = method(settings_url("not a host"), headers=AUTH, json={})
        assert malformed.status_code == 400 and "domain" in malformed.json["fields"]
    same = client.get(settings_url(tenant.domain.upper() + "."), headers=AUTH)
    assert same.status_code == 200  # the domain is normalized as everywhere else
    refused = client.patch(settings_url(tenant.domain), json={"timezone": "Asia/Tokyo"})
    assert refused.status_code == 401
    assert client.get(settings_url(tenant.domain)).status_code == 401
    assert stored(db_connection, tenant) == {}


def test_one_restaurants_settings_are_its_own(client, tenant, make_tenant):
    other = make_tenant()
    configure(client, tenant, currency="EUR", locale="de_DE")
    assert client.get(settings_url(other.domain), headers=AUTH).json == DEFAULTS


def test_two_changes_at_once_are_both_kept(app, client, tenant, db_connection):
    """An operator's PATCH of tips waits for a change of tax that holds the row; it then
    merges into that change instead of overwriting it with what it read before."""
    schema = f'"{tenant.schema_name}"'
    db_connection.execute(text(f"SELECT document FROM {schema}.settings FOR UPDATE"))  # noqa: S608
    answers = []
    waiting = threading.Thread(
        target=lambda: answers.append(patch(client, tenant.domain, {"tips": {"enabled": True}}))
    )
    waiting.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not db_connection.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() "
            "AND query LIKE '%settings%' AND pid <> pg_backend_pid()"
        )
    ):
        time.sleep(0.02)
    db_connection.execute(
        text(f"UPDATE {schema}.settings SET document = :document"),  # noqa: S608
        {"document": json.dumps({**DEFAULTS, "tax": {"rate_bp": 1900, "inclusive": True}})},
    )
    db_connection.commit()
    waiting.join(10)
    assert answers and answers[0].status_code == 200, answers
    final = client.get(settings_url(tenant.domain), headers=AUTH).json
    assert final["tax"] == {"rate_bp": 1900, "inclusive": True}
    assert final["tips"]["enabled"] is True


# --- flask tenants settings ----------------------------------------------------------------


def test_cli_sets_dotted_keys_with_json_or_bare_values(runner, client, tenant):
    result = runner.invoke(
        args=[
            "tenants",
            "settings",
            tenant.domain,
            "--set",
            "tax.rate_bp=1900",
            "--set",
            "tax.inclusive=true",
            "--set",
            "timezone=Europe/Berlin",
            "--set",
            "currency=EUR",
            "--set",
            'locale="de_DE"',
            "--set",
            "tips.presets_percent=[5, 10]",
        ]
    )
    assert result.exit_code == 0, result.output
    expected = {
        **DEFAULTS,
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "locale": "de_DE",
        "languages": ["de"],
        "tax": {"rate_bp": 1900, "inclusive": True},
        "tips": {"enabled": False, "presets_percent": [5, 10]},
    }
    assert json.loads(result.output) == expected  # the whole document, after the change
    assert client.get(settings_url(tenant.domain), headers=AUTH).json == expected


def test_cli_merges_a_json_file_and_set_goes_over_it(runner, client, tenant, tmp_path):
    change = tmp_path / "settings.json"
    change.write_text(json.dumps({"currency": "JPY", "locale": "ja_JP", "tips": {"enabled": True}}))
    result = runner.invoke(
        args=["tenants", "settings", tenant.domain, "--json", str(change), "--set", "currency=EUR"]
    )
    assert result.exit_code == 0, result.output
    document = client.get(settings_url(tenant.domain), headers=AUTH).json
    assert (document["currency"], document["locale"]) == ("EUR", "ja_JP")
    assert document["tips"] == {"enabled": True, "presets_percent": [10, 15, 20]}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--set", "tax.rate_bp=abc"], "tax.rate_bp: must be a whole number"),
        (["--set", "tax.rate_bp=19.5"], "tax.rate_bp"),
        (["--set", "timezone=Mars/Base"], "timezone: must be an IANA time zone"),
        (["--set", "tax.rate=5"], "tax.rate: is not a tax setting"),
        (["--set", "colour=[]"], "colour: is not a setting"),
        (["--set", "timezone"], "must be KEY=VALUE"),
        (["--set", "=UTC"], "must be KEY=VALUE"),
        (["--set", "tax..rate_bp=1"], "must be KEY=VALUE"),
        (["--set", "tax.rate_bp=" + "[" * 100_000], "nested too deeply"),
        (["--set", "\udcff=1"], "\\udcff: is not a setting"),
        (["--set", "tips.enabled=true", "--set", "currency=ZZZ"], "currency: must be"),
        (["--json", "{not json"], "must be a file holding a JSON object"),
        (["--json", "[1, 2]"], "must be a file holding a JSON object"),
        (["--json", b"\xff\xfe\x00"], "must be a file holding a JSON object"),
        (["--json", '{"tax": {"rate_bp": 10001}}'], "tax.rate_bp"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2_and_nothing_saved(
    runner, tenant, db_connection, tmp_path, arguments, message
):
    if arguments[0] == "--json":
        path = tmp_path / "change.json"
        content = arguments[1]
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        arguments = ["--json", str(path)]
    result = runner.invoke(args=["tenants", "settings", tenant.domain, *arguments])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "Traceback" not in result.output
    assert stored(db_connection, tenant) == {}


def test_cli_unknown_domain_is_exit_1_and_a_malformed_one_exit_2(runner):
    result = runner.invoke(args=["tenants", "settings", "ghost.localhost"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no tenant with domain ghost.localhost"
    result = runner.invoke(args=["tenants", "settings", "ghost.localhost", "--set", "currency=EUR"])
    assert result.exit_code == 1
    result = runner.invoke(args=["tenants", "settings", "nul\x00.localhost"])
    assert result.exit_code == 2 and "domain" in result.output


# --- the admin page ------------------------------------------------------------------------


@pytest.fixture
def admin(app, tenant):
    return signed_in(app, tenant, "admin")


def save(staff, **fields):
    return staff.post("/admin/settings", {**PAGE_FIELDS, **fields})


def test_only_admins_see_and_change_settings(app, tenant, admin, db_connection):
    for role in ("manager", "kitchen"):
        staff = signed_in(app, tenant, role)
        assert staff.get("/admin/settings").status_code == 403
        assert save(staff, **{"region-currency": "EUR"}).status_code == 403
        assert "/admin/settings" not in staff.get("/kitchen").text  # no link to it either
    anonymous = Staff(app.test_client(), tenant.domain)
    assert anonymous.get("/admin/settings").status_code in (302, 303)
    assert stored(db_connection, tenant) == {}
    page = admin.get("/admin/settings")
    assert page.status_code == 200 and 'href="/admin/settings"' in page.text


def test_a_save_without_its_csrf_token_is_refused(admin, tenant, db_connection):
    refused = admin.post("/admin/settings", {**PAGE_FIELDS, "region-currency": "EUR"}, csrf=False)
    assert refused.status_code == 400
    assert stored(db_connection, tenant) == {}


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"', select).group(1)


def test_admin_types_settings_as_people_write_them(admin, client, tenant, db_connection):
    page = admin.get("/admin/settings").text
    assert selected(page, "region-timezone") == "UTC"
    assert selected(page, "region-currency") == "USD"
    assert selected(page, "region-locale") == "en_US"
    assert 'name="tax-rate_percent" type="text" value="0"' in page
    assert 'name="tips-presets_percent" type="text" value="10, 15, 20"' in page
    assert "basis points" in page  # the page says how the rate is kept

    saved = save(
        admin,
        **{
            "region-timezone": "Europe/Berlin",
            "region-currency": "EUR",
            "region-locale": "de_DE",
            "tax-rate_percent": "19",
            "tax-inclusive": "included",
            "tips-enabled": "y",
            "tips-presets_percent": "15%, 5; 10",
        },
    )
    assert saved.status_code == 303 and saved.location.endswith("/admin/settings?saved=1")
    assert stored(db_connection, tenant) == {
        **DEFAULTS,
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "locale": "de_DE",
        "languages": ["de"],
        "tax": {"rate_bp": 1900, "inclusive": True},
        "tips": {"enabled": True, "presets_percent": [5, 10, 15]},
    }
    page = admin.get("/admin/settings?saved=1").text
    assert translated("de", "Settings saved.") in page and "11,00\xa0€" in page  # in German now
    assert selected(page, "region-locale") == "de_DE"

    german = {"region-timezone": "Europe/Berlin", "region-currency": "EUR"}
    german["region-locale"] = "de_DE"
    assert save(admin, **german, **{"tax-rate_percent": "8,25"}).status_code == 303
    assert stored(db_connection, tenant)["tax"] == {"rate_bp": 825, "inclusive": False}
    assert 'value="8,25"' in admin.get("/admin/settings").text  # shown as a German writes it
    assert save(admin, **german, **{"tax-rate_percent": "7.5 %"}).status_code == 303
    assert stored(db_connection, tenant)["tax"]["rate_bp"] == 750
    assert stored(db_connection, tenant)["tips"]["enabled"] is False  # an unticked box


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("tax-rate_percent", "8.875", "at most 2 decimals"),
        ("tax-rate_percent", "101", "at most 100"),
        ("tax-rate_percent", "-1", "a percentage from 0 to 100"),
        ("tax-rate_percent", "nineteen", "a percentage from 0 to 100"),
        ("tax-rate_percent", "", "a percentage from 0 to 100"),
        ("tax-rate_percent", "1,000", "a percentage from 0 to 100"),
        ("tax-rate_percent", "8,5", "a percentage from 0 to 100, such as 19 or 8.25"),
        ("tax-inclusive", "sometimes", "whether menu prices include tax"),
        ("tips-presets_percent", "10, 12.5", "whole percentages"),
        ("tips-presets_percent", "0, 10", "at most 5 different whole percentages"),
        ("tips-presets_percent", "1 2 3 4 5 6", "at most 5"),
        ("region-timezone", "Mars/Base", "IANA time zone"),
        ("region-currency", "ZZZ", "ISO 4217"),
        ("region-currency", "ADP", "ADP (Andorran Peseta) is no longer in use"),
        ("region-locale", "zz_ZZ", "a locale such as de_DE"),
    ],
)
def test_a_bad_value_is_400_with_its_message_and_nothing_saved(
    admin, tenant, db_connection, field, typed, message
):
    refused = save(admin, **{field: typed, "tips-enabled": "y"})
    assert refused.status_code == 400
    assert "Nothing was saved" in refused.text and message in refused.text
    if field == "tax-inclusive":
        assert 'aria-describedby="tax-inclusive-problem"' in refused.text
    else:
        assert f'aria-invalid="true" id="{field}"' in refused.text
    assert stored(db_connection, tenant) == {}


def test_every_bad_field_is_reported_at_once(admin, tenant, db_connection):
    refused = save(
        admin,
        **{
            "region-timezone": "Mars/Base",
            "region-currency": "ZZZ",
            "region-locale": "zz_ZZ",
            "tax-rate_percent": "abc",
            "tax-inclusive": "maybe",
            "tips-presets_percent": "<b>bold</b>",
        },
    )
    assert refused.status_code == 400
    for label in ("Time zone", "Currency", "Language and number format", "Tax rate (%)"):
        assert f">{label}</a>:" in refused.text
    assert ">Menu prices</a>:" in refused.text and ">Suggested tips (%)</a>:" in refused.text
    assert refused.text.count('aria-invalid="true"') == 5
    assert "<b>bold</b>" not in refused.text and "&lt;b&gt;bold&lt;/b&gt;" in refused.text
    assert stored(db_connection, tenant) == {}


def test_a_locale_set_by_the_operator_survives_a_save_of_the_page(client, admin, tenant):
    configure(client, tenant, locale="de")  # valid, though not among the page's choices
    page = admin.get("/admin/settings").text
    assert selected(page, "region-locale") == "de"
    fields = {**PAGE_FIELDS, "region-locale": "de"}
    assert admin.post("/admin/settings", fields).status_code == 303
    assert client.get(settings_url(tenant.domain), headers=AUTH).json["locale"] == "de"


def options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return re.findall(r'<option[^>]* value="([^"]*)"', select)


def groups(page: str, name: str) -> list[tuple[str, list[str]]]:
    """A select's option groups, in the page's order: (label, the values it offers)."""
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S).group(0)
    return [
        (label, re.findall(r'<option[^>]* value="([^"]*)"', body))
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)
    ]


def test_the_page_offers_the_currencies_in_use_today(admin):
    offered = options(admin.get("/admin/settings").text, "region-currency")
    assert {"EUR", "USD", "JPY", "CHF", "GBP"} <= set(offered)
    for withdrawn in ("ADP", "DEM", "HRK", "ZWD", "XXX", "XAU"):  # and no test or metal codes
        assert withdrawn not in offered
    assert len(offered) == len(set(offered)) < 200


def test_a_withdrawn_currency_is_refused_as_a_new_value(client, runner, tenant, db_connection):
    refused = patch(client, tenant.domain, {"currency": "ADP"})
    assert refused.status_code == 400
    assert "ADP (Andorran Peseta) is no longer in use" in refused.json["fields"]["currency"]
    printed = runner.invoke(args=["tenants", "settings", tenant.domain, "--set", "currency=HRK"])
    assert printed.exit_code != 0 and "is no longer in use" in printed.output
    assert stored(db_connection, tenant) == {}


def test_a_restaurant_holding_a_withdrawn_currency_still_works_and_can_change_it(
    client, admin, tenant, db_connection
):
    """A restaurant that chose a currency before it was withdrawn (or before this rule) keeps
    it until someone changes it: its pages render, other settings save, and a new currency can
    be chosen, but the withdrawn one cannot be chosen again."""
    db_connection.execute(
        text(f'UPDATE "{tenant.schema_name}".settings SET document = :document'),  # noqa: S608
        {"document": json.dumps({**DEFAULTS, "currency": "ADP", "locale": "ca_AD"})},
    )
    # as a write of the app would, so every worker's cached settings are dropped
    db_connection.execute(
        text(f"SELECT pg_notify('omniorder_changes', 'menu {tenant.schema_name}')")
    )
    db_connection.commit()
    page = admin.get("/admin/settings")
    assert page.status_code == 200
    assert selected(page.text, "region-currency") == "ADP"
    assert "ADP · Andorran Peseta (no longer in use)" in page.text
    kept = {**PAGE_FIELDS, "region-currency": "ADP", "region-locale": "ca_AD"}
    assert admin.post("/admin/settings", {**kept, "tax-rate_percent": "4,5"}).status_code == 303
    assert stored(db_connection, tenant)["currency"] == "ADP"
    assert configure(client, tenant, tips={"enabled": True})["currency"] == "ADP"
    storefront = Customer(client, tenant.domain).get("/")
    assert storefront.status_code == 200
    assert admin.post("/admin/settings", {**kept, "region-currency": "EUR"}).status_code == 303
    assert stored(db_connection, tenant)["currency"] == "EUR"
    again = admin.post("/admin/settings", kept)
    assert again.status_code == 400 and "is no longer in use" in again.text
    assert stored(db_connection, tenant)["currency"] == "EUR"


def test_locales_are_grouped_by_language_with_the_restaurants_first(client, admin, tenant):
    configure(client, tenant, locale="de_AT")
    page = admin.get("/admin/settings").text
    assert selected(page, "region-locale") == "de_AT"
    shown = groups(page, "region-locale")
    label, first = shown[0]
    assert label == "German" and first[0] == "de_AT"
    assert {"de_DE", "de_CH"} <= set(first)
    labels = [label for label, _ in shown[1:]]
    assert labels == sorted(labels, key=str.casefold) and "German" not in labels
    english = dict(shown)["English"]
    assert {"en_US", "en_GB", "en_IN"} <= set(english)
    group = re.search(r'<optgroup label="English">(.*?)</optgroup>', page, re.S).group(1)
    names = re.findall(r"<option[^>]*>([^<]*)</option>", group)
    assert names[:2] == ["English (American Samoa) · en_AS", "English (Anguilla) · en_AI"]
    assert names == sorted(names, key=str.casefold)  # by country, as people look for them
    offered = [code for _, codes in shown for code in codes]
    assert len(offered) == len(set(offered))
    # Countries only: each one formats numbers and dates as people there write them;
    # scripts are countries' too (Serbian in Latin letters, Chinese as written in Taiwan).
    assert {"sr_Latn_RS", "zh_Hant_TW", "zh_Hans_CN", "ja_JP"} <= set(offered)
    assert not {"de", "en", "en_001", "es_419", "en_US_POSIX"} & set(offered)


hostile = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", " ", "0", "100", "8,875", "1e309", "NaN", "-0", "٩", "UTC", "y"]),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
)


def test_hostile_form_input_is_never_a_5xx_and_a_4xx_saves_nothing(admin, tenant, db_connection):
    names = [*PAGE_FIELDS, "tips-enabled", "kitchen-pickup_screen_names", "csrf_token"]
    token = admin.token()

    @hypothesis_settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=st.lists(st.tuples(st.sampled_from(names), hostile), max_size=12))
    def attempt(values):
        before = stored(db_connection, tenant)
        data = MultiDict([("csrf_token", token), *values])
        response = admin.client.post("/admin/settings", data=data, base_url=admin.base_url)
        assert response.status_code < 500, (values, response.status_code)
        if response.status_code >= 400:
            assert stored(db_connection, tenant) == before, values

    attempt()


# --- what people see -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "locale, currency, shown",
    [("en_US", "USD", "$11.00"), ("de_DE", "EUR", "11,00\xa0€"), ("ja_JP", "JPY", "￥1,100")],
)
def test_the_storefront_writes_prices_the_restaurants_way(
    app, client, tenant, locale, currency, shown
):
    configure(client, tenant, locale=locale, currency=currency)
    assert menu(app, tenant)["Garden Bowl"].price == 1100
    page = Customer(app.test_client(), tenant.domain).get("/").text
    assert shown in page
    if currency != "USD":
        assert "$11.00" not in page


def test_staff_type_prices_in_the_restaurants_locale_and_currency(app, client, tenant):
    manager = signed_in(app, tenant, "manager")
    new_item = {"description": "", "image_url": "", "category_id": "", "is_available": "y"}

    configure(client, tenant, locale="de_DE", currency="EUR")
    created = manager.post("/admin/items/new", {**new_item, "name": "Espresso", "price": "2,50"})
    assert created.status_code == 303, created.text
    espresso = menu(app, tenant)["Espresso"]
    assert espresso.price == 250
    edit = manager.get(f"/admin/items/{espresso.id}/edit").text
    assert 'value="2,50"' in edit
    refused = manager.post("/admin/items/new", {**new_item, "name": "Tea", "price": "2,505"})
    assert refused.status_code == 400 and "Tea" not in menu(app, tenant)

    configure(client, tenant, locale="ja_JP", currency="JPY")
    created = manager.post("/admin/items/new", {**new_item, "name": "Ramen", "price": "1,100"})
    assert created.status_code == 303, created.text
    assert menu(app, tenant)["Ramen"].price == 1100  # whole yen: JPY has no minor unit
    refused = manager.post("/admin/items/new", {**new_item, "name": "Gyoza", "price": "450.5"})
    assert refused.status_code == 400 and "whole amount" in refused.text
    page = Customer(app.test_client(), tenant.domain).get("/").text
    assert "￥1,100" in page


def test_images_hold_photo_references_replaced_whole(client, tenant):
    logo = {"hash": "ab" * 16, "widths": [320, 640], "width": 640, "height": 480}
    assert configure(client, tenant, images={"logo": logo})["images"] == {
        "logo": logo,
        "banner": None,
    }
    partial = patch(client, tenant.domain, {"images": {"logo": {"hash": "cd" * 16}}})
    assert partial.status_code == 400 and "images.logo" in partial.json["fields"]
    unknown = patch(client, tenant.domain, {"images": {"favicon": None}})
    assert unknown.status_code == 400 and "images.favicon" in unknown.json["fields"]
    assert configure(client, tenant, images={"logo": None})["images"]["logo"] is None


def test_admin_chooses_the_restaurants_languages_default_first(admin, db_connection, tenant):
    page = admin.get("/admin/settings").text
    assert 'name="region-languages" spellcheck="false" type="text" value="en"' in page
    assert "de (Deutsch)" in page  # the codes the field takes, by their own names

    assert save(admin, **{"region-languages": "de, EN fr"}).status_code == 303
    assert stored(db_connection, tenant)["languages"] == ["de", "en", "fr"]
    assert 'value="de, en, fr"' in admin.get("/admin/settings").text

    refused = save(admin, **{"region-languages": "de, xx"})
    assert refused.status_code == 400
    assert 'id="region-languages-problem"' in refused.text
    problem = "must be a list of distinct languages, the default first, from %(languages)s"
    assert translated("de", problem, languages=", ".join(SHIPPED)) in refused.text  # German now
    assert stored(db_connection, tenant)["languages"] == ["de", "en", "fr"]
