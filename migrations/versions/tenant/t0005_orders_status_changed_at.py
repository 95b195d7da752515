"""Index orders by (status, status_changed_at) for the board's DONE column.

The board shows the latest done orders; without this index each render read every DONE order
the tenant ever had (a year of them, until archival).

Revision ID: t0005_orders_status_changed_at
Revises: t0004_orders_analytics_pending
Create Date: 2026-11-25
"""

from alembic import op

revision = "t0005_orders_status_changed_at"
down_revision = "t0004_orders_analytics_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tenant_orders_status_changed_at", "orders", ["status", "status_changed_at"])


def downgrade() -> None:
    op.drop_index("ix_tenant_orders_status_changed_at", "orders")
