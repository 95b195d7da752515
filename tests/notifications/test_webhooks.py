"""Restaurant webhooks end to end, on real PostgreSQL with a real HTTP receiver on loopback:
an admin sets the URL and gets a secret, orders are POSTed signed (checked with the README's
recipe), failures are retried with backoff for 24 hours, the back office lists deliveries,
and no URL can point the server at its own network.

The `app` here allows private addresses (OMNIORDER_WEBHOOK_ALLOW_PRIVATE, as a developer's
machine would), because the receiver listens on 127.0.0.1; `strict_app` is production's
default, for the address rules.
"""

import datetime
import hashlib
import hmac
import inspect
import json
import re
import ssl
import time

import pytest
from sqlalchemy import text

from tests.support import REPOSITORY
from tests.support.app import make_app
from tests.support.jobs import run_queue
from tests.support.staff import signed_in
from tests.support.webhooks import Receiver, deliveries, place_order, set_webhook, waiting_jobs


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def app(database_url):
    app = make_app(database_url, OMNIORDER_WEBHOOK_ALLOW_PRIVATE=True)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def strict_app(database_url):
    app = make_app(database_url, OMNIORDER_WEBHOOK_ALLOW_PRIVATE=False)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


# The README's recipe ("Webhooks"), as a receiver would copy it.
def verify(secret: str, headers, body: bytes) -> bool:
    fields = dict(part.split("=", 1) for part in headers["X-OmniOrder-Signature"].split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and time.time() - int(fields["t"]) < 300


def shown_secret(page) -> str:
    return re.search(r'id="webhook-secret">([^<]+)<', page.text).group(1)


def make_retries_due(db_connection, tenant) -> None:
    db_connection.execute(
        text(
            "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE queue_name = 'webhooks' "
            "AND status = 'todo' AND args->>'tenant_id' = :tenant"
        ),
        {"tenant": str(tenant.id)},
    )
    db_connection.commit()


def move_events_back(db_connection, tenant, interval: str) -> None:
    """Each event `interval` earlier (computed by a SELECT, then written as values: Citus
    refuses a STABLE function of a column in an UPDATE's SET)."""
    table = f'"{tenant.schema_name}".notifications'
    moved = db_connection.execute(
        text(f"SELECT id, created_at - CAST(:interval AS interval) FROM {table}"),  # noqa: S608
        {"interval": interval},
    ).all()
    for notification_id, created_at in moved:
        db_connection.execute(
            text(f"UPDATE {table} SET created_at = :at WHERE id = :id"),  # noqa: S608
            {"at": created_at, "id": notification_id},
        )
    db_connection.commit()


def test_orders_are_posted_signed_and_the_signature_verifies_with_the_readme_recipe(
    app, client, tenant, receiver
):
    admin = signed_in(app, tenant, "admin")
    saved = set_webhook(admin, receiver.url)
    assert saved.status_code == 201, saved.text
    secret = shown_secret(saved)
    assert len(secret) >= 40 and saved.headers["Cache-Control"] == "no-store"
    later = admin.get("/admin/webhooks")
    assert secret not in later.text and receiver.url.replace("&", "&amp;") in later.text

    order = place_order(client, tenant)
    run_queue(app, "webhooks")
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/orders?source=omniorder"
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b'"quantity":2', b'"quantity":9'))
    assert not verify("an old secret", headers, body)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "OmniOrder-Webhooks/1"
    assert headers["X-OmniOrder-Event"] == "order.created"
    assert abs(int(headers["X-OmniOrder-Timestamp"]) - time.time()) < 60
    assert headers["X-OmniOrder-Signature"].startswith(f"t={headers['X-OmniOrder-Timestamp']},v1=")
    sent = json.loads(body)
    assert sent["id"] == headers["X-OmniOrder-Delivery"]
    assert sent["event"] == "order.created"
    assert sent["restaurant"] == {"domain": tenant.domain, "name": tenant.name}
    api = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain})
    assert sent["order"] == api.get_json() == order
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d", sent["created_at"])

    cancelled = admin.post(f"/kitchen/orders/{order['id']}/cancel", {"reason": "Out of <dough>"})
    assert cancelled.status_code in (200, 303), cancelled.text
    run_queue(app, "webhooks")
    assert [body["event"] for body in receiver.bodies()] == ["order.created", "order.cancelled"]
    second = receiver.requests[1]
    assert verify(secret, second["headers"], second["body"])
    assert second["headers"]["X-OmniOrder-Event"] == "order.cancelled"
    assert receiver.bodies()[1]["order"]["status"] == "CANCELLED"
    assert receiver.bodies()[1]["order"]["cancel_reason"] == "Out of <dough>"
    assert len({request["headers"]["X-OmniOrder-Delivery"] for request in receiver.requests}) == 2


