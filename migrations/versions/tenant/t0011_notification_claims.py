"""Notification claims: ``notifications.claimed_until``, the lease of an attempt on the wire.

A delivery is claimed and committed before its message is sent, so no transaction or row
lock is held while another server is waited on (notifications/outbox.py); until the lease
ends, a second run of the same job keeps off, and a worker that died mid-send leaves a lease
that simply runs out. A nullable column: existing rows need no rewrite.

Revision ID: t0011_notification_claims
Revises: t0010_notifications
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "t0011_notification_claims"
down_revision = "t0010_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("claimed_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("notifications", "claimed_until")
