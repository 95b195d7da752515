"""Two staff members changing the menu at the same moment: whoever comes second hears 404
(the row is gone) or 409 (with the reason), never a 500, and nothing is left half-done."""

import uuid

import pytest
from sqlalchemy import text

from tests.support.app import SYS_TOKEN
from tests.support.races import Actions, race
from tests.support.staff import signed_in

TRIES = 25


@pytest.fixture
def two_managers(app, tenant):
    return Actions(signed_in(app, tenant, "manager")), Actions(signed_in(app, tenant, "manager"))


def new_category(db_connection, tenant) -> str:
    category_id = db_connection.scalar(
        text(f'INSERT INTO "{tenant.schema_name}".categories (name) VALUES (:name) RETURNING id'),
        {"name": f"Specials {uuid.uuid4().hex[:4]}"},
    )
    db_connection.commit()
    return str(category_id)


def new_item(db_connection, tenant) -> str:
    item_id = db_connection.scalar(
        text(
            f'INSERT INTO "{tenant.schema_name}".menu_items (name, price) VALUES (:name, 500) '
            "RETURNING id"
        ),
        {"name": f"Soup {uuid.uuid4().hex[:4]}"},
    )
    db_connection.commit()
    return str(item_id)


def count(db_connection, tenant, table: str, row_id: str) -> int:
    return db_connection.scalar(
        text(f'SELECT count(*) FROM "{tenant.schema_name}".{table} WHERE id = :id'), {"id": row_id}
    )


def links_of(db_connection, tenant, item_id: str) -> int:
    found = db_connection.scalar(
        text(
            f'SELECT count(*) FROM "{tenant.schema_name}".item_option_groups '
            "WHERE menu_item_id = :id"
        ),
        {"id": item_id},
    )
    db_connection.commit()
    return found


def test_sold_out_toggle_against_item_delete(app, tenant, two_managers, db_connection):
    kitchen, manager = two_managers
    for _ in range(TRIES):
        item = new_item(db_connection, tenant)
        toggle, delete = race(
            kitchen.post(f"/kitchen/items/{item}/availability", available="false"),
            manager.post(f"/admin/items/{item}/delete"),
        )
        assert delete == 303
        assert toggle in (303, 404), toggle
        assert count(db_connection, tenant, "menu_items", item) == 0


def test_item_rename_against_item_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        item = new_item(db_connection, tenant)
        rename, delete = race(
            editor.post(f"/admin/items/{item}/edit", name="Soup of the day", price="5.00"),
            manager.post(f"/admin/items/{item}/delete"),
        )
        assert rename in (303, 404), rename
        assert delete in (303, 404), delete
        assert 404 in (rename, delete) or rename == delete == 303


def test_new_item_against_its_category_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        category = new_category(db_connection, tenant)
        name = f"Pie {uuid.uuid4().hex[:6]}"
        create, delete = race(
            editor.post("/admin/items/new", name=name, price="4.00", category_id=category),
            manager.post(f"/admin/categories/{category}/delete"),
        )
        assert create in (303, 400), create  # 400: "is not a category of this menu"
        assert delete == 303, delete  # the category goes to the trash with its items
        created = db_connection.scalar(
            text(f'SELECT count(*) FROM "{tenant.schema_name}".menu_items WHERE name = :name'),
            {"name": name},
        )
        trashed = db_connection.scalar(
            text(
                f'SELECT count(*) FROM "{tenant.schema_name}".menu_trash '
                "WHERE payload::text LIKE :name"
            ),
            {"name": f"%{name}%"},
        )
        # Created first: it went to the trash with its category; else it was refused.
        assert (create, created, trashed) in ((303, 0, 1), (400, 0, 0))


def test_category_rename_against_category_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        category = new_category(db_connection, tenant)
        rename, delete = race(
            editor.post(f"/admin/categories/{category}/rename", name="Mains"),
            manager.post(f"/admin/categories/{category}/delete"),
        )
        assert delete == 303
        assert rename in (303, 404), rename
        assert count(db_connection, tenant, "categories", category) == 0


def new_item_with_choice(db_connection, tenant) -> tuple[str, str, str]:
    """A new item with a group Size … (of the menu, attached to it) and its option Large:
    (item, group, option) ids."""
    item = new_item(db_connection, tenant)
    schema = tenant.schema_name
    group = db_connection.scalar(
        text(
            f'INSERT INTO "{schema}".option_groups (name, min_choices, max_choices) '
            "VALUES (:name, 1, 1) RETURNING id"
        ),
        {"name": f"Size {uuid.uuid4().hex[:8]}"},
    )
    db_connection.execute(
        text(
            f'INSERT INTO "{schema}".item_option_groups (menu_item_id, group_id) '
            "VALUES (:item, :group)"
        ),
        {"item": item, "group": group},
    )
    option = db_connection.scalar(
        text(
            f'INSERT INTO "{schema}".options (group_id, name, price_delta) '
            "VALUES (:group, 'Large', 300) RETURNING id"
        ),
        {"group": group},
    )
    db_connection.commit()
    return item, str(group), str(option)