def test_a_failing_receiver_gets_retries_with_backoff_and_one_delivery_succeeds(
    app, client, tenant, receiver, db_connection
):
    admin = signed_in(app, tenant, "admin")
    secret = shown_secret(set_webhook(admin, receiver.url))
    receiver.answers = [500, 500]
    order = place_order(client, tenant)

    run_queue(app, "webhooks")
    [delivery] = deliveries(db_connection, tenant)
    assert (delivery["status"], delivery["attempts"], delivery["response_status"]) == (
        "pending",
        1,
        500,
    )
    assert delivery["last_error"] == "answered HTTP 500"
    [wait] = waiting_jobs(db_connection, tenant)
    assert 20 < wait <= 30  # 30 s after the first failure
    page = admin.get("/admin/webhooks").text
    assert "pending" in page and '<td class="http-status">500</td>' in page

    make_retries_due(db_connection, tenant)
    run_queue(app, "webhooks")
    [wait] = waiting_jobs(db_connection, tenant)
    assert 50 < wait <= 60  # then twice as long
    make_retries_due(db_connection, tenant)
    run_queue(app, "webhooks")

    assert waiting_jobs(db_connection, tenant) == []
    assert deliveries(db_connection, tenant) == [
        {
            "event": "order.created",
            "order_id": order["id"],
            "status": "sent",
            "attempts": 3,
            "response_status": 200,
            "last_error": None,
        }
    ]
    assert len(receiver.requests) == 3
    assert len({request["headers"]["X-OmniOrder-Delivery"] for request in receiver.requests}) == 1
    assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)
    page = admin.get("/admin/webhooks").text
    assert '<td class="status">sent</td>' in page and '<td class="http-status">200</td>' in page


def test_after_24_hours_of_failures_the_delivery_fails_and_is_not_retried(
    app, client, tenant, receiver, db_connection
):
    admin = signed_in(app, tenant, "admin")
    set_webhook(admin, receiver.url)
    receiver.answers = [503] * 10
    place_order(client, tenant)
    run_queue(app, "webhooks")

    # 10 seconds before the deadline: the next try is at the deadline, not a minute later
    move_events_back(db_connection, tenant, "23 hours 59 minutes 50 seconds")
    make_retries_due(db_connection, tenant)
    run_queue(app, "webhooks")
    [wait] = waiting_jobs(db_connection, tenant)
    assert 0 < wait <= 10
    assert deliveries(db_connection, tenant)[0]["status"] == "pending"

    move_events_back(db_connection, tenant, "1 minute")
    make_retries_due(db_connection, tenant)
    run_queue(app, "webhooks")
    [delivery] = deliveries(db_connection, tenant)
    assert (delivery["status"], delivery["attempts"], delivery["response_status"]) == (
        "failed",
        3,
        503,
    )
    assert delivery["last_error"] == "answered HTTP 503"
    assert waiting_jobs(db_connection, tenant) == []
    run_queue(app, "webhooks")
    assert len(receiver.requests) == 3
    page = admin.get("/admin/webhooks").text
    assert '<td class="status">failed</td>' in page and '<td class="http-status">503</td>' in page


