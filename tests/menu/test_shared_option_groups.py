"""Option groups belong to the menu: "Extras" is made once on the Option groups page, added to
any number of items, and priced the same on each; changing it once changes every item's
orders. Items add, remove and order their groups on their own page."""

import uuid

import pytest
from sqlalchemy import text

from omniorder.core.database import db
from omniorder.menu import options
from omniorder.menu.models import MenuItem
from tests.support.choices import bound
from tests.support.menu import api_item, api_menu
from tests.support.staff import signed_in
from tests.support.storefront import menu


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def new_group(manager, name, min_choices="0", max_choices="2"):
    return manager.post(
        "/admin/option-groups", {"name": name, "min": min_choices, "max": max_choices}
    )


def group_id(db_connection, tenant, name) -> str:
    found = db_connection.scalar(
        text(f'SELECT id FROM "{tenant.schema_name}".option_groups WHERE name = :n'), {"n": name}
    )
    db_connection.commit()
    return str(found)


def option_id(db_connection, tenant, name) -> str:
    found = db_connection.scalar(
        text(f'SELECT id FROM "{tenant.schema_name}".options WHERE name = :n'), {"n": name}
    )
    db_connection.commit()
    return str(found)


def order_with(client, tenant, item, *options) -> dict:
    response = client.post(
        "/api/v1/orders",
        json={
            "customer_name": "Ann",
            "items": [{"menu_item_id": str(item.id), "quantity": 1, "options": list(options)}],
        },
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 201, response.json
    return response.json["items"][0]


@pytest.fixture
def extras(app, tenant, manager, db_connection):
    """Extras (up to two of Cheese +1.00, Olives +0.80) on House Burger and Fries."""
    assert new_group(manager, "Extras").status_code == 303
    extras = group_id(db_connection, tenant, "Extras")
    for name, price in (("Cheese", "1.00"), ("Olives", "0.80")):
        added = manager.post(
            f"/admin/option-groups/{extras}/options", {"name": name, "price_delta": price}
        )
        assert added.status_code == 303
    items = menu(app, tenant)
    for name in ("House Burger", "Fries"):
        attached = manager.post(
            f"/admin/items/{items[name].id}/groups/attach", {"group_id": extras}
        )
        assert attached.status_code == 303, attached.text
    return extras


def test_one_price_change_reprices_every_item(app, client, tenant, manager, extras, db_connection):
    items = menu(app, tenant)
    cheese = option_id(db_connection, tenant, "Cheese")
    burger, fries = items["House Burger"], items["Fries"]
    assert order_with(client, tenant, burger, cheese)["unit_price"] == burger.price + 100
    assert order_with(client, tenant, fries, cheese)["unit_price"] == fries.price + 100

    changed = manager.post(
        f"/admin/option-groups/{extras}/options/{cheese}/edit",
        {"name": "Cheese", "price_delta": "1.50"},
    )
    assert changed.status_code == 303
    assert order_with(client, tenant, burger, cheese)["unit_price"] == burger.price + 150
    assert order_with(client, tenant, fries, cheese)["unit_price"] == fries.price + 150
    # Customers see one group on both items, by the same id and with the same price.
    shown = [api_item(client, tenant, name)["option_groups"] for name in ("House Burger", "Fries")]
    assert shown[0] == shown[1] and shown[0][0]["id"] == extras
    assert shown[0][0]["options"][0]["price_delta"] == 150

    # Sold out on the groups page: sold out on both items.
    sold_out = manager.post(
        f"/admin/option-groups/{extras}/options/{cheese}/availability", {"available": "false"}
    )
    assert sold_out.status_code == 303
    for item in (burger, fries):
        refused = client.post(
            "/api/v1/orders",
            json={
                "customer_name": "Bo",
                "items": [{"menu_item_id": str(item.id), "quantity": 1, "options": [cheese]}],
            },
            headers={"Host": tenant.domain},
        )
        assert refused.status_code in (400, 409, 422), refused.json
    page = manager.get("/admin/option-groups").text
    assert "On 2 items: Fries, House Burger" in page and "sold out" in page


def test_an_item_adds_removes_and_orders_its_groups(app, client, tenant, manager, extras):
    burger = menu(app, tenant)["House Burger"]
    base = f"/admin/items/{burger.id}/groups"
    again = manager.post(f"{base}/attach", {"group_id": extras})
    assert again.status_code == 409 and "already offers Extras" in again.text
    assert manager.post(base, {"name": "Sauce", "min": "1", "max": "1"}).status_code == 303
    assert [g["name"] for g in api_item(client, tenant, "House Burger")["option_groups"]] == [
        "Extras",
        "Sauce",
    ]
    page = manager.get(f"/admin/items/{burger.id}/edit").text
    assert "Also on 1 other item" in page  # Extras, shared with Fries
    assert manager.post(f"{base}/{extras}/move", {"direction": "down"}).status_code == 303
    assert [g["name"] for g in api_item(client, tenant, "House Burger")["option_groups"]] == [
        "Sauce",
        "Extras",
    ]

    assert manager.post(f"{base}/{extras}/detach").status_code == 303
    assert [g["name"] for g in api_item(client, tenant, "House Burger")["option_groups"]] == [
        "Sauce"
    ]
    assert [g["name"] for g in api_item(client, tenant, "Fries")["option_groups"]] == ["Extras"]
    assert manager.post(f"{base}/{extras}/detach").status_code == 404  # not on it any more
    # Its forms for the group are gone too: the group is not this item's.
    edit = manager.post(f"{base}/{extras}/edit", {"name": "X", "min": "0", "max": "1"})
    assert edit.status_code == 404
    # A new group may not take a name the menu has, whatever the case.
    taken = manager.post(base, {"name": "EXTRAS", "min": "0", "max": "1"})
    assert taken.status_code == 400 and "another option group is called EXTRAS" in taken.text


def test_deleting_a_group_asks_first_and_takes_it_off_every_item(
    app, client, tenant, manager, extras
):
    confirm = manager.get(f"/admin/option-groups/{extras}/delete")
    assert confirm.status_code == 200
    assert "Delete the option group Extras?" in confirm.text
    assert "Fries, House Burger" in confirm.text and "2 options" in confirm.text
    assert manager.post(f"/admin/option-groups/{extras}/delete").status_code == 303
    assert all(item["option_groups"] == [] for item in api_menu(client, tenant)["items"])
    assert manager.get(f"/admin/option-groups/{extras}/delete").status_code == 404
    assert manager.post(f"/admin/option-groups/{extras}/delete").status_code == 404


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"name": "", "min": "0", "max": "1"}, 400, "name"),
        ({"name": "x" * 101, "min": "0", "max": "1"}, 400, "at most 100"),
        ({"name": "A\x00B", "min": "0", "max": "1"}, 400, "one line"),
        ({"name": "Sauce", "min": "2", "max": "1"}, 400, "must be ≥ min"),
        ({"name": "Sauce", "min": "-1", "max": "1"}, 400, "whole number"),
        ({"name": "Sauce", "min": "0", "max": "9" * 40}, 400, "whole number"),
        ({"name": "Sauce"}, 400, "whole number"),
    ],
)
def test_bad_groups_are_refused_with_the_reason(manager, fields, status, message):
    refused = manager.post("/admin/option-groups", fields)
    assert refused.status_code == status, refused.text
    assert message in refused.text


