"""Online payments: the order's money apart from its kitchen status, Stripe events, refunds.

- ``orders.payment_status`` (counter | requires_payment | paid | refunded |
  partially_refunded; every existing order was paid at the counter), ``payment_intent_id``
  (unique: a webhook finds its order by it), ``amount_refunded``, ``payment_error``.
- ``payment_events``: the Stripe events handled, by id (each handled once).
- ``refunds``: each refund asked of Stripe, its status and last error (the order's history).

Revision ID: t0013_payments
Revises: t0012_write_path
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0013_payments"
down_revision = "t0012_write_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "payment_status", sa.String(), server_default=sa.text("'counter'"), nullable=False
        ),
    )
    op.add_column("orders", sa.Column("payment_intent_id", sa.String(255)))
    op.add_column(
        "orders",
        sa.Column("amount_refunded", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("orders", sa.Column("payment_error", sa.Text()))
    op.create_unique_constraint("orders_payment_intent_id_key", "orders", ["payment_intent_id"])
    op.create_check_constraint(
        "orders_payment_status",
        "orders",
        "payment_status IN ('counter', 'requires_payment', 'paid', 'refunded', "
        "'partially_refunded')",
    )
    op.create_check_constraint(
        "orders_amount_refunded_check",
        "orders",
        "amount_refunded >= 0 AND amount_refunded <= total_amount",
    )
    op.create_index(
        "ix_tenant_orders_awaiting_payment",
        "orders",
        ["created_at"],
        postgresql_where=sa.text("payment_status = 'requires_payment' AND status <> 'CANCELLED'"),
    )
    op.create_table(
        "payment_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("payment_intent_id", sa.String(255)),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )
    op.create_table(
        "refunds",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column(
            "order_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String()),
        sa.Column("status", sa.String(), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("stripe_refund_id", sa.String(255)),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("amount > 0", name="refunds_amount_check"),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed')", name="refunds_status_check"
        ),
    )
    op.create_index("ix_tenant_refunds_order_id", "refunds", ["order_id"])


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_table("payment_events")
    op.drop_index("ix_tenant_orders_awaiting_payment", "orders")
    op.drop_constraint("orders_amount_refunded_check", "orders", type_="check")
    op.drop_constraint("orders_payment_status", "orders", type_="check")
    op.drop_constraint("orders_payment_intent_id_key", "orders", type_="unique")
    for column in ("payment_error", "amount_refunded", "payment_intent_id", "payment_status"):
        op.drop_column("orders", column)
