"""public.tenants.suspended_at / suspended_reason: an operator's suspension of a restaurant.

While ``suspended_at`` is set the restaurant's storefront and customer API answer 503 and no
order can be placed; staff still sign in and see the reason. Nothing is deleted. The columns
live on the registry row so that the registry's re-read (the xmin of the row moves with the
UPDATE, and the change feed's "registry" notification or the registry_version trigger tells
every worker) carries the state to every worker at once (``flask tenants suspend|resume``).

Revision ID: p0005_suspension
Revises: p0004_secret_holders
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "p0005_suspension"
down_revision = "p0004_secret_holders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenants", sa.Column("suspended_at", sa.DateTime(timezone=True)), schema="public")
    op.add_column("tenants", sa.Column("suspended_reason", sa.String()), schema="public")


def downgrade() -> None:
    op.drop_column("tenants", "suspended_reason", schema="public")
    op.drop_column("tenants", "suspended_at", schema="public")
