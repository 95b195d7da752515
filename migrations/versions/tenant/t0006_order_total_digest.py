"""orders.total_amount as bigint, and the digest of the request behind an idempotency key.

A legitimate order (50 lines x 99 x the item price cap) could exceed a 4-byte integer; the
column now holds any total below the explicit order cap (ordering/checkout.py) with room for
currencies without minor units. `request_digest` lets a reused Idempotency-Key with another
body be refused (422) instead of returning the first order to whoever sent the second.

Revision ID: t0006_order_total_digest
Revises: t0005_orders_status_changed_at
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "t0006_order_total_digest"
down_revision = "t0005_orders_status_changed_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("orders", "total_amount", type_=sa.BigInteger())
    op.add_column("orders", sa.Column("request_digest", sa.String(64)))


def downgrade() -> None:
    op.drop_column("orders", "request_digest")
    op.alter_column("orders", "total_amount", type_=sa.Integer())
