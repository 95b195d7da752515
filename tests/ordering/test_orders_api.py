"""The orders JSON API and the ordering rules behind it."""

import threading
import uuid

import pytest

from tests.support.storefront import change_item, menu, order_count


def post_order(client, tenant, body, **headers):
    return client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain, **headers})


def line(item, quantity=1, **extra):
    return {"menu_item_id": str(item.id), "quantity": quantity, **extra}


def test_totals_are_computed_by_the_server_and_client_prices_ignored(app, client, make_tenant):
    tenant = make_tenant()
    items = menu(app, tenant)
    burger, fries = items["House Burger"], items["Fries"]
    response = post_order(
        client,
        tenant,
        {
            "customer_name": "  Ada  ",
            "total_amount": 1,
            "items": [line(burger, 2, price=1, unit_price=1), line(fries, 1, line_total=0)],
        },
    )
    assert response.status_code == 201, response.data
    order = response.get_json()
    assert order["number"] == 1001 and order["status"] == "PENDING"
    assert order["customer_name"] == "Ada"
    assert order["items"] == [
        {
            "menu_item_id": str(burger.id),
            "name": "House Burger",
            "unit_price": 1250,
            "options": [],
            "quantity": 2,
            "line_total": 2500,
            "note": None,
        },
        {
            "menu_item_id": str(fries.id),
            "name": "Fries",
            "unit_price": 450,
            "options": [],
            "quantity": 1,
            "line_total": 450,
            "note": None,
        },
    ]
    assert (order["subtotal"], order["tax"], order["tip"]) == (2950, 0, 0)
    assert order["total_amount"] == 2950 and order["currency"] == "USD"
    assert order["note"] is None and order["tax_inclusive"] is False
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).get_json()
        == order
    )


def test_snapshot_survives_menu_changes(app, client, make_tenant):
    tenant = make_tenant()
    burger = menu(app, tenant)["House Burger"]
    order = post_order(client, tenant, {"customer_name": "Bo", "items": [line(burger)]}).json
    change_item(app, tenant, burger.id, name="Burger 2.0", price=9999)
    again = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json
    assert again["items"][0]["name"] == "House Burger"
    assert again["items"][0]["unit_price"] == 1250 and again["total_amount"] == 1250


def test_sold_out_item_is_409_and_nothing_is_written(app, client, make_tenant):
    tenant = make_tenant()
    items = menu(app, tenant)
    change_item(app, tenant, items["Fries"].id, is_available=False)
    response = post_order(
        client,
        tenant,
        {"customer_name": "Cy", "items": [line(items["House Burger"]), line(items["Fries"])]},
    )
    assert response.status_code == 409
    assert "Fries" in response.json["error"]
    assert order_count(app, tenant) == 0


def test_order_numbers_are_per_tenant(app, client, make_tenant):
    a, b = make_tenant(), make_tenant()
    for tenant, expected in ((a, 1001), (a, 1002), (b, 1001)):
        item = menu(app, tenant)["Fries"]
        body = {"customer_name": "N", "items": [line(item)]}
        assert post_order(client, tenant, body).json["number"] == expected


def test_idempotency_key_returns_the_same_order(app, client, make_tenant):
    tenant = make_tenant()
    body = {"customer_name": "Di", "items": [line(menu(app, tenant)["Fries"])]}
    first = post_order(client, tenant, body, **{"Idempotency-Key": "abc-123"})
    second = post_order(client, tenant, body, **{"Idempotency-Key": "abc-123"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json == second.json
    assert order_count(app, tenant) == 1


def test_concurrent_requests_with_one_key_create_one_order(app, make_tenant):
    tenant = make_tenant()
    body = {"customer_name": "Ed", "items": [line(menu(app, tenant)["Fries"])]}
    barrier = threading.Barrier(4)
    answers = []

    def submit():
        client = app.test_client()
        barrier.wait()
        answers.append(post_order(client, tenant, body, **{"Idempotency-Key": "same"}))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 201]
    assert len({answer.json["id"] for answer in answers}) == 1
    assert order_count(app, tenant) == 1


def test_another_tenants_order_is_404(app, client, make_tenant):
    a, b = make_tenant(), make_tenant()
    order = post_order(
        client, a, {"customer_name": "Fi", "items": [line(menu(app, a)["Fries"])]}
    ).json
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers={"Host": b.domain}).status_code == 404
    )
    assert client.get("/api/v1/orders/not-a-uuid", headers={"Host": a.domain}).status_code == 404


