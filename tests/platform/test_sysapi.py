"""POST /api/v1/sys/provision: the platform operator's API."""

import pytest
from sqlalchemy import text

from tests.support.app import SYS_TOKEN, make_app, schema_exists

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


@pytest.fixture(autouse=True)
def _forget_failed_attempts():
    """Each test starts with no failed token attempts counted against its address."""
    from omniorder.blueprints import sysapi

    sysapi._failures.clear()
    yield
    sysapi._failures.clear()


def provision(client, body, headers=AUTH):
    return client.post("/api/v1/sys/provision", json=body, headers=headers)


@pytest.fixture
def cleanup(app):
    domains = []
    yield domains
    from omniorder.core.unit_of_work import unit_of_work
    from omniorder.platform.tenants import drop_tenant

    with app.app_context(), unit_of_work():
        for domain in domains:
            drop_tenant(domain)


def test_provision_returns_201_and_the_tenant_serves_its_menu(client, cleanup, db_connection):
    response = provision(
        client,
        {
            "name": "Pizza Hut",
            "domain": "api-pizza.localhost",
            "admin_email": "boss@api-pizza.localhost",
            "theme_config": {"preset": "dark"},
        },
    )
    cleanup.append("api-pizza.localhost")
    assert response.status_code == 201, response.data
    body = response.get_json()
    assert body["schema_name"] == "tenant_pizzahut"
    assert {body["name"], body["domain"], body["admin_email"]} == {
        "Pizza Hut",
        "api-pizza.localhost",
        "boss@api-pizza.localhost",
    }
    assert len(body["admin_password"]) >= 12 and body["id"]
    assert schema_exists(db_connection, "tenant_pizzahut")
    menu = client.get("/api/v1/menu", headers={"Host": "api-pizza.localhost"})
    assert menu.status_code == 200 and len(menu.get_json()["items"]) == 10


def test_given_password_is_not_echoed(client, cleanup):
    response = provision(
        client,
        {
            "name": "Quiet",
            "domain": "quiet.localhost",
            "admin_email": "a@quiet.localhost",
            "admin_password": "a long passphrase",
        },
    )
    cleanup.append("quiet.localhost")
    assert response.status_code == 201 and "admin_password" not in response.get_json()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {SYS_TOKEN}"},
        {"Authorization": f"Bearer {SYS_TOKEN}x"},
        {"Authorization": "Bearer "},
    ],
)
def test_missing_or_wrong_token_is_401(client, db_connection, headers):
    response = provision(
        client,
        {"name": "X", "domain": "x.localhost", "admin_email": "a@x.localhost"},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (
        db_connection.scalar(
            text("SELECT count(*) FROM public.tenants WHERE domain = 'x.localhost'")
        )
        == 0
    )


def test_api_is_disabled_without_a_configured_token(database_url):
    app = make_app(database_url, OMNIORDER_SYS_TOKEN=None)
    response = provision(app.test_client(), {"name": "X"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"name", "domain", "admin_email"}),
        ({"name": "X", "domain": "x:80", "admin_email": "a@x.localhost"}, {"domain"}),
        (
            {
                "name": "X",
                "domain": "x.localhost",
                "admin_email": "a@x.localhost",
                "schema_name": "tenant_x; DROP SCHEMA public",
            },
            {"schema_name"},
        ),
        ({"name": 5, "domain": ["x"], "admin_email": None}, {"name", "domain", "admin_email"}),
        (
            {
                "name": "X",
                "domain": "x.localhost",
                "admin_email": "a@x.localhost",
                "theme_config": {"primary_color": "red</style><script>"},
            },
            {"theme_config.primary_color"},
        ),
        (
            {"name": "X", "domain": "x.localhost", "admin_email": "a@x.localhost", "extra": 1},
            {"extra"},
        ),
    ],
)
def test_invalid_input_is_400_with_field_messages(client, body, fields):
    response = provision(client, body)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == fields


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b""])
def test_malformed_body_is_400(client, raw):
    response = client.post(
        "/api/v1/sys/provision", data=raw, headers=AUTH, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"body": "must be a JSON object"}