def test_a_redirect_is_a_failure_and_is_not_followed(app, client, tenant, receiver, db_connection):
    admin = signed_in(app, tenant, "admin")
    set_webhook(admin, receiver.url)
    receiver.answers = [302]
    place_order(client, tenant)
    run_queue(app, "webhooks")
    [delivery] = deliveries(db_connection, tenant)
    assert (delivery["status"], delivery["response_status"]) == ("pending", 302)
    assert "redirect" in delivery["last_error"]
    assert len(receiver.requests) == 1


def test_the_deliveries_list_escapes_what_it_shows(app, client, tenant, receiver, db_connection):
    admin = signed_in(app, tenant, "admin")
    set_webhook(admin, receiver.url)
    order = place_order(client, tenant)
    run_queue(app, "webhooks")
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".notifications '
            "SET last_error = '<script>alert(1)</script>', event = '<b>order.created</b>'"
        )
    )
    db_connection.commit()
    page = admin.get("/admin/webhooks")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "<b>order" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert f"<td>{order['number']}</td>" in page.text


def test_a_loopback_url_is_refused_unless_private_addresses_are_allowed(
    app, strict_app, tenant, receiver
):
    strict_admin = signed_in(strict_app, tenant, "admin")
    refused = set_webhook(strict_admin, receiver.url)
    assert refused.status_code == 400
    assert "127.0.0.1, a loopback address" in refused.text
    assert "use a public https:// address" in refused.text  # what the admin can do
    assert "OMNIORDER_" not in refused.text and "README" not in refused.text
    assert "No deliveries yet" in refused.text and "Regenerate secret" not in refused.text
    by_name = set_webhook(strict_admin, f"http://localhost:{receiver.port}/")
    assert by_name.status_code == 400 and "localhost resolves to" in by_name.text
    public = set_webhook(strict_admin, "https://8.8.8.8/omniorder")
    assert public.status_code == 201, public.text

    admin = signed_in(app, tenant, "admin")
    changed = set_webhook(admin, receiver.url)
    assert changed.status_code == 200 and "signing secret is unchanged" in changed.text
    assert 'id="webhook-secret"' not in changed.text


HOSTILE_URLS = [
    ("", "is required"),
    ("javascript:alert(1)", "must start with https:// or http://"),
    ("file:///etc/passwd", "must start with https:// or http://"),
    ("ftp://example.com/orders", "must start with https:// or http://"),
    ("http:example.com", "must start with https:// or http://"),
    ("https://user:password@example.com/", "user name or password"),
    ("https://@example.com/", "user name or password"),
    ("https://example.com/" + "a" * 2000, "at most 2000 characters"),
    ("https://example.com/\x00", "control characters"),
    ("https://exa\tmple.com/", "control characters"),
    ("https://example.com/\r\nX-Injected: 1", "control characters"),
    ("https://example.com\\@evil.test/", "backslashes"),
    ("https://ex ample.com/", "spaces"),
    ("https://exämple.com/", "non-ASCII"),
    ("http://[fe80::1]/", "link-local address"),
    ("http://[fe80::1%25eth0]/", "invalid IPv6 address"),
    ("http://[::1/", "invalid IPv6 address"),
    ("http://[2001:db8::1]junk/", "invalid IPv6 address"),
    ("http://[v1.example]/", "invalid IPv6 address"),
    ("http://example.com:port/", "invalid port"),
    ("http://169.254.169.254/latest/meta-data/", "link-local address"),
    ("http://10.1.2.3/", "private address"),
    ("http://192.168.0.10:8080/", "private address"),
    ("http://100.64.0.1/", "non-public address"),
    ("http://127.0.0.1:5000/", "loopback address"),
    ("http://[::1]/", "loopback address"),
    ("http://[::ffff:127.0.0.1]/", "loopback address"),
    ("http://[::ffff:a9fe:a9fe]/", "link-local address"),
    ("http://[fd00::1]/", "private address"),
    ("http://0.0.0.0/", "unspecified address"),
    ("http://[::]/", "unspecified address"),
    ("http://224.0.0.1/", "multicast address"),
    ("http://240.0.0.1/", "reserved address"),
    ("http://2130706433/", "IP address written in full"),
    ("http://0x7f.1/", "IP address written in full"),
    ("http://127.1/", "IP address written in full"),
    ("http://0177.0.0.1/", "IP address written in full"),
    ("http://example.com:99999/", "invalid port"),
    ("http:///orders", "must name a host"),
    ("https://hooks.example.com/#top", "#fragment"),
    ("https://under_score.example.com/", "must name a host"),
]


