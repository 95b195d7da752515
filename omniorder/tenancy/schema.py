"""A tenant schema's DDL: created from the models (one script on PostgreSQL, statement by
statement on Citus), dropped whole.

This is SQL the ORM does not express (schema DDL with a validated, quoted name), so it lives
in tenancy with `quote_schema`; the lifecycle around it (registry row, admin, starter menu,
archive) is `omniorder.platform.tenants`.

**Why a connection retires after creating many schemas.** A PostgreSQL backend keeps the plan
of every foreign-key check it has run (one per new tenant: the starter menu's items reference
its categories) for the rest of its life, and walks that whole list on every catalog
invalidation it processes; creating one schema sends hundreds of them. A pooled connection that
had provisioned 1,400 tenants spent ~12 ms more server CPU on each further one than a fresh
backend, growing without end (bench/README.md, "Provisioning at 2,000"). So a connection that
has created `RETIRE_AFTER_SCHEMAS` schemas is soft-invalidated: the pool closes it at its next
checkout and opens a fresh one (a few milliseconds, once per that many tenants).
"""

from functools import cache

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from omniorder.core.database import db
from omniorder.tenancy.migrate import execute_statements, tenant_head_revision
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER, quote_schema

_SCHEMA_TOKEN = "omniorder_schema_token_"
_ON_CITUS = "omniorder.on_citus"  # in a DBAPI connection's info: whether its database has citus
_SCHEMAS_CREATED = "omniorder.schemas_created"  # in a DBAPI connection's info
RETIRE_AFTER_SCHEMAS = 100


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


def on_citus(connection: Connection) -> bool:
    """Whether this connection's database has the citus extension, asked once per DBAPI
    connection (the answer lives in its `info`, which the pool clears when it reconnects)."""
    info = connection.info
    if _ON_CITUS not in info:
        citus = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        info[_ON_CITUS] = citus.first() is not None
    return info[_ON_CITUS]


def distribute_on_citus(connection: Connection) -> bool:
    """On a Citus coordinator, make the schema this transaction creates a distributed schema:
    its tables live together on one worker node and queries naming it are routed there (the
    schema translation puts it in every statement). ``SET LOCAL``: for this transaction only,
    so provisioning stays one transaction that leaves nothing behind when it fails. On plain
    PostgreSQL nothing changes. True on Citus."""
    if not on_citus(connection):
        return False
    connection.exec_driver_sql("SET LOCAL citus.enable_schema_based_sharding = on")
    return True


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
    if on_citus(connection):
        connection.exec_driver_sql("SET LOCAL citus.enable_ddl_propagation = off")


def create_tenant_schema(connection: Connection, schema_name: str) -> None:
    """Schema + tenant tables + Alembic version at head (no replay of the migration
    history), inside the caller's transaction. On plain PostgreSQL the DDL goes as one script
    (one round trip); Citus refuses several DDL commands in one string on a distributed
    schema, so there it goes statement by statement (`execute_statements`)."""
    quoted = quote_schema(schema_name)
    statements = [f"CREATE SCHEMA {quoted}"] + [
        statement.replace(_SCHEMA_TOKEN, quoted) for statement in tenant_ddl_statements()
    ]
    if distribute_on_citus(connection):
        execute_statements(connection, statements)
    else:
        connection.exec_driver_sql(
            ";\n".join(statements), execution_options={"no_parameters": True}
        )
    connection.exec_driver_sql(
        f"INSERT INTO {quoted}.alembic_version (version_num) VALUES (%s)",  # noqa: S608
        (tenant_head_revision(),),
    )
    _count_schema_created(connection)


def _count_schema_created(connection: Connection) -> None:
    """Retire the connection once it has created `RETIRE_AFTER_SCHEMAS` schemas (see the
    module's docstring): the pool replaces it at its next checkout, after this transaction."""
    info = connection.info
    info[_SCHEMAS_CREATED] = info.get(_SCHEMAS_CREATED, 0) + 1
    if info[_SCHEMAS_CREATED] >= RETIRE_AFTER_SCHEMAS:
        connection.connection.invalidate(soft=True)


def drop_tenant_schema(connection: Connection, schema_name: str) -> None:
    """The schema and everything in it, inside the caller's transaction."""
    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quote_schema(schema_name)} CASCADE")
