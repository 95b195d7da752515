"""Ticket printers: ``print_jobs`` (one ticket's ESC/POS bytes per printer and copy, leased to
a print agent or claimed by the job engine until printed) and ``print_devices`` (the print
agents, by the SHA-256 of their token).

Revision ID: t0017_printing
Revises: t0016_menu_board
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0017_printing"
down_revision = "t0016_menu_board"
branch_labels = None
depends_on = None


def _uuid_pk() -> sa.Column:
    return sa.Column(
        "id",
        postgresql.UUID(as_uuid=True),
        primary_key=True,
        server_default=sa.text("gen_random_uuid()"),
    )


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
    )


def upgrade() -> None:
    op.create_table(
        "print_jobs",
        _uuid_pk(),
        sa.Column("printer", sa.String(), nullable=False),
        sa.Column("order_id", postgresql.UUID(as_uuid=True)),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        _created_at(),
        sa.Column("offered_at", sa.DateTime(timezone=True)),
        sa.Column("leased_until", sa.DateTime(timezone=True)),
        sa.Column("printed_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.String()),
        sa.Column("discarded", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.create_index(
        "ix_tenant_print_jobs_waiting",
        "print_jobs",
        ["printer", "created_at"],
        postgresql_where=sa.text("printed_at IS NULL AND NOT discarded"),
    )
    op.create_table(
        "print_devices",
        _uuid_pk(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _created_at(),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("print_devices")
    op.drop_index("ix_tenant_print_jobs_waiting", table_name="print_jobs")
    op.drop_table("print_jobs")