@pytest.mark.parametrize(("url", "message"), HOSTILE_URLS)
def test_a_hostile_url_is_a_400_and_nothing_is_saved(strict_app, tenant, url, message):
    admin = signed_in(strict_app, tenant, "admin")
    response = set_webhook(admin, url)
    assert response.status_code == 400, response.text
    assert message in response.text
    assert "Regenerate secret" not in response.text  # no endpoint was saved


def test_a_host_that_resolves_to_a_private_address_at_send_time_is_never_contacted(
    app, strict_app, client, tenant, receiver, db_connection
):
    admin = signed_in(app, tenant, "admin")
    assert set_webhook(admin, f"http://localhost:{receiver.port}/hook").status_code == 201
    place_order(client, tenant)
    run_queue(strict_app, "webhooks")  # a worker with production's rule
    [delivery] = deliveries(db_connection, tenant)
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    assert delivery["last_error"].startswith("not sent: localhost resolves to")
    assert "loopback address" in delivery["last_error"]
    assert receiver.requests == []
    assert waiting_jobs(db_connection, tenant) == []


def test_a_regenerated_secret_signs_the_next_deliveries(app, client, tenant, receiver):
    admin = signed_in(app, tenant, "admin")
    first = shown_secret(set_webhook(admin, receiver.url))
    regenerated = admin.post("/admin/webhooks/secret")
    assert regenerated.status_code == 200
    second = shown_secret(regenerated)
    assert second != first and second not in admin.get("/admin/webhooks").text
    place_order(client, tenant)
    run_queue(app, "webhooks")
    [request] = receiver.requests
    assert verify(second, request["headers"], request["body"])
    assert not verify(first, request["headers"], request["body"])


def test_a_removed_endpoint_gets_no_more_posts(app, client, tenant, receiver, db_connection):
    admin = signed_in(app, tenant, "admin")
    set_webhook(admin, receiver.url)
    receiver.answers = [500]
    place_order(client, tenant)
    run_queue(app, "webhooks")
    removed = admin.post("/admin/webhooks/delete")
    assert removed.status_code == 303
    assert "Regenerate secret" not in admin.get("/admin/webhooks").text
    make_retries_due(db_connection, tenant)
    run_queue(app, "webhooks")
    [delivery] = deliveries(db_connection, tenant)
    assert delivery["status"] == "failed" and delivery["attempts"] == 2
    assert delivery["last_error"].startswith("endpoint removed")
    assert len(receiver.requests) == 1
    place_order(client, tenant, "Grace")  # no endpoint: no delivery at all
    assert len(deliveries(db_connection, tenant)) == 1
    assert admin.post("/admin/webhooks/delete").status_code == 404


@pytest.mark.parametrize("role", ["kitchen", "manager"])
def test_only_admins_see_or_change_the_webhook(app, tenant, receiver, role):
    staff = signed_in(app, tenant, role)
    assert staff.get("/admin/webhooks").status_code == 403
    assert set_webhook(staff, receiver.url).status_code == 403
    assert staff.post("/admin/webhooks/secret").status_code == 403
    assert staff.post("/admin/webhooks/delete").status_code == 403
    assert "Webhooks" not in staff.get("/kitchen").text


def test_signed_out_visitors_are_sent_to_the_login_page(app, client, tenant):
    response = client.get("/admin/webhooks", headers={"Host": tenant.domain})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_changing_the_webhook_needs_the_csrf_token(app, tenant, receiver):
    admin = signed_in(app, tenant, "admin")
    assert admin.post("/admin/webhooks", {"url": receiver.url}, csrf=False).status_code == 400
    page = admin.get("/admin/webhooks")
    assert "Regenerate secret" not in page.text and 'href="/admin/webhooks"' in page.text
    set_webhook(admin, receiver.url)
    assert admin.post("/admin/webhooks/secret", csrf=False).status_code == 400
    assert admin.post("/admin/webhooks/delete", csrf=False).status_code == 400
    assert "Regenerate secret" in admin.get("/admin/webhooks").text


