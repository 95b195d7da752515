"""orders.analytics_pending: orders the analytics warehouse has not counted yet.

A refresh flips the flag in the same transaction that recomputes the orders' days, so an
order committed during a refresh is counted by the next one: never lost, never twice.

Revision ID: t0004_orders_analytics_pending
Revises: t0003_kitchen_board
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "t0004_orders_analytics_pending"
down_revision = "t0003_kitchen_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "analytics_pending", sa.Boolean(), nullable=False, server_default=sa.text("true")
        ),
    )
    op.create_index(
        "ix_tenant_orders_analytics_pending",
        "orders",
        ["created_at"],
        postgresql_where=sa.text("analytics_pending"),
    )


def downgrade() -> None:
    op.drop_index("ix_tenant_orders_analytics_pending", "orders")
    op.drop_column("orders", "analytics_pending")