def test_taken_domain_or_schema_is_409(client, make_tenant):
    tenant = make_tenant()
    response = provision(
        client, {"name": "Copy", "domain": tenant.domain, "admin_email": "a@copy.localhost"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"] == f"domain {tenant.domain} is already taken"
    response = provision(
        client,
        {
            "name": "Copy",
            "domain": "copy.localhost",
            "schema_name": tenant.schema_name,
            "admin_email": "a@copy.localhost",
        },
    )
    assert response.status_code == 409


def test_healthz_needs_no_tenant(client):
    response = client.get("/healthz", headers={"Host": "anything.invalid"})
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up"}


def test_repeated_wrong_tokens_from_one_address_are_refused_for_a_while(client):
    address = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [
        client.post(
            "/api/v1/sys/provision",
            json={},
            environ_base=address,
            headers={"Authorization": "Bearer guess"},
        ).status_code
        for _ in range(12)
    ]
    assert statuses == [401] * 10 + [429] * 2
    blocked = client.post(
        "/api/v1/sys/provision",
        json={},
        environ_base=address,
        headers={"Authorization": "Bearer guess"},
    )
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "60"
    other = client.post(
        "/api/v1/sys/provision",
        json={},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
        headers={"Authorization": "Bearer guess"},
    )
    assert other.status_code == 401  # another address is not affected


def test_wrong_tokens_from_one_ipv6_subscriber_count_together(client):
    """Each of 12 guesses from another address of one /64 (before: every address had its own
    10 a minute, and an IPv6 subscriber holds 2**64 of them)."""
    statuses = [
        client.get(
            "/api/v1/sys/analytics",
            environ_base={"REMOTE_ADDR": f"2001:db8:5:5:{n:x}::{n:x}"},
            headers={"Authorization": "Bearer guess"},
        ).status_code
        for n in range(1, 13)
    ]
    assert statuses == [401] * 10 + [429] * 2
    neighbour = client.get(
        "/api/v1/sys/analytics",
        environ_base={"REMOTE_ADDR": "2001:db8:5:6::1"},
        headers={"Authorization": "Bearer guess"},
    )
    assert neighbour.status_code == 401  # the next /64 is another subscriber


def test_a_valid_token_is_never_refused_for_other_callers_failures(client):
    """20 wrong tokens from the operator's own address (all callers share one address
    behind a proxy without OMNIORDER_PROXY_HOPS), then the right token: it works (before:
    429 for a minute)."""
    shared = {"REMOTE_ADDR": "10.0.0.1"}
    statuses = [
        client.get(
            "/api/v1/sys/analytics",
            environ_base=shared,
            headers={"Authorization": f"Bearer guess {n}"},
        ).status_code
        for n in range(20)
    ]
    assert statuses == [401] * 10 + [429] * 10
    assert client.get("/api/v1/sys/analytics", environ_base=shared, headers=AUTH).status_code == 200
    assert (
        client.post("/api/v1/sys/provision", json={}, environ_base=shared, headers=AUTH).status_code
        == 400
    )  # past the token, to the body check


def test_behind_a_proxy_wrong_tokens_are_counted_per_forwarded_address(database_url):
    """With OMNIORDER_PROXY_HOPS=1 the address is the client's (X-Forwarded-For), not the
    proxy's: one guesser does not use up the budget of everyone behind the same proxy."""
    client = make_app(database_url, OMNIORDER_PROXY_HOPS=1).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def guess(client_address):
        return client.get(
            "/api/v1/sys/analytics",
            environ_base=proxy,
            headers={"Authorization": "Bearer guess", "X-Forwarded-For": client_address},
        ).status_code

    assert [guess("203.0.113.20") for _ in range(11)] == [401] * 10 + [429]
    assert guess("198.51.100.20") == 401


def test_analytics_with_a_nul_byte_in_the_domain_is_400_not_500(client):
    response = client.get("/api/v1/sys/analytics?domain=J%00x", headers=AUTH)
    assert response.status_code == 400 and "domain" in response.get_json()["fields"]


def test_a_nul_byte_in_a_login_email_is_refused_not_a_500(app, make_tenant):
    from tests.support.staff import Staff

    tenant = make_tenant()
    response = Staff(app.test_client(), tenant.domain).login("a\x00@b.example", "x" * 10)
    assert response.status_code in (400, 401)


def test_analytics_takes_only_what_the_document_states(client):
    """YYYY-MM-DD only, as the OpenAPI document says (before: "20261125" and "2026-W48-3" were
    read by fromisoformat, an empty `from` or `domain` meant none)."""
    for query in ("from=20261125", "to=2026-W48-3", "from=", "domain="):
        response = client.get(f"/api/v1/sys/analytics?{query}", headers=AUTH)
        assert response.status_code == 400, query
    assert client.get("/api/v1/sys/analytics?from=2026-11-25", headers=AUTH).status_code == 200
