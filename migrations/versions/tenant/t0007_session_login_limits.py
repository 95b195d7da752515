"""users.session_version (revocable sessions) and login_failures counted per limit.

`session_version` is part of every staff session id: raising it ends all of that person's
sessions (logout, password reset, role change, "Log out everywhere"). `login_failures` is
rebuilt keyed by (scope, email, address), one row per throttle limit with the end of its
window, so one address's failures no longer lock an email for everyone (staff/accounts.py).
The old rows are throttle state only, so the table is dropped rather than converted.

Revision ID: t0007_session_login_limits
Revises: t0006_order_total_digest
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0007_session_login_limits"
down_revision = "t0006_order_total_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("scope", sa.String(), primary_key=True),
        sa.Column("email", sa.String(), primary_key=True),
        sa.Column("address", sa.String(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tenant_login_failures_expires_at", "login_failures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_tenant_login_failures_expires_at", "login_failures")
    op.drop_table("login_failures")
    op.create_table(
        "login_failures",
        sa.Column("email", sa.String(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_column("users", "session_version")
