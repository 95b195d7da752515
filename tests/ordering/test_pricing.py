"""Tax and tips: computed once per order on the subtotal, rounded half-up to the minor unit,
snapshot on the order; the rules alone, then through POST /api/v1/orders on real PostgreSQL."""

import pytest
from sqlalchemy import text

from omniorder.ordering.pricing import round_half_up, tax_on
from tests.support.choices import add_dish, set_settings
from tests.support.storefront import order_count


def post_order(client, tenant, body, **headers):
    return client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain, **headers})


def lines(*dishes_and_quantities):
    return [{"menu_item_id": str(dish.id), "quantity": q} for dish, q in dishes_and_quantities]


@pytest.mark.parametrize(
    "numerator, denominator, expected",
    [(0, 7, 0), (4, 10, 0), (5, 10, 1), (15, 10, 2), (25, 10, 3), (149, 100, 1), (150, 100, 2)],
)
def test_round_half_up(numerator, denominator, expected):
    assert round_half_up(numerator, denominator) == expected


@pytest.mark.parametrize(
    "subtotal, rate_bp, inclusive, tax",
    [
        (1000, 725, False, 73),  # 72.5 → 73 (half-up, not to even)
        (999, 725, False, 72),  # 72.4275
        (1000, 0, False, 0),
        (1000, 10_000, False, 1000),
        (1190, 1900, True, 190),  # 11.90 gross contains 1.90 at 19%
        (1000, 1900, True, 160),  # 159.66
        (3, 10_000, True, 2),  # 1.5 contained → 2
        (1450, 700, True, 95),  # 94.86
    ],
)
def test_tax_exclusive_and_inclusive(subtotal, rate_bp, inclusive, tax):
    assert tax_on(subtotal, rate_bp, inclusive) == tax


@pytest.fixture
def cheap(app, tenant):
    """Mints at 0.05 and a pizza at 11.00."""
    return add_dish(app, tenant, "Mint", 5), add_dish(app, tenant, "Pizza", 1100)


def test_exclusive_tax_is_added_once_on_the_subtotal(app, client, tenant, cheap):
    """Three lines of 0.05 at 10%: per line 0.005 → 0.01 each (0.03); on the order's
    subtotal 0.15 → 0.015 → 0.02. The order's tax is the latter."""
    mint, _ = cheap
    set_settings(app, tenant, tax={"rate_bp": 1000, "inclusive": False})
    body = {
        "customer_name": "Ann",
        "items": [
            {"menu_item_id": str(mint.id), "quantity": 1},
            {"menu_item_id": str(mint.id), "quantity": 1, "note": "in a bag"},
            {"menu_item_id": str(mint.id), "quantity": 1, "note": "loose"},
        ],
    }
    order = post_order(client, tenant, body).json
    assert sum(round_half_up(line["line_total"] * 1000, 10_000) for line in order["items"]) == 3
    assert (order["subtotal"], order["tax"], order["tip"], order["total_amount"]) == (15, 2, 0, 17)
    assert order["tax_inclusive"] is False


def test_inclusive_tax_is_contained_and_the_total_is_the_subtotal(app, client, tenant):
    """Three lines of 0.15 at 19% included: per line 0.0239 → 0.02 (0.06 in all); on the
    subtotal 0.45 → 0.0718 → 0.07. Prices already include it: the total stays 0.45."""
    gum = add_dish(app, tenant, "Gum", 15)
    set_settings(app, tenant, currency="EUR", tax={"rate_bp": 1900, "inclusive": True})
    body = {
        "customer_name": "Jo",
        "items": [
            {"menu_item_id": str(gum.id), "quantity": 1, "note": note}
            for note in ("mint", "fruit", "cola")
        ],
    }
    order = post_order(client, tenant, body).json
    assert (order["subtotal"], order["tax"], order["total_amount"]) == (45, 7, 45)
    assert order["tax_inclusive"] is True and order["currency"] == "EUR"


def test_the_snapshot_keeps_the_tax_and_currency_of_its_day(app, client, tenant, cheap):
    _, pizza = cheap
    set_settings(app, tenant, tax={"rate_bp": 725, "inclusive": False})
    order = post_order(client, tenant, {"customer_name": "Al", "items": lines((pizza, 2))}).json
    assert (order["subtotal"], order["tax"], order["total_amount"]) == (2200, 160, 2360)
    set_settings(app, tenant, currency="EUR", tax={"rate_bp": 0, "inclusive": True})
    again = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json
    assert again == order and again["currency"] == "USD"


