"""Service control: cancelled orders, ready and pickup times, pickup, kitchen stations.

- ``orders.status`` may also be CANCELLED (the CHECK constraint is replaced), with the
  ``cancel_reason`` the kitchen gave;
- ``orders.ready_at``: when the order should be ready (the chosen pickup slot, or the ASAP
  estimate); ``orders.pickup_at``: the pickup time the customer chose (NULL for ASAP);
  ``orders.picked_up_at``: when the customer collected it. Orders from before keep NULLs (the
  board falls back to age-based timer colours for them);
- ``categories.station``: the kitchen station (Grill, Cold, Bar…) that prepares the
  category's items, NULL for none;
- an index on ``ready_at`` for counting the orders of a pickup slot.

Revision ID: t0009_service_control
Revises: t0008_options_tax_settings
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0009_service_control"
down_revision = "t0008_options_tax_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("orders_status_check", "orders")
    op.create_check_constraint(
        "orders_status_check", "orders", "status IN ('PENDING', 'COOKING', 'DONE', 'CANCELLED')"
    )
    for column in ("ready_at", "pickup_at", "picked_up_at"):
        op.add_column("orders", sa.Column(column, sa.DateTime(timezone=True)))
    op.add_column("orders", sa.Column("cancel_reason", sa.Text()))
    op.create_index("ix_tenant_orders_ready_at", "orders", ["ready_at"])
    op.add_column("categories", sa.Column("station", sa.String()))


def downgrade() -> None:
    op.drop_column("categories", "station")
    op.drop_index("ix_tenant_orders_ready_at", "orders")
    for column in ("cancel_reason", "picked_up_at", "pickup_at", "ready_at"):
        op.drop_column("orders", column)
    op.execute("UPDATE orders SET status = 'DONE' WHERE status = 'CANCELLED'")
    op.drop_constraint("orders_status_check", "orders")
    op.create_check_constraint(
        "orders_status_check", "orders", "status IN ('PENDING', 'COOKING', 'DONE')"
    )
