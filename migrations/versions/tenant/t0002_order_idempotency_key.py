"""orders.idempotency_key: a retried or double-submitted checkout returns the first order.

Revision ID: t0002_order_idempotency_key
Revises: t0001_tenant_tables
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "t0002_order_idempotency_key"
down_revision = "t0001_tenant_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("idempotency_key", sa.String(200)))
    op.create_unique_constraint("orders_idempotency_key_key", "orders", ["idempotency_key"])


def downgrade() -> None:
    op.drop_column("orders", "idempotency_key")
