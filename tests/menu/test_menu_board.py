"""The back office's Items board: categories and items in an order the storefront and the menu
API follow, one POST of a whole new order (drag or keyboard), bulk changes, copies, and
deletes that ask first and can be undone (the trash, 30 days)."""

import re
from html import escape

import pytest
from sqlalchemy import text

from omniorder.core.unit_of_work import unit_of_work
from omniorder.jobs.engine import SCHEDULES, import_task_modules
from omniorder.menu.trash import purge_expired
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.races import Actions, race
from tests.support.staff import signed_in
from tests.support.storefront import menu

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def api_items(client, tenant) -> list[dict]:
    response = client.get("/api/v1/menu", headers={"Host": tenant.domain})
    assert response.status_code == 200, response.data
    return response.get_json()["items"]


def api_names(client, tenant) -> list[str]:
    return [item["name"] for item in api_items(client, tenant)]


def storefront_names(client, tenant, names) -> list[str]:
    """`names` in the order the storefront's page shows them."""
    page = client.get("/", headers={"Host": tenant.domain}).text
    return sorted(
        (name for name in names if escape(name) in page), key=lambda n: page.index(escape(n))
    )


def board_names(manager, names) -> list[str]:
    page = manager.get("/admin/menu").text
    shown = {name: f">{escape(name)}</a>" for name in names}
    return sorted((n for n in names if shown[n] in page), key=lambda n: page.index(shown[n]))


def menu_version(db_connection, tenant) -> int:
    db_connection.rollback()
    return db_connection.scalar(text(f'SELECT version FROM "{tenant.schema_name}".menu_version'))


def category_ids(db_connection, tenant) -> dict[str, str]:
    db_connection.rollback()
    rows = db_connection.execute(text(f'SELECT name, id FROM "{tenant.schema_name}".categories'))
    return {name: str(row_id) for name, row_id in rows}


def whole_order(client, tenant, db_connection, categories=None, placed=None):
    """The order the board's script would post: every category, every item under its own."""
    ids = category_ids(db_connection, tenant)
    names = categories or list(ids)
    items = placed or [
        f"{item['category_id'] or 'none'}/{item['id']}" for item in api_items(client, tenant)
    ]
    return {"category": [ids[name] for name in names], "item": items}


def add_choices(manager, item_id) -> tuple[str, str]:
    """A "Dips" group with "Aioli" on the item; their ids."""
    assert (
        manager.post(
            f"/admin/items/{item_id}/groups", {"name": "Dips", "min": "0", "max": "2"}
        ).status_code
        == 303
    )
    page = manager.get(f"/admin/items/{item_id}/edit").text
    group_id = re.search(rf"/admin/items/{item_id}/groups/([0-9a-f-]{{36}})/edit", page).group(1)
    assert (
        manager.post(
            f"/admin/items/{item_id}/groups/{group_id}/options",
            {"name": "Aioli", "price_delta": "0.75"},
        ).status_code
        == 303
    )
    return group_id, api_item(manager, item_id)["option_groups"][0]["options"][0]["id"]


def api_item(manager, item_id) -> dict:
    items = manager.client.get("/api/v1/menu", headers={"Host": manager.domain}).get_json()
    return next(item for item in items["items"] if item["id"] == str(item_id))


def trash_entry_of(response) -> str:
    assert response.status_code == 303, response.text
    return re.search(r"deleted=([0-9a-f-]{36})", response.headers["Location"]).group(1)


# --- the order --------------------------------------------------------------------------------


def test_the_board_lists_items_by_category_in_order_and_uncategorised_last(
    app, client, tenant, manager
):
    fries = menu(app, tenant)["Fries"]
    moved = manager.post(
        f"/admin/items/{fries.id}/edit", {"name": "Fries", "price": "3", "category_id": ""}
    )
    assert moved.status_code == 303
    names = ["House Burger", "Fish & Chips", "Onion Rings", "Lemonade", "Fries"]
    expected = ["Fish & Chips", "House Burger", "Onion Rings", "Lemonade", "Fries"]
    assert board_names(manager, names) == expected
    assert [name for name in api_names(client, tenant) if name in names] == expected
    assert "Uncategorised" in manager.get("/admin/menu").text