def test_ids_that_name_nothing_are_404(app, tenant, manager, extras):
    burger = menu(app, tenant)["House Burger"]
    ghost = str(uuid.uuid4())
    for group in ("", "not-a-uuid", ghost, "\x00"):
        attach = manager.post(f"/admin/items/{burger.id}/groups/attach", {"group_id": group})
        assert attach.status_code == 404, group
    assert (
        manager.post(f"/admin/items/{ghost}/groups/attach", {"group_id": extras}).status_code == 404
    )
    assert manager.post(f"/admin/option-groups/{ghost}/edit", {"name": "X"}).status_code == 404
    assert manager.post(f"/admin/option-groups/{ghost}/options", {"name": "X"}).status_code == 404
    option = f"/admin/option-groups/{extras}/options/{ghost}"
    assert manager.post(f"{option}/availability", {"available": "true"}).status_code == 404
    availability = manager.post(
        f"/admin/option-groups/{extras}/options/{ghost}/availability", {"available": "maybe"}
    )
    assert availability.status_code == 400


def test_the_pages_need_a_manager_and_a_csrf_token(app, tenant, manager, db_connection):
    kitchen = signed_in(app, tenant, "kitchen")
    assert kitchen.get("/admin/option-groups").status_code in (302, 403)
    refused = manager.post(
        "/admin/option-groups", {"name": "Extras", "min": "0", "max": "1"}, csrf=False
    )
    assert refused.status_code == 400
    assert group_id(db_connection, tenant, "Extras") == "None"


def test_adding_and_removing_a_group_moves_the_menu_version(app, tenant, manager, db_connection):
    """A link is part of the menu: a checkout priced from a worker's memory before it must
    be priced again (ordering/checkout.py), and every worker drops its cached menu."""

    def version():
        found = db_connection.scalar(
            text(f'SELECT version FROM "{tenant.schema_name}".menu_version')
        )
        db_connection.commit()
        return found

    assert new_group(manager, "Dips").status_code == 303
    dips = group_id(db_connection, tenant, "Dips")
    fries = menu(app, tenant)["Fries"]
    before = version()
    assert (
        manager.post(f"/admin/items/{fries.id}/groups/attach", {"group_id": dips}).status_code
        == 303
    )
    attached = version()
    assert attached > before
    assert manager.post(f"/admin/items/{fries.id}/groups/{dips}/detach").status_code == 303
    assert version() > attached


def test_an_items_groups_as_data_are_put_back_on_another_item(app, tenant, manager, extras):
    """What the item board's trash and "duplicate" need: the links, not copies of the groups;
    a group deleted meanwhile is left out."""
    items = menu(app, tenant)
    with bound(app, tenant):
        snapshot = options.item_links_snapshot(items["Fries"].id)
        assert snapshot == [{"group_id": extras, "rank": 0}]
        copy = MenuItem(name="Fries (copy)", price=100)
        db.session.add(copy)
        db.session.flush()
        ghost = {"group_id": str(uuid.uuid4()), "rank": 1}
        assert options.put_back_links(copy.id, [*snapshot, ghost, {"name": "Size"}]) == 1
        assert [group.id for group, _ in options.option_groups(copy.id)] == [uuid.UUID(extras)]