BAD_BODIES = [
    ("malformed json", None),
    ("list body", [1]),
    ("no name", {"items": "FRIES"}),
    ("empty name", {"customer_name": "   ", "items": "FRIES"}),
    ("long name", {"customer_name": "x" * 101, "items": "FRIES"}),
    ("control chars", {"customer_name": "a\x00b", "items": "FRIES"}),
    ("no items", {"customer_name": "G"}),
    ("empty items", {"customer_name": "G", "items": []}),
    ("items not list", {"customer_name": "G", "items": {"a": 1}}),
    ("quantity 0", {"customer_name": "G", "items": [{"id": "FRIES", "quantity": 0}]}),
    ("quantity 100", {"customer_name": "G", "items": [{"id": "FRIES", "quantity": 100}]}),
    ("quantity string", {"customer_name": "G", "items": [{"id": "FRIES", "quantity": "2"}]}),
    ("quantity fraction", {"customer_name": "G", "items": [{"id": "FRIES", "quantity": 2.5}]}),
    ("quantity bool", {"customer_name": "G", "items": [{"id": "FRIES", "quantity": True}]}),
    ("bad id", {"customer_name": "G", "items": [{"id": "nope", "quantity": 1}]}),
    ("pickup_at number", {"customer_name": "G", "items": "FRIES", "pickup_at": 1764590400}),
    ("pickup_at list", {"customer_name": "G", "items": "FRIES", "pickup_at": ["2026"]}),
    ("pickup_at object", {"customer_name": "G", "items": "FRIES", "pickup_at": {"at": 1}}),
    ("pickup_at bool", {"customer_name": "G", "items": "FRIES", "pickup_at": True}),
    ("pickup_at NUL", {"customer_name": "G", "items": "FRIES", "pickup_at": "2026-12-01\x00"}),
    ("pickup_at surrogate", {"customer_name": "G", "items": "FRIES", "pickup_at": "\ud800"}),
    ("pickup_at long", {"customer_name": "G", "items": "FRIES", "pickup_at": "2" * 5000}),
    ("email malformed", {"customer_name": "G", "items": "FRIES", "email": "ada.example.com"}),
    ("email number", {"customer_name": "G", "items": "FRIES", "email": 42}),
    ("email list", {"customer_name": "G", "items": "FRIES", "email": ["a@example.com"]}),
    ("email long", {"customer_name": "G", "items": "FRIES", "email": "a@" + "b" * 300 + ".com"}),
    ("email NUL", {"customer_name": "G", "items": "FRIES", "email": "a\x00@example.com"}),
    ("email header", {"customer_name": "G", "items": "FRIES", "email": "a@b.com\nBcc: c@d.com"}),
    ("email surrogate", {"customer_name": "G", "items": "FRIES", "email": "a\udc80@example.com"}),
    ("phone letters", {"customer_name": "G", "items": "FRIES", "phone": "call me maybe"}),
    ("phone object", {"customer_name": "G", "items": "FRIES", "phone": {"n": "030 123"}}),
    ("phone long", {"customer_name": "G", "items": "FRIES", "phone": "1" * 33}),
    (
        "duplicate lines",
        {
            "customer_name": "G",
            "items": [{"id": "FRIES", "quantity": 1}, {"id": "FRIES", "quantity": 2}],
        },
    ),
]


# Well-formed (the OpenAPI document's schema takes them), refused by the restaurant's menu or
# settings (409) or by a rule a schema cannot state (422).
REFUSED_BODIES = [
    (
        "unknown id",
        {"customer_name": "G", "items": [{"id": str(uuid.uuid4()), "quantity": 1}]},
        409,
    ),
    (
        "pickup_at year 9999",
        {"customer_name": "G", "items": "FRIES", "pickup_at": "9999-12-31T23:59:59+14:00"},
        422,
    ),
    (
        "pickup_at year 1",
        {"customer_name": "G", "items": "FRIES", "pickup_at": "0001-01-01T00:00:00-12:00"},
        422,
    ),
    (
        "pickup_at before year 1 in UTC",
        {"customer_name": "G", "items": "FRIES", "pickup_at": "0001-01-01T00:00:00+14:00"},
        422,
    ),
    (
        "pickup_at after year 9999 in UTC",
        {"customer_name": "G", "items": "FRIES", "pickup_at": "9999-12-31T23:59:59-12:00"},
        422,
    ),
    ("tip while tips are off", {"customer_name": "G", "items": "FRIES", "tip": {"amount": 1}}, 409),
]


def send_order(app, client, tenant, body):
    """POST `body`, its "FRIES" standing for the Fries item's id (None: malformed JSON)."""
    fries = str(menu(app, tenant)["Fries"].id)
    if isinstance(body, dict):
        items = body.get("items")
        if items == "FRIES":
            body = {**body, "items": [{"menu_item_id": fries, "quantity": 1}]}
        elif isinstance(items, list):
            body = {
                **body,
                "items": [
                    {
                        "menu_item_id": fries if i["id"] == "FRIES" else i["id"],
                        "quantity": i["quantity"],
                    }
                    for i in items
                ],
            }
    if body is None:
        return client.post(
            "/api/v1/orders",
            data=b"{not json",
            content_type="application/json",
            headers={"Host": tenant.domain},
        )
    return post_order(client, tenant, body)