def test_moving_an_item_up_persists_and_storefront_and_api_follow(app, client, tenant, manager):
    burger = menu(app, tenant)["House Burger"]
    for _ in range(3):  # from last of Mains to first
        assert (
            manager.post(f"/admin/items/{burger.id}/move", {"direction": "up"}).status_code == 303
        )
    mains = ["House Burger", "Fish & Chips", "Garden Bowl", "Grilled Chicken Plate"]
    assert api_names(client, tenant)[:4] == mains
    assert storefront_names(client, tenant, mains) == mains
    assert board_names(manager, mains) == mains
    top = manager.post(f"/admin/items/{burger.id}/move", {"direction": "up"})
    assert top.status_code == 303 and api_names(client, tenant)[:4] == mains  # stays first


def test_one_post_orders_everything_and_moves_an_item_to_another_category(
    app, client, tenant, manager, db_connection
):
    items = menu(app, tenant)
    ids = category_ids(db_connection, tenant)
    placed = [
        f"{ids['Drinks']}/{items['Lemonade'].id}",
        f"{ids['Drinks']}/{items['Fries'].id}",  # dragged out of Sides
        f"{ids['Drinks']}/{items['Iced Tea'].id}",
        f"{ids['Drinks']}/{items['Sparkling Water'].id}",
        f"{ids['Sides']}/{items['Side Salad'].id}",
        f"{ids['Sides']}/{items['Onion Rings'].id}",
        f"none/{items['House Burger'].id}",
        f"{ids['Mains']}/{items['Garden Bowl'].id}",
        f"{ids['Mains']}/{items['Fish & Chips'].id}",
        f"{ids['Mains']}/{items['Grilled Chicken Plate'].id}",
    ]
    before = menu_version(db_connection, tenant)
    saved = manager.post(
        "/admin/menu/order",
        {"category": [ids[n] for n in ("Drinks", "Sides", "Mains")], "item": placed},
    )
    assert saved.status_code == 200 and saved.get_json() == {"message": "Order saved."}
    assert menu_version(db_connection, tenant) == before + 1  # one change of the menu
    expected = [
        "Lemonade", "Fries", "Iced Tea", "Sparkling Water", "Side Salad", "Onion Rings",
        "Garden Bowl", "Fish & Chips", "Grilled Chicken Plate", "House Burger",
    ]  # fmt: skip
    assert api_names(client, tenant) == expected
    assert storefront_names(client, tenant, expected) == expected
    fries = next(item for item in api_items(client, tenant) if item["name"] == "Fries")
    assert fries["category_id"] == ids["Drinks"]
    assert manager.get("/admin/menu").text.index(">Drinks</h3>") < manager.get(
        "/admin/menu"
    ).text.index(">Mains</h3>")


def test_an_order_from_a_stale_page_is_409_and_an_unknown_row_404(
    app, client, tenant, manager, db_connection, make_tenant
):
    order = whole_order(client, tenant, db_connection)
    before = api_names(client, tenant)
    assert manager.post("/admin/items/new", {"name": "Soup", "price": "4"}).status_code == 303
    stale = manager.post("/admin/menu/order", order)  # does not know the soup
    assert stale.status_code == 409 and "reload" in stale.get_json()["message"]

    order = whole_order(client, tenant, db_connection)
    twice = dict(order, item=order["item"] + order["item"][:1])
    assert manager.post("/admin/menu/order", twice).status_code == 409
    unknown = dict(order, item=order["item"][:-1] + [f"none/{MISSING}"])
    gone = manager.post("/admin/menu/order", unknown)
    assert gone.status_code == 404 and "No such menu item" in gone.get_json()["message"]
    other = make_tenant("Elsewhere")
    foreign = menu(app, other)["Fries"].id
    answer = manager.post(
        "/admin/menu/order", dict(order, item=order["item"] + [f"none/{foreign}"])
    )
    assert answer.status_code == 404
    no_category = dict(order, category=order["category"][:-1] + [MISSING])
    assert manager.post("/admin/menu/order", no_category).status_code == 404
    assert api_names(client, tenant) == before + ["Soup"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("item", ""),
        ("item", "none/"),
        ("item", "/"),
        ("item", "nul\x00/x"),
        ("item", "' OR 1=1 --"),
        ("item", "x" * 10_000),
        ("item", f"{'9' * 40}/{MISSING}"),
        ("category", ""),
        ("category", "../../etc"),
        ("category", "1" * 500),
    ],
)
def test_hostile_orders_are_refused_cleanly(
    app, client, tenant, manager, db_connection, field, value
):
    order = whole_order(client, tenant, db_connection)
    before = api_names(client, tenant)
    order[field] = order[field][:-1] + [value]
    response = manager.post("/admin/menu/order", order)
    assert response.status_code in (400, 404, 409)
    assert response.get_json()["message"]
    assert api_names(client, tenant) == before


