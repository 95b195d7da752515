"""public.analytics: orders and revenue per tenant per UTC day, for the whole platform.

Revision ID: p0002_analytics
Revises: p0001_registry
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "p0002_analytics"
down_revision = "p0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analytics",
        sa.Column(
            "tenant_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("public.tenants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("items_sold", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("analytics", schema="public")
