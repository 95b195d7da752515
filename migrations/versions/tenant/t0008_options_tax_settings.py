"""Orders a restaurant can really take: a settings document, option groups and options,
allergens, and the order's subtotal, tax, tip, currency and note.

`settings` is one row holding the restaurant's settings document (time zone, currency, locale,
tax, tips; more keys join it later). `option_groups` / `options` hang off a menu item and go
with it. Existing orders get subtotal = total_amount and no tax or tip, which is what they were.

Revision ID: t0008_options_tax_settings
Revises: t0007_session_login_limits
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0008_options_tax_settings"
down_revision = "t0007_session_login_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("singleton", sa.Boolean(), primary_key=True, server_default=sa.text("true")),
        sa.Column(
            "document", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.CheckConstraint("singleton", name="settings_singleton"),
    )
    op.execute("INSERT INTO settings (singleton, document) VALUES (true, '{}')")
    op.add_column(
        "menu_items",
        sa.Column(
            "allergens",
            postgresql.ARRAY(sa.String()),
            nullable=False,
            server_default=sa.text("'{}'::character varying[]"),
        ),
    )
    op.create_table(
        "option_groups",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column(
            "menu_item_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("menu_items.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("min_choices", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("max_choices", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("rank", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint(
            "min_choices >= 0 AND max_choices >= 1 AND max_choices >= min_choices",
            name="option_groups_choices_check",
        ),
    )
    op.create_index("ix_tenant_option_groups_menu_item_id", "option_groups", ["menu_item_id"])
    op.create_table(
        "options",
        sa.Column(
            "id",
            postgresql.UUID(as_uuid=True),
            primary_key=True,
            server_default=sa.text("gen_random_uuid()"),
        ),
        sa.Column(
            "group_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("option_groups.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("price_delta", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("is_available", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("rank", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("price_delta >= 0", name="options_price_delta_check"),
    )
    op.create_index("ix_tenant_options_group_id", "options", ["group_id"])
    op.add_column("orders", sa.Column("subtotal", sa.BigInteger()))
    op.execute("UPDATE orders SET subtotal = total_amount")
    op.alter_column("orders", "subtotal", nullable=False)
    op.add_column(
        "orders", sa.Column("tax", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(
        "orders",
        sa.Column("tax_inclusive", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.add_column(
        "orders", sa.Column("tip", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(
        "orders",
        sa.Column(
            "currency",
            sa.String(3),
            nullable=False,
            server_default=sa.text("'USD'::character varying"),
        ),
    )
    op.add_column("orders", sa.Column("note", sa.Text()))


def downgrade() -> None:
    for column in ("note", "currency", "tip", "tax_inclusive", "tax", "subtotal"):
        op.drop_column("orders", column)
    op.drop_table("options")
    op.drop_table("option_groups")
    op.drop_column("menu_items", "allergens")
    op.drop_table("settings")
