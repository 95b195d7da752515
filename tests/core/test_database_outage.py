"""PostgreSQL stops and starts again under the app: clear 503s, then recovery by itself.

A throwaway embedded PostgreSQL cluster, so stopping it touches nothing else.
"""

import time
import uuid

import pytest

from harness.processes import restartable_postgres
from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import provision_tenant
from omniorder.tenancy import migrate
from tests.support.app import make_app
from tests.support.staff import Staff


@pytest.fixture
def cluster(tmp_path):
    with restartable_postgres(tmp_path / "pg", "outage") as (url, stop, start):
        yield url, stop, start


def test_outage_answers_503_and_the_app_recovers_without_restart(cluster):
    url, stop, start = cluster
    app = make_app(url, PROPAGATE_EXCEPTIONS=False, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    with app.app_context(), unit_of_work():
        migrate.migrate(db.engine, scope="public", direction="upgrade")
        provision_tenant(
            name="Outage Diner",
            domain="outage.localhost",
            admin_email="a@outage.localhost",
            admin_password="long password",
        )
    client = app.test_client()
    host = {"Host": "outage.localhost"}
    assert client.get("/api/v1/menu", headers=host).status_code == 200
    tablet = Staff(app.test_client(), "outage.localhost")
    assert tablet.login("a@outage.localhost", "long password").status_code == 303

    stop()
    down = client.get("/api/v1/menu", headers=host)
    assert down.status_code == 503 and down.headers["Retry-After"] == "2"
    assert "try again" in down.get_json()["error"]
    page = client.get("/", headers=host)
    assert page.status_code == 503 and b"try again in a moment" in page.data
    order = client.post(
        "/api/v1/orders",
        headers={**host, "Idempotency-Key": "k1"},
        json={
            "customer_name": "Ann",
            "items": [{"menu_item_id": str(uuid.uuid4()), "quantity": 1}],
        },
    )
    assert order.status_code == 503
    # A signed-in tablet: the error page must not load the user from the dead database.
    for path in ("/kitchen/board?since=0-0", "/kitchen"):
        for htmx in (True, False):
            answer = tablet.get(path, htmx=htmx)
            assert answer.status_code == 503 and b"try again" in answer.data, path
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "down"

    start()
    statuses = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        statuses.append(client.get("/api/v1/menu", headers=host).status_code)
        if statuses[-3:] == [200, 200, 200]:
            break
        time.sleep(0.2)
    assert statuses[-3:] == [200, 200, 200], statuses
    assert statuses.count(503) <= 1  # at most the request that found the dead connection
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "up"}
    with app.app_context():
        db.engine.dispose()


def test_more_clients_than_pooled_connections_wait_then_get_503(database_url, make_tenant):
    """A pool of 2 and 20 concurrent clients: some wait and succeed, the rest get a 503 after
    the bounded wait (pool_timeout); nothing hangs, nothing is a 500."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    app = make_app(
        database_url,
        PROPAGATE_EXCEPTIONS=False,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2, "max_overflow": 0, "pool_timeout": 0.5},
    )
    tenant = make_tenant()

    @app.get("/slow")
    def slow():
        db.session.execute(text("SELECT pg_sleep(0.4)"))
        return "done"

    client = app.test_client()
    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        statuses = list(
            pool.map(
                lambda _: client.get("/slow", headers={"Host": tenant.domain}).status_code,
                range(20),
            )
        )
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 2 and 503 in statuses
    assert time.monotonic() - started < 10
    assert client.get("/api/v1/menu", headers={"Host": tenant.domain}).status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_orders_placed_across_a_restart_are_each_stored_exactly_once(cluster):
    """Clients retry with their Idempotency-Key on 503 while PostgreSQL restarts: every
    acknowledged order exists exactly once, nothing unacknowledged exists, no 500."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import create_engine, text

    url, stop, start = cluster
    app = make_app(url, PROPAGATE_EXCEPTIONS=False, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    with app.app_context(), unit_of_work():
        migrate.migrate(db.engine, scope="public", direction="upgrade")
        tenant = provision_tenant(
            name="Restart Diner",
            domain="restart.localhost",
            admin_email="a@restart.localhost",
            admin_password="long password",
        )
    client = app.test_client()
    host = {"Host": "restart.localhost"}
    item = client.get("/api/v1/menu", headers=host).get_json()["items"][0]
    statuses, acknowledged = [], {}
    lock = threading.Lock()

    def place(key):
        for _ in range(100):
            response = client.post(
                "/api/v1/orders",
                headers={**host, "Idempotency-Key": key},
                json={"customer_name": key, "items": [{"menu_item_id": item["id"], "quantity": 1}]},
            )
            with lock:
                statuses.append(response.status_code)
            if response.status_code in (200, 201):
                with lock:
                    acknowledged[key] = (response.get_json()["id"], response.get_json()["number"])
                return
            time.sleep(0.05)

    keys = [f"client-{n}" for n in range(200)]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(place, key) for key in keys]
        time.sleep(0.1)
        stop()
        time.sleep(0.8)
        start()
        for future in futures:
            future.result()

    from collections import Counter

    assert 500 not in statuses and 503 in statuses, Counter(statuses)  # seen, never a 500
    assert set(acknowledged) == set(keys)
    engine = create_engine(url)
    with engine.connect() as connection:
        stored = connection.execute(
            text(f'SELECT idempotency_key, id::text, number FROM "{tenant.schema_name}".orders')
        ).all()
    engine.dispose()
    assert sorted(row.idempotency_key for row in stored) == sorted(keys)  # once each
    assert {row.idempotency_key: (row.id, row.number) for row in stored} == acknowledged
    assert len({row.number for row in stored}) == len(stored)
    with app.app_context():
        db.engine.dispose()
