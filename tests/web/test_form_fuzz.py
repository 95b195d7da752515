"""Every HTML form under hostile input: never a 5xx, and nothing written when it says 4xx.

Values: any unicode, control characters, very long strings, numbers, empty strings, missing
fields and duplicated fields, with a valid CSRF token (so the form's own validation is what
gets exercised) and sometimes without one. Failed logins are recorded by design (the
throttle), so `login_failures` is left out of the "nothing written" comparison.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from tests.support.hostile import hostile_text
from tests.support.localstripe import CARD_OK
from tests.support.payments import card, pay, place, take_payments
from tests.support.staff import Staff, signed_in
from tests.support.storefront import Customer, menu

TABLES = (
    "users",
    "categories",
    "menu_items",
    "option_groups",
    "item_option_groups",
    "options",
    "orders",
    "board_version",
    "refunds",
)
hostile = hostile_text()


def form_values(fields):
    """Each field: missing, once, or twice, with hostile values."""
    return st.lists(st.tuples(st.sampled_from(fields), hostile), max_size=len(fields) * 2)


def snapshot(db_connection, tenant):
    digest = [
        db_connection.scalar(
            text(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{tenant.schema_name}".{table} t'
            )
        )
        for table in TABLES
    ]
    digest.append(
        db_connection.scalar(
            text("SELECT theme_config::text FROM public.tenants WHERE domain = :d"),
            {"d": tenant.domain},
        )
    )
    db_connection.rollback()
    return digest


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def setup(app, client, make_tenant):
    tenant = make_tenant()
    item = menu(app, tenant)["Fries"]
    order = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": "Ann", "items": [{"menu_item_id": str(item.id), "quantity": 1}]},
    ).json
    staff = {role: signed_in(app, tenant, role) for role in ("kitchen", "manager", "admin")}
    customer = Customer(app.test_client(), tenant.domain)
    customer.add(item.id)
    return tenant, item, order, staff, customer


FORMS = [  # (who, path template, fields)
    ("anonymous", "/login", ["email", "password"]),
    ("anonymous", "/login/forgot", ["email"]),
    ("customer", "/cart/add", ["item_id", "quantity", "options", "note"]),
    ("customer", "/cart/set", ["line", "quantity"]),
    ("customer", "/cart/tip", ["tip", "tip_amount"]),
    ("customer", "/checkout", ["customer_name", "idempotency_key", "note", "email", "phone"]),
    ("manager", "/admin/categories", ["name"]),
    ("manager", "/admin/option-groups", ["name", "min", "max"]),
    ("manager", "/admin/items/{item}/groups/attach", ["group_id"]),
    (
        "manager",
        "/admin/items/new",
        ["name", "description", "price", "image_url", "category_id", "is_available"],
    ),
    ("admin", "/admin/staff", ["email", "full_name", "role"]),
    ("admin", "/admin/theme", ["preset", "primary_color", "font_family"]),
    ("kitchen", "/kitchen/orders/{order}/advance", ["from"]),
    ("kitchen", "/kitchen/items/{item}/availability", ["available"]),
    ("kitchen", "/kitchen/orders/{order}/cancel", ["reason"]),
    ("kitchen", "/kitchen/orders/{order}/recall", ["from"]),
    ("kitchen", "/kitchen/pause", ["minutes"]),
    ("manager", "/admin/orders/{order}/refund", ["amount", "reason"]),  # a counter order: 4xx
    ("manager", "/admin/orders/{order}/cancel", ["reason"]),
]


@pytest.mark.parametrize("who, path, fields", FORMS, ids=[f[1] for f in FORMS])
def test_hostile_form_input(app, setup, db_connection, who, path, fields):
    tenant, item, order, staff, customer = setup
    anonymous = Staff(app.test_client(), tenant.domain)
    actor = {"anonymous": anonymous, "customer": customer, **staff}[who]
    page = actor.get("/login" if who == "anonymous" else "/").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    url = path.format(order=order["id"], item=item.id)
    hostile_posts(actor, token, url, fields, db_connection, tenant)


def test_hostile_refund_form_input_on_an_order_paid_online(app, setup, db_connection, localstripe):
    """The refund form where a refund can happen: hostile amounts and reasons are a 4xx that
    writes nothing, or a refund of what the amount says (never a 500)."""
    tenant, item, order, staff, customer = setup
    take_payments(app, tenant, localstripe)
    paid = place(app.test_client(), app, tenant, quantity=20).json
    assert pay(app.test_client(), tenant, paid["id"], card(localstripe, CARD_OK)).status_code == 200
    manager = staff["manager"]
    token = re.search(r'name="csrf-token" content="([^"]+)"', manager.get("/").text).group(1)
    url = f"/admin/orders/{paid['id']}/refund"
    hostile_posts(manager, token, url, ["amount", "reason"], db_connection, tenant)


def hostile_posts(actor, token, url, fields, db_connection, tenant):
    """Hostile values for `fields` POSTed to `url`: never a 5xx, nothing written on a 4xx."""

    @FUZZ
    @given(values=form_values(fields), with_token=st.booleans(), htmx=st.booleans())
    def attempt(values, with_token, htmx):
        data = MultiDict(values)
        if with_token:
            data.add("csrf_token", token)
        before = snapshot(db_connection, tenant)
        response = actor.client.post(
            url, data=data, base_url=actor.base_url, headers={"HX-Request": "true"} if htmx else {}
        )
        assert response.status_code < 500, (url, values, response.status_code)
        if 400 <= response.status_code < 500:
            assert snapshot(db_connection, tenant) == before, (url, values)

    attempt()


# --- control characters in the names staff set (issue 24 item 4) ----------------------------

BAD_NAMES = [
    "Evil\r\nBcc: x@example.com",
    "Two\nlines",
    "Tab\tbed",
    "Nul\x00led",
    "Next\x85line",
    "Line\u2028break",
    "Evil\u202egnp",
]
NAME_FORMS = [  # (path template, the other fields that make the form valid, the name field)
    ("/admin/categories", {}, "name"),
    ("/admin/categories", {"name": "Grill things"}, "station"),
    ("/admin/categories/{category}/rename", {}, "name"),
    ("/admin/categories/{category}/rename", {"name": "Sides"}, "station"),
    ("/admin/items/new", {"price": "3.50"}, "name"),
    ("/admin/items/{item}/edit", {"price": "3.50"}, "name"),
    ("/admin/items/{item}/groups", {"min": "0", "max": "1"}, "name"),
    ("/admin/items/{item}/groups/{group}/edit", {"min": "0", "max": "1"}, "name"),
    ("/admin/items/{item}/groups/{group}/options", {"price_delta": "0"}, "name"),
    ("/admin/items/{item}/groups/{group}/options/{option}/edit", {"price_delta": "0"}, "name"),
    ("/admin/option-groups", {"min": "0", "max": "1"}, "name"),
    ("/admin/option-groups/{group}/edit", {"min": "0", "max": "1"}, "name"),
    ("/admin/option-groups/{group}/options", {"price_delta": "0"}, "name"),
    ("/admin/staff", {"email": "new.cook@x.example", "role": "kitchen"}, "full_name"),
    ("/admin/staff", {"role": "kitchen"}, "email"),
    # reasons, not names, but read the same way: by the customer, in the order's history
    ("/admin/orders/{order}/refund", {"amount": "1.00"}, "reason"),
    ("/admin/orders/{order}/cancel", {}, "reason"),
    ("/kitchen/orders/{order}/cancel", {}, "reason"),
]


@pytest.fixture
def with_choices(app, setup):
    """`setup` with a group ("Dips") holding an option ("Aioli") on the item."""
    tenant, item, order, staff, customer = setup
    manager = staff["admin"]
    created = manager.post(
        f"/admin/items/{item.id}/groups", {"name": "Dips", "min": "0", "max": "1"}
    )
    assert created.status_code == 303
    page = manager.get(f"/admin/items/{item.id}/edit").text
    group = re.search(r"/groups/([0-9a-f-]{36})/edit", page).group(1)
    added = manager.post(
        f"/admin/items/{item.id}/groups/{group}/options", {"name": "Aioli", "price_delta": "0"}
    )
    assert added.status_code == 303
    page = manager.get(f"/admin/items/{item.id}/edit").text
    option = re.search(r"/options/([0-9a-f-]{36})/edit", page).group(1)
    return tenant, item, group, option, manager


@pytest.mark.parametrize(
    "path, fields, field", NAME_FORMS, ids=[f"{f[0]} {f[2]}" for f in NAME_FORMS]
)
def test_a_name_with_a_control_character_is_refused_by_every_form(
    app, setup, with_choices, db_connection, path, fields, field
):
    """Every form where staff name something (a category, its station, an item, a group, an
    option, a staff member) refuses line breaks, tabs, NUL, C1 and bidi controls: 400 with the
    reason, nothing written (before: a category "Evil\r\nBcc: …" and any staff name passed)."""
    tenant, item, group, option, admin = with_choices
    category = item.category_id
    order = setup[2]["id"]
    url = path.format(item=item.id, group=group, option=option, category=category, order=order)
    for name in BAD_NAMES:
        before = snapshot(db_connection, tenant)
        value = name if field != "email" else name.replace(" ", "") + "@x.example"
        response = admin.post(url, {**fields, field: value})
        assert response.status_code == 400, (url, name, response.status_code)
        assert "control characters" in response.text or "email address" in response.text
        assert snapshot(db_connection, tenant) == before, (url, name)
