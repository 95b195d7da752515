"""An operator suspends a restaurant and resumes it (omniorder/platform/suspension.py): its
customers meet a themed 503 with Retry-After everywhere, the warm menu answered before Flask
included, no order goes through, its staff still sign in and see why, nothing is deleted."""

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.processes import gunicorn
from omniorder.cache.changes import change_feed, stop_change_feed
from omniorder.core.database import db
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN, make_app
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu, order_count

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
REASON = "Unpaid invoice 2026-11"


def suspend(runner, domain, reason=REASON):
    return runner.invoke(args=["tenants", "suspend", domain, "--reason", reason])


def resume(runner, domain):
    return runner.invoke(args=["tenants", "resume", domain])


def test_suspend_and_resume_from_the_command_line(runner, tenant):
    first = suspend(runner, tenant.domain)
    assert first.exit_code == 0, first.output
    assert first.output == f"suspended {tenant.domain}: {REASON}\n"
    again = suspend(runner, tenant.domain, "Card declined")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"{tenant.domain} was already suspended (since 20")
    assert again.output.endswith(": Card declined\n")

    resumed = resume(runner, tenant.domain)
    assert (resumed.exit_code, resumed.output) == (0, f"resumed {tenant.domain}\n")
    twice = resume(runner, tenant.domain)
    assert (twice.exit_code, twice.output) == (0, f"{tenant.domain} was not suspended\n")


def test_an_unknown_domain_or_no_reason_is_one_line_and_an_exit_code(runner):
    unknown = suspend(runner, "nobody.test.localhost")
    assert unknown.exit_code == 1
    assert unknown.output == "Error: no tenant with domain nobody.test.localhost\n"
    assert resume(runner, "nobody.test.localhost").exit_code == 1
    blank = suspend(runner, "nobody.test.localhost", "   ")
    assert blank.exit_code == 2 and "reason" in blank.output.splitlines()[-1]


def test_customers_get_a_themed_503_and_no_order_goes_through(app, client, runner, tenant):
    customer = Customer(client, tenant.domain)
    item = next(iter(menu(app, tenant).values()))
    token = customer.csrf_token()
    assert customer.add(item.id).status_code in (200, 303)
    key = customer.checkout_key()
    assert suspend(runner, tenant.domain).exit_code == 0

    page = customer.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "3600"
    assert "Temporarily unavailable" in page.text
    assert f"{tenant.name} is temporarily unavailable" in page.text
    assert REASON not in page.text  # the reason is for the staff
    assert customer.get(f"/items/{item.id}").status_code == 503

    checkout = customer.post(
        "/checkout", {"csrf_token": token, "idempotency_key": key, "customer_name": "Ann"}
    )
    assert checkout.status_code == 503 and checkout.headers["Retry-After"] == "3600"

    api = {"Host": tenant.domain}
    listed = client.get("/api/v1/menu", headers=api)
    assert listed.status_code == 503 and listed.headers["Retry-After"] == "3600"
    assert "temporarily unavailable" in listed.get_json()["error"]
    ordered = client.post(
        "/api/v1/orders",
        headers=api,
        json={"customer_name": "Ann", "items": [{"menu_item_id": str(item.id), "quantity": 1}]},
    )
    assert ordered.status_code == 503 and "temporarily unavailable" in ordered.get_json()["error"]
    assert order_count(app, tenant) == 0

    assert resume(runner, tenant.domain).exit_code == 0
    assert customer.get("/").status_code == 200  # the menu and the cart were kept
    done = customer.checkout("Ann", key=key)
    assert done.status_code in (200, 303), done.text
    assert order_count(app, tenant) == 1


def test_staff_sign_in_and_see_the_banner(app, runner, tenant):
    assert suspend(runner, tenant.domain).exit_code == 0
    admin = signed_in(app, tenant, "admin")  # the login itself works
    for path in ("/admin/menu", "/kitchen", "/admin/settings"):
        page = admin.get(path)
        assert page.status_code == 200, path
        assert "This restaurant is suspended." in page.text and REASON in page.text, path
    assert resume(runner, tenant.domain).exit_code == 0
    assert "This restaurant is suspended." not in admin.get("/admin/menu").text


