"""The menu board: ``menu_items.rank`` (an item's place within its category, backfilled from
today's alphabetical order) and ``menu_trash`` (deleted categories and items, kept 30 days so
they can be restored with the same ids: menu/trash.py).

Revision ID: t0016_menu_board
Revises: t0015_shared_option_groups
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0016_menu_board"
down_revision = "t0015_shared_option_groups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "menu_items", sa.Column("rank", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    # Schema-agnostic (env.py translates the schema): the table is named without one.
    op.execute(
        """
        UPDATE menu_items SET rank = ranked.position
        FROM (
            SELECT id, row_number() OVER (PARTITION BY category_id ORDER BY name, id) - 1
                AS position
            FROM menu_items
        ) AS ranked
        WHERE menu_items.id = ranked.id
        """
    )
    op.create_table(
        "menu_trash",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column(
            "deleted_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.CheckConstraint("kind IN ('item', 'category')", name="menu_trash_kind_check"),
    )
    op.create_index("ix_tenant_menu_trash_deleted_at", "menu_trash", ["deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_tenant_menu_trash_deleted_at", table_name="menu_trash")
    op.drop_table("menu_trash")
    op.drop_column("menu_items", "rank")
