"""Alembic environment: decides which schema a run targets; the revision scripts never do.

Revisions live in two sets: ``versions/public`` (the registry, run once on ``public``) and
``versions/tenant`` (run in every tenant schema). ``flask db`` (omniorder/tenancy/migrate.py)
runs this file once per batch of schemas with ``config.attributes`` naming the scope, the
engine, the tenant schemas still to migrate and the ``report`` that hears how each went. For
each tenant it opens ONE transaction, takes a per-schema advisory lock (two concurrent runs
never migrate one schema twice), sets ``search_path`` for that transaction only
(``set_config(…, true)``, i.e. ``SET LOCAL``: safe behind pgbouncer) and lets Alembic run the
scripts, recording the version in the tenant's own ``alembic_version``. A failing tenant is
rolled back and reported; the others go on (the loop is
`omniorder.tenancy.fanout.each_in_transaction`, the one analytics and archival use).

In offline mode (``--sql``) it renders the tenant revisions as plain SQL instead, which
`omniorder.tenancy.migrate` replays per tenant: the fast path for plain DDL revisions.
"""

from alembic import context

from omniorder.core.database import db
from omniorder.tenancy.fanout import each_in_transaction
from omniorder.tenancy.migrate import lock_and_bind
from omniorder.tenancy.schema import keep_on_coordinator

config = context.config
scope = config.attributes.get("scope")
if scope is None:
    raise SystemExit("Run migrations with `flask db upgrade|downgrade|current`.")


def render_tenant_sql() -> None:
    """Offline: the SQL of the pending tenant revisions, schema-agnostic, no BEGIN/COMMIT.

    omniorder/tenancy/migrate.py replays it in each tenant's own transaction.
    """
    context.configure(
        dialect_name="postgresql",
        literal_binds=True,
        transactional_ddl=False,
        output_buffer=config.attributes["render_sql"],
    )
    context.run_migrations()


def migrate_schema(connection, schema_name: str) -> None:
    """Alembic in one schema, inside the caller's transaction on `connection`."""
    lock_and_bind(connection, schema_name)
    context.configure(
        connection=connection,
        version_table_schema=schema_name,
        target_metadata=db.metadata,
        include_object=lambda obj, name, type_, reflected, compare_to: (
            getattr(obj, "schema", None) in (None, schema_name)
        ),
    )
    context.run_migrations()


if context.is_offline_mode():
    render_tenant_sql()
elif scope == "public":
    with config.attributes["engine"].connect() as connection, connection.begin():
        keep_on_coordinator(connection)
        migrate_schema(connection, "public")
else:  # one transaction per tenant; a failure is rolled back and reported, the rest go on
    each_in_transaction(
        config.attributes["engine"],
        config.attributes["report"],
        keys=config.attributes["schemas"],
        work=migrate_schema,
    )
