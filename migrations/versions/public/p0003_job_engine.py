"""The job engine's tables in public: procrastinate's own schema, from the pinned version, and
``job_errors`` (the last error of each failed job, which procrastinate does not keep).

procrastinate (omniorder/jobs/engine.py) keeps its jobs, events, workers and periodic runs in
``procrastinate_*`` tables and functions. Its SQL ships with the package; this revision runs
the schema of the version pinned in pyproject.toml (3.10), so ``flask db upgrade`` is the one
command that prepares a database. A later procrastinate upgrade gets its own revision that
applies the package's migration files between the two versions.

Revision ID: p0003_job_engine
Revises: p0002_analytics
Create Date: 2026-11-26
"""

from importlib.metadata import version

import sqlalchemy as sa
from alembic import op

revision = "p0003_job_engine"
down_revision = "p0002_analytics"
branch_labels = None
depends_on = None

PINNED = "3.10."


def _run_script(sql: str) -> None:
    """Run SQL as written, in the migration's transaction: psycopg reads % and :names as
    parameters only when given parameters, and these scripts are procrastinate's own."""
    with op.get_bind().connection.driver_connection.cursor() as cursor:
        cursor.execute(sql)


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    installed = version("procrastinate")
    if not installed.startswith(PINNED):
        raise RuntimeError(
            f"procrastinate {installed} is installed, this revision creates the schema of "
            f"{PINNED}x: install the version pyproject.toml pins"
        )
    _run_script(SchemaManager.get_schema())
    op.create_table(
        "job_errors",
        sa.Column("job_id", sa.BigInteger(), primary_key=True),
        sa.Column("task_name", sa.String(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        schema="public",
    )


def downgrade() -> None:
    op.drop_table("job_errors", schema="public")
    _run_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        DO $$ DECLARE f record; BEGIN
          FOR f IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%'
          LOOP EXECUTE 'DROP FUNCTION ' || f.signature || ' CASCADE'; END LOOP;
        END $$;
        """
    )
