"""Push invalidation across a real 4-worker gunicorn (omniorder/cache/changes.py).

Each gunicorn worker LISTENs on its own connection; a change committed anywhere (here: by
the test's own app, or by the system API on one of the workers) must reach all four within
100 ms. Every check sends 40 requests at once on fresh connections, so the sync workers share
them out. The same tests run behind a real pgbouncer in transaction mode, where the app's
connections go through the pooler and the listeners (OMNIORDER_LISTEN_URL) go straight to
PostgreSQL. Nothing is mocked: the notifications are PostgreSQL's, the listeners' backends are
really terminated.
"""

import http.client
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from harness.processes import gunicorn
from omniorder.cache.changes import APPLICATION_NAME
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.kitchen.board import set_availability
from omniorder.platform.tenants import drop_tenant
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.workers import get_status, provision

WORKERS = 4
AT_ONCE = 40
WITHIN = 0.1  # seconds: how soon every worker must have heard of a change (issue 19)


@pytest.fixture
def monitor(database_url):
    """An autocommit connection to the test database: pg_stat_activity is read afresh each
    time (inside a transaction it is a snapshot)."""
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.fixture(
    params=["direct", pytest.param("pgbouncer", marks=pytest.mark.pgbouncer)],
)
def environment(request, database_url):
    """gunicorn's environment, as tests/tenancy/test_registry_freshness.py builds it, with push
    invalidation on; behind pgbouncer: the app through the pooler, the listeners direct."""
    environment = {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_BCRYPT_ROUNDS": "4",
        # Long: the registry is kept fresh by the feed, not by periodic checks.
        "OMNIORDER_REGISTRY_CHECK_INTERVAL": "30",
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        "OMNIORDER_PUSH_INVALIDATION": "1",
    }
    if request.param == "pgbouncer":
        environment.update(
            DATABASE_URL=request.getfixturevalue("pgbouncer_url"),
            OMNIORDER_PGBOUNCER="1",
            OMNIORDER_LISTEN_URL=database_url,
        )
    return environment


@pytest.fixture
def served(environment, monitor, make_tenant):
    """A 4-worker gunicorn whose every worker listens; yields (port, a warm tenant)."""
    known = make_tenant()
    with gunicorn("wsgi:app", environment, workers=WORKERS) as port:
        wait_for_listeners(monitor, lambda: at_once(lambda: get_status(port, known.domain)))
        yield port, known


def listeners(monitor) -> int:
    """Change feeds listening on the test database (one per worker that has started its
    feed). A backend that has not yet run its LISTEN shows an empty query."""
    return monitor.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
            "AND datname = current_database() AND query <> ''"
        ),
        {"name": APPLICATION_NAME},
    ).scalar_one()


def wait_for_listeners(monitor, warm, seconds: float = 30.0) -> None:
    """Until every worker listens: `warm()` sends requests (a worker starts its feed on its
    first request) until pg_stat_activity shows WORKERS listeners."""
    deadline = time.monotonic() + seconds
    while (count := listeners(monitor)) != WORKERS:
        assert time.monotonic() < deadline, f"{count} of {WORKERS} workers listen"
        warm()
        time.sleep(0.05)


def at_once(request, count: int = AT_ONCE) -> list:
    """`count` calls of `request` at once, each on its own connection."""
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: request(), range(count)))


def get_menu(port: int, host: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/api/v1/menu", headers={"Host": host})
        response = connection.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body[:200])
        return json.loads(body)
    finally:
        connection.close()


def availability(port: int, host: str, item_id) -> list[bool]:
    """The item's is_available in AT_ONCE menus asked for at once."""
    menus = at_once(lambda: get_menu(port, host))
    return [next(i for i in menu["items"] if i["id"] == item_id)["is_available"] for menu in menus]


def set_available(app, domain: str, item_id, available: bool) -> None:
    """The kitchen's sold-out toggle, committed by the test's own app (another process)."""
    with app.app_context(), tenant_context(tenant_registry().lookup(domain)), unit_of_work():
        set_availability(item_id, available)


def test_a_new_restaurant_answers_on_every_worker_within_100_ms(app, served):
    port, _ = served
    domain = f"pushed{uuid.uuid4().hex[:8]}.test.localhost"
    try:
        status, body = provision(port, domain)
        assert status == 201, body
        time.sleep(WITHIN)
        answers = at_once(lambda: get_status(port, domain))
        assert answers.count(404) == 0, answers
        assert answers == [200] * AT_ONCE
    finally:
        try:
            with app.app_context(), unit_of_work():
                drop_tenant(domain)
        except NotFound:  # provisioning failed
            pass


def test_a_dropped_restaurant_stops_on_every_worker_within_100_ms(app, served, make_tenant):
    port, _ = served
    doomed = make_tenant()
    # Three rounds: every worker has the restaurant and its menu in memory.
    for _ in range(3):
        assert at_once(lambda: get_status(port, doomed.domain)) == [200] * AT_ONCE
    with app.app_context(), unit_of_work():
        drop_tenant(doomed.domain)
    time.sleep(WITHIN)
    answers = at_once(lambda: get_status(port, doomed.domain))
    assert answers.count(200) == 0, answers
    assert answers == [404] * AT_ONCE


def test_sold_out_shows_on_every_worker_within_100_ms(app, served):
    port, tenant = served
    item_id = get_menu(port, tenant.domain)["items"][0]["id"]
    for _ in range(3):  # every worker has the menu in memory
        assert availability(port, tenant.domain, item_id) == [True] * AT_ONCE
    set_available(app, tenant.domain, item_id, False)
    time.sleep(WITHIN)
    assert availability(port, tenant.domain, item_id) == [False] * AT_ONCE
    set_available(app, tenant.domain, item_id, True)
    time.sleep(WITHIN)
    assert availability(port, tenant.domain, item_id) == [True] * AT_ONCE


def test_no_stale_menu_after_the_listeners_are_killed(app, served, monitor):
    """Every listener's backend is terminated and the menu changes at once: that change's
    notification reaches nobody, yet no worker serves the old menu (a feed that is not
    listening bypasses its memory, and flushes it once it listens again)."""
    port, tenant = served
    item_id = get_menu(port, tenant.domain)["items"][0]["id"]
    for _ in range(3):
        assert availability(port, tenant.domain, item_id) == [True] * AT_ONCE
    killed = monitor.execute(
        text(
            # With a timeout it returns once each backend has exited.
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) "
            "FROM pg_stat_activity WHERE application_name = :name "
            "AND datname = current_database()"
        ),
        {"name": APPLICATION_NAME},
    ).scalar_one()
    assert killed == WORKERS
    set_available(app, tenant.domain, item_id, False)
    assert availability(port, tenant.domain, item_id) == [False] * AT_ONCE

    wait_for_listeners(monitor, lambda: None)
    for _ in range(3):  # listening again, every worker fills its memory afresh
        assert availability(port, tenant.domain, item_id) == [False] * AT_ONCE
    set_available(app, tenant.domain, item_id, True)
    time.sleep(WITHIN)
    assert availability(port, tenant.domain, item_id) == [True] * AT_ONCE
