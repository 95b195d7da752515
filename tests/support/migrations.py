"""A copy of migrations/ with one more tenant revision (orders.loyalty_points), for the tests of
`flask db` across tenants, directly and through pgbouncer."""

import shutil
from pathlib import Path

from omniorder.tenancy import migrate
from tests.support import REPOSITORY

LOYALTY_REVISION = '''"""orders.loyalty_points

Revision ID: t0099_loyalty
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = "t0099_loyalty"
down_revision = "{down}"
branch_labels = None
depends_on = None
online_only = {online}


def upgrade():
    op.add_column("orders", sa.Column("loyalty_points", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("orders", "loyalty_points")
'''


def copy_migrations(directory: Path) -> Path:
    """A copy of the repository's migrations/ at `directory`, for OMNIORDER_MIGRATIONS_DIR."""
    shutil.copytree(
        REPOSITORY / "migrations", directory, ignore=shutil.ignore_patterns("__pycache__")
    )
    return directory


def add_loyalty_revision(app, directory: Path, online=False, edit=lambda source: source) -> str:
    """Add t0099_loyalty (its source passed through `edit`) after the tenant head `app` sees,
    to the copy at `directory`; returns that previous head."""
    with app.app_context():
        head = migrate.tenant_head_revision()
    (directory / "versions" / "tenant" / "t0099_loyalty.py").write_text(
        edit(LOYALTY_REVISION.format(down=head, online=online))
    )
    migrate.forget_revision_files()
    return head