def test_the_system_api_suspends_and_resumes(client, tenant):
    url = f"/api/v1/sys/tenants/{tenant.domain}/suspension"
    first = client.put(url, json={"reason": REASON}, headers=AUTH)
    assert first.status_code == 200, first.text
    body = first.get_json()
    assert body["domain"] == tenant.domain and body["suspended"] is True
    assert body["reason"] == REASON and body["suspended_at"]
    again = client.put(url, json={"reason": "Card declined"}, headers=AUTH).get_json()
    assert again["suspended_at"] == body["suspended_at"] and again["reason"] == "Card declined"
    assert client.get("/", headers={"Host": tenant.domain}).status_code == 503

    assert client.put(url, json={"reason": ""}, headers=AUTH).status_code == 400
    assert client.put(url, json={"reason": "x", "why": 1}, headers=AUTH).status_code == 400
    unknown = client.put(
        "/api/v1/sys/tenants/nobody.test.localhost/suspension", json={"reason": "x"}, headers=AUTH
    )
    assert unknown.status_code == 404

    resumed = client.delete(url, headers=AUTH)
    assert resumed.status_code == 200
    assert resumed.get_json() == {
        "domain": tenant.domain,
        "suspended": False,
        "suspended_at": None,
        "reason": None,
    }
    assert client.get("/", headers={"Host": tenant.domain}).status_code == 200


def wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def pushed_app(database_url):
    """An app whose change feed listens, so a warm menu is answered before Flask."""
    app = make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True)
    wait_until(lambda: change_feed(app).healthy)
    yield app
    stop_change_feed(app)
    with app.app_context():
        db.engine.dispose()


def test_the_warm_menu_answered_before_flask_is_not_served_while_suspended(pushed_app, make_tenant):
    app = pushed_app
    tenant = make_tenant()
    client, runner = app.test_client(), app.test_cli_runner()
    through_flask = []
    app.before_request(lambda: through_flask.append(1))

    def menu_of():
        return client.get("/api/v1/menu", headers={"Host": tenant.domain})

    def held() -> bool:
        """The menu answered 200 before Flask (this worker holds it)."""
        through_flask.clear()
        return menu_of().status_code == 200 and not through_flask

    assert menu_of().status_code == 200
    wait_until(held)

    assert suspend(runner, tenant.domain).exit_code == 0
    with app.app_context():
        wait_until(lambda: tenant_registry().lookup(tenant.domain).suspended)
    refused = menu_of()
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "3600"

    assert resume(runner, tenant.domain).exit_code == 0
    with app.app_context():
        wait_until(lambda: not tenant_registry().lookup(tenant.domain).suspended)
    assert menu_of().status_code == 200


def statuses(port: int, host: str, count: int = 20) -> set[int]:
    """`count` menu requests at once, each on its own connection (the workers share them)."""

    def one(_):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/api/v1/menu", headers={"Host": host})
            return connection.getresponse().status
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return set(pool.map(one, range(count)))


@pytest.mark.parametrize("push", [True, False], ids=["change feed", "registry interval"])
def test_every_worker_of_a_real_gunicorn_hears_of_it(database_url, make_tenant, runner, push):
    """Two workers: after `suspend` both answer 503 (the change feed: at once; without it:
    within the registry's check interval), after `resume` both answer 200 again."""
    tenant = make_tenant()
    environment = {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_BCRYPT_ROUNDS": "4",
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        "OMNIORDER_PUSH_INVALIDATION": "1" if push else "0",
        # With the feed the registry is never checked periodically; without it, every 0.2 s.
        "OMNIORDER_REGISTRY_CHECK_INTERVAL": "30" if push else "0.2",
    }
    with gunicorn("wsgi:app", environment, workers=2) as port:
        wait_until(lambda: statuses(port, tenant.domain) == {200})
        for _ in range(5):  # warm: each worker holds the menu (answered before Flask)
            assert statuses(port, tenant.domain) == {200}
        assert suspend(runner, tenant.domain).exit_code == 0
        wait_until(lambda: statuses(port, tenant.domain) == {503}, seconds=5.0)
        assert statuses(port, tenant.domain, 40) == {503}  # and it stays so on every worker
        assert resume(runner, tenant.domain).exit_code == 0
        wait_until(lambda: statuses(port, tenant.domain) == {200}, seconds=5.0)
        assert statuses(port, tenant.domain, 40) == {200}
