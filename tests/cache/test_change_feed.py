"""Changes pushed by PostgreSQL to every worker (omniorder/cache/changes.py).

Two apps on the same database stand for two workers: what one changes, the other hears of
through its own listening connection. Nothing is mocked: the notifications are PostgreSQL's,
the listener's backend is really terminated.
"""

import re
import time

import pytest
from flask import request
from sqlalchemy import create_engine, insert, text

from omniorder.cache.changes import APPLICATION_NAME, change_feed, stop_change_feed
from omniorder.core.database import db
from omniorder.menu.models import MenuItem
from omniorder.web.extensions import csrf
from tests.support.app import make_app
from tests.support.kitchen import since_token
from tests.support.staff import Staff, add_staff, signed_in

WITHIN = 0.1  # seconds: how soon every worker must have heard of a change


@pytest.fixture
def workers(database_url):
    """Two apps with push invalidation on, each with its listener running."""
    apps = [make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True) for _ in range(2)]
    for app in apps:
        wait_until(lambda app=app: change_feed(app).healthy)
    yield apps
    for app in apps:
        stop_change_feed(app)
        with app.app_context():
            db.engine.dispose()


def wait_until(condition, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def headers(response) -> dict:
    """A response's headers but the date (the server's)."""
    return {name: value for name, value in response.headers.items() if name != "Date"}


def menu_of(client, tenant, **headers):
    return client.get("/api/v1/menu", headers={"Host": tenant.domain, **headers})


def sell_out(app, tenant, item_id) -> None:
    """The kitchen's sold-out toggle, on `app` (another worker)."""
    cook = signed_in(app, tenant, "kitchen")
    response = cook.post(f"/kitchen/items/{item_id}/availability", {"available": "false"})
    assert response.status_code in (200, 303), response.text


def available(response, item_id) -> bool:
    return next(i for i in response.get_json()["items"] if i["id"] == item_id)["is_available"]


def test_a_warm_menu_request_issues_no_statement_and_answers_304(
    workers, make_tenant, count_statements
):
    """The first request fills the worker's memory through Flask; the next are answered from
    it before Flask (`held_menu`) with the same bytes and headers, and no statement."""
    app, _ = workers
    flask_requests = []
    app.before_request(lambda: flask_requests.append(request.path))
    tenant = make_tenant()
    time.sleep(WITHIN)  # provisioning's own notices heard first: they would empty the memory
    client = app.test_client()
    first = menu_of(client, tenant)
    assert first.status_code == 200 and first.get_json()["items"]
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    first_unchanged = menu_of(client, tenant, **{"If-None-Match": first.headers["ETag"]})
    assert flask_requests == ["/api/v1/menu"]  # the second was answered from memory

    statements = count_statements(app)
    again = menu_of(client, tenant)
    assert statements == []  # routing and the menu from memory
    assert again.data == first.data and headers(again) == headers(first)
    unchanged = menu_of(client, tenant, **{"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == first_unchanged.status_code == 304
    assert unchanged.data == b""
    assert statements == [] and flask_requests == ["/api/v1/menu"]

    flask_requests.clear()
    flask_304 = first.headers["ETag"]
    app.config["OMNIORDER_PUSH_INVALIDATION"] = False  # Flask's own 304, for comparison
    through_flask = menu_of(client, tenant, **{"If-None-Match": flask_304})
    app.config["OMNIORDER_PUSH_INVALIDATION"] = True
    assert flask_requests == ["/api/v1/menu"]
    assert headers(through_flask) == headers(unchanged)


def test_sold_out_reaches_the_other_worker_within_100_ms(workers, make_tenant):
    storefront_worker, kitchen_worker = workers
    tenant = make_tenant()
    client = storefront_worker.test_client()
    warm = menu_of(client, tenant)
    item_id = warm.get_json()["items"][0]["id"]
    assert available(warm, item_id)

    sell_out(kitchen_worker, tenant, item_id)
    changed_at = time.monotonic()
    time.sleep(WITHIN)
    response = menu_of(client, tenant)
    assert not available(response, item_id), time.monotonic() - changed_at
    assert response.headers["ETag"] != warm.headers["ETag"]
    assert menu_of(client, tenant, **{"If-None-Match": warm.headers["ETag"]}).status_code == 200
    page = client.get("/", headers={"Host": tenant.domain})
    assert "Sold out" in page.text


def test_no_stale_answer_after_the_listener_is_killed(workers, make_tenant, database_url):
    """The listener's backend is terminated and, while it is gone, another worker changes the
    menu: that notification is lost, yet no request afterwards sees the old menu (the worker
    reads afresh until it listens again, then flushes)."""
    app, other = workers
    tenant = make_tenant()
    client = app.test_client()
    item_id = menu_of(client, tenant).get_json()["items"][0]["id"]
    feed = change_feed(app)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()
        connection.commit()
    assert killed == 2  # both workers' listeners
    sell_out(other, tenant, item_id)  # its notification reaches no listener
    seen = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        seen.append(available(menu_of(client, tenant), item_id))
        time.sleep(0.01)
    engine.dispose()
    assert seen and not any(seen)  # never the stale "available"
    assert feed.healthy  # it listens again


def test_an_unchanged_kitchen_poll_issues_no_statement(workers, make_tenant, count_statements):
    app, other = workers
    tenant = make_tenant()
    cook = signed_in(app, tenant, "kitchen")
    path = f"/kitchen/board?since={since_token(cook.get('/kitchen').text)}"
    assert cook.get(path, htmx=True).status_code == 204  # fills the feed's memory
    statements = count_statements(app)
    assert cook.get(path, htmx=True).status_code == 204
    assert statements == []

    customer = other.test_client()
    menu = menu_of(customer, tenant).get_json()
    placed = customer.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": "Ann",
            "items": [{"menu_item_id": menu["items"][0]["id"], "quantity": 1}],
        },
    )
    assert placed.status_code == 201, placed.text
    time.sleep(WITHIN)
    changed = cook.get(path, htmx=True)
    assert changed.status_code == 200 and "Ann" in changed.text


def test_an_unchanged_pickup_screen_poll_issues_no_statement(
    workers, make_tenant, count_statements
):
    app, other = workers
    tenant = make_tenant()
    screen = app.test_client()
    if time.time() % 60 > 50:  # the token carries the minute: stay inside one minute
        time.sleep(60 - time.time() % 60 + 0.1)
    page = screen.get("/pickup-screen", base_url=f"http://{tenant.domain}").text
    path = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert screen.get(path, base_url=f"http://{tenant.domain}").status_code == 204  # warms
    for _ in range(20):  # the new restaurant's own announcements may still drop what it held
        statements = count_statements(app)
        answer = screen.get(path, base_url=f"http://{tenant.domain}")
        if not statements:
            break
        time.sleep(WITHIN)
    assert answer.status_code == 204 and answer.headers["X-Robots-Tag"] == "noindex"
    assert statements == []  # answered from the worker's memory

    customer = other.test_client()
    menu = menu_of(customer, tenant).get_json()
    placed = customer.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": "Ann",
            "items": [{"menu_item_id": menu["items"][0]["id"], "quantity": 1}],
        },
    )
    assert placed.status_code == 201, placed.text
    time.sleep(WITHIN)
    changed = screen.get(path, base_url=f"http://{tenant.domain}")
    assert changed.status_code == 200 and str(placed.json["number"]) in changed.text


