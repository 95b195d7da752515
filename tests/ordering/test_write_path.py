"""The checkout's write path (issue 26): the work a warm order costs, no lock that queues a
restaurant's orders, and prices that are never stale.

The statements are counted on the wire (tests/support/wire.py), so the change feed's
notification, sent beneath SQLAlchemy at commit, counts too. The price race runs against a
real gunicorn: its workers hear of a price change only through PostgreSQL's notification,
which the orders sent right after the change's commit try to outrun.
"""

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from sqlalchemy import create_engine, make_url, select, text

from harness.processes import gunicorn
from omniorder.cache.changes import CHANNEL, change_feed, stop_change_feed
from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.kitchen.board import board
from omniorder.menu.catalog import menu_item
from omniorder.ordering.checkout import place_order
from omniorder.ordering.models import BOARD_VERSION, Order
from omniorder.ordering.order_input import OrderLine
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN, make_app
from tests.support.storefront import menu
from tests.support.wire import traced


@pytest.fixture
def worker(database_url):
    """An app with push invalidation on and its listener running (one gunicorn worker)."""
    app = make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True)
    deadline = time.monotonic() + 5
    while not change_feed(app).healthy:
        assert time.monotonic() < deadline, "the change feed did not start"
        time.sleep(0.005)
    yield app
    stop_change_feed(app)
    with app.app_context():
        db.engine.dispose()


def order_json(app, tenant, name="Ann", **extra) -> dict:
    items = menu(app, tenant)
    lines = [{"menu_item_id": str(items[n].id), "quantity": 1} for n in ("Fries", "Onion Rings")]
    return {"customer_name": name, "items": lines, **extra}


def post(client, tenant, body, **headers):
    return client.post("/api/v1/orders", headers={"Host": tenant.domain, **headers}, json=body)


def board_version(app, tenant) -> int:
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        return db.session.scalar(select(BOARD_VERSION))


def test_a_warm_counter_order_is_one_statement(worker, tenant, database_url):
    client = worker.test_client()
    body = order_json(worker, tenant)
    assert post(client, tenant, body).status_code == 201  # fills the worker's price list
    version = board_version(worker, tenant)
    url = make_url(database_url).set(drivername="postgresql")
    listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")

    with traced(worker) as wire:
        placed = post(client, tenant, {**body, "customer_name": "Bea"})
    assert placed.status_code == 201, placed.text
    # The INSERT: priced from memory, the menu's version checked, the queue counted, the
    # board's stripe raised, the row returned. No NOTIFY in the order's transaction: the
    # worker's notifier sends it after the commit (cache/changes.Notifier).
    assert len(wire.statements) == 1, wire.statements
    (insert,) = wire.statements
    assert insert.startswith("WITH bumped AS (UPDATE") and "INSERT INTO" in insert
    assert "menu_version" in insert and "count(*)" in insert
    assert wire.sent == ["BEGIN", wire.sent[1], "COMMIT"]
    heard = [n.payload for n in listener.notifies(timeout=1.0, stop_after=1)]
    listener.close()
    assert heard == [f"board {tenant.schema_name}"]

    order = placed.get_json()
    lines = {line["name"]: line for line in order["items"]}
    assert lines["Fries"]["unit_price"] == 450 and order["subtotal"] == sum(
        line["line_total"] for line in order["items"]
    )
    assert order["ready_at"] and order["customer_name"] == "Bea"
    assert board_version(worker, tenant) == version + 1

    # The same with an Idempotency-Key; its retry answers the first order, places none.
    with traced(worker) as wire:
        keyed = post(client, tenant, {**body, "customer_name": "Cy"}, **{"Idempotency-Key": "k1"})
    assert keyed.status_code == 201 and len(wire.statements) == 1, wire.statements
    again = post(client, tenant, {**body, "customer_name": "Cy"}, **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.get_json()["id"] == keyed.get_json()["id"]


def test_an_order_priced_from_memory_gets_the_price_of_its_insert(worker, tenant, count_statements):
    """A price changed behind the worker's back (no notification heard yet: written by plain
    SQL, as another node would) is caught by the menu's version in the INSERT; the order is
    priced again from the database, never charged the old price."""
    client = worker.test_client()
    body = order_json(worker, tenant)
    assert post(client, tenant, body).status_code == 201  # the price list: Fries at 4.50
    engine = create_engine(worker.config["SQLALCHEMY_DATABASE_URI"])
    with engine.begin() as connection:
        schema = tenant.schema_name
        connection.execute(
            text(f"UPDATE \"{schema}\".menu_items SET price = 500 WHERE name = 'Fries'")
        )
        connection.execute(text(f'UPDATE "{schema}".menu_version SET version = version + 1'))
    engine.dispose()
    statements = count_statements(worker)
    placed = post(client, tenant, body)
    assert placed.status_code == 201, placed.text
    lines = {line["name"]: line for line in placed.get_json()["items"]}
    assert lines["Fries"]["unit_price"] == 500
    assert sum("menu_version" in statement for statement in statements) >= 2  # refused, re-read


def test_concurrent_orders_of_one_restaurant_do_not_wait_for_each_other(app, tenant):
    """An order's transaction still open (not committed) holds no lock another order of the
    same restaurant needs: the second commits at once (lock_timeout would fail it)."""
    fries = menu(app, tenant)["Fries"].id
    registry_tenant = lambda: tenant_registry().lookup(tenant.domain)  # noqa: E731
    with app.app_context(), tenant_context(registry_tenant()), unit_of_work():
        first = place_order("Ann", [OrderLine(fries, 1)])
        assert first.created
        other = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
        with other.app_context(), tenant_context(registry_tenant()), unit_of_work():
            db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            second = place_order("Bea", [OrderLine(fries, 1)])
            assert second.created and second.order.number != first.order.number
        with other.app_context():
            db.engine.dispose()
    with app.app_context(), tenant_context(registry_tenant()):
        names = {order.customer_name for order in board().columns["PENDING"]}
        ready = db.session.scalars(select(Order.ready_at).order_by(Order.number)).all()
    assert {"Ann", "Bea"} <= names and all(ready)


ROUNDS, AT_ONCE = 10, 5


def test_orders_racing_a_price_change_are_charged_the_new_price(database_url, make_tenant, app):
    """Ten price changes, each followed at once by five orders sent together to a real
    2-worker gunicorn whose price lists still hold the old price until PostgreSQL's
    notification reaches them: all fifty orders are charged the price committed before them."""
    tenant = make_tenant()
    environment = {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_PUSH_INVALIDATION": "1",
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
    }
    fries = menu(app, tenant)["Fries"].id
    body = json.dumps(
        {"customer_name": "Ann", "items": [{"menu_item_id": str(fries), "quantity": 1}]}
    )

    def order() -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            headers = {"Host": tenant.domain, "Content-Type": "application/json"}
            connection.request("POST", "/api/v1/orders", body, headers)
            response = connection.getresponse()
            assert response.status == 201, response.read()
            return json.loads(response.read())
        finally:
            connection.close()

    with gunicorn("wsgi:app", environment) as port, ThreadPoolExecutor(AT_ONCE) as pool:
        for _ in range(4 * AT_ONCE):  # every worker holds a price list
            order()
        charged = []
        for round_index in range(ROUNDS):
            price = 500 + round_index
            with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
                with unit_of_work():
                    menu_item(fries, lock=True).price = price
            placed = list(pool.map(lambda _: order(), range(AT_ONCE)))
            charged.append((price, [o["items"][0]["unit_price"] for o in placed]))
    assert charged == [(price, [price] * AT_ONCE) for price, _ in charged]
