"""The order rate limit: storefront checkout and POST /api/v1/orders share one budget per
client address per restaurant (default 30 a minute); the 31st order is a 429 with Retry-After.

In-process apps use the memory storage. The Redis storage is tested against a real
redis-server (Debian's package) started on a free loopback port, with real gunicorn
processes standing in for workers: two servers sharing Redis cannot exceed the limit
together, while with memory:// each counts alone (the documented caveat).
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from harness.processes import free_port, gunicorn, wait_for_port
from tests.support.app import REPOSITORY, make_app
from tests.support.storefront import Customer, menu, order_count

LIMIT = 30


@pytest.fixture
def limited_app(database_url):
    app = make_app(database_url, OMNIORDER_ORDER_RATE_LIMIT=f"{LIMIT} per minute")
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def order_body(item) -> dict:
    return {"customer_name": "Ada", "items": [{"menu_item_id": str(item.id), "quantity": 1}]}


def post_order(client, tenant, item, address="203.0.113.7", **headers):
    return client.post(
        "/api/v1/orders",
        json=order_body(item),
        headers={"Host": tenant.domain, **headers},
        environ_base={"REMOTE_ADDR": address},
    )


def burger(app, tenant):
    return menu(app, tenant)["House Burger"]


def assert_refused(response):
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_31st_order_in_a_minute_is_a_429_with_retry_after(limited_app, make_tenant):
    tenant = make_tenant()
    item, client = burger(limited_app, tenant), limited_app.test_client()
    statuses = [post_order(client, tenant, item).status_code for _ in range(LIMIT)]
    assert statuses == [201] * LIMIT
    refused = post_order(client, tenant, item)
    assert_refused(refused)
    assert refused.get_json() == {
        "error": "Too many orders from your address; please try again in a minute."
    }
    assert refused.headers["Content-Security-Policy"]  # our headers, like every answer
    assert order_count(limited_app, tenant) == LIMIT


def test_checkout_shares_the_budget_and_answers_with_the_cart(limited_app, make_tenant):
    tenant = make_tenant()
    item, client = burger(limited_app, tenant), limited_app.test_client()
    customer = Customer(client, tenant.domain)
    for _ in range(LIMIT // 2):  # half through the storefront …
        customer.add(item.id)
        assert customer.checkout("Bo").status_code == 303
    for _ in range(LIMIT // 2):  # … half through the API, from the same address
        assert post_order(client, tenant, item, address="127.0.0.1").status_code == 201
    customer.add(item.id)
    htmx = customer.checkout("Bo", htmx=True)
    assert_refused(htmx)
    assert htmx.text.startswith('<aside id="cart"')  # the panel htmx swaps, not a page
    assert "Too many orders from your address" in htmx.text
    assert "House Burger" in htmx.text  # the cart is still there for the retry
    page = customer.checkout("Bo")
    assert_refused(page)
    assert "<html" in page.text and "Too many orders from your address" in page.text
    assert 'value="Bo"' in page.text  # the typed name is kept
    assert order_count(limited_app, tenant) == LIMIT


def test_another_restaurant_and_another_address_are_unaffected(limited_app, make_tenant):
    pizza, sushi = make_tenant(name="Pizza"), make_tenant(name="Sushi")
    client = limited_app.test_client()
    for _ in range(LIMIT):
        post_order(client, pizza, burger(limited_app, pizza))
    assert_refused(post_order(client, pizza, burger(limited_app, pizza)))
    assert post_order(client, sushi, burger(limited_app, sushi)).status_code == 201
    assert (
        post_order(client, pizza, burger(limited_app, pizza), address="203.0.113.8").status_code
        == 201
    )
    # The restaurant is keyed by its id, not the Host's spelling.
    assert_refused(
        post_order(client, pizza, burger(limited_app, pizza), Host=pizza.domain.upper() + ":80")
    )


def test_an_ipv6_client_is_counted_by_its_64(limited_app, make_tenant):
    tenant = make_tenant()
    item, client = burger(limited_app, tenant), limited_app.test_client()
    for suffix in range(LIMIT):  # a different address every time, one /64
        assert (
            post_order(client, tenant, item, address=f"2001:db8::{suffix + 1:x}").status_code == 201
        )
    assert_refused(post_order(client, tenant, item, address="2001:db8::ffff:1"))
    assert post_order(client, tenant, item, address="2001:db8:0:1::1").status_code == 201


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy(database_url, make_tenant):
    tenant = make_tenant()
    direct = make_app(database_url, OMNIORDER_ORDER_RATE_LIMIT="2 per minute").test_client()
    item = burger(direct.application, tenant)
    spoofed = [
        post_order(direct, tenant, item, **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(3)
    ]
    assert spoofed == [201, 201, 429]  # a made-up header is no way around the limit
    proxied = make_app(
        database_url, OMNIORDER_ORDER_RATE_LIMIT="2 per minute", OMNIORDER_PROXY_HOPS=1
    ).test_client()
    clients = [
        post_order(
            proxied, tenant, item, address="10.0.0.1", **{"X-Forwarded-For": f"198.51.100.{n // 2}"}
        ).status_code
        for n in range(4)
    ]
    assert clients == [201, 201, 201, 201]  # two clients behind the proxy, two orders each
    assert_refused(
        post_order(proxied, tenant, item, address="10.0.0.1", **{"X-Forwarded-For": "198.51.100.0"})
    )


def test_only_the_order_endpoints_are_limited(limited_app, make_tenant):
    tenant = make_tenant()
    item, client = burger(limited_app, tenant), limited_app.test_client()
    orders = [post_order(client, tenant, item, address="127.0.0.1") for _ in range(LIMIT + 1)]
    assert orders[-1].status_code == 429
    order_id = orders[0].get_json()["id"]
    customer = Customer(client, tenant.domain)
    for _ in range(LIMIT + 1):
        assert client.get("/api/v1/menu", headers={"Host": tenant.domain}).status_code == 200
    assert customer.get("/").status_code == 200
    assert customer.add(item.id).status_code == 303
    assert customer.get(f"/orders/{order_id}").status_code == 200
    assert customer.get("/kitchen").status_code == 302  # to the login page


def test_off_disables_the_limit(database_url, make_tenant):
    tenant = make_tenant()
    app = make_app(database_url, OMNIORDER_ORDER_RATE_LIMIT="off")
    client = app.test_client()
    statuses = {
        post_order(client, tenant, burger(app, tenant)).status_code for _ in range(LIMIT + 10)
    }
    assert statuses == {201}


def test_the_default_is_30_a_minute_in_memory():
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("OMNIORDER_ORDER_RATE_LIMIT", "OMNIORDER_RATELIMIT_STORAGE_URI")
    }
    defaults = subprocess.run(
        [
            sys.executable,
            "-c",
            "from omniorder.config import Config as C; "
            "print(C.OMNIORDER_ORDER_RATE_LIMIT, C.RATELIMIT_STORAGE_URI)",
        ],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert defaults.split() == ["30", "per", "minute", "memory://"]


def test_counting_orders_in_memory_starts_no_thread_per_order(limited_app, make_tenant):
    """limits' memory storage started a Timer thread after nearly every hit (a thread per
    order under a rush); ours sweeps with one thread per process."""
    tenant = make_tenant()
    item, client = burger(limited_app, tenant), limited_app.test_client()
    assert post_order(client, tenant, item).status_code == 201  # the sweeper, if any, starts
    started = []
    threading.settrace(lambda *args: started.append(args))  # called in every new thread
    try:
        for _ in range(20):
            assert post_order(client, tenant, item).status_code == 201
            time.sleep(0.012)  # longer than limits' 10 ms timer
    finally:
        threading.settrace(None)
    assert started == []


def test_a_limit_that_does_not_parse_is_refused_at_start_up(database_url):
    with pytest.raises(RuntimeError, match="OMNIORDER_ORDER_RATE_LIMIT='30 a minute'"):
        make_app(database_url, OMNIORDER_ORDER_RATE_LIMIT="30 a minute")


# Real Redis, real worker processes.


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server on a free loopback port; yields (port, stop)."""
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )

    def stop():
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)

    try:
        if not wait_for_port(port, 10):
            raise RuntimeError("redis-server did not start")
        yield port, stop
    finally:
        stop()


