"""Headers, cookies and request limits that every response and request gets."""

import re

import pytest

from tests.support.staff import Staff, add_staff


@pytest.mark.parametrize(
    "path", ["/", "/api/v1/menu", "/nope", "/static/app.css", "/login", "/healthz"]
)
def test_every_response_carries_the_security_headers(client, tenant, path):
    response = client.get(path, headers={"Host": tenant.domain})
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_theme_style_carries_this_responses_nonce(client, tenant):
    response = client.get("/", headers={"Host": tenant.domain})
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">:root{{' in response.text
    other = client.get("/", headers={"Host": tenant.domain}).headers["Content-Security-Policy"]
    assert nonce not in other  # a fresh nonce every response
    assert "<script>" not in response.text and 'style="' not in response.text


def test_session_cookie_is_httponly_and_samesite_lax(app, tenant):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    response = Staff(app.test_client(), tenant.domain).login("cook@x.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_oversized_body_is_413_and_deep_json_is_400(client, tenant):
    big = client.post(
        "/api/v1/orders",
        data=b"x" * (300 * 1024),
        content_type="application/json",
        headers={"Host": tenant.domain},
    )
    assert big.status_code == 413
    deep = client.post(
        "/api/v1/orders",
        data=b"[" * 50_000 + b"]" * 50_000,
        content_type="application/json",
        headers={"Host": tenant.domain},
    )
    assert deep.status_code == 400


def test_production_refuses_development_secrets(database_url):
    from omniorder import create_app

    production = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": False, "OMNIORDER_DEV": False}
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app({**production, "SECRET_KEY": "dev-only-not-secret"})
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        create_app({**production, "SECRET_KEY": "s" * 40, "OMNIORDER_SYS_TOKEN": "short"})
    assert create_app({**production, "SECRET_KEY": "s" * 40, "OMNIORDER_SYS_TOKEN": None})
    assert create_app({**production, "OMNIORDER_DEV": True, "SECRET_KEY": "dev-only-not-secret"})


def test_production_refuses_a_secret_key_shorter_than_32_bytes(database_url):
    from omniorder import create_app

    production = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": False,
        "OMNIORDER_DEV": False,
        "OMNIORDER_SYS_TOKEN": None,
    }
    for short in ("s" * 31, "correct horse battery staple", b"\x00" * 31):
        with pytest.raises(RuntimeError, match="at least 32 random bytes"):
            create_app({**production, "SECRET_KEY": short})
    assert create_app({**production, "SECRET_KEY": "s" * 32})
    assert create_app({**production, "SECRET_KEY": "é" * 16})  # 32 bytes in UTF-8
    # Debug, test and OMNIORDER_DEV=1 runs may keep short development secrets.
    assert create_app({**production, "OMNIORDER_DEV": True, "SECRET_KEY": "short"})
    assert create_app({**production, "TESTING": True, "SECRET_KEY": "short"})


def test_the_generated_secret_key_is_long_enough(tmp_path):
    """scripts/run's key (scripts/_secret.sh) passes the production check."""
    import subprocess

    from omniorder.config import MIN_SECRET_KEY_BYTES, refuse_unsafe_secrets
    from tests.support.app import REPOSITORY

    key = subprocess.run(
        ["bash", "-c", f'source {REPOSITORY / "scripts/_secret.sh"} && printf %s "$SECRET_KEY"'],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(key.encode()) >= MIN_SECRET_KEY_BYTES
    refuse_unsafe_secrets({"SECRET_KEY": key}, debug=False)


def test_forwarded_host_is_trusted_only_behind_a_configured_proxy(database_url, tenant):
    from tests.support.app import make_app

    forwarded = {
        "Host": "proxy.internal",
        "X-Forwarded-Host": tenant.domain,
        "X-Forwarded-Proto": "https",
    }
    direct = make_app(database_url).test_client()
    assert direct.get("/api/v1/menu", headers=forwarded).status_code == 404
    proxied = make_app(database_url, OMNIORDER_PROXY_HOPS=1).test_client()
    assert proxied.get("/api/v1/menu", headers=forwarded).status_code == 200
