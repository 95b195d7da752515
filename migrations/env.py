"""Alembic environment: decides which schema a run targets; the revision scripts never do.

Revisions live in two sets: ``versions/public`` (the registry, run once on ``public``) and
``versions/tenant`` (run in every tenant schema). ``flask db`` (omniorder/tenancy/migrate.py)
runs this file once per process with ``config.attributes`` naming the scope, the engine and
the tenant schemas still to migrate. For each tenant it opens ONE transaction, takes a
per-schema advisory lock (two concurrent runs never migrate one schema twice), sets
``search_path`` for that transaction only (``SET LOCAL``: safe behind pgbouncer) and lets
Alembic run the scripts, recording the version in the tenant's own ``alembic_version``.
A failing tenant is rolled back and reported; the others go on.
"""

from alembic import context
from sqlalchemy import text

from omniorder.extensions import db
from omniorder.tenancy.names import quote_schema

config = context.config
scope = config.attributes.get("scope")
if scope is None or context.is_offline_mode():
    raise SystemExit("Run migrations with `flask db upgrade|downgrade|current` (online only).")

engine = config.attributes["engine"]
report = config.attributes.get("report", lambda schema, error: None)


def migrate_schema(schema_name: str) -> None:
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                           {"name": f"omniorder-migrate:{schema_name}"})
        if schema_name != "public":
            connection.exec_driver_sql(f"SET LOCAL search_path TO {quote_schema(schema_name)}")
        context.configure(
            connection=connection,
            version_table_schema=schema_name,
            target_metadata=db.metadata,
            include_object=lambda obj, name, type_, reflected, compare_to: (
                getattr(obj, "schema", None) in (None, schema_name)
            ),
        )
        context.run_migrations()


if scope == "public":
    migrate_schema("public")
else:
    for schema in config.attributes["schemas"]:
        try:
            migrate_schema(schema)
        except Exception as error:  # noqa: BLE001 - one tenant's failure must not stop the rest
            report(schema, error)
        else:
            report(schema, None)
