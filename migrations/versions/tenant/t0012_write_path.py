"""The write path: ``menu_version`` (what a checkout priced from memory checks) and a
striped ``board_version`` (no row every order of a restaurant queues on).

``menu_version`` counts the transactions that changed the menu topic; an order priced from a
worker's memory is inserted only while it still holds the version read with the prices
(ordering/checkout.py). ``board_version`` becomes 16 counters whose sum is the board's version;
the old single counter becomes stripe 0, so every tablet's version stays valid (the sum only
grows from there).

Revision ID: t0012_write_path
Revises: t0011_notification_claims
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "t0012_write_path"
down_revision = "t0011_notification_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "menu_version",
        sa.Column("singleton", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("singleton", name="menu_version_singleton"),
        sa.PrimaryKeyConstraint("singleton"),
    )
    op.execute("INSERT INTO menu_version DEFAULT VALUES")
    op.add_column(
        "board_version",
        sa.Column("stripe", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.drop_constraint("board_version_pkey", "board_version", type_="primary")
    op.drop_column("board_version", "singleton")  # and its check constraint
    op.alter_column("board_version", "stripe", server_default=None)
    op.create_primary_key("board_version_pkey", "board_version", ["stripe"])
    op.create_check_constraint(
        "board_version_stripe", "board_version", "stripe >= 0 AND stripe < 16"
    )
    op.execute(
        "INSERT INTO board_version (stripe, version) "
        "SELECT stripe, 0 FROM generate_series(1, 15) AS stripe"
    )


def downgrade() -> None:
    op.execute(
        "INSERT INTO board_version (stripe, version) "
        "SELECT 0, coalesce(sum(version), 0) FROM board_version "
        "ON CONFLICT (stripe) DO UPDATE SET version = excluded.version"
    )
    op.execute("DELETE FROM board_version WHERE stripe <> 0")
    op.drop_constraint("board_version_stripe", "board_version", type_="check")
    op.drop_constraint("board_version_pkey", "board_version", type_="primary")
    op.add_column(
        "board_version",
        sa.Column("singleton", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.drop_column("board_version", "stripe")
    op.create_primary_key("board_version_pkey", "board_version", ["singleton"])
    op.create_check_constraint("board_version_singleton", "board_version", "singleton")
    op.drop_table("menu_version")
