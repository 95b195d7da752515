"""Item-level bumps: ``orders.lines_done``, the positions in the order's ``items`` snapshot of
the lines their station has finished (omniorder/kitchen/board.py). A column of the order's
own row, not a table: a station's bump is one conditional UPDATE of that row, so two stations
bumping at once are serialized by its row lock and the last one sees every mark.

Revision ID: t0018_kitchen_lines
Revises: t0017_printing
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "t0018_kitchen_lines"
down_revision = "t0017_printing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "lines_done",
            postgresql.ARRAY(sa.SmallInteger()),
            nullable=False,
            server_default=sa.text("'{}'::smallint[]"),
        ),
    )


def downgrade() -> None:
    op.drop_column("orders", "lines_done")
