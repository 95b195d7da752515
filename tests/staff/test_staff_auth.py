"""Staff logins: per tenant, throttled, CSRF-protected, and every route guarded by role."""

import re
import threading
import uuid

import bcrypt
import pytest
from sqlalchemy import text

from omniorder.core.database import db
from omniorder.staff.links import RESET, make_token
from omniorder.staff.models import User
from tests.support.app import make_app
from tests.support.choices import bound
from tests.support.staff import PASSWORD, Staff, add_staff, signed_in
from tests.support.storefront import menu


def test_login_lands_each_role_on_its_home(app, tenant):
    for role, home in (("kitchen", "/kitchen"), ("manager", "/admin"), ("admin", "/admin")):
        add_staff(app, tenant, f"{role}@x.example", role)
        response = Staff(app.test_client(), tenant.domain).login(f"{role}@x.example")
        assert response.status_code == 303 and response.headers["Location"] == home


def test_wrong_email_and_wrong_password_get_the_same_answer(app, tenant):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    staff = Staff(app.test_client(), tenant.domain)
    wrong_password = staff.login("cook@x.example", "not the password")
    wrong_email = staff.login("nobody@x.example", PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 401
    assert "Wrong email or password." in wrong_password.text
    assert "Wrong email or password." in wrong_email.text
    assert staff.get("/kitchen").status_code == 302


def failure_counts(db_connection, tenant) -> dict:
    """{(scope, email, address): failures} of the limits' running windows."""
    rows = db_connection.execute(
        text(
            f'SELECT scope, email, address, failures FROM "{tenant.schema_name}".login_failures '
            "WHERE expires_at > now()"
        )
    ).all()
    db_connection.rollback()
    return {(scope, email, address): failures for scope, email, address, failures in rows}


def test_five_failures_lock_that_email_from_that_address_for_a_while(app, tenant, db_connection):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    staff = Staff(app.test_client(), tenant.domain, address="203.0.113.5")
    for _ in range(5):
        assert staff.login("cook@x.example", "guess").status_code == 401
    locked = staff.login("cook@x.example")  # even the right password, while locked
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    db_connection.exec_driver_sql(
        f'UPDATE "{tenant.schema_name}".login_failures '
        "SET expires_at = now() - interval '1 second'"
    )
    db_connection.commit()
    assert staff.login("cook@x.example").status_code == 303
    counts = failure_counts(db_connection, tenant)
    assert counts[("email+address", "cook@x.example", "203.0.113.5")] == 0  # typos forgiven
    assert counts[("address", "", "203.0.113.5")] == 0  # a success is not a failure
    assert counts[("email", "cook@x.example", "")] == 0


def test_an_attackers_failures_do_not_lock_the_owner_out(app, tenant):
    """Five wrong passwords for the admin from one address lock that address out of that
    email, not the admin signing in from elsewhere (before: locked out for 15 minutes)."""
    add_staff(app, tenant, "boss@x.example", "admin")
    attacker = Staff(app.test_client(), tenant.domain, address="203.0.113.66")
    assert [attacker.login("boss@x.example", f"guess {n}").status_code for n in range(6)] == [
        401
    ] * 5 + [429]
    assert attacker.login("boss@x.example").status_code == 429
    owner = Staff(app.test_client(), tenant.domain, address="198.51.100.7")
    assert owner.login("boss@x.example").status_code == 303
    assert owner.get("/admin/staff").status_code == 200


def test_a_flood_from_one_address_is_refused_before_any_hashing(
    app, tenant, monkeypatch, db_connection
):
    """20 failures per address over all emails; after that no bcrypt at all, so a flood
    cannot slow the other restaurants (before: one hash per attempt, and a row per email)."""
    hashed = []
    real_checkpw = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *args: hashed.append(1) or real_checkpw(*args))
    flood = Staff(app.test_client(), tenant.domain, address="203.0.113.99")
    statuses = [flood.login(f"user{n}@x.example", "guess").status_code for n in range(20)]
    assert statuses == [401] * 20 and len(hashed) == 20
    refused = [flood.login(f"other{n}@x.example", "guess") for n in range(30)]
    assert {response.status_code for response in refused} == {429}
    assert len(hashed) == 20  # not one more hash
    counts = failure_counts(db_connection, tenant)
    assert counts[("address", "", "203.0.113.99")] == 20
    assert not any(email.startswith("other") for _, email, _ in counts)  # nothing stored
    elsewhere = Staff(app.test_client(), tenant.domain, address="198.51.100.8")
    assert elsewhere.login("user0@x.example", "guess").status_code == 401
    assert len(hashed) == 21


