"""Binding a request to its tenant's schema, so that it cannot leak.

The tenant tables are declared in a placeholder schema (``tenant``). A request bound to a
tenant runs every statement through an engine whose ``schema_translate_map`` rewrites that
placeholder to the tenant's real schema (``tenant.orders`` → ``"tenant_pizzahut".orders``).

Why this and not ``SET search_path`` (or ``SET LOCAL search_path`` per transaction):

* Nothing is stored in the database connection. A pooled connection carries no tenant from
  one request to the next, whatever exception ended the first; two threads never share a
  binding (the bound engine hangs off the request's app context); and pgbouncer in
  transaction-pooling mode can hand the server connection to anyone between statements.
  A session-level ``SET search_path`` fails all three; ``SET LOCAL`` fixes the last two but
  costs an extra round trip at the start of every transaction.
* No extra round trip: the schema is part of each statement's text. SQLAlchemy compiles a
  statement once with a schema token and substitutes the schema per execution, so the
  compiled-statement cache is shared by all tenants.
* It fails closed. Without a binding the placeholder stays ``tenant``, a schema that cannot
  exist (names must start with ``tenant_``), so an unbound query errors instead of reading
  another restaurant's rows. Public tables name ``public`` explicitly and are not translated.

The cost: raw SQL strings are not translated. Tenant data is therefore only ever reached
through Core/ORM constructs; the raw DDL of provisioning quotes validated names itself.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import current_app, g, has_app_context
from sqlalchemy.engine import Connection, Engine

from omniorder.core.database import db, reads_only
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER, validate_schema_name

if TYPE_CHECKING:
    from omniorder.tenancy.registry import TenantRecord


def engine_for_schema(engine: Engine, schema_name: str) -> Engine:
    """A view of `engine` (same pool) whose statements target `schema_name`."""
    return engine.execution_options(
        schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: validate_schema_name(schema_name)}
    )


def bind_tenant(tenant: "TenantRecord") -> None:
    """Bind the current app context (a request) to `tenant`. Only one binding per context."""
    if g.get("tenant") is not None and g.tenant.id != tenant.id:
        raise RuntimeError("this context is already bound to another tenant")
    g.tenant = tenant


def current_tenant() -> "TenantRecord":
    """The tenant bound to this request; a RuntimeError when none is (a programming error)."""
    tenant = g.get("tenant") if has_app_context() else None
    if tenant is None:
        raise RuntimeError("no tenant is bound to this context")
    return tenant


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A Core connection for hot reads (the menu): no ORM session bookkeeping. In a unit of
    work that only reads, it is the bound tenant's autocommit engine (no BEGIN/ROLLBACK, one
    statement); in one that writes it is the unit of work's own connection, so a view that has
    just changed something renders what it changed before the commit."""
    if reads_only():
        with current_tenant().read_engine.connect() as connection:
            yield connection
    else:
        yield db.session.connection()


@contextmanager
def tenant_context(tenant: "TenantRecord") -> Iterator[None]:
    """A fresh app context bound to `tenant`, with its own `db.session` (CLI, jobs, tests)."""
    with current_app.app_context():
        bind_tenant(tenant)
        yield
