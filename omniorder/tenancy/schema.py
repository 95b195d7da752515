"""A tenant schema's DDL: created from the models, statement by statement, dropped whole.

This is SQL the ORM does not express (schema DDL with a validated, quoted name), so it lives
in tenancy with `quote_schema`; the lifecycle around it (registry row, admin, starter menu,
archive) is `omniorder.platform.tenants`.
"""

from functools import cache

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from omniorder.core.database import db
from omniorder.tenancy.migrate import execute_statements, tenant_head_revision
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER, quote_schema

_SCHEMA_TOKEN = "omniorder_schema_token_"


def tenant_tables() -> list:
    """The tables every tenant schema holds: those the models declare in the placeholder
    schema, in dependency order. Tenancy reads them from the metadata rather than naming
    them, so it never imports a capability (the factory imports `omniorder.models`)."""
    return [
        table for table in db.metadata.sorted_tables if table.schema == TENANT_SCHEMA_PLACEHOLDER
    ]


@cache
def tenant_ddl_statements() -> tuple[str, ...]:
    """CREATE TABLE/INDEX for every tenant table, rendered once per process from the models.

    Sent one statement at a time (`execute_statements`; Citus refuses several DDL commands in
    one string) without compiling anything per tenant. The schema appears as a token that
    `create_tenant_schema` replaces with the validated, quoted schema name.
    """
    dialect = postgresql.dialect()
    options = {
        "schema_translate_map": {TENANT_SCHEMA_PLACEHOLDER: _SCHEMA_TOKEN},
        "render_schema_translate": True,
    }
    statements = []
    for table in tenant_tables():
        statements.append(str(CreateTable(table).compile(dialect=dialect, **options)).strip())
        statements += [
            str(CreateIndex(index).compile(dialect=dialect, **options)).strip()
            for index in sorted(table.indexes, key=lambda index: index.name)
        ]
    statements.append(
        f"CREATE TABLE {_SCHEMA_TOKEN}.alembic_version (version_num VARCHAR(32) "
        "NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    return tuple(statements)


def distribute_on_citus(connection: Connection) -> None:
    """On a Citus coordinator, make the schema this transaction creates a distributed schema:
    its tables live together on one worker node and queries naming it are routed there (the
    schema translation puts it in every statement). ``SET LOCAL``: for this transaction only,
    so provisioning stays one transaction that leaves nothing behind when it fails. On plain
    PostgreSQL nothing changes."""
    citus = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    if citus.first() is not None:
        connection.exec_driver_sql("SET LOCAL citus.enable_schema_based_sharding = on")


def keep_on_coordinator(connection: Connection) -> None:
    """On a Citus coordinator, create what this transaction creates on the coordinator only:
    ``public`` (registry, warehouse, job queue) is ordinary tables there (deploy/citus.md), so
    nothing in it belongs on the workers. Left on, Citus copies the types and functions a
    public revision makes (procrastinate's schema) to every worker and records them in its
    metadata through two connections per worker, the migrating role's and the citus
    extension owner's; when those differ (the Citus image's ``postgres`` database, migrated
    as the app's own role), both write the same metadata row and wait on each other until
    Citus cancels the upgrade as a distributed deadlock. ``SET LOCAL``: this transaction
    only. On plain PostgreSQL nothing changes."""
    citus = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    if citus.first() is not None:
        connection.exec_driver_sql("SET LOCAL citus.enable_ddl_propagation = off")


def create_tenant_schema(connection: Connection, schema_name: str) -> None:
    """Schema + tenant tables + Alembic version at head (no replay of the migration
    history), inside the caller's transaction."""
    quoted = quote_schema(schema_name)
    distribute_on_citus(connection)
    connection.exec_driver_sql(f"CREATE SCHEMA {quoted}")
    execute_statements(
        connection,
        [statement.replace(_SCHEMA_TOKEN, quoted) for statement in tenant_ddl_statements()],
    )
    connection.exec_driver_sql(
        f"INSERT INTO {quoted}.alembic_version (version_num) VALUES (%s)",  # noqa: S608
        (tenant_head_revision(),),
    )


def drop_tenant_schema(connection: Connection, schema_name: str) -> None:
    """The schema and everything in it, inside the caller's transaction."""
    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quote_schema(schema_name)} CASCADE")