def test_one_ipv6_subscriber_is_one_address_for_the_throttle(app, tenant, db_connection):
    """An IPv6 client holds a whole /64: guesses from 2**64 addresses of it count together,
    as one address (before: each address was a fresh one, so one subscriber alone reached the
    per-email cap of 100 and locked the owner out for an hour)."""
    add_staff(app, tenant, "boss@x.example", "admin")
    statuses = [
        Staff(app.test_client(), tenant.domain, address=f"2001:db8:7:7::{n:x}")
        .login("boss@x.example", f"guess {n}")
        .status_code
        for n in range(1, 8)
    ]
    assert statuses == [401] * 5 + [429] * 2  # the pair limit: 5 for that email from that /64
    sprayed = [
        Staff(app.test_client(), tenant.domain, address=f"2001:db8:7:7:{n:x}::1")
        .login(f"user{n}@x.example", "guess")
        .status_code
        for n in range(20)
    ]
    assert sprayed == [401] * 15 + [429] * 5  # the address limit: 20 over all emails
    counts = failure_counts(db_connection, tenant)
    assert counts[("address", "", "2001:db8:7:7::/64")] == 20
    assert counts[("email+address", "boss@x.example", "2001:db8:7:7::/64")] == 5
    assert counts[("email", "boss@x.example", "")] == 5
    owner = Staff(app.test_client(), tenant.domain, address="2001:db8:7:8::1")  # next /64
    assert owner.login("boss@x.example").status_code == 303


def test_distributed_guessing_is_capped_per_email(app, tenant, db_connection):
    """100 failures an hour per email over all addresses, then that email is refused from
    everywhere until the hour is over (before: refused after 5, from anywhere)."""
    add_staff(app, tenant, "boss@x.example", "admin")
    statuses = [
        Staff(app.test_client(), tenant.domain, address=f"203.0.113.{n // 4}")
        .login("boss@x.example", f"guess {n}")
        .status_code
        for n in range(100)
    ]
    assert statuses == [401] * 100
    fresh = Staff(app.test_client(), tenant.domain, address="198.51.100.9")
    capped = fresh.login("boss@x.example")
    assert capped.status_code == 429 and 59 * 60 < int(capped.headers["Retry-After"]) <= 3600
    assert failure_counts(db_connection, tenant)[("email", "boss@x.example", "")] == 100
    db_connection.exec_driver_sql(
        f'UPDATE "{tenant.schema_name}".login_failures SET expires_at = now() '
        "WHERE scope = 'email'"
    )
    db_connection.commit()
    assert fresh.login("boss@x.example").status_code == 303


def test_expired_failures_are_purged(app, tenant, db_connection):
    """Each random email used to leave a row forever; now rows expire and the next counted
    attempt deletes them."""
    flood = Staff(app.test_client(), tenant.domain, address="203.0.113.10")
    for n in range(8):
        flood.login(f"random{n}@x.example", "guess")
    table = f'"{tenant.schema_name}".login_failures'
    assert db_connection.scalar(text(f"SELECT count(*) FROM {table}")) == 8 * 2 + 1
    db_connection.exec_driver_sql(f"UPDATE {table} SET expires_at = now() - interval '1 s'")
    db_connection.commit()
    Staff(app.test_client(), tenant.domain, address="198.51.100.10").login("x@x.example", "g")
    left = db_connection.execute(text(f"SELECT scope, email, address FROM {table}")).all()
    assert sorted(left) == [
        ("address", "", "198.51.100.10"),
        ("email", "x@x.example", ""),
        ("email+address", "x@x.example", "198.51.100.10"),
    ]


