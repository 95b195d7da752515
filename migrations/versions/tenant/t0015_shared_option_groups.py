"""Shared option groups: a group belongs to the menu and is attached to any number of items.

- ``item_option_groups (menu_item_id, group_id, rank)``: which items offer a group, and where
  among the item's groups. Every existing group is attached to the item it belonged to, at
  its rank; its options stay as they are (so no price changes and no order changes).
- ``option_groups`` loses ``menu_item_id`` and ``rank`` (the rank is the link's now).
- Group names become unique in the menu, ignoring case (``option_groups_name_key`` on
  ``lower(name)``): menu documents refer to a group by its name. Existing groups are NOT
  merged, even when they look alike: "Size" on four pizzas usually has four sets of prices,
  and merging would change what customers pay. Each group whose name another group shares
  becomes "Size (Margherita)", "Size (Marinara)" … (its item's name, cut so the whole stays
  within the 100 characters of a name); should two still share a name (two items of the same
  name), every one but the first by id gets " #" and the start of its id. The owner can then
  rename them, or attach one shared "Size" and delete the others, in the back office.

Downgrade gives each group back to one item: a group attached to several items is copied
once per further item (with its options; the copy's id is derived from the group's and the
item's), a group attached to no item is dropped, and names may repeat again.

Revision ID: t0015_shared_option_groups
Revises: t0014_media
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0015_shared_option_groups"
down_revision = "t0014_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_option_groups",
        sa.Column(
            "menu_item_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("menu_items.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "group_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("option_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rank", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_index("ix_tenant_item_option_groups_group_id", "item_option_groups", ["group_id"])
    op.execute(
        "INSERT INTO item_option_groups (menu_item_id, group_id, rank) "
        "SELECT menu_item_id, id, rank FROM option_groups"
    )
    # Names another group shares: "Size (Margherita)". The subquery sees the table as it was
    # before this statement, so every group of a shared name is renamed, none left plain.
    op.execute(
        "UPDATE option_groups AS g SET name = left(g.name, 60) || ' (' || left(i.name, 37) || ')' "
        "FROM menu_items AS i WHERE i.id = g.menu_item_id AND EXISTS ("
        "SELECT 1 FROM option_groups AS o WHERE lower(o.name) = lower(g.name) AND o.id <> g.id)"
    )
    op.execute(
        "UPDATE option_groups AS g SET name = left(g.name, 88) || ' #' || left(g.id::text, 8) "
        "WHERE EXISTS (SELECT 1 FROM option_groups AS o "
        "WHERE lower(o.name) = lower(g.name) AND o.id < g.id)"
    )
    op.create_index(
        "option_groups_name_key", "option_groups", [sa.text("lower(name)")], unique=True
    )
    op.drop_index("ix_tenant_option_groups_menu_item_id", table_name="option_groups")
    op.drop_column("option_groups", "menu_item_id")
    op.drop_column("option_groups", "rank")


def downgrade() -> None:
    op.drop_index("option_groups_name_key", table_name="option_groups")
    op.add_column(
        "option_groups",
        sa.Column(
            "menu_item_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("menu_items.id", ondelete="CASCADE"),
        ),
    )
    op.add_column(
        "option_groups",
        sa.Column("rank", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    # Each link numbered among its group's links (1: the group's first item by id); a copy's
    # id is derived from its group's and its item's. A temporary table rather than a WITH in
    # each statement: Citus runs an INSERT … SELECT of a distributed schema on its shard,
    # where a window function over the table is a distributed query it refuses.
    op.execute(
        "CREATE TEMPORARY TABLE numbered_links AS SELECT group_id, menu_item_id, rank, "
        "row_number() OVER (PARTITION BY group_id ORDER BY menu_item_id) AS n "
        "FROM item_option_groups"
    )
    op.execute(
        "INSERT INTO option_groups (id, name, min_choices, max_choices, menu_item_id, rank) "
        "SELECT md5(l.group_id::text || l.menu_item_id::text)::uuid, g.name, g.min_choices, "
        "g.max_choices, l.menu_item_id, l.rank "
        "FROM numbered_links AS l JOIN option_groups AS g ON g.id = l.group_id WHERE l.n > 1"
    )
    op.execute(
        "INSERT INTO options (group_id, name, price_delta, is_available, rank) "
        "SELECT md5(l.group_id::text || l.menu_item_id::text)::uuid, o.name, o.price_delta, "
        "o.is_available, o.rank "
        "FROM numbered_links AS l JOIN options AS o ON o.group_id = l.group_id WHERE l.n > 1"
    )
    op.execute(
        "UPDATE option_groups AS g SET menu_item_id = l.menu_item_id, rank = l.rank "
        "FROM numbered_links AS l WHERE l.group_id = g.id AND l.n = 1"
    )
    op.execute("DROP TABLE numbered_links")
    op.execute("DELETE FROM option_groups WHERE menu_item_id IS NULL")
    op.alter_column("option_groups", "menu_item_id", nullable=False)
    op.create_index("ix_tenant_option_groups_menu_item_id", "option_groups", ["menu_item_id"])
    op.drop_index("ix_tenant_item_option_groups_group_id", table_name="item_option_groups")
    op.drop_table("item_option_groups")
