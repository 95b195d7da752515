"""Item photos: ``menu_items.photo`` (a photo reference, omniorder/media/reference.py: the
hash of the upload and its rendition widths, never the bytes) and ``menu_items.photo_alt``
(the text shown in its place; the item's name when NULL). ``image_url`` stays: the JSON API
and menu documents still carry an outside address.

Revision ID: t0014_media
Revises: t0013_payments
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0014_media"
down_revision = "t0013_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("menu_items", sa.Column("photo", postgresql.JSONB()))
    op.add_column("menu_items", sa.Column("photo_alt", sa.Text()))


def downgrade() -> None:
    op.drop_column("menu_items", "photo_alt")
    op.drop_column("menu_items", "photo")