@pytest.mark.parametrize(
    "tip, expected",
    [
        ({"percent": 15}, 218),  # 15% of 14.50 = 2.175 → 2.18
        ({"percent": 10}, 145),
        ({"amount": 150}, 150),
        ({"amount": 0}, 0),
        ({"amount": 1450}, 1450),  # at most the subtotal: exactly the subtotal is fine
    ],
)
def test_tips_preset_and_custom(app, client, tenant, tip, expected):
    dish = add_dish(app, tenant, "Plate", 1450)
    set_settings(
        app,
        tenant,
        tax={"rate_bp": 1000, "inclusive": False},
        tips={"enabled": True, "presets_percent": [10, 15, 20]},
    )
    body = {"customer_name": "Tipper", "items": lines((dish, 1)), "tip": tip}
    response = post_order(client, tenant, body)
    assert response.status_code == 201, response.json
    order = response.json
    # The tip is a share of the subtotal, never of the tax; the total adds both.
    assert (order["subtotal"], order["tax"], order["tip"]) == (1450, 145, expected)
    assert order["total_amount"] == 1450 + 145 + expected


@pytest.mark.parametrize(
    "tips, tip, field, message",
    [
        ({"enabled": True}, {"amount": 10**30}, "tip.amount", "at most the subtotal"),
        ({"enabled": True}, {"amount": -1}, "tip.amount", "0 or more"),
        ({"enabled": True}, {"amount": 1.5}, "tip.amount", "whole number"),
        ({"enabled": True}, {"percent": "10"}, "tip.percent", "whole number"),
        ({"enabled": True}, {"percent": True}, "tip.percent", "whole number"),
        ({"enabled": True}, {"percent": 10, "amount": 5}, "tip", '{"percent": P}'),
        ({"enabled": True}, {"gratuity": 5}, "tip", '{"percent": P}'),
        ({"enabled": True}, {}, "tip", '{"percent": P}'),
        ({"enabled": True}, [10], "tip", '{"percent": P}'),
        ({"enabled": True}, "10%", "tip", '{"percent": P}'),
    ],
)
def test_bad_tips_are_400_and_nothing_is_written(app, client, tenant, tips, tip, field, message):
    dish = add_dish(app, tenant, "Plate", 1450)
    set_settings(app, tenant, tips={**tips, "presets_percent": [10, 15]})
    body = {"customer_name": "Tipper", "items": lines((dish, 1)), "tip": tip}
    response = post_order(client, tenant, body)
    assert response.status_code == 400, response.json
    assert message in response.json["fields"][field]
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize(
    "tips, tip, status, message",
    [
        # the restaurant's settings refuse it, as they refuse an order while closed
        ({"enabled": False}, {"percent": 10}, 409, "This restaurant does not take tips"),
        ({"enabled": False}, {"amount": 100}, 409, "This restaurant does not take tips"),
        ({"enabled": True}, {"percent": 12}, 409, "tips are 10%, 15%, or an amount"),
        # a rule no schema can state: at most the subtotal
        ({"enabled": True}, {"amount": 1451}, 422, "tip.amount: must be at most the subtotal"),
    ],
)
def test_well_formed_tips_the_restaurant_refuses_are_409_or_422(
    app, client, tenant, tips, tip, status, message
):
    dish = add_dish(app, tenant, "Plate", 1450)
    set_settings(app, tenant, tips={**tips, "presets_percent": [10, 15]})
    body = {"customer_name": "Tipper", "items": lines((dish, 1)), "tip": tip}
    response = post_order(client, tenant, body)
    assert response.status_code == status, response.json
    assert message in response.json["error"]
    assert order_count(app, tenant) == 0


def test_no_tip_is_fine_when_tips_are_off(app, client, tenant):
    dish = add_dish(app, tenant, "Plate", 1450)
    body = {"customer_name": "Nil", "items": lines((dish, 1)), "tip": None}
    assert post_order(client, tenant, body).json["tip"] == 0


def test_the_order_cap_applies_to_the_total_with_tax(app, client, tenant, db_connection):
    db_connection.execute(
        text(
            f'INSERT INTO "{tenant.schema_name}".menu_items (name, price) '
            "SELECT 'Feast ' || n, 1000000 FROM generate_series(1, 50) AS n"
        )
    )
    db_connection.commit()
    feasts = db_connection.execute(
        text(f"SELECT id FROM \"{tenant.schema_name}\".menu_items WHERE name LIKE 'Feast %'")
    ).scalars()
    body = {
        "customer_name": "Caterer",
        "items": [{"menu_item_id": str(feast), "quantity": 2} for feast in feasts],
    }  # a subtotal of exactly 1,000,000.00: the cap
    set_settings(app, tenant, tax={"rate_bp": 100, "inclusive": False})
    response = post_order(client, tenant, body)
    assert response.status_code == 422 and "at most 1,000,000.00" in response.json["error"]
    set_settings(app, tenant, tax={"rate_bp": 100, "inclusive": True})
    response = post_order(client, tenant, body)  # included tax: the total is the subtotal
    assert response.status_code == 201 and response.json["total_amount"] == 100_000_000
    assert response.json["tax"] == 990_099  # 1,000,000.00 × 1 / 101