@pytest.mark.parametrize(
    "emails, allowed",
    [(["cook@x.example"] * 12, 5), ([f"u{n}@x.example" for n in range(26)], 20)],
    ids=["one email: 5", "many emails: 20"],
)
def test_concurrent_wrong_passwords_cannot_exceed_the_limit(database_url, tenant, emails, allowed):
    """Many workers at once (threads here, on real PostgreSQL): the limit is exact, because
    one statement checks and counts (before: every thread read "0 failures" and hashed)."""
    app = make_app(
        database_url,
        BCRYPT_ROUNDS=6,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12, "max_overflow": 0},
    )
    add_staff(app, tenant, "cook@x.example", "kitchen")
    guessers = [Staff(app.test_client(), tenant.domain, address="203.0.113.77") for _ in emails]
    tokens = [guesser.token() for guesser in guessers]
    barrier = threading.Barrier(len(emails))
    statuses = []

    def guess(guesser, token, email):
        barrier.wait()
        statuses.append(
            guesser.client.post(
                "/login",
                data={"email": email, "password": "wrong guess", "csrf_token": token},
                base_url=guesser.base_url,
                environ_base=guesser.environ,
            ).status_code
        )

    threads = [
        threading.Thread(target=guess, args=args)
        for args in zip(guessers, tokens, emails, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * allowed + [429] * (len(emails) - allowed)
    with app.app_context():
        db.engine.dispose()


def test_login_starts_a_fresh_session(app, tenant):
    """Nothing planted in a session before login (session fixation) survives it."""
    add_staff(app, tenant, "cook@x.example", "kitchen")
    staff = Staff(app.test_client(), tenant.domain)
    with staff.client.session_transaction(base_url=staff.base_url) as planted:
        planted["planted"] = "by someone else"
    assert staff.login("cook@x.example").status_code == 303
    with staff.client.session_transaction(base_url=staff.base_url) as session:
        assert "planted" not in session and session["_user_id"].count(":") == 2


def test_next_is_followed_only_when_local(app, tenant):
    add_staff(app, tenant, "m@x.example", "manager")
    local = Staff(app.test_client(), tenant.domain).login("m@x.example", next_page="/admin/menu")
    assert local.headers["Location"] == "/admin/menu"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = Staff(app.test_client(), tenant.domain).login("m@x.example", next_page=evil)
        assert response.headers["Location"] == "/admin"


def test_anonymous_is_sent_to_login_with_next(app, tenant):
    response = Staff(app.test_client(), tenant.domain).get("/admin/menu")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/menu"


def test_logout_ends_the_session(app, tenant):
    staff = signed_in(app, tenant, "kitchen")
    assert staff.get("/kitchen").status_code == 200
    assert staff.post("/logout").status_code == 303
    assert staff.get("/kitchen").status_code == 302


def reset_link(app, tenant, user_id) -> str:
    """The path of the link a reset e-mail to this member would carry now."""
    with bound(app, tenant):
        user = db.session.get(User, user_id)
        return f"/login/reset/{make_token(RESET, tenant.id, user)}"


def end_session(how, app, tenant, cook, cook_id):
    """End the cook's sessions the way `how` says: the cook, or an admin, does it."""
    if how == "logout":
        return cook.post("/logout")
    if how == "log out everywhere (self)":
        return cook.post(f"/admin/staff/{cook_id}/logout-everywhere")
    if how == "password reset":  # through the link of a reset e-mail, in another browser
        path = reset_link(app, tenant, cook_id)
        elsewhere = Staff(app.test_client(), tenant.domain)
        return elsewhere.post(path, {"password": "new password 1", "confirm": "new password 1"})
    admin = signed_in(app, tenant, "admin")
    path, data = {
        "role change": (f"/admin/staff/{cook_id}/role", {"role": "manager"}),
        "removal": (f"/admin/staff/{cook_id}/delete", {}),
        "log out everywhere (admin)": (f"/admin/staff/{cook_id}/logout-everywhere", {}),
    }[how]
    return admin.post(path, data)


@pytest.mark.parametrize(
    "how",
    [
        "logout",
        "password reset",
        "role change",
        "removal",
        "log out everywhere (admin)",
        "log out everywhere (self)",
    ],
)
def test_a_copied_session_cookie_dies_with_the_session(app, tenant, how):
    """A copy of a signed-in cookie (a stolen one) stops working for pages, CSRF-protected
    POSTs and the kitchen poll once the session is ended (before: valid for 31 days)."""
    email = f"cook-{uuid.uuid4().hex[:6]}@x.example"
    cook_id = add_staff(app, tenant, email, "kitchen")
    cook = Staff(app.test_client(), tenant.domain)
    assert cook.login(email).status_code == 303
    thief = cook.copied(app)
    csrf_token = thief.token()
    board = thief.get("/kitchen")
    assert board.status_code == 200
    since = re.search(r"/kitchen/board\?since=([0-9-]+)", board.text).group(1)
    fries = menu(app, tenant)["Fries"].id

    assert end_session(how, app, tenant, cook, cook_id).status_code in (200, 303)
    page = thief.get("/kitchen")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    refused = thief.client.post(
        f"/kitchen/items/{fries}/availability",
        data={"available": "false", "csrf_token": csrf_token},
        base_url=thief.base_url,
    )
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert menu(app, tenant)["Fries"].is_available
    poll = thief.get(f"/kitchen/board?since={since}", htmx=True)
    assert poll.status_code == 401 and poll.headers["HX-Redirect"].startswith("/login")


def test_a_session_is_valid_only_on_the_tenant_that_issued_it(app, make_tenant, db_connection):
    pizza, sushi = make_tenant(), make_tenant()
    user_id = add_staff(app, pizza, "chef@shared.example", "admin")
    # The same user id and email exist on the other tenant too.
    db_connection.execute(
        text(
            f'INSERT INTO "{sushi.schema_name}".users (id, email, hashed_password, role) '
            "VALUES (:id, 'chef@shared.example', 'x', 'admin')"
        ),
        {"id": user_id},
    )
    db_connection.commit()
    client = app.test_client()
    on_pizza = Staff(client, pizza.domain)
    assert on_pizza.login("chef@shared.example").status_code == 303
    cookie = client.get_cookie("session", domain=pizza.domain)
    client.set_cookie("session", cookie.value, domain=sushi.domain)
    on_sushi = Staff(client, sushi.domain)
    assert on_sushi.get("/admin/menu").status_code == 302
    assert on_sushi.get("/kitchen/board", htmx=True).status_code == 401
    assert on_pizza.get("/admin/menu").status_code == 200


def test_forms_without_csrf_token_are_refused(app, tenant):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    staff = Staff(app.test_client(), tenant.domain)
    refused = staff.post("/login", {"email": "cook@x.example", "password": PASSWORD}, csrf=False)
    assert refused.status_code == 400
    cook = signed_in(app, tenant, "manager")
    response = cook.post(f"/kitchen/orders/{uuid.uuid4()}/advance", {"from": "PENDING"}, csrf=False)
    assert response.status_code == 400
    forged = cook.client.post(
        f"/kitchen/orders/{uuid.uuid4()}/advance",
        data={"from": "PENDING"},
        base_url=cook.base_url,
        headers={"X-CSRFToken": "forged"},
    )
    assert forged.status_code == 400


MISSING = "00000000-0000-0000-0000-000000000000"
ROUTES = [  # (method, path, least role)
    ("GET", "/kitchen", "kitchen"),
    ("POST", f"/kitchen/orders/{MISSING}/advance", "kitchen"),
    ("POST", f"/kitchen/items/{MISSING}/availability", "kitchen"),
    ("GET", "/admin", "manager"),
    ("GET", "/admin/menu", "manager"),
    ("GET", "/admin/sales", "manager"),
    ("GET", "/admin/orders", "manager"),
    ("GET", f"/admin/orders/{MISSING}", "manager"),
    ("POST", f"/admin/orders/{MISSING}/refund", "manager"),
    ("POST", f"/admin/orders/{MISSING}/cancel", "manager"),
    ("POST", "/admin/categories", "manager"),
    ("POST", f"/admin/categories/{MISSING}/rename", "manager"),
    ("POST", f"/admin/categories/{MISSING}/move", "manager"),
    ("POST", f"/admin/categories/{MISSING}/delete", "manager"),
    ("GET", "/admin/items/new", "manager"),
    ("POST", "/admin/items/new", "manager"),
    ("GET", f"/admin/items/{MISSING}/edit", "manager"),
    ("POST", f"/admin/items/{MISSING}/delete", "manager"),
    ("GET", "/admin/staff", "admin"),
    ("POST", "/admin/staff", "admin"),
    ("POST", f"/admin/staff/{MISSING}/role", "admin"),
    ("POST", f"/admin/staff/{MISSING}/reset-password", "admin"),
    ("POST", f"/admin/staff/{MISSING}/resend", "admin"),
    ("POST", f"/admin/staff/{MISSING}/cancel", "admin"),
    ("POST", f"/admin/staff/{MISSING}/delete", "admin"),
    ("POST", f"/admin/staff/{MISSING}/logout-everywhere", "admin"),  # anyone's own: below
    ("GET", "/admin/theme", "admin"),
    ("POST", "/admin/theme", "admin"),
    ("GET", "/admin/theme/preview", "admin"),
]
LEVEL = {"anonymous": 0, "kitchen": 1, "manager": 2, "admin": 3}


def test_role_matrix(app, tenant):
    clients = {"anonymous": Staff(app.test_client(), tenant.domain)}
    for role in ("kitchen", "manager", "admin"):
        clients[role] = signed_in(app, tenant, role)
    outcomes = {}
    for method, path, least in ROUTES:
        for role, staff in clients.items():
            response = staff.get(path) if method == "GET" else staff.post(path, {})
            if role == "anonymous":
                expected = (
                    response.status_code == 302 and "/login?next=" in response.headers["Location"]
                )
            elif LEVEL[role] < LEVEL[least]:
                expected = response.status_code == 403
            else:
                expected = response.status_code not in (
                    401,
                    403,
                    500,
                ) and "/login" not in response.headers.get("Location", "")
            outcomes[(method, path, role)] = (expected, response.status_code)
    wrong = {key: status for key, (ok, status) in outcomes.items() if not ok}
    assert wrong == {}