def test_an_order_needs_csrf_and_a_manager(app, client, tenant, db_connection):
    order = whole_order(client, tenant, db_connection)
    cook = signed_in(app, tenant, "kitchen")
    assert cook.post("/admin/menu/order", order).status_code == 403
    manager = signed_in(app, tenant, "manager")
    assert manager.post("/admin/menu/order", order, csrf=False).status_code == 400


# --- bulk changes and copies ------------------------------------------------------------------


def test_bulk_sold_out_available_and_move_are_one_change_each(
    app, client, tenant, manager, db_connection
):
    items = menu(app, tenant)
    chosen = [str(items["Fries"].id), str(items["Lemonade"].id)]
    before = menu_version(db_connection, tenant)
    sold = manager.post("/admin/menu/bulk", {"item": chosen, "action": "sold_out"})
    assert sold.status_code == 303
    shown = {i["name"]: i for i in api_items(client, tenant)}
    assert (shown["Fries"]["is_available"], shown["Lemonade"]["is_available"]) == (False, False)
    assert shown["Onion Rings"]["is_available"] is True
    assert menu_version(db_connection, tenant) == before + 1

    assert (
        manager.post("/admin/menu/bulk", {"item": chosen, "action": "available"}).status_code == 303
    )
    assert all(i["is_available"] for i in api_items(client, tenant))

    mains = category_ids(db_connection, tenant)["Mains"]
    moved = manager.post(
        "/admin/menu/bulk", {"item": chosen, "action": "move", "category_id": mains}
    )
    assert moved.status_code == 303
    assert api_names(client, tenant)[:6] == [
        "Fish & Chips", "Garden Bowl", "Grilled Chicken Plate", "House Burger", "Fries", "Lemonade"
    ]  # fmt: skip
    assert menu_version(db_connection, tenant) == before + 3


@pytest.mark.parametrize(
    "form, status, words",
    [
        ({"action": "sold_out"}, 400, "choose from 1"),
        ({"item": ["{fries}"], "action": "delete_all"}, 400, "must be sold out"),
        ({"item": ["{fries}"], "action": "\x00"}, 400, "must be sold out"),
        ({"item": ["{fries}", MISSING], "action": "sold_out"}, 404, "No such menu item"),
        ({"item": ["' OR 1=1 --"], "action": "sold_out"}, 404, "No such menu item"),
        ({"item": ["{fries}"], "action": "move", "category_id": MISSING}, 400, "not a category"),
        ({"item": ["{fries}"], "action": "move", "category_id": "x" * 999}, 400, "not a category"),
    ],
)
def test_a_refused_bulk_change_changes_nothing(app, client, tenant, manager, form, status, words):
    fries = str(menu(app, tenant)["Fries"].id)
    before = api_items(client, tenant)
    form = {
        k: [v.format(fries=fries) for v in w] if isinstance(w, list) else w for k, w in form.items()
    }
    response = manager.post("/admin/menu/bulk", form)
    assert response.status_code == status and words in response.text
    assert api_items(client, tenant) == before


def test_duplicate_copies_price_category_allergens_photo_and_choices(app, client, tenant, manager):
    from tests.support.storefront import change_item

    fries = menu(app, tenant)["Fries"]
    photo = {"hash": "a" * 32, "widths": [320, 640], "width": 640, "height": 480}
    change_item(app, tenant, fries.id, allergens=["gluten"], photo=photo)
    group_id, option_id = add_choices(manager, fries.id)
    copied = manager.post(f"/admin/items/{fries.id}/duplicate")
    assert copied.status_code == 303 and "/edit" in copied.headers["Location"]
    items = {i["name"]: i for i in api_items(client, tenant)}
    copy, source = items["Copy of Fries"], items["Fries"]
    for key in ("price", "category_id", "allergens", "description", "is_available"):
        assert copy[key] == source[key]
    assert dict(copy["photo"], alt=None) == dict(source["photo"], alt=None)
    assert source["photo"]["srcset"]
    assert copy["id"] != source["id"]
    (group,) = copy["option_groups"]
    assert (group["name"], group["options"][0]["name"], group["options"][0]["price_delta"]) == (
        "Dips", "Aioli", 75
    )  # fmt: skip
    # the same shared group, not a copy of it
    assert (group["id"], group["options"][0]["id"]) == (str(group_id), str(option_id))
    assert manager.post(f"/admin/items/{MISSING}/duplicate").status_code == 404


