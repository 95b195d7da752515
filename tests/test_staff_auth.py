"""Staff logins: per tenant, throttled, CSRF-protected, and every route guarded by role."""

import uuid

import pytest
from sqlalchemy import text

from tests.staff_helpers import PASSWORD, Staff, add_staff, signed_in


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


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


def test_repeated_failures_lock_the_email_for_a_while(app, tenant, db_connection):
    add_staff(app, tenant, "cook@x.example", "kitchen")
    staff = Staff(app.test_client(), tenant.domain)
    for _ in range(5):
        assert staff.login("cook@x.example", "guess").status_code == 401
    locked = staff.login("cook@x.example")  # even the right password, while locked
    assert locked.status_code == 429 and "Too many failed logins" in locked.text
    db_connection.exec_driver_sql(
        f"UPDATE \"{tenant.schema_name}\".login_failures "
        "SET last_failed_at = now() - interval '16 minutes'")
    db_connection.commit()
    assert staff.login("cook@x.example").status_code == 303
    assert db_connection.scalar(text(
        f'SELECT count(*) FROM "{tenant.schema_name}".login_failures')) == 0


def test_next_is_followed_only_when_local(app, tenant):
    add_staff(app, tenant, "m@x.example", "manager")
    local = Staff(app.test_client(), tenant.domain).login("m@x.example",
                                                          next_page="/admin/menu")
    assert local.headers["Location"] == "/admin/menu"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = Staff(app.test_client(), tenant.domain).login("m@x.example",
                                                                 next_page=evil)
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


def test_a_session_is_valid_only_on_the_tenant_that_issued_it(app, make_tenant, db_connection):
    pizza, sushi = make_tenant(), make_tenant()
    user_id = add_staff(app, pizza, "chef@shared.example", "admin")
    # The same user id and email exist on the other tenant too.
    db_connection.execute(text(
        f'INSERT INTO "{sushi.schema_name}".users (id, email, hashed_password, role) '
        "VALUES (:id, 'chef@shared.example', 'x', 'admin')"), {"id": user_id})
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
    refused = staff.post("/login", {"email": "cook@x.example", "password": PASSWORD},
                         csrf=False)
    assert refused.status_code == 400
    cook = signed_in(app, tenant, "manager")
    response = cook.post(f"/kitchen/orders/{uuid.uuid4()}/advance", {"from": "PENDING"},
                         csrf=False)
    assert response.status_code == 400
    forged = cook.client.post(f"/kitchen/orders/{uuid.uuid4()}/advance",
                              data={"from": "PENDING"}, base_url=cook.base_url,
                              headers={"X-CSRFToken": "forged"})
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
    ("POST", f"/admin/staff/{MISSING}/delete", "admin"),
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
                expected = response.status_code == 302 and "/login?next=" in \
                    response.headers["Location"]
            elif LEVEL[role] < LEVEL[least]:
                expected = response.status_code == 403
            else:
                expected = response.status_code not in (401, 403, 500) and "/login" not in \
                    response.headers.get("Location", "")
            outcomes[(method, path, role)] = (expected, response.status_code)
    wrong = {key: status for key, (ok, status) in outcomes.items() if not ok}
    assert wrong == {}
