"""Provisioning and erasing a restaurant: the design's "God Mode" transaction.

`provision_tenant` is the one place that knows the sequence, used by ``flask tenants create``,
``flask demo`` and ``POST /api/v1/sys/provision``. In ONE transaction: insert the registry row
→ ``CREATE SCHEMA`` → create the tenant tables from the models, bound to the new schema → stamp
the schema's Alembic version at head (no replay of migration history) → seed the admin and a
starter menu. PostgreSQL's DDL is transactional, so a failure at any step leaves no row, no
schema and no table behind. The registry row goes first: its unique constraints make a
concurrent provisioning of the same domain or schema wait for this one and then fail cleanly.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from blinker import Namespace
from psycopg import errors as pg_errors
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable

from omniorder.errors import Conflict, Invalid, NotFound
from omniorder.extensions import db
from omniorder.models import TENANT_TABLES, BoardVersion, Category, MenuItem, Tenant, User
from omniorder.services.staff import (
    generate_password,
    hash_password,
    validate_email,
    validate_password,
)
from omniorder.services.theme import validate_theme
from omniorder.tenancy.migrate import tenant_head_revision
from omniorder.tenancy.names import (
    TENANT_SCHEMA_PLACEHOLDER,
    quote_schema,
    schema_name_for,
    validate_domain,
    validate_schema_name,
)

# Sent after each step with the open connection; lets an operator time the steps and the tests
# inject a failure at any of them (the transaction must then leave nothing behind).
provisioning_step = Namespace().signal("provisioning-step")

STARTER_MENU = [
    {"name": "Mains", "items": [
        {"name": "House Burger", "description": "Beef patty, cheddar, pickles, brioche bun.",
         "price": 1250},
        {"name": "Grilled Chicken Plate", "description": "Half chicken, herb rice, salad.",
         "price": 1400},
        {"name": "Garden Bowl", "description": "Roasted vegetables, grains, tahini dressing.",
         "price": 1100},
        {"name": "Fish & Chips", "description": "Beer-battered cod, fries, tartare sauce.",
         "price": 1350},
    ]},
    {"name": "Sides", "items": [
        {"name": "Fries", "description": "Skin-on, sea salt.", "price": 450},
        {"name": "Side Salad", "description": "Leaves, cucumber, vinaigrette.", "price": 500},
        {"name": "Onion Rings", "description": None, "price": 500},
    ]},
    {"name": "Drinks", "items": [
        {"name": "Lemonade", "description": "Freshly squeezed.", "price": 350},
        {"name": "Sparkling Water", "description": None, "price": 250},
        {"name": "Iced Tea", "description": "Peach, lightly sweetened.", "price": 350},
    ]},
]
MAX_NAME_LENGTH = 200


@dataclass(frozen=True)
class ProvisionedTenant:
    id: uuid.UUID
    name: str
    domain: str
    schema_name: str
    admin_email: str
    created_at: datetime
    generated_password: str | None  # shown once, when none was given


def _validated(name, domain, schema_name, theme_config, admin_email, admin_password) -> dict:
    """All provisioning inputs checked at once, so the caller hears of every bad field."""
    fields, problems = {}, {}
    checks = {
        "name": lambda: _validate_name(name),
        "domain": lambda: validate_domain(domain),
        "schema_name": lambda: validate_schema_name(schema_name) if schema_name is not None
        else schema_name_for(fields["name"]) if "name" in fields else None,
        "theme_config": lambda: validate_theme(theme_config),
        "admin_email": lambda: validate_email(admin_email, "admin_email"),
        "admin_password": lambda: None if admin_password is None
        else validate_password(admin_password, "admin_password"),
    }
    for field, check in checks.items():
        try:
            fields[field] = check()
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    return fields


def _validate_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name", "is required")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise Invalid("name", f"must be at most {MAX_NAME_LENGTH} characters")
    return name.strip()


def provision_tenant(*, name, domain, admin_email, schema_name=None, theme_config=None,
                     admin_password=None, menu=STARTER_MENU,
                     password_hash: str | None = None) -> ProvisionedTenant:
    """Create a restaurant: registry row, schema, tables, version stamp, admin and menu.

    `password_hash` lets a caller that already holds a bcrypt hash (benchmarks, imports) skip
    hashing; otherwise the password given, or a generated one, is hashed here.
    """
    fields = _validated(name, domain, schema_name, theme_config, admin_email, admin_password)
    generated = None
    if password_hash is None:
        password = fields["admin_password"]
        if password is None:
            password = generated = generate_password()
        password_hash = hash_password(password)

    try:
        with db.engine.begin() as connection:
            row = connection.execute(
                insert(Tenant).values(
                    name=fields["name"], domain=fields["domain"],
                    schema_name=fields["schema_name"], theme_config=fields["theme_config"],
                ).returning(Tenant.id, Tenant.created_at)
            ).one()
            provisioning_step.send("registry", connection=connection)
            create_tenant_schema(connection, fields["schema_name"])
            _seed(connection, fields["admin_email"], password_hash, menu)
            provisioning_step.send("seed", connection=connection)
    except IntegrityError as error:
        raise _conflict(error, fields) from None
    except DBAPIError as error:
        if isinstance(error.orig, pg_errors.DuplicateSchema):
            raise Conflict(f"schema {fields['schema_name']} already exists") from None
        raise

    _forget_cached_registry()
    return ProvisionedTenant(
        id=row.id, name=fields["name"], domain=fields["domain"],
        schema_name=fields["schema_name"], admin_email=fields["admin_email"],
        created_at=row.created_at, generated_password=generated,
    )


_SCHEMA_TOKEN = "omniorder_schema_token_"


@cache
def tenant_ddl_script() -> str:
    """CREATE TABLE/INDEX for every tenant table, rendered once per process from the models.

    Sent as ONE multi-statement string (no parameters, so PostgreSQL's simple query protocol),
    which is as fast as hand-written DDL. The schema appears as a token that
    `create_tenant_schema` replaces with the validated, quoted schema name.
    """
    dialect = postgresql.dialect()
    options = {"schema_translate_map": {TENANT_SCHEMA_PLACEHOLDER: _SCHEMA_TOKEN},
               "render_schema_translate": True}
    statements = []
    for table in TENANT_TABLES:
        statements.append(str(CreateTable(table).compile(dialect=dialect, **options)).strip())
        statements += [str(CreateIndex(index).compile(dialect=dialect, **options)).strip()
                       for index in sorted(table.indexes, key=lambda index: index.name)]
    statements.append(f"CREATE TABLE {_SCHEMA_TOKEN}.alembic_version (version_num VARCHAR(32) "
                      "NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
    return ";\n".join(statements)


def create_tenant_schema(connection: Connection, schema_name: str) -> None:
    """Schema + tenant tables + Alembic version at head, inside the caller's transaction."""
    quoted = quote_schema(schema_name)
    connection.exec_driver_sql(f"CREATE SCHEMA {quoted}")
    provisioning_step.send("schema", connection=connection)
    connection.exec_driver_sql(tenant_ddl_script().replace(_SCHEMA_TOKEN, quoted))
    connection.execution_options(
        schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema_name}
    )
    provisioning_step.send("tables", connection=connection)
    connection.exec_driver_sql(
        f"INSERT INTO {quoted}.alembic_version (version_num) VALUES (%s)",  # noqa: S608
        (tenant_head_revision(),),
    )
    provisioning_step.send("version", connection=connection)


