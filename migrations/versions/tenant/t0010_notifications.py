"""Notifications: the customer's contact on the order, an outbox of messages, the webhook.

- ``orders.customer_email`` / ``customer_phone``: optional, given at checkout or in the API;
  the e-mail gets the receipt, "ready" and "cancelled" messages; the phone is kept for the
  restaurant only (no SMS provider is reachable from here).
- ``notifications``: one row per message to send (an e-mail or a webhook POST), written in
  the same transaction as the order change that causes it, with a unique ``key`` (the order,
  the event and the channel), so a message is sent once per key however often its job runs;
  its status, attempts and last error are what the back office lists.
- ``webhook_endpoint``: at most one row, the restaurant's webhook URL and signing secret.

Revision ID: t0010_notifications
Revises: t0009_service_control
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0010_notifications"
down_revision = "t0009_service_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("customer_email", sa.String()))
    op.add_column("orders", sa.Column("customer_phone", sa.String()))
    op.create_table(
        "notifications",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column("key", sa.String(), nullable=False, unique=True),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("order_id", postgresql.UUID(as_uuid=True)),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text()),
        sa.Column("response_status", sa.Integer()),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="notifications_channel_check"),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name="notifications_status_check"
        ),
    )
    op.create_index("ix_tenant_notifications_created_at", "notifications", ["created_at"])
    op.create_table(
        "webhook_endpoint",
        sa.Column("singleton", sa.Boolean(), primary_key=True, server_default=sa.text("true")),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.CheckConstraint("singleton", name="webhook_endpoint_singleton"),
    )


def downgrade() -> None:
    op.drop_table("webhook_endpoint")
    op.drop_index("ix_tenant_notifications_created_at", "notifications")
    op.drop_table("notifications")
    op.drop_column("orders", "customer_phone")
    op.drop_column("orders", "customer_email")
