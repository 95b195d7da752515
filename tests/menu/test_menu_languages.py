"""The menu in several languages (omniorder/menu/translations.py): the document carries the
translations, customers read the menu (API, storefront) and their order in their language,
each language cached apart, and the kitchen reads its own with the customer's words beside."""

import time
import uuid
from typing import NamedTuple

import pytest
from flask import request
from sqlalchemy import select, update

from omniorder.cache.changes import change_feed, stop_change_feed
from omniorder.core.database import db
from omniorder.menu.document import import_menu
from omniorder.menu.translations import kitchen_line_name
from omniorder.printing.models import PrintJob
from omniorder.staff.models import User
from tests.support.app import SYS_TOKEN, make_app
from tests.support.choices import bound, set_settings
from tests.support.printing import set_printers
from tests.support.staff import signed_in

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
WITHIN = 0.1  # seconds: how soon every worker has heard of a change
MENU = {
    "option_groups": [
        {
            "name": "Size",
            "name_i18n": {"de": "Größe"},
            "min": 1,
            "max": 1,
            "options": [
                {
                    "name": "Regular",
                    "name_i18n": {"de": "Normal"},
                    "price_delta": 0,
                    "is_available": True,
                },
                {"name": "Large", "price_delta": 300, "is_available": True},
            ],
        }
    ],
    "categories": [
        {
            "name": "Mains",
            "name_i18n": {"de": "Hauptgerichte", "fr": "Plats"},
            "items": [
                {
                    "name": "Cheese noodles",
                    "name_i18n": {"de": "Käsespätzle"},
                    "description": "With fried onions",
                    "description_i18n": {"de": "Mit Röstzwiebeln\nund Bergkäse"},
                    "price": 1200,
                    "is_available": True,
                    "image_url": None,
                    "allergens": ["gluten", "eggs", "milk"],
                    "option_groups": ["Size"],
                },
                {
                    "name": "Salad",
                    "description": None,
                    "price": 800,
                    "is_available": True,
                    "image_url": None,
                    "allergens": [],
                    "option_groups": [],
                },
            ],
        }
    ],
}


def german_menu(app, tenant) -> None:
    """`MENU`, and the restaurant speaks English (its default) and German."""
    with bound(app, tenant):
        import_menu(MENU)
    set_settings(app, tenant, languages=["en", "de"])


def menu_of(client, tenant, query="", **headers):
    return client.get(f"/api/v1/menu{query}", headers={"Host": tenant.domain, **headers})


def item_named(body, name) -> dict:
    return next(item for item in body["items"] if item["name"] == name)


# --- the document -----------------------------------------------------------------------------


def test_the_document_carries_translations_there_and_back(client, tenant):
    path = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    assert client.put(path, json=MENU, headers=AUTH).status_code == 200
    assert client.get(path, headers=AUTH).json == MENU


@pytest.mark.parametrize(
    "texts, field, message",
    [
        ({"xx": "Nudeln"}, "name_i18n", "xx is not a language code"),
        ({"de": "  "}, "name_i18n.de", "must not be empty"),
        ({"de": "x" * 101}, "name_i18n.de", "must be at most 100 characters"),
        ({"de": "Zeile\nZeile"}, "name_i18n.de", "one line"),
        (["de"], "name_i18n", "must be an object"),
        (None, "name_i18n", "must be an object"),  # left out: none; null is refused
    ],
)
def test_a_translation_breaking_the_names_rules_is_refused(client, tenant, texts, field, message):
    path = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    document = {"categories": [{"name": "Mains", "items": [{"name": "Soup", "price": 500}]}]}
    document["categories"][0]["items"][0]["name_i18n"] = texts
    refused = client.put(path, json=document, headers=AUTH)
    assert refused.status_code == 400
    assert message in refused.json["fields"][f"categories[0].items[0].{field}"]


# --- reading: the API and the storefront ------------------------------------------------------


