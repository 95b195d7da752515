"""Orders written straight into a tenant's table, as the storefront stores them: for tests that
need history (old months, many pages, other days) faster than by placing orders."""

import datetime as dt

from sqlalchemy import insert

from omniorder.core.unit_of_work import unit_of_work
from omniorder.kitchen.board import cancel_order
from omniorder.ordering.models import Order
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER
from omniorder.tenancy.registry import tenant_registry
from tests.support.storefront import menu


def insert_orders(
    connection,
    tenant,
    names=("Guest",),
    *,
    status="DONE",
    item="Pie",
    unit_price=500,
    quantities=(2,),
    total=None,
    created_at: dt.datetime | None = None,
) -> list[str]:
    """One order per customer name in `names`, each with a line of `item` per quantity in
    `quantities`; `total` (the subtotal too: no tax, no tip) defaults to the sum of the lines,
    `created_at` to now(). Does not commit. Returns the new orders' ids (text), in the order of
    `names`."""
    lines = [
        {
            "menu_item_id": "x",
            "name": item,
            "unit_price": unit_price,
            "quantity": quantity,
            "line_total": unit_price * quantity,
        }
        for quantity in quantities
    ]
    total = sum(line["line_total"] for line in lines) if total is None else total
    order = {"status": status, "items": lines, "total_amount": total, "subtotal": total}
    if created_at is not None:
        order["created_at"] = created_at
    table = Order.__table__
    ids = connection.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{**order, "customer_name": name} for name in names],
        execution_options={"schema_translate_map": {TENANT_SCHEMA_PLACEHOLDER: tenant.schema_name}},
    )
    return [str(order_id) for order_id in ids]


def place_fries(app, client, tenant, quantity=3) -> str:
    """An order through the API, as a customer places it: Fries at 4.50 (the test menu of
    tests/support/storefront.py). Returns its id."""
    item = menu(app, tenant)["Fries"]
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": "Ann",
            "items": [{"menu_item_id": str(item.id), "quantity": quantity}],
        },
    )
    assert response.status_code == 201, response.text
    return response.json["id"]


def cancel(app, tenant, order_id, role="kitchen"):
    """The board's cancel, as the kitchen service does it (one unit of work)."""
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)), unit_of_work():
        cancel_order(order_id, "Out of potatoes", role)