def test_a_removed_cook_is_signed_out_by_the_next_poll(workers, make_tenant):
    app, other = workers
    tenant = make_tenant()
    email = f"cook@{tenant.domain}"
    user_id = add_staff(app, tenant, email, "kitchen")
    cook = Staff(app.test_client(), tenant.domain)
    assert cook.login(email).status_code == 303
    path = f"/kitchen/board?since={since_token(cook.get('/kitchen').text)}"
    assert cook.get(path, htmx=True).status_code == 204

    admin = signed_in(other, tenant, "admin")
    removed = admin.post(f"/admin/staff/{user_id}/delete")
    assert removed.status_code in (200, 303), removed.text
    time.sleep(WITHIN)
    ended = cook.get(path, htmx=True)
    assert ended.status_code != 204 and "/login" in ended.headers.get("HX-Redirect", "") + (
        ended.headers.get("Location", "")
    )


def test_the_cache_stays_within_its_bound(database_url, make_tenant):
    bound = 20_000
    app = make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True, OMNIORDER_CACHE_BYTES=bound)
    feed = change_feed(app)
    wait_until(lambda: feed.healthy)
    client = app.test_client()
    tenants = [make_tenant() for _ in range(12)]
    for tenant in tenants:
        assert menu_of(client, tenant).status_code == 200
        assert client.get("/", headers={"Host": tenant.domain}).status_code == 200
    stats = feed.stats()
    assert 0 < stats["bytes"] <= bound and stats["entries"] < 3 * len(tenants), stats
    stop_change_feed(app)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "validator",
    ["*", 'W/"x"', '"' * 4000, "not-quoted", ",,,", '"a", W/', "é\u00ff", '"\\"'],
)
def test_hostile_if_none_match_headers_get_the_menu_or_304(workers, make_tenant, validator):
    app, _ = workers
    tenant = make_tenant()
    client = app.test_client()
    etag = menu_of(client, tenant).headers["ETag"]
    response = menu_of(client, tenant, **{"If-None-Match": validator})
    assert response.status_code in (200, 304), response.status_code
    if response.status_code == 200:
        assert response.get_json()["items"] and response.headers["ETag"] == etag
    listed = menu_of(client, tenant, **{"If-None-Match": f'"other", {etag}'})
    assert listed.status_code == 304