def test_the_menu_api_answers_in_the_asked_language_else_the_default(app, client, tenant):
    german_menu(app, tenant)
    english = menu_of(client, tenant)
    assert english.headers["Vary"] == "Accept-Language, Cookie"
    noodles = item_named(english.json, "Cheese noodles")
    assert noodles["name_i18n"] == {"de": "Käsespätzle"}
    assert noodles["description_i18n"] == {"de": "Mit Röstzwiebeln\nund Bergkäse"}

    for query, headers in (("?lang=de", {}), ("", {"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})):
        german = menu_of(client, tenant, query, **headers).json
        noodles = item_named(german, "Käsespätzle")
        assert noodles["description"] == "Mit Röstzwiebeln\nund Bergkäse"
        assert noodles["name_i18n"] == {"de": "Käsespätzle"}
        (size,) = noodles["option_groups"]
        assert size["name"] == "Größe" and size["name_i18n"] == {"de": "Größe"}
        assert [option["name"] for option in size["options"]] == ["Normal", "Large"]  # fallback
        assert item_named(german, "Salad")["name_i18n"] == {}  # no translation: the default's

    client.delete_cookie("lang", domain=tenant.domain)  # ?lang=de was remembered
    french = menu_of(client, tenant, "?lang=fr").json  # not one of the restaurant's
    assert item_named(french, "Cheese noodles")["description"] == "With fried onions"


def test_the_storefront_shows_the_menu_in_the_chosen_language(app, client, tenant):
    german_menu(app, tenant)
    page = client.get("/?lang=de", headers={"Host": tenant.domain}).text
    assert "Käsespätzle" in page and "Hauptgerichte" in page and "Mit Röstzwiebeln" in page
    page = client.get("/?lang=en", headers={"Host": tenant.domain}).text
    assert "Cheese noodles" in page and "Käsespätzle" not in page


# --- each language cached apart, answered before Flask ----------------------------------------


@pytest.fixture
def workers(database_url):
    """Two apps with push invalidation on, each with its listener running."""
    apps = [make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True) for _ in range(2)]
    for app in apps:
        deadline = time.monotonic() + 5
        while not change_feed(app).healthy:
            assert time.monotonic() < deadline
            time.sleep(0.005)
    yield apps
    for app in apps:
        stop_change_feed(app)
        with app.app_context():
            db.engine.dispose()


def headers_of(response) -> dict:
    return {name: value for name, value in response.headers.items() if name != "Date"}


def test_each_language_is_held_apart_and_answered_before_flask_without_a_statement(
    workers, make_tenant, count_statements
):
    app, _ = workers
    flask_requests = []
    app.before_request(lambda: flask_requests.append(request.path))
    tenant = make_tenant()
    german_menu(app, tenant)
    time.sleep(WITHIN)  # the changes' own notices heard first: they would empty the memory
    client = app.test_client()
    german = {"Accept-Language": "de"}
    first = {"en": menu_of(client, tenant), "de": menu_of(client, tenant, **german)}
    assert first["en"].data != first["de"].data
    assert first["en"].headers["ETag"] != first["de"].headers["ETag"]

    for _ in range(20):  # the new restaurant's own announcements may still drop what it held
        statements, asked_flask = count_statements(app), len(flask_requests)
        again = {"en": menu_of(client, tenant), "de": menu_of(client, tenant, **german)}
        if not statements:
            break
        time.sleep(WITHIN)
    assert statements == []  # routing, the settings and both languages from memory
    assert len(flask_requests) == asked_flask  # both answered before Flask
    for language in ("en", "de"):
        assert again[language].data == first[language].data
        assert headers_of(again[language]) == headers_of(first[language])
    assert item_named(again["de"].json, "Käsespätzle")

    client.set_cookie("lang", "de", domain=tenant.domain)  # the storefront's choice, kept
    by_cookie = menu_of(client, tenant)
    assert by_cookie.data == first["de"].data
    assert statements == [] and len(flask_requests) == asked_flask
    client.delete_cookie("lang", domain=tenant.domain)

    asked = menu_of(client, tenant, "?lang=de")  # Flask answers it: it sets the cookie
    assert asked.data == first["de"].data and "lang=de" in asked.headers["Set-Cookie"]
    assert len(flask_requests) == asked_flask + 1


# --- orders and the kitchen -------------------------------------------------------------------


class Row(NamedTuple):
    id: uuid.UUID
    name: str
    name_i18n: dict


def test_the_order_keeps_the_customers_words_and_the_kitchen_reads_its_own(app, client, tenant):
    german_menu(app, tenant)
    set_printers(app, tenant, [{"name": "Pass"}])
    noodles = item_named(menu_of(client, tenant).json, "Cheese noodles")
    regular = noodles["option_groups"][0]["options"][0]["id"]
    placed = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain, "Accept-Language": "de"},
        json={
            "customer_name": "Anna",
            "items": [{"menu_item_id": noodles["id"], "quantity": 1, "options": [regular]}],
        },
    )
    assert placed.status_code == 201, placed.text
    (line,) = placed.json["items"]
    assert line["name"] == "Käsespätzle"
    assert (line["options"][0]["group"], line["options"][0]["name"]) == ("Größe", "Normal")

    with bound(app, tenant):
        (ticket,) = db.session.scalars(select(PrintJob.data)).all()
    assert b"1 x Cheese noodles (K" in ticket  # the default's, the customer's beside it

    cook = signed_in(app, tenant, "kitchen")
    board = cook.get("/kitchen").text
    assert "1×</strong> Cheese noodles (Käsespätzle)</span>" in board
    with bound(app, tenant):  # the cook reads German
        db.session.execute(update(User).where(User.role == "kitchen").values(language="de"))
    board = cook.get("/kitchen").text
    assert "1×</strong> Käsespätzle</span>" in board  # the same words: once


