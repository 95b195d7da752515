"""Two staff members changing the menu at the same moment: whoever comes second hears 404
(the row is gone) or 409 (with the reason), never a 500, and nothing is left half-done."""

import threading
import uuid

import pytest
from sqlalchemy import text

from tests.support.staff import signed_in

TRIES = 25


def race(first, second) -> list[int]:
    """Run two staff actions at once (a barrier releases both); their status codes."""
    barrier = threading.Barrier(2)
    statuses = [None, None]

    def run(index, action):
        barrier.wait()
        statuses[index] = action().status_code

    threads = [
        threading.Thread(target=run, args=(i, action)) for i, action in enumerate((first, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


class Actions:
    """A signed-in staff member with a CSRF token fetched once, so both sides of a race
    send their POST at the same moment."""

    def __init__(self, staff):
        self.staff, self.token = staff, staff.token()

    def post(self, path, **data):
        return lambda: self.staff.post(path, {"csrf_token": self.token, **data}, csrf=False)


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
        assert delete in (303, 409), delete  # 409: "still has 1 item(s)"
        created = db_connection.scalar(
            text(f'SELECT count(*) FROM "{tenant.schema_name}".menu_items WHERE name = :name'),
            {"name": name},
        )
        assert (create, delete, created) in ((303, 409, 1), (400, 303, 0))


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