# --- deletes: confirmation, undo, the trash ---------------------------------------------------


def test_a_delete_asks_first_and_undo_brings_back_the_same_item_with_its_choices(
    app, client, tenant, manager
):
    fries = menu(app, tenant)["Fries"]
    group_id, option_id = add_choices(manager, fries.id)
    before = api_item(manager, fries.id)
    asked = manager.get(f"/admin/items/{fries.id}/delete")
    assert asked.status_code == 200 and "Delete Fries?" in asked.text
    assert f'action="/admin/items/{fries.id}/delete"' in asked.text
    assert manager.post(f"/admin/items/{fries.id}/delete", csrf=False).status_code == 400

    entry = trash_entry_of(manager.post(f"/admin/items/{fries.id}/delete"))
    assert "Fries" not in api_names(client, tenant)
    board = manager.get(f"/admin/menu?deleted={entry}").text
    assert "Deleted Fries —" in board and f"/admin/menu/trash/{entry}/restore" in board

    undone = manager.post(f"/admin/menu/trash/{entry}/restore")
    assert undone.status_code == 303
    assert api_item(manager, fries.id) == before  # same id, group, option, place
    assert before["option_groups"][0]["id"] == group_id
    assert before["option_groups"][0]["options"][0]["id"] == option_id
    again = manager.post(f"/admin/menu/trash/{entry}/restore")
    assert again.status_code == 404 and "restored already" in again.text


def test_a_category_deleted_with_its_items_is_restored_from_the_trash_later(
    app, client, tenant, manager, db_connection
):
    sides_id = category_ids(db_connection, tenant)["Sides"]
    items = menu(app, tenant)
    entry = trash_entry_of(manager.post(f"/admin/categories/{sides_id}/delete"))
    assert {"Fries", "Onion Rings", "Side Salad"}.isdisjoint(api_names(client, tenant))
    assert manager.post("/admin/items/new", {"name": "Soup", "price": "4"}).status_code == 303

    trash = manager.get("/admin/menu/trash").text
    assert "Sides (3 item(s))" in trash
    restored = manager.post(f"/admin/menu/trash/{entry}/restore", {"from": "trash"})
    assert restored.status_code == 303 and restored.headers["Location"].endswith(
        "/admin/menu/trash"
    )
    assert "Restored Sides." in manager.get("/admin/menu/trash").text
    assert category_ids(db_connection, tenant)["Sides"] == sides_id
    shown = {i["name"]: i for i in api_items(client, tenant)}
    for name in ("Fries", "Onion Rings", "Side Salad"):
        assert shown[name]["id"] == str(items[name].id)
        assert shown[name]["category_id"] == sides_id


def test_an_item_whose_category_is_gone_comes_back_uncategorised(
    app, client, tenant, manager, db_connection
):
    fries = menu(app, tenant)["Fries"]
    entry = trash_entry_of(manager.post(f"/admin/items/{fries.id}/delete"))
    sides_id = category_ids(db_connection, tenant)["Sides"]
    trash_entry_of(manager.post(f"/admin/categories/{sides_id}/delete"))
    assert manager.post(f"/admin/menu/trash/{entry}/restore").status_code == 303
    assert api_item(manager, fries.id)["category_id"] is None
    assert api_names(client, tenant)[-1] == "Fries"


def test_a_name_taken_since_the_delete_is_409_and_the_entry_stays(
    app, client, tenant, manager, db_connection
):
    drinks_id = category_ids(db_connection, tenant)["Drinks"]
    entry = trash_entry_of(manager.post(f"/admin/categories/{drinks_id}/delete"))
    assert manager.post("/admin/categories", {"name": "drinks"}).status_code == 303
    refused = manager.post(f"/admin/menu/trash/{entry}/restore", {"from": "trash"})
    assert refused.status_code == 409 and "Another category is called Drinks" in refused.text
    assert "Lemonade" not in api_names(client, tenant)
    assert "Drinks (3 item(s))" in manager.get("/admin/menu/trash").text


