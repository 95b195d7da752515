"""A restaurant's tables: users, categories, menu_items, orders.

Schema-agnostic on purpose: env.py sets the tenant's search_path for the transaction.

Revision ID: t0001_tenant_tables
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0001_tenant_tables"
down_revision = None
branch_labels = None
depends_on = None


def _uuid_pk() -> sa.Column:
    return sa.Column(
        "id",
        postgresql.UUID(as_uuid=True),
        primary_key=True,
        server_default=sa.text("gen_random_uuid()"),
    )


def upgrade() -> None:
    op.create_table(
        "users",
        _uuid_pk(),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("hashed_password", sa.String(), nullable=False),
        sa.Column("full_name", sa.String()),
        sa.Column("role", sa.String(), nullable=False, server_default=sa.text("'admin'")),
        sa.CheckConstraint("role IN ('admin', 'manager', 'kitchen')", name="users_role_check"),
    )
    op.create_index("ix_tenant_users_email", "users", ["email"], unique=True)
    op.create_table(
        "categories",
        _uuid_pk(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_table(
        "menu_items",
        _uuid_pk(),
        sa.Column("category_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("categories.id")),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("image_url", sa.String()),
        sa.Column("is_available", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.CheckConstraint("price >= 0", name="menu_items_price_check"),
    )
    op.create_index("ix_tenant_menu_items_category_id", "menu_items", ["category_id"])
    op.create_table(
        "orders",
        _uuid_pk(),
        sa.Column("number", sa.Integer(), sa.Identity(start=1001), nullable=False, unique=True),
        sa.Column("customer_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, server_default=sa.text("'PENDING'")),
        sa.Column("total_amount", sa.Integer(), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.CheckConstraint("status IN ('PENDING', 'COOKING', 'DONE')", name="orders_status_check"),
        sa.CheckConstraint("total_amount >= 0", name="orders_total_amount_check"),
    )
    op.create_index("ix_tenant_orders_created_at", "orders", ["created_at"])


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("menu_items")
    op.drop_table("categories")
    op.drop_table("users")
