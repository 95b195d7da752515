"""Orders written straight into a tenant's table, as the storefront stores them: for tests that
need history (old months, many pages, other days) faster than by placing orders."""

import datetime as dt

from sqlalchemy import insert

from omniorder.models import Order
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER


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
