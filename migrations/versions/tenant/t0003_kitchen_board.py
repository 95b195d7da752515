"""Kitchen board: status_changed_at, board_version counter, login_failures, board index.

Revision ID: t0003_kitchen_board
Revises: t0002_order_idempotency_key
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "t0003_kitchen_board"
down_revision = "t0002_order_idempotency_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "status_changed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )
    op.execute("UPDATE orders SET status_changed_at = created_at")
    op.create_index("ix_tenant_orders_status_created_at", "orders", ["status", "created_at"])
    op.create_table(
        "board_version",
        sa.Column("singleton", sa.Boolean(), primary_key=True, server_default=sa.text("true")),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("singleton", name="board_version_singleton"),
    )
    op.execute("INSERT INTO board_version DEFAULT VALUES")
    op.create_table(
        "login_failures",
        sa.Column("email", sa.String(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("board_version")
    op.drop_index("ix_tenant_orders_status_created_at", "orders")
    op.drop_column("orders", "status_changed_at")