def test_a_kitchen_line_reads_in_the_kitchens_language_with_the_customers_beside_it():
    item_id = uuid.uuid4()
    items = {item_id: Row(item_id, "Cheese noodles", {"de": "Käsespätzle"})}
    line = {"menu_item_id": str(item_id), "name": "Cheese noodles"}
    assert kitchen_line_name(line, "en", items) == "Cheese noodles"
    assert kitchen_line_name(line, "de", items) == "Käsespätzle (Cheese noodles)"
    assert kitchen_line_name(line, "fr", items) == "Cheese noodles"  # no French: the default's
    gone = {"menu_item_id": str(uuid.uuid4()), "name": "Käsespätzle"}
    assert kitchen_line_name(gone, "en", items) == "Käsespätzle"  # left the menu: as ordered


# --- the back office ---------------------------------------------------------------------------


def test_the_item_form_and_the_category_keep_their_translations(app, client, tenant):
    german_menu(app, tenant)
    set_settings(app, tenant, languages=["en", "de", "fr"])
    noodles = item_named(menu_of(client, tenant).json, "Cheese noodles")
    manager = signed_in(app, tenant, "manager")
    form = manager.get(f"/admin/items/{noodles['id']}/edit").text
    assert 'name="name_i18n.de" value="Käsespätzle"' in form
    assert 'name="description_i18n.fr"' in form and 'name="name_i18n.en"' not in form

    fields = {
        "name": "Cheese noodles",
        "description": "With fried onions",
        "price": "12.00",
        "category_id": noodles["category_id"],
        "is_available": "y",
        "name_i18n.de": "",  # cleared
        "name_i18n.fr": "Spätzle au fromage",
        "description_i18n.de": "Mit Röstzwiebeln",
        "description_i18n.fr": "",
    }
    saved = manager.post(f"/admin/items/{noodles['id']}/edit", fields)
    assert saved.status_code == 303, saved.text
    noodles = item_named(menu_of(client, tenant).json, "Cheese noodles")
    assert noodles["name_i18n"] == {"fr": "Spätzle au fromage"}
    assert noodles["description_i18n"] == {"de": "Mit Röstzwiebeln"}

    refused = manager.post(
        f"/admin/items/{noodles['id']}/edit", {**fields, "name_i18n.fr": "x" * 101}
    )
    assert refused.status_code == 400 and 'aria-invalid="true">' in refused.text
    assert item_named(menu_of(client, tenant).json, "Cheese noodles")["name_i18n"] == {
        "fr": "Spätzle au fromage"
    }

    board = manager.get("/admin/menu").text
    category_id = noodles["category_id"]
    renamed = manager.post(
        f"/admin/categories/{category_id}/rename",
        {"name": "Mains", "station": "", "name_i18n.de": "Hauptspeisen", "name_i18n.fr": ""},
    )
    assert renamed.status_code in (200, 303), renamed.text
    assert 'value="Hauptgerichte"' in board
    page = client.get("/?lang=de", headers={"Host": tenant.domain}).text
    assert "Hauptspeisen" in page
    page = client.get("/?lang=fr", headers={"Host": tenant.domain}).text
    assert "Plats" not in page and "Mains" in page  # cleared: the default's