def _seed(connection: Connection, admin_email: str, password_hash: str, menu: list) -> None:
    connection.execute(insert(BoardVersion).values(version=0))
    connection.execute(insert(User).values(
        email=admin_email, hashed_password=password_hash, full_name="Administrator", role="admin",
    ))
    categories, items = [], []
    for rank, category in enumerate(menu):
        category_id = uuid.uuid4()
        categories.append({"id": category_id, "name": category["name"], "rank": rank})
        items += [{"category_id": category_id, "description": None, "image_url": None,
                   "is_available": True, **item} for item in category["items"]]
    if categories:
        connection.execute(insert(Category), categories)
    if items:
        connection.execute(insert(MenuItem), items)


def _conflict(error: IntegrityError, fields: dict) -> Conflict:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
    if "domain" in constraint:
        return Conflict(f"domain {fields['domain']} is already taken")
    if "schema_name" in constraint:
        return Conflict(f"schema {fields['schema_name']} is already taken")
    return Conflict(str(error.orig).splitlines()[0])


def _forget_cached_registry() -> None:
    from omniorder.tenancy.http import tenant_registry

    tenant_registry().invalidate()


@dataclass(frozen=True)
class TenantSummary:
    name: str
    domain: str
    schema_name: str
    created_at: datetime


def list_tenants() -> list[TenantSummary]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(Tenant.name, Tenant.domain, Tenant.schema_name, Tenant.created_at)
            .order_by(Tenant.created_at, Tenant.domain)
        ).all()
    return [TenantSummary(*row) for row in rows]


def drop_tenant(domain: str) -> TenantSummary:
    """The GDPR erase: the tenant's schema and its registry row go together, or neither."""
    domain = validate_domain(domain)
    with db.engine.begin() as connection:
        row = connection.execute(
            select(Tenant.name, Tenant.domain, Tenant.schema_name, Tenant.created_at)
            .where(Tenant.domain == domain).with_for_update()
        ).one_or_none()
        if row is None:
            raise NotFound(f"no tenant with domain {domain}")
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {quote_schema(row.schema_name)} CASCADE")
        connection.execute(delete(Tenant).where(Tenant.domain == domain))  # analytics cascade
    _forget_cached_registry()
    from omniorder.services.archive import delete_tenant_archive  # pyarrow: only when needed

    delete_tenant_archive(row.schema_name)
    return TenantSummary(*row)
