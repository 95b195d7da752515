"""Allergens, option groups and options: kept in the item's back-office page, read by the
storefront, the cart and GET /api/v1/menu (one statement, in rank order)."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from omniorder.core.unit_of_work import unit_of_work
from omniorder.settings.document import update_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import make_app
from tests.support.menu import api_item, api_menu
from tests.support.staff import Staff, signed_in
from tests.support.storefront import menu


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def item_page(manager, item_id) -> str:
    page = manager.get(f"/admin/items/{item_id}/edit")
    assert page.status_code == 200
    return page.text


def add_group(manager, item_id, name, min_choices="0", max_choices="1"):
    return manager.post(
        f"/admin/items/{item_id}/groups", {"name": name, "min": min_choices, "max": max_choices}
    )


def add_option(manager, item_id, group_id, name, price_delta=""):
    return manager.post(
        f"/admin/items/{item_id}/groups/{group_id}/options",
        {"name": name, "price_delta": price_delta},
    )


def described(options: list[dict]) -> list[tuple]:
    return [(option["name"], option["price_delta"], option["is_available"]) for option in options]


def group_named(client, tenant, item_name, group_name) -> dict:
    groups = api_item(client, tenant, item_name)["option_groups"]
    return next(group for group in groups if group["name"] == group_name)


def set_settings(app, tenant, change):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            update_settings(change)


# --- allergens -----------------------------------------------------------------------------


def test_allergens_are_ticked_on_the_item_form(app, client, tenant, manager):
    burger = menu(app, tenant)["House Burger"]
    page = item_page(manager, burger.id)
    assert page.count('name="allergens" type="checkbox"') == 14  # the EU list, one box each
    assert re.search(r'checked[^>]*value="gluten"|value="gluten"[^>]*checked', page)

    saved = manager.post(
        f"/admin/items/{burger.id}/edit",
        {"name": "House Burger", "price": "12.50", "allergens": ["sesame", "celery", "sesame"]},
    )
    assert saved.status_code == 303, saved.text
    assert api_item(client, tenant, "House Burger")["allergens"] == ["celery", "sesame"]

    cleared = manager.post(f"/admin/items/{burger.id}/edit", {"name": "House Burger", "price": "1"})
    assert cleared.status_code == 303
    assert api_item(client, tenant, "House Burger")["allergens"] == []


@pytest.mark.parametrize("allergens", [["gluten", "shellfish"], ["Gluten"], ["nuts\x00"], [""]])
def test_an_unknown_allergen_is_400_and_nothing_saved(app, client, tenant, manager, allergens):
    fries = menu(app, tenant)["Fries"]
    before = api_item(client, tenant, "Fries")
    response = manager.post(
        f"/admin/items/{fries.id}/edit", {"name": "Renamed", "price": "9", "allergens": allergens}
    )
    assert response.status_code == 400
    assert "is not one of the 14 EU allergens" in response.text
    assert api_item(client, tenant, "Fries") == before


def test_a_new_item_takes_its_allergens(app, client, tenant, manager):
    response = manager.post(
        "/admin/items/new", {"name": "Peanut Pie", "price": "4.00", "allergens": ["peanuts"]}
    )
    assert response.status_code == 303
    assert api_item(client, tenant, "Peanut Pie")["allergens"] == ["peanuts"]


# --- option groups and options through the item's page -------------------------------------


def test_groups_and_options_are_built_on_the_item_page(app, client, tenant, manager):
    fries = menu(app, tenant)["Fries"]
    assert add_group(manager, fries.id, "Size", "1", "1").status_code == 303
    size = group_named(client, tenant, "Fries", "Size")
    assert (size["min"], size["max"], size["options"]) == (1, 1, [])
    assert "Customers cannot order this item until Size has at least 1" in item_page(
        manager, fries.id
    )

    assert add_option(manager, fries.id, size["id"], "Regular").status_code == 303  # blank: 0
    assert add_option(manager, fries.id, size["id"], "Large", "1.50").status_code == 303
    assert add_group(manager, fries.id, "Dips", "0", "2").status_code == 303
    dips = group_named(client, tenant, "Fries", "Dips")
    for name, delta in (("Ketchup", "0"), ("Aioli", "0.75"), ("Truffle mayo", "1")):
        assert add_option(manager, fries.id, dips["id"], name, delta).status_code == 303

    item = api_item(client, tenant, "Fries")
    assert [(g["name"], g["min"], g["max"]) for g in item["option_groups"]] == [
        ("Size", 1, 1),
        ("Dips", 0, 2),
    ]
    assert described(item["option_groups"][0]["options"]) == [
        ("Regular", 0, True),
        ("Large", 150, True),
    ]
    page = item_page(manager, fries.id)
    assert "Customers cannot order" not in page and 'value="0.75"' in page

    base = f"/admin/items/{fries.id}/groups"
    aioli = group_named(client, tenant, "Fries", "Dips")["options"][1]
    options = f"{base}/{dips['id']}/options/{aioli['id']}"
    renamed = manager.post(f"{options}/edit", {"name": "Garlic aioli", "price_delta": "0.80"})
    assert renamed.status_code == 303
    assert manager.post(f"{options}/availability", {"available": "false"}).status_code == 303
    assert manager.post(f"{options}/move", {"direction": "up"}).status_code == 303
    assert manager.post(f"{base}/{dips['id']}/move", {"direction": "up"}).status_code == 303
    assert (
        manager.post(
            f"{base}/{dips['id']}/edit", {"name": "Sauces", "min": "1", "max": "3"}
        ).status_code
        == 303
    )
    item = api_item(client, tenant, "Fries")
    sauces = item["option_groups"][0]
    assert (sauces["name"], sauces["min"], sauces["max"]) == ("Sauces", 1, 3)
    assert described(sauces["options"]) == [
        ("Garlic aioli", 80, False),
        ("Ketchup", 0, True),
        ("Truffle mayo", 100, True),
    ]
    assert "sold out" in item_page(manager, fries.id)

    assert manager.post(f"{options}/delete").status_code == 303
    assert [o["name"] for o in group_named(client, tenant, "Fries", "Sauces")["options"]] == [
        "Ketchup",
        "Truffle mayo",
    ]
    assert manager.post(f"{base}/{size['id']}/delete").status_code == 303
    assert [g["name"] for g in api_item(client, tenant, "Fries")["option_groups"]] == ["Sauces"]
    # Deleting the item detaches its groups: they belong to the menu and stay, with their options.
    assert manager.post(f"/admin/items/{fries.id}/delete").status_code == 303
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        from omniorder.core.database import db
        from omniorder.menu.models import ItemOptionGroup, Option, OptionGroup

        assert db.session.scalar(db.select(db.func.count()).select_from(OptionGroup)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(Option)) == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(ItemOptionGroup)) == 0


def test_an_extra_charge_is_typed_in_the_restaurants_locale(app, client, tenant, manager):
    set_settings(app, tenant, {"locale": "de_DE", "currency": "EUR"})
    fries = menu(app, tenant)["Fries"]
    assert 'value="4,50"' in item_page(manager, fries.id)  # the item's price, as Germans type it
    add_group(manager, fries.id, "Extras", "0", "2")
    extras = group_named(client, tenant, "Fries", "Extras")
    assert add_option(manager, fries.id, extras["id"], "Käse", "1,50").status_code == 303
    assert add_option(manager, fries.id, extras["id"], "Speck", "1.000,00").status_code == 303
    extras = group_named(client, tenant, "Fries", "Extras")
    assert [option["price_delta"] for option in extras["options"]] == [150, 100000]
    assert 'value="1,50"' in item_page(manager, fries.id)
    assert api_menu(client, tenant)["currency"] == "EUR"
    saved = manager.post(f"/admin/items/{fries.id}/edit", {"name": "Pommes", "price": "3,90"})
    assert saved.status_code == 303 and menu(app, tenant)["Pommes"].price == 390


GROUP_PROBLEMS = [
    ({"name": "Size", "min": "2", "max": "1"}, "max: must be ≥ min"),
    ({"name": "Size", "min": "0", "max": "0"}, "max: must be at least 1"),
    ({"name": "Size", "min": "-1", "max": "1"}, "min: must be a whole number from 0 to 50"),
    ({"name": "Size", "min": "one", "max": "1"}, "min: must be a whole number"),
    ({"name": "Size", "min": "0", "max": "99999999999999999999"}, "max: must be a whole number"),
    ({"name": "Size", "min": "0", "max": "²"}, "max: must be a whole number"),
    ({"name": "Size", "min": "0"}, "max: must be a whole number"),
    ({"name": "", "min": "0", "max": "1"}, "name: is required"),
    ({"name": "x" * 101, "min": "0", "max": "1"}, "name: must be at most 100 characters"),
    (
        {"name": "Si\x00ze", "min": "0", "max": "1"},
        "name: must be one line of text without control characters",
    ),
    ({"name": "sauces", "min": "0", "max": "1"}, "another option group is called sauces"),
]


@pytest.mark.parametrize("fields, problem", GROUP_PROBLEMS, ids=[p for _, p in GROUP_PROBLEMS])
def test_bad_group_input_is_400_with_the_reason_and_nothing_saved(
    app, client, tenant, manager, fields, problem
):
    fries = menu(app, tenant)["Fries"]
    add_group(manager, fries.id, "Sauces", "0", "2")
    sauces = group_named(client, tenant, "Fries", "Sauces")
    before = api_item(client, tenant, "Fries")

    created = manager.post(f"/admin/items/{fries.id}/groups", fields)
    assert created.status_code == 400 and problem in created.text
    if fields.get("name") != "sauces":  # renaming a group to its own name is fine
        edited = manager.post(f"/admin/items/{fries.id}/groups/{sauces['id']}/edit", fields)
        assert edited.status_code == 400 and problem in edited.text
    assert api_item(client, tenant, "Fries") == before


OPTION_PROBLEMS = [
    ({"name": "Large", "price_delta": "abc"}, "price_delta: must be an amount such as 12.50"),
    ({"name": "Large", "price_delta": "-1"}, "price_delta: must be an amount"),
    ({"name": "Large", "price_delta": "1.005"}, "price_delta: must have at most 2 decimals"),
    ({"name": "Large", "price_delta": "1e309"}, "price_delta: must be at most 10,000.00"),
    ({"name": "Large", "price_delta": "99999999"}, "price_delta: must be at most 10,000.00"),
    ({"name": " ", "price_delta": "1"}, "name: is required"),
    ({"name": "KETCHUP", "price_delta": "1"}, "another option here is called KETCHUP"),
]


@pytest.mark.parametrize("fields, problem", OPTION_PROBLEMS, ids=[p for _, p in OPTION_PROBLEMS])
def test_bad_option_input_is_400_with_the_reason_and_nothing_saved(
    app, client, tenant, manager, fields, problem
):
    fries = menu(app, tenant)["Fries"]
    add_group(manager, fries.id, "Sauces", "0", "2")
    sauces = group_named(client, tenant, "Fries", "Sauces")
    add_option(manager, fries.id, sauces["id"], "Ketchup")
    add_option(manager, fries.id, sauces["id"], "Mayo")
    mayo = group_named(client, tenant, "Fries", "Sauces")["options"][1]
    before = api_item(client, tenant, "Fries")

    base = f"/admin/items/{fries.id}/groups/{sauces['id']}/options"
    created = manager.post(base, fields)
    assert created.status_code == 400 and problem in created.text
    assert "Edit item" in created.text  # the item's page again, with the reason
    edited = manager.post(f"{base}/{mayo['id']}/edit", fields)
    assert edited.status_code == 400 and problem in edited.text
    toggled = manager.post(f"{base}/{mayo['id']}/availability", {"available": "maybe"})
    assert toggled.status_code == 400
    assert api_item(client, tenant, "Fries") == before


def test_ids_of_another_item_or_group_are_404(app, client, tenant, manager):
    items = menu(app, tenant)
    fries, salad = items["Fries"].id, items["Side Salad"].id
    add_group(manager, fries, "Sauces", "0", "2")
    add_group(manager, salad, "Dressing", "0", "1")
    sauces = group_named(client, tenant, "Fries", "Sauces")
    dressing = group_named(client, tenant, "Side Salad", "Dressing")
    add_option(manager, fries, sauces["id"], "Ketchup")
    ketchup = group_named(client, tenant, "Fries", "Sauces")["options"][0]
    before = api_menu(client, tenant)

    group = {"name": "X", "min": "0", "max": "1"}
    wrong = [
        f"/admin/items/{salad}/groups/{sauces['id']}/edit",
        f"/admin/items/{salad}/groups/{sauces['id']}/delete",
        f"/admin/items/{salad}/groups/{sauces['id']}/options",
        f"/admin/items/{fries}/groups/{dressing['id']}/options/{ketchup['id']}/delete",
        f"/admin/items/{salad}/groups/{dressing['id']}/options/{ketchup['id']}/edit",
        f"/admin/items/{fries}/groups/{fries}/delete",
        f"/admin/items/{fries}/groups/not-a-uuid/delete",
    ]
    for path in wrong:
        assert manager.post(path, group).status_code == 404, path
    assert api_menu(client, tenant) == before


@pytest.mark.parametrize("role, status", [("kitchen", 403), ("manager", 303), ("admin", 303)])
def test_only_managers_and_admins_change_choices(app, client, tenant, role, status):
    fries = menu(app, tenant)["Fries"]
    staff = signed_in(app, tenant, role)
    assert staff.get(f"/admin/items/{fries.id}/edit").status_code == (403 if status == 403 else 200)
    assert add_group(staff, fries.id, "Size", "1", "1").status_code == status
    anonymous = Staff(app.test_client(), tenant.domain)
    refused = anonymous.post(f"/admin/items/{fries.id}/groups", {"name": "X", "min": 0, "max": 1})
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]
    groups = api_item(client, tenant, "Fries")["option_groups"]
    assert [g["name"] for g in groups] == ([] if status == 403 else ["Size"])


def test_every_choices_form_needs_its_csrf_token(app, client, tenant, manager):
    fries = menu(app, tenant)["Fries"]
    response = manager.post(
        f"/admin/items/{fries.id}/groups", {"name": "Size", "min": "1", "max": "1"}, csrf=False
    )
    assert response.status_code == 400
    assert api_item(client, tenant, "Fries")["option_groups"] == []
    page = item_page(manager, fries.id)
    assert page.count("<form") == page.count('name="csrf_token"')


# --- the shared read: GET /api/v1/menu ------------------------------------------------------


def test_the_menu_api_has_allergens_choices_and_currency_in_one_statement(
    database_url, make_tenant, count_statements
):
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    tenant = make_tenant()
    manager = signed_in(app, tenant, "manager")
    client = app.test_client()
    fries = menu(app, tenant)["Fries"]
    add_group(manager, fries.id, "Size", "1", "1")
    size = group_named(client, tenant, "Fries", "Size")
    add_option(manager, fries.id, size["id"], "Regular")
    add_option(manager, fries.id, size["id"], "Large", "1.00")
    set_settings(app, tenant, {"currency": "JPY", "locale": "ja_JP"})
    api_menu(client, tenant)  # warm

    statements = count_statements(app)
    body = api_menu(client, tenant)
    assert len(statements) == 1, statements
    assert body["currency"] == "JPY"
    item = next(i for i in body["items"] if i["name"] == "Fries")
    regular, large = item["option_groups"][0]["options"]
    assert item["allergens"] == [] and item["option_groups"] == [
        {
            "id": size["id"],
            "name": "Size",
            "name_i18n": {},
            "min": 1,
            "max": 1,
            "options": [
                {
                    "id": regular["id"],
                    "name": "Regular",
                    "name_i18n": {},
                    "price_delta": 0,
                    "is_available": True,
                },
                {
                    "id": large["id"],
                    "name": "Large",
                    "name_i18n": {},
                    "price_delta": 100,
                    "is_available": True,
                },
            ],
        }
    ]
    burger = next(i for i in body["items"] if i["name"] == "House Burger")
    assert burger["allergens"] == ["gluten", "milk", "mustard", "sesame"]

    empty_menu(app, tenant)
    statements.clear()
    assert api_menu(client, tenant) == {"currency": "JPY", "items": []}
    assert len(statements) == 1, statements  # an empty menu still answers its currency
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def empty_menu(app, tenant) -> None:
    from omniorder.menu.document import import_menu

    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            import_menu({"categories": []})


# --- hostile input on every choices form ----------------------------------------------------

HOSTILE = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=st.characters(max_codepoint=31), max_size=10),
    st.sampled_from(["", " ", "0", "1", "-1", "1e309", "NaN", "99999999999999999999", "²"]),
    st.sampled_from(["12.345", "1,5", "x" * 5000, "true", "up", "\x00"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
CHOICE_FORMS = [
    ("groups", ["name", "min", "max"]),
    ("groups/{group}/edit", ["name", "min", "max"]),
    ("groups/{group}/move", ["direction"]),
    ("groups/{group}/options", ["name", "price_delta"]),
    ("groups/{group}/options/{option}/edit", ["name", "price_delta"]),
    ("groups/{group}/options/{option}/availability", ["available"]),
]


def choices_snapshot(db_connection, tenant) -> list:
    digest = [
        db_connection.scalar(
            text(
                "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{tenant.schema_name}".{table} t'
            )
        )
        for table in ("menu_items", "option_groups", "options")
    ]
    db_connection.rollback()
    return digest


@pytest.mark.parametrize("path, fields", CHOICE_FORMS, ids=[path for path, _ in CHOICE_FORMS])
def test_hostile_input_on_choices_forms_is_never_a_5xx(
    app, client, tenant, manager, db_connection, path, fields
):
    fries = menu(app, tenant)["Fries"]
    add_group(manager, fries.id, "Size", "1", "1")
    size = group_named(client, tenant, "Fries", "Size")
    add_option(manager, fries.id, size["id"], "Large", "1")
    option = group_named(client, tenant, "Fries", "Size")["options"][0]
    url = f"/admin/items/{fries.id}/" + path.format(group=size["id"], option=option["id"])
    token = manager.token()

    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=st.lists(st.tuples(st.sampled_from(fields), HOSTILE), max_size=6))
    def attempt(values):
        data = MultiDict(values)
        data.add("csrf_token", token)
        before = choices_snapshot(db_connection, tenant)
        response = manager.client.post(url, data=data, base_url=manager.base_url)
        assert response.status_code < 500, (url, values, response.status_code)
        if response.status_code >= 400:
            assert choices_snapshot(db_connection, tenant) == before, (url, values)

    attempt()