def http_order(port: int, tenant, item) -> int:
    """One order on a fresh connection; its status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/orders",
            body=json.dumps(order_body(item)),
            headers={"Host": tenant.domain, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def server_environment(database_url, storage_uri):
    return {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_BCRYPT_ROUNDS": "4",
        "OMNIORDER_ORDER_RATE_LIMIT": f"{LIMIT} per minute",
        "OMNIORDER_RATELIMIT_STORAGE_URI": storage_uri,
    }


def test_workers_sharing_redis_cannot_exceed_the_limit_together(
    app, make_tenant, database_url, redis_server
):
    tenant = make_tenant()
    item = burger(app, tenant)
    port, _ = redis_server
    environment = server_environment(database_url, f"redis://127.0.0.1:{port}/0")
    with (
        gunicorn("wsgi:app", environment, workers=1) as first,
        gunicorn("wsgi:app", environment, workers=1) as second,
    ):
        statuses = [
            http_order(server, tenant, item)
            for _ in range(LIMIT // 2)
            for server in (first, second)
        ]
        assert statuses == [201] * LIMIT
        assert [http_order(first, tenant, item), http_order(second, tenant, item)] == [429, 429]
    assert order_count(app, tenant) == LIMIT


def test_with_memory_storage_each_worker_counts_alone(app, make_tenant, database_url):
    """The caveat the README documents: memory:// allows the limit once per worker."""
    tenant = make_tenant()
    item = burger(app, tenant)
    environment = server_environment(database_url, "memory://")
    with (
        gunicorn("wsgi:app", environment, workers=1) as first,
        gunicorn("wsgi:app", environment, workers=1) as second,
    ):
        statuses = [
            http_order(server, tenant, item) for _ in range(LIMIT) for server in (first, second)
        ]
        assert statuses == [201] * 2 * LIMIT
        assert [http_order(first, tenant, item), http_order(second, tenant, item)] == [429, 429]


def test_orders_go_on_when_redis_stops_and_each_worker_still_limits(
    app, make_tenant, database_url, redis_server
):
    tenant = make_tenant()
    item = burger(app, tenant)
    port, stop_redis = redis_server
    environment = server_environment(database_url, f"redis://127.0.0.1:{port}/0")
    with gunicorn("wsgi:app", environment, workers=1) as server:
        assert [http_order(server, tenant, item) for _ in range(10)] == [201] * 10
        stop_redis()
        # Counted in the worker's memory from now on: no 500, and still a limit.
        after = [http_order(server, tenant, item) for _ in range(LIMIT + 1)]
        assert after == [201] * LIMIT + [429]
