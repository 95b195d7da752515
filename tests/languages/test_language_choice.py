"""Which language a person is served: the storefront's `?lang` (remembered in a cookie), the
cookie, Accept-Language among the restaurant's languages, else its default; staff in their own."""

import re

from sqlalchemy import update

from omniorder.core.database import db
from omniorder.languages.choice import choose_language
from omniorder.staff.models import User
from tests.support.choices import bound, set_settings
from tests.support.kitchen import place_named
from tests.support.staff import Staff, add_staff
from tests.support.storefront import Customer, change_item, menu


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def test_the_choice_follows_the_link_then_the_cookie_then_the_browser_then_the_default():
    offered = ["de", "en", "fr"]
    assert choose_language(offered, None, None, None) == "de"
    assert choose_language(offered, None, None, "fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert choose_language(offered, None, None, "es, it;q=0.5") == "de"  # none offered
    assert choose_language(offered, None, None, "en-GB") == "en"
    assert choose_language(offered, None, None, "fr-CH, de;q=0.5") == "fr"  # by preference
    assert choose_language(offered, None, "en", "fr") == "en"  # the cookie over the browser
    assert choose_language(offered, "FR", "en", "de") == "fr"  # the link over all
    assert choose_language(offered, "ar", "xx", "ar") == "de"  # never one not offered
    assert choose_language(offered, "<script>", None, "*") in offered


def test_a_customer_gets_the_restaurants_best_language_and_keeps_a_chosen_one(
    app, client, make_tenant
):
    tenant = make_tenant(name="Café Zweisprachig")
    set_settings(app, tenant, languages=["de", "en"])
    base = f"http://{tenant.domain}"

    page = client.get("/", base_url=base)
    assert lang_of(page) == "de"  # the default
    assert "Accept-Language" in page.headers["Vary"] and "Cookie" in page.headers["Vary"]
    assert lang_of(client.get("/", base_url=base, headers={"Accept-Language": "en-US"})) == "en"
    assert lang_of(client.get("/", base_url=base, headers={"Accept-Language": "fr"})) == "de"

    switched = client.get("/?lang=en", base_url=base, headers={"Accept-Language": "de"})
    assert lang_of(switched) == "en"
    assert "lang=en" in switched.headers["Set-Cookie"]
    # remembered: the cookie wins over the browser's own preference from now on
    assert lang_of(client.get("/", base_url=base, headers={"Accept-Language": "de"})) == "en"
    links = re.findall(r'<a [^>]*hreflang="(\w+)"', switched.text)
    assert set(links) == {"de", "en"}  # the switcher offers the restaurant's languages

    one_language = make_tenant(name="Only English")
    page = client.get(
        "/", base_url=f"http://{one_language.domain}", headers={"Accept-Language": "de"}
    )
    assert lang_of(page) == "en"  # an English-only restaurant stays English
    assert "hreflang" not in page.text  # and shows no switcher


def test_arabic_pages_are_right_to_left(app, client, make_tenant):
    tenant = make_tenant(name="Beirut Grill")
    set_settings(app, tenant, languages=["ar", "en"])
    page = client.get("/", base_url=f"http://{tenant.domain}")
    assert '<html lang="ar" dir="rtl">' in page.text
    page = client.get("/?lang=en", base_url=f"http://{tenant.domain}")
    assert '<html lang="en" dir="ltr">' in page.text


def test_staff_read_the_board_in_their_own_language_else_the_restaurants(app, client, make_tenant):
    tenant = make_tenant(name="Küche")
    set_settings(app, tenant, languages=["de", "en"])
    add_staff(app, tenant, "cook@kueche.example", "kitchen")
    cook = Staff(app.test_client(), tenant.domain)
    assert cook.login("cook@kueche.example").status_code == 303
    board = cook.client.get("/kitchen", base_url=cook.base_url, headers={"Accept-Language": "en"})
    assert lang_of(board) == "de"  # the restaurant's default, not the tablet's browser
    with bound(app, tenant):
        db.session.execute(
            update(User).where(User.email == "cook@kueche.example").values(language="ar")
        )
    board = cook.get("/kitchen")
    assert '<html lang="ar" dir="rtl">' in board.text


def test_an_admin_sets_a_cooks_language_on_the_staff_page(app, make_tenant):
    tenant = make_tenant(name="Trattoria Poliglotta")
    set_settings(app, tenant, languages=["it", "en"])
    add_staff(app, tenant, "chef@trattoria.example", "kitchen")
    admin = Staff(app.test_client(), tenant.domain)
    assert admin.login(f"admin@{tenant.domain}", "correct horse battery").status_code == 303
    page = admin.get("/admin/staff")
    assert lang_of(page) == "it" and "Italiano" in page.text
    assert len(re.findall(r'action="/admin/staff/[0-9a-f-]{36}/language"', page.text)) == 2
    with bound(app, tenant):
        cook = db.session.scalar(db.select(User.id).where(User.email == "chef@trattoria.example"))
    changed = admin.post(f"/admin/staff/{cook}/language", {"language": "ar"})
    assert changed.status_code == 303
    cook_tablet = Staff(app.test_client(), tenant.domain)
    assert cook_tablet.login("chef@trattoria.example").status_code == 303
    assert '<html lang="ar" dir="rtl">' in cook_tablet.get("/kitchen").text
    refused = admin.post(f"/admin/staff/{cook}/language", {"language": "klingon"})
    assert refused.status_code == 400
    assert admin.post(f"/admin/staff/{cook}/language", {"language": ""}).status_code == 303
    assert lang_of(cook_tablet.get("/kitchen")) == "it"  # the restaurant's again


def test_an_orders_tracking_page_and_receipt_speak_the_language_it_was_placed_in(
    app, client, make_tenant
):
    tenant = make_tenant(name="Brasserie Bilingue")
    set_settings(app, tenant, languages=["de", "fr"])
    placed = place_named(client, app, tenant, "Ada", [("Fries", 1)], language="fr")
    base = f"http://{tenant.domain}"
    tracking = f"/orders/{placed['id']}"
    other = app.test_client()  # another browser, which says nothing of its languages
    assert lang_of(other.get(tracking, base_url=base)) == "fr"
    assert lang_of(other.get(tracking + "/receipt", base_url=base)) == "fr"
    assert lang_of(other.get(tracking + "?lang=de", base_url=base)) == "de"  # a choice wins
    assert lang_of(other.get("/", base_url=base)) == "de"  # and is remembered


def test_the_cart_names_its_lines_in_the_customers_language(app, client, make_tenant):
    tenant = make_tenant(name="Imbiss")
    set_settings(app, tenant, languages=["de", "en"])
    fries = menu(app, tenant)["Fries"]
    change_item(app, tenant, fries.id, name_i18n={"de": "Pommes frites"})
    customer = Customer(client, tenant.domain)
    assert customer.add(fries.id).status_code in (200, 303)
    german = customer.get("/").text
    assert re.search(r'class="cart-line[^"]*"[^>]*>.*?Pommes frites', german, re.S)
    english = customer.get("/?lang=en").text
    cart = english[english.index('id="cart"') :]
    assert "Fries" in cart and "Pommes" not in cart