@pytest.mark.parametrize("label, body", BAD_BODIES, ids=[label for label, _ in BAD_BODIES])
def test_bad_input_is_400_with_a_message_and_writes_nothing(app, client, make_tenant, label, body):
    tenant = make_tenant()
    response = send_order(app, client, tenant, body)
    assert response.status_code == 400, response.data
    assert response.json["error"]
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize(
    "label, body, status", REFUSED_BODIES, ids=[label for label, _, _ in REFUSED_BODIES]
)
def test_well_formed_orders_the_restaurant_cannot_take_are_409_or_422(
    app, client, make_tenant, label, body, status
):
    tenant = make_tenant()
    response = send_order(app, client, tenant, body)
    assert response.status_code == status, response.data
    assert response.json["error"]
    assert order_count(app, tenant) == 0


def test_a_whole_number_written_as_a_float_is_that_number(app, client, make_tenant):
    """JSON has one number type and JSON Schema counts 2.0 as an integer: so does the API."""
    tenant = make_tenant()
    fries = menu(app, tenant)["Fries"]
    placed = post_order(
        client,
        tenant,
        {"customer_name": "G", "items": [{"menu_item_id": str(fries.id), "quantity": 2.0}]},
    )
    assert placed.status_code == 201, placed.data
    assert placed.json["items"][0]["quantity"] == 2
    assert placed.json["subtotal"] == 2 * fries.price
    assert '"quantity":2,' in placed.get_data(as_text=True)  # stored and answered as 2, not 2.0


def test_reused_key_with_another_body_is_422_and_reveals_nothing(app, client, make_tenant):
    tenant = make_tenant()
    items = menu(app, tenant)
    first = post_order(
        client,
        tenant,
        {"customer_name": "Gus", "items": [line(items["Fries"])]},
        **{"Idempotency-Key": "shared"},
    )
    assert first.status_code == 201
    other = post_order(
        client,
        tenant,
        {"customer_name": "Mallory", "items": [line(items["House Burger"], 3)]},
        **{"Idempotency-Key": "shared"},
    )
    assert other.status_code == 422
    assert other.json == {
        "error": "This Idempotency-Key was already used for a different order; use a new key."
    }
    assert first.json["id"] not in other.text and "Gus" not in other.text
    # The same body again (keys in another order, name with spaces) is still the first order.
    again = post_order(
        client,
        tenant,
        {"items": [line(items["Fries"])], "customer_name": " Gus "},
        **{"Idempotency-Key": "shared"},
    )
    assert (again.status_code, again.json) == (200, first.json)
    assert order_count(app, tenant) == 1


def test_a_huge_but_legitimate_basket_gets_a_clear_limit(app, client, make_tenant, db_connection):
    """50 lines x 99 x 10,000.00 overflowed a 4-byte total ("values that cannot be used")."""
    from sqlalchemy import text

    tenant = make_tenant()
    db_connection.execute(
        text(
            f'INSERT INTO "{tenant.schema_name}".menu_items (name, price) '
            "SELECT 'Feast ' || n, 1000000 FROM generate_series(1, 50) AS n"
        )
    )
    db_connection.commit()
    feasts = [item for name, item in menu(app, tenant).items() if name.startswith("Feast")]
    response = post_order(
        client, tenant, {"customer_name": "Caterer", "items": [line(item, 99) for item in feasts]}
    )
    assert response.status_code == 422  # well-formed lines, a total above the limit
    assert "at most 1,000,000.00" in response.json["error"]
    assert order_count(app, tenant) == 0
    # Up to the cap is accepted, and stored exactly.
    response = post_order(
        client, tenant, {"customer_name": "Caterer", "items": [line(item, 2) for item in feasts]}
    )
    assert response.status_code == 201 and response.json["total_amount"] == 100_000_000


def test_contact_is_stored_checked_once_and_never_answered(app, client, make_tenant):
    """The e-mail (an international domain in its IDNA form) and phone are kept for the
    receipt and the restaurant, never returned (an order is readable by anyone with its id),
    and belong to what an Idempotency-Key stands for."""
    from sqlalchemy import select

    from omniorder.core.database import db
    from omniorder.ordering.models import Order
    from tests.support.choices import bound

    tenant = make_tenant()
    body = {
        "customer_name": "Jo",
        "items": [line(menu(app, tenant)["Fries"])],
        "email": " Jo@Bücher.Example ",
        "phone": "+49 (30) 123-4567",
    }
    placed = post_order(client, tenant, body, **{"Idempotency-Key": "contact-1"})
    assert placed.status_code == 201, placed.json
    shown = client.get(f"/api/v1/orders/{placed.json['id']}", headers={"Host": tenant.domain})
    for answer in (placed.json, shown.json):
        assert "Bücher" not in str(answer) and "bcher" not in str(answer)
        assert "4567" not in str(answer)
    with bound(app, tenant):
        order = db.session.scalars(select(Order)).one()
        assert order.customer_email == "Jo@xn--bcher-kva.example"
        assert order.customer_phone == "+49 (30) 123-4567"
    other = post_order(
        client, tenant, {**body, "email": "else@example.com"}, **{"Idempotency-Key": "contact-1"}
    )
    assert other.status_code == 422
    both = post_order(client, tenant, {**body, "email": "x", "phone": "y"})
    assert both.status_code == 400 and set(both.json["fields"]) == {"email", "phone"}
    assert order_count(app, tenant) == 1