def test_behind_pgbouncer_without_a_listen_url_the_feed_stays_off(database_url):
    """LISTEN through pgbouncer in transaction mode would hear nothing, and a worker that
    believed it listened would serve stale menus: without OMNIORDER_LISTEN_URL it reads
    afresh instead."""
    app = make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True, OMNIORDER_PGBOUNCER=True)
    assert change_feed(app) is None
    app = make_app(
        database_url,
        OMNIORDER_PUSH_INVALIDATION=True,
        OMNIORDER_PGBOUNCER=True,
        OMNIORDER_LISTEN_URL=database_url,
    )
    feed = change_feed(app)
    wait_until(lambda: feed.healthy)
    stop_change_feed(app)
    with app.app_context():
        db.engine.dispose()


def test_the_worker_that_made_a_change_serves_it_at_once(workers, make_tenant):
    """No wait for its own notification: the committing worker forgets what it cached."""
    app, _ = workers
    tenant = make_tenant()
    client = app.test_client()
    item_id = menu_of(client, tenant).get_json()["items"][0]["id"]
    for _ in range(20):
        sell_out(app, tenant, item_id)
        assert not available(menu_of(client, tenant), item_id)
        cook = signed_in(app, tenant, "kitchen")
        cook.post(f"/kitchen/items/{item_id}/availability", {"available": "true"})
        assert available(menu_of(client, tenant), item_id)


def test_a_connection_lost_just_before_commit_is_a_503(database_url, make_tenant):
    """The notification goes out on the request's connection just before COMMIT: when that
    connection is gone by then, the answer is the outage's 503, never a 500, and nothing is
    stored."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)
    tenant = make_tenant()
    monitor = create_engine(database_url, isolation_level="AUTOCOMMIT")

    @app.post("/lose-connection")
    @csrf.exempt
    def lose_connection():
        db.session.execute(insert(MenuItem).values(name="Never stored", price=1))
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with monitor.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(CAST(:pid AS integer), 5000)"), {"pid": pid}
            )
        return "written"

    response = app.test_client().post("/lose-connection", headers={"Host": tenant.domain})
    assert response.status_code == 503 and response.headers["Retry-After"]
    names = [item["name"] for item in menu_of(app.test_client(), tenant).get_json()["items"]]
    assert "Never stored" not in names
    monitor.dispose()
    with app.app_context():
        db.engine.dispose()


def test_the_storefront_page_and_an_items_page_are_read_from_memory_when_warm(
    workers, make_tenant, count_statements
):
    """The menu page's rows, filters and category bar, and an item's page (its sheet), come
    from the worker's memory: an item's page issues no statement, the menu page no more than
    the sections' memory allows (issue 28 added none)."""
    app, _ = workers
    tenant = make_tenant()
    time.sleep(WITHIN)  # provisioning's own notices heard first
    client = app.test_client()
    host = {"Host": tenant.domain}
    item_id = menu_of(client, tenant).get_json()["items"][0]["id"]
    assert client.get("/", headers=host).status_code == 200  # warm
    assert client.get(f"/items/{item_id}", headers=host).status_code == 200

    statements = count_statements(app)
    page = client.get("/", headers=host)
    assert page.status_code == 200 and "Without gluten" in page.text
    on_the_menu_page = list(statements)
    statements.clear()
    sheet = client.get(f"/items/{item_id}", headers={**host, "HX-Request": "true"})
    assert sheet.status_code == 200 and 'class="item-sheet"' in sheet.text
    assert statements == []
    assert client.get(f"/items/{item_id}", headers=host).status_code == 200
    assert statements == []
    assert on_the_menu_page == [], on_the_menu_page
