"""The life of a restaurant: provisioned, listed, erased (the design's "God Mode" transaction).

`provision_tenant` is the one place that knows the sequence, used by ``flask tenants create``,
``flask demo`` and ``POST /api/v1/sys/provision``: insert the registry row → ``CREATE SCHEMA``
→ the tenant tables from the models → the schema's Alembic version stamped at head → the admin,
any further staff and a starter menu. It all happens in the caller's unit of work (one
transaction, inside a savepoint of its own so a conflict leaves the caller's transaction
usable); PostgreSQL's DDL is transactional, so a failure at any step leaves no row, no schema
and no table behind. The registry row goes first: its unique constraints make a concurrent
provisioning of the same domain or schema wait for this one and then fail cleanly.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from psycopg import errors as pg_errors
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from omniorder.core.database import db
from omniorder.core.errors import Conflict, NotFound, check_fields
from omniorder.core.text_input import clean_line
from omniorder.core.unit_of_work import after_commit
from omniorder.media.storage import media_store
from omniorder.menu.document import insert_menu, validate_menu_document
from omniorder.menu.models import MenuVersion
from omniorder.ordering.models import BoardVersion, board_stripes
from omniorder.settings.document import validate_settings
from omniorder.settings.models import RestaurantSettings
from omniorder.settings.theme import validate_theme
from omniorder.staff.accounts import (
    generate_password,
    hash_password,
    validate_email,
    validate_password,
)
from omniorder.staff.models import User
from omniorder.tenancy.fanout import REF_COLUMNS, TenantRef
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.names import (
    TENANT_SCHEMA_PLACEHOLDER,
    schema_name_for,
    validate_domain,
    validate_schema_name,
)
from omniorder.tenancy.registry import tenant_registry
from omniorder.tenancy.schema import create_tenant_schema, drop_tenant_schema

# What an operator may give when provisioning (CLI options, system API body, OpenAPI schema).
PROVISIONING_FIELDS = (
    "name",
    "domain",
    "schema_name",
    "theme_config",
    "admin_email",
    "admin_password",
)
MAX_NAME_LENGTH = 200

# A new restaurant's menu until it has its own (data, not code: omniorder/data/).
STARTER_MENU = json.loads((Path(__file__).parent.parent / "data" / "starter_menu.json").read_text())


@dataclass(frozen=True)
class StaffLogin:
    """A further login made with the restaurant (the demo's kitchen tablet)."""

    email: str
    role: str
    full_name: str
    password: str


@dataclass(frozen=True)
class ProvisionedTenant:
    id: uuid.UUID
    name: str
    domain: str
    schema_name: str
    admin_email: str
    created_at: datetime
    generated_password: str | None  # shown once, when none was given


def _validated(name, domain, schema_name, theme_config, admin_email, admin_password, menu):
    """All provisioning inputs checked at once, so the caller hears of every bad field (a
    menu's at their paths: ``menu.categories[0].items[1].price``)."""
    fields = {}
    return check_fields(
        {
            "name": lambda: clean_line("name", name, limit=MAX_NAME_LENGTH, required=True),
            "domain": lambda: validate_domain(domain),
            "schema_name": lambda: (
                validate_schema_name(schema_name)
                if schema_name is not None
                else schema_name_for(fields["name"])
                if "name" in fields
                else None
            ),
            "theme_config": lambda: validate_theme(theme_config),
            "admin_email": lambda: validate_email(
                admin_email
                if admin_email is not None
                else f"admin@{fields['domain']}"
                if "domain" in fields
                else None,
                "admin_email",
            ),
            "admin_password": lambda: (
                None
                if admin_password is None
                else validate_password(admin_password, "admin_password")
            ),
            "menu": lambda: validate_menu_document(
                STARTER_MENU if menu is None else menu, prefix="menu."
            ),
        },
        into=fields,
    )


def provision_tenant(
    *,
    name,
    domain,
    admin_email=None,
    schema_name=None,
    theme_config=None,
    admin_password=None,
    menu=None,
    staff: tuple[StaffLogin, ...] = (),
    admin_hashed_password: str | None = None,
    settings: dict | None = None,
) -> ProvisionedTenant:
    """Create a restaurant in the caller's unit of work: registry row, schema, tables, version
    stamp, admin (default ``admin@<domain>``, password generated when none is given), further
    `staff` logins and `menu` (a menu document as ``flask menu import`` takes it, checked
    the same way; None: the starter menu). `admin_hashed_password`: the admin's bcrypt hash
    made earlier (a sign-up keeps no password); `settings`: the restaurant's first settings
    (checked as any change is; None: the defaults, published)."""
    fields = _validated(name, domain, schema_name, theme_config, admin_email, admin_password, menu)
    first_settings = {} if settings is None else validate_settings(settings)
    password = fields["admin_password"]
    generated = None
    if password is None and admin_hashed_password is None:
        password = generated = generate_password()
    logins = [
        {
            "email": fields["admin_email"],
            "hashed_password": admin_hashed_password or hash_password(password),
            "full_name": "Administrator",
            "role": "admin",
        }
    ]
    logins += [
        {
            "email": validate_email(login.email),
            "full_name": login.full_name,
            "role": login.role,
            "hashed_password": hash_password(validate_password(login.password)),
        }
        for login in staff
    ]

    try:
        with db.session.begin_nested():
            connection = db.session.connection()
            row = connection.execute(
                insert(Tenant)
                .values(
                    name=fields["name"],
                    domain=fields["domain"],
                    schema_name=fields["schema_name"],
                    theme_config=fields["theme_config"],
                )
                .returning(Tenant.id, Tenant.created_at)
            ).one()
            create_tenant_schema(connection, fields["schema_name"])
            _seed(connection, fields["schema_name"], logins, fields["menu"], first_settings)
    except IntegrityError as error:
        raise _conflict(error, fields) from None
    except DBAPIError as error:
        if isinstance(error.orig, pg_errors.DuplicateSchema):
            raise Conflict(f"schema {fields['schema_name']} already exists") from None
        raise

    after_commit(tenant_registry().invalidate)
    return ProvisionedTenant(
        id=row.id,
        name=fields["name"],
        domain=fields["domain"],
        schema_name=fields["schema_name"],
        admin_email=fields["admin_email"],
        created_at=row.created_at,
        generated_password=generated,
    )


def _seed(connection, schema_name: str, logins: list[dict], menu: dict, settings: dict) -> None:
    """The board's and the menu's versions, the settings, the logins and the (validated)
    menu."""
    in_schema = {"schema_translate_map": {TENANT_SCHEMA_PLACEHOLDER: schema_name}}
    connection.execute(insert(BoardVersion), board_stripes(), execution_options=in_schema)
    connection.execute(insert(MenuVersion).values(version=0), execution_options=in_schema)
    connection.execute(
        insert(RestaurantSettings).values(document=settings), execution_options=in_schema
    )
    connection.execute(insert(User), logins, execution_options=in_schema)
    insert_menu(connection, menu, in_schema)


def _conflict(error: IntegrityError, fields: dict) -> Conflict:
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", "") or ""
    if "domain" in constraint:
        return Conflict(f"domain {fields['domain']} is already taken")
    if "schema_name" in constraint:
        return Conflict(f"schema {fields['schema_name']} is already taken")
    return Conflict(str(error.orig).splitlines()[0])


def list_tenants() -> list[TenantRef]:
    rows = db.session.execute(select(*REF_COLUMNS).order_by(Tenant.created_at, Tenant.domain))
    return [TenantRef(*row) for row in rows]


def drop_tenant(domain) -> TenantRef:
    """The GDPR erase: the schema, the registry row (its analytics rows cascade) and, once
    that has committed, the archive files and the photos."""
    domain = validate_domain(domain)
    row = db.session.execute(
        select(*REF_COLUMNS).where(Tenant.domain == domain).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"no tenant with domain {domain}")
    drop_tenant_schema(db.session.connection(), row.schema_name)
    db.session.execute(delete(Tenant).where(Tenant.domain == domain))
    after_commit(tenant_registry().invalidate)
    after_commit(lambda: _delete_archive(row.schema_name))
    after_commit(lambda: media_store().delete_tenant(row.schema_name))
    return TenantRef(*row)


def _delete_archive(schema_name: str) -> None:
    # Imported here, not for a circle (there is none): the archive loads pyarrow, which a web
    # worker should not pay for at start when only an erasure needs it.
    from omniorder.analytics.archive import delete_tenant_archive

    delete_tenant_archive(schema_name)
