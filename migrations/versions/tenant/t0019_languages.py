"""Languages: the menu's texts per restaurant language, the order's language and the staff's.

``name_i18n`` (and an item's ``description_i18n``) are JSON objects from language code to text
(``{"de": "Pilzpizza"}``): the default language's text stays in ``name``, which every reader
falls back to, so a menu without translations reads as before. ``orders.language`` is the
language the order was placed in (its e-mails, receipt and tracking page use it; NULL for orders
from before: the restaurant's default). ``users.language``: the staff member's (NULL: the
restaurant's default).

Revision ID: t0019_languages
Revises: t0018_kitchen_lines
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0019_languages"
down_revision = "t0018_kitchen_lines"
branch_labels = None
depends_on = None

TRANSLATED = (
    ("categories", "name_i18n"),
    ("menu_items", "name_i18n"),
    ("menu_items", "description_i18n"),
    ("option_groups", "name_i18n"),
    ("options", "name_i18n"),
)


def upgrade() -> None:
    for table, column in TRANSLATED:
        op.add_column(
            table,
            sa.Column(
                column,
                postgresql.JSONB(),
                nullable=False,
                server_default=sa.text("'{}'::jsonb"),
            ),
        )
    op.add_column("orders", sa.Column("language", sa.String(8)))
    op.add_column("users", sa.Column("language", sa.String(8)))


def downgrade() -> None:
    op.drop_column("users", "language")
    op.drop_column("orders", "language")
    for table, column in reversed(TRANSLATED):
        op.drop_column(table, column)