def certificate_for(folder, host: str) -> str:
    """A self-signed certificate for `host` (its own authority): the PEM file's path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{host}.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return str(path)


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on 127.0.0.1 whose certificate names "localhost"; `.names` collects
    the host names clients ask for (SNI); `.certificate` is its PEM file."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate = certificate_for(tmp_path, "localhost")
    context.load_cert_chain(certificate)
    names = []
    context.sni_callback = lambda connection, name, context: names.append(name)
    running = Receiver(tls=context)
    running.names, running.certificate = names, certificate
    yield running
    running.stop()


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(
    app, client, tenant, tls_receiver, db_connection, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", tls_receiver.certificate)  # trust its authority
    admin = signed_in(app, tenant, "admin")
    secret = shown_secret(set_webhook(admin, f"https://localhost:{tls_receiver.port}/hook"))
    place_order(client, tenant)
    run_queue(app, "webhooks")
    [request] = tls_receiver.requests
    assert verify(secret, request["headers"], request["body"])
    assert request["headers"]["Host"] == f"localhost:{tls_receiver.port}"
    assert "localhost" in tls_receiver.names  # SNI names the host, not the address
    assert deliveries(db_connection, tenant)[0]["status"] == "sent"


def test_an_untrusted_or_mismatched_certificate_is_a_failure(
    app, client, tenant, tls_receiver, db_connection, monkeypatch
):
    admin = signed_in(app, tenant, "admin")
    set_webhook(admin, f"https://localhost:{tls_receiver.port}/hook")
    place_order(client, tenant)
    run_queue(app, "webhooks")  # the certificate's authority is not trusted
    monkeypatch.setenv("SSL_CERT_FILE", tls_receiver.certificate)
    set_webhook(admin, f"https://127.0.0.1:{tls_receiver.port}/hook")
    place_order(client, tenant, "Grace")
    run_queue(app, "webhooks")  # trusted, but it names localhost, not 127.0.0.1
    untrusted, mismatched = deliveries(db_connection, tenant)
    assert untrusted["status"] == mismatched["status"] == "pending"
    assert "certificate verify failed" in untrusted["last_error"]
    assert "certificate verify failed" in mismatched["last_error"]
    assert "127.0.0.1" in mismatched["last_error"]
    assert tls_receiver.requests == []


def test_the_readme_recipe_is_the_one_these_tests_verify_with():
    readme = (REPOSITORY / "README.md").read_text()
    recipe = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", readme, re.S).group(1)
    lines = [line for line in recipe.splitlines() if line.strip()]  # ruff puts blank lines in
    assert lines[1:] == inspect.getsource(verify).splitlines()
    assert len(lines) == 6


def test_a_ready_order_is_posted_once_even_when_recalled_and_done_again(
    app, client, tenant, receiver
):
    admin = signed_in(app, tenant, "admin")
    cook = signed_in(app, tenant, "kitchen")
    secret = shown_secret(set_webhook(admin, receiver.url))
    order = place_order(client, tenant)
    for step in ("PENDING", "COOKING"):
        moved = cook.post(f"/kitchen/orders/{order['id']}/advance", {"from": step})
        assert moved.status_code in (200, 303), moved.text
    recalled = cook.post(f"/kitchen/orders/{order['id']}/recall", {"from": "DONE"})
    assert recalled.status_code in (200, 303), recalled.text
    cook.post(f"/kitchen/orders/{order['id']}/advance", {"from": "COOKING"})
    run_queue(app, "webhooks")
    assert [body["event"] for body in receiver.bodies()] == ["order.created", "order.ready"]
    ready = receiver.requests[1]
    assert verify(secret, ready["headers"], ready["body"])
    assert receiver.bodies()[1]["order"]["status"] == "DONE"
