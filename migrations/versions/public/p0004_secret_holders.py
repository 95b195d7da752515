"""public.secret_holders: the restaurants whose settings hold sealed secrets (payment keys).

Production refuses to start without OMNIORDER_ENCRYPTION_KEYS while any row is here, and
``flask tenants rotate-secrets`` re-seals these restaurants' secrets (omniorder/settings/
payments.py). A row goes with its restaurant's registry row.

Revision ID: p0004_secret_holders
Revises: p0003_job_engine
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "p0004_secret_holders"
down_revision = "p0003_job_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_holders",
        sa.Column(
            "schema_name",
            sa.String(),
            sa.ForeignKey("public.tenants.schema_name", ondelete="CASCADE"),
            primary_key=True,
        ),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("secret_holders", schema="public")