def test_restoring_what_is_not_there_is_404(manager):
    assert manager.post(f"/admin/menu/trash/{MISSING}/restore").status_code == 404
    assert manager.post("/admin/menu/trash/not-a-uuid/restore").status_code == 404
    assert manager.get(f"/admin/items/{MISSING}/delete").status_code == 404
    assert manager.get(f"/admin/categories/{MISSING}/delete").status_code == 404
    assert manager.post(f"/admin/items/{MISSING}/delete").status_code == 404


def test_entries_older_than_30_days_are_gone_and_purged(
    app, client, tenant, manager, db_connection
):
    fries = menu(app, tenant)["Fries"]
    old = trash_entry_of(manager.post(f"/admin/items/{fries.id}/delete"))
    lemonade = menu(app, tenant)["Lemonade"]
    recent = trash_entry_of(manager.post(f"/admin/items/{lemonade.id}/delete"))
    db_connection.rollback()
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".menu_trash '
            "SET deleted_at = now() - interval '30 days 1 minute' WHERE id = :id"
        ),
        {"id": old},
    )
    db_connection.commit()
    trash = manager.get("/admin/menu/trash").text
    assert "Lemonade" in trash and "Fries" not in trash
    assert manager.post(f"/admin/menu/trash/{old}/restore").status_code == 404

    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            assert purge_expired() == 1
    db_connection.rollback()
    left = db_connection.scalars(text(f'SELECT id::text FROM "{tenant.schema_name}".menu_trash'))
    assert list(left) == [recent]
    import_task_modules()
    assert "menu-trash-purge" in SCHEDULES


def test_the_board_and_trash_pages_escape_names(app, client, tenant, manager):
    hostile = '<script>alert("x")</script>'
    assert manager.post("/admin/items/new", {"name": hostile, "price": "1"}).status_code == 303
    item_id = next(i["id"] for i in api_items(client, tenant) if i["name"] == hostile)
    assert hostile not in manager.get("/admin/menu").text
    entry = trash_entry_of(manager.post(f"/admin/items/{item_id}/delete"))
    for page in (f"/admin/menu?deleted={entry}", "/admin/menu/trash"):
        text_of_page = manager.get(page).text
        assert hostile not in text_of_page and "&lt;script&gt;" in text_of_page
    assert manager.get(f"/admin/menu?deleted={'x' * 500}").status_code == 200


# --- two managers at once ---------------------------------------------------------------------

TRIES = 10


def test_a_reorder_against_an_item_delete_is_404_or_done_never_500(
    app, client, tenant, db_connection
):
    first, second = (Actions(signed_in(app, tenant, "manager")) for _ in range(2))
    for _ in range(TRIES):
        assert first.post("/admin/items/new", name="Soup", price="4")().status_code == 303
        soup = next(i["id"] for i in api_items(client, tenant) if i["name"] == "Soup")
        order = whole_order(client, tenant, db_connection)
        statuses = race(
            first.post("/admin/menu/order", **order), second.post(f"/admin/items/{soup}/delete")
        )
        assert statuses[1] == 303 and statuses[0] in (200, 404), statuses
        assert "Soup" not in api_names(client, tenant)


def test_two_restores_of_one_entry_bring_it_back_once(app, client, tenant, db_connection):
    first, second = (Actions(signed_in(app, tenant, "manager")) for _ in range(2))
    for _ in range(TRIES):
        fries = next(i["id"] for i in api_items(client, tenant) if i["name"] == "Fries")
        entry = trash_entry_of(first.post(f"/admin/items/{fries}/delete")())
        restore = f"/admin/menu/trash/{entry}/restore"
        statuses = race(first.post(restore), second.post(restore))
        assert sorted(statuses) == [303, 404], statuses
        assert api_names(client, tenant).count("Fries") == 1


def test_a_bulk_change_against_a_delete_is_404_or_done(app, client, tenant, db_connection):
    first, second = (Actions(signed_in(app, tenant, "manager")) for _ in range(2))
    for _ in range(TRIES):
        assert first.post("/admin/items/new", name="Soup", price="4")().status_code == 303
        soup = next(i["id"] for i in api_items(client, tenant) if i["name"] == "Soup")
        statuses = race(
            first.post("/admin/menu/bulk", item=[soup], action="sold_out"),
            second.post(f"/admin/items/{soup}/delete"),
        )
        assert statuses[1] == 303 and statuses[0] in (303, 404), statuses