def test_option_edit_against_item_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        item, group, option = new_item_with_choice(db_connection, tenant)
        edit, delete = race(
            editor.post(
                f"/admin/items/{item}/groups/{group}/options/{option}/edit",
                name="Huge",
                price_delta="4.00",
            ),
            manager.post(f"/admin/items/{item}/delete"),
        )
        assert delete == 303
        assert edit in (303, 404), edit
        assert links_of(db_connection, tenant, item) == 0  # the group stays in the menu


def test_new_option_against_its_group_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        item, group, _ = new_item_with_choice(db_connection, tenant)
        create, delete = race(
            editor.post(f"/admin/items/{item}/groups/{group}/options", name="Small"),
            manager.post(f"/admin/items/{item}/groups/{group}/delete"),
        )
        assert delete == 303
        assert create in (303, 404), create
        orphans = db_connection.scalar(
            text(f'SELECT count(*) FROM "{tenant.schema_name}".options WHERE group_id = :g'),
            {"g": group},
        )
        assert orphans == 0 and count(db_connection, tenant, "option_groups", group) == 0


def test_group_edit_and_option_toggle_against_item_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for attempt in range(TRIES):
        item, group, option = new_item_with_choice(db_connection, tenant)
        change = (
            editor.post(
                f"/admin/items/{item}/groups/{group}/edit",
                name=f"Sizes {attempt}",
                min="0",
                max="1",
            )
            if attempt % 2
            else editor.post(
                f"/admin/items/{item}/groups/{group}/options/{option}/availability",
                available="false",
            )
        )
        edit, delete = race(change, manager.post(f"/admin/items/{item}/delete"))
        assert delete == 303
        assert edit in (303, 404), edit
        assert links_of(db_connection, tenant, item) == 0


def test_option_edit_against_a_menu_import(app, client, tenant, two_managers, db_connection):
    editor, _ = two_managers
    replace = {"categories": [{"name": "Soups", "items": [{"name": "Miso", "price": 400}]}]}

    def import_menu():
        return client.put(
            f"/api/v1/sys/tenants/{tenant.domain}/menu",
            json=replace,
            headers={"Authorization": f"Bearer {SYS_TOKEN}"},
        )

    for _ in range(10):
        item, group, option = new_item_with_choice(db_connection, tenant)
        edit, imported = race(
            editor.post(
                f"/admin/items/{item}/groups/{group}/options/{option}/edit",
                name="XL",
                price_delta="",
            ),
            import_menu,
        )
        assert imported == 200
        assert edit in (303, 404), edit
        names = db_connection.scalars(
            text(f'SELECT name FROM "{tenant.schema_name}".menu_items')
        ).all()
        db_connection.commit()
        assert names == ["Miso"]


# --- shared option groups ------------------------------------------------------------------


def test_attach_against_the_groups_delete(app, tenant, two_managers, db_connection):
    editor, manager = two_managers
    for _ in range(TRIES):
        _, group, _ = new_item_with_choice(db_connection, tenant)
        other = new_item(db_connection, tenant)
        attach, delete = race(
            editor.post(f"/admin/items/{other}/groups/attach", group_id=group),
            manager.post(f"/admin/option-groups/{group}/delete"),
        )
        assert delete == 303
        assert attach in (303, 404), attach
        assert count(db_connection, tenant, "option_groups", group) == 0
        assert links_of(db_connection, tenant, other) == 0


def test_two_groups_of_one_name_at_once(app, tenant, two_managers, db_connection):
    """Both pass the check before either commits; the database's unique name refuses the
    second: a 400 with the reason, never a 500, and one group."""
    first, second = two_managers
    for _ in range(10):
        name = f"Extras {uuid.uuid4().hex[:6]}"
        one, two = race(
            first.post("/admin/option-groups", name=name, min="0", max="2"),
            second.post("/admin/option-groups", name=name.upper(), min="0", max="2"),
        )
        assert sorted((one, two)) == [303, 400], (one, two)
        groups = db_connection.scalar(
            text(
                f'SELECT count(*) FROM "{tenant.schema_name}".option_groups '
                "WHERE lower(name) = lower(:n)"
            ),
            {"n": name},
        )
        db_connection.commit()
        assert groups == 1


def test_the_same_group_attached_twice_at_once(app, tenant, two_managers, db_connection):
    """Both lock the item: the second finds the group already there (409), never a 500 or a
    duplicate key."""
    first, second = two_managers
    for _ in range(10):
        _, group, _ = new_item_with_choice(db_connection, tenant)
        item = new_item(db_connection, tenant)
        one, two = race(
            first.post(f"/admin/items/{item}/groups/attach", group_id=group),
            second.post(f"/admin/items/{item}/groups/attach", group_id=group),
        )
        assert sorted((one, two)) == [303, 409], (one, two)
        assert links_of(db_connection, tenant, item) == 1
