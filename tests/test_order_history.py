"""The back office's order history: newest first, keyset pages, search, this tenant only."""

import re

import pytest
from sqlalchemy import text

from tests.staff_helpers import signed_in


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def add_orders(db_connection, tenant, names, status="DONE"):
    db_connection.execute(text(
        f'INSERT INTO "{tenant.schema_name}".orders (customer_name, total_amount, items, status) '
        """SELECT name, 1250, '[{"menu_item_id": "x", "name": "Pie", "unit_price": 625, """
        """"quantity": 2, "line_total": 1250}]', :status FROM unnest(CAST(:names AS text[])) name"""
    ), {"names": list(names), "status": status})
    db_connection.commit()


def numbers(page):
    return [int(n) for n in re.findall(r'<tr data-number="(\d+)">', page)]


def test_orders_are_listed_newest_first_fifty_a_page(tenant, manager, db_connection):
    add_orders(db_connection, tenant, [f"Guest {n}" for n in range(60)])
    first = manager.get("/admin/orders")
    assert first.status_code == 200
    shown = numbers(first.text)
    assert len(shown) == 50 and shown == sorted(shown, reverse=True)
    assert "2× Pie" in first.text and "12.50" in first.text
    older = re.search(r'href="(/admin/orders\?before=\d+)"', first.text).group(1)
    rest = numbers(manager.get(older).text)
    assert len(rest) == 10 and max(rest) < min(shown)
    assert sorted(shown + rest) == list(range(min(rest), max(shown) + 1))


def test_orders_are_found_by_number_customer_and_status(tenant, manager, db_connection):
    add_orders(db_connection, tenant, ["Ann Lee", "Bob 100%_x"], status="PENDING")
    add_orders(db_connection, tenant, ["Annabel", "<script>alert(1)</script>"])
    ann = manager.get("/admin/orders?q=ANN").text
    assert "Ann Lee" in ann and "Annabel" in ann and "Bob" not in ann
    for wildcard in ("%25", "_"):  # % and _ are characters here, not LIKE wildcards
        literal = manager.get(f"/admin/orders?q={wildcard}").text
        assert "Bob 100%_x" in literal and "Ann" not in literal
    pending = manager.get("/admin/orders?q=ann&status=PENDING").text
    assert "Ann Lee" in pending and "Annabel" not in pending
    by_number = numbers(manager.get(f"/admin/orders?q={numbers(ann)[0]}").text)
    assert by_number == [numbers(ann)[0]]
    page = manager.get("/admin/orders").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_restaurant_sees_only_its_own_orders(tenant, manager, make_tenant, db_connection):
    neighbour = make_tenant()
    add_orders(db_connection, neighbour, ["Neighbour Nora"])
    add_orders(db_connection, tenant, ["Our Olga"])
    page = manager.get("/admin/orders").text
    assert "Our Olga" in page and "Nora" not in page
    assert "No orders found" in manager.get("/admin/orders?q=Nora").text


@pytest.mark.parametrize("query", ["status=BURNT", "before=abc", "before=%C2%B2",
                                   "q=" + "x" * 101, "before=99999999999"])
def test_bad_filters_are_400(manager, query):
    response = manager.get(f"/admin/orders?{query}")
    assert response.status_code == 400, response.text
