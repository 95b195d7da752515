"""Host → tenant, cached in each process and kept fresh cheaply.

Each worker holds the whole registry in memory. While the worker's change feed listens
(`omniorder.cache.changes`), it re-reads the registry the moment a registry notification
arrives and does no periodic check at all (`pushed`). Otherwise, at most every
``OMNIORDER_REGISTRY_CHECK_INTERVAL`` seconds one request reads a single row,
``public.registry_version``, which a trigger bumps in the same transaction as any change to
``public.tenants``; only when it moved is the registry read again: each row's ``xmin``, then
the rows that changed (the others keep their records). So a tenant
created, re-themed or dropped by the CLI or another worker is seen within that interval, an
unknown Host costs no query at all, and a warm request spends no statement on routing.

A Host the cache does not know is checked against the database before its 404, at most once
per ``MISS_RECHECK_SECONDS`` (50 ms) per worker: a restaurant provisioned on another worker a
moment ago answers at once (a sign-up that provisions and then redirects the owner), while a
flood of unknown hosts costs at most 20 one-row reads a second.

A request that still reaches a schema dropped in the meantime is answered 404 by
`omniorder.web.hosts` after forcing a refresh, never a 500.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from omniorder.core.database import db
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import read_only
from omniorder.tenancy.bind import bind_tenant, engine_for_schema
from omniorder.tenancy.models import RegistryVersion, Tenant
from omniorder.tenancy.names import validate_domain


@dataclass(frozen=True)
class TenantRecord:
    id: uuid.UUID
    name: str
    domain: str
    schema_name: str
    theme_config: dict
    created_at: datetime
    engine: Engine = field(repr=False, compare=False)
    read_engine: Engine = field(repr=False, compare=False)  # autocommit, reads only (GET)
    # An operator's suspension (omniorder/platform/suspension.py): kept here, on every worker.
    suspended_at: datetime | None = None
    suspended_reason: str | None = None

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None


MISS_RECHECK_SECONDS = 0.05

# A re-read (every worker's, after each provisioning) first reads each row's xmin (the
# transaction that last wrote it: any UPDATE gives the row a new one), then only the rows
# whose xmin moved. At 2,000 tenants reading and decoding every row cost each worker ~10 ms
# per new tenant (bench/README.md, "Provisioning at 2,000").
_VERSIONS = "SELECT schema_name, xmin::text FROM public.tenants"
_CHANGED_ROWS = select(Tenant.__table__).where(
    Tenant.schema_name == any_(bindparam("schemas", type_=ARRAY(String)))
)


class TenantRegistry:
    def __init__(self, engine: Engine, check_interval: float):
        self._engine = engine
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._by_domain: dict[str, TenantRecord] = {}
        self._version: int | None = None
        self._checked_at = float("-inf")
        self._pushed = False  # a change feed re-reads us on every change (tenancy/changes.py)
        self._read: dict[str, tuple[str, TenantRecord]] = {}  # schema → (xmin, record)

    def lookup(self, domain: str) -> TenantRecord | None:
        """The tenant serving `domain` (already normalized), or None."""
        if not self._pushed and time.monotonic() - self._checked_at >= self._check_interval:
            self.refresh()
        record = self._by_domain.get(domain)
        if record is None and time.monotonic() - self._checked_at >= MISS_RECHECK_SECONDS:
            self.refresh(MISS_RECHECK_SECONDS)
            record = self._by_domain.get(domain)
        return record

    def by_id(self, tenant_id) -> TenantRecord | None:
        """The tenant with this id (what a background job carries: a domain can be reused
        after a drop, an id never), refreshed as `lookup` is; None when it was dropped."""
        self.refresh(MISS_RECHECK_SECONDS)
        wanted = uuid.UUID(str(tenant_id))
        return next((r for r in self._by_domain.values() if r.id == wanted), None)

    def pushed(self, listening: bool) -> None:
        """The change feed's call: listening, it re-reads the registry now (after each
        registry notification, and once it has started listening) and periodic checks stop;
        not listening, lookups check every interval again."""
        if listening:
            self.refresh(max_age=0.0)
        self._pushed = listening

    def invalidate(self) -> None:
        """Make the next lookup check the database (after a change made in this process)."""
        self._checked_at = float("-inf")

    def refresh(self, max_age: float | None = None) -> None:
        """Re-read the registry if it changed and was last checked over `max_age` seconds
        ago (default: the check interval)."""
        max_age = self._check_interval if max_age is None else max_age
        with self._lock:
            if time.monotonic() - self._checked_at < max_age:
                return  # another thread refreshed while we waited for the lock
            with self._engine.connect() as connection:
                version = connection.scalar(select(RegistryVersion.version))
                if version != self._version:
                    xmins = dict(connection.exec_driver_sql(_VERSIONS).all())
                    self._by_domain = self._records(connection, xmins)
                    self._version = version
            self._checked_at = time.monotonic()

    def _records(self, connection, xmins: dict[str, str]) -> dict[str, TenantRecord]:
        """The record of every schema in `xmins`: kept as it was when its xmin has not
        moved, else read again (one query for all of those)."""
        previous = self._read
        changed = [
            schema for schema, xmin in xmins.items() if previous.get(schema, ("",))[0] != xmin
        ]
        rows = (
            connection.execute(_CHANGED_ROWS, {"schemas": changed}).mappings().all()
            if changed
            else []
        )
        self._read = {
            schema: previous[schema]
            for schema, xmin in xmins.items()
            if previous.get(schema, ("",))[0] == xmin
        }
        for row in rows:  # changed again since its xmin was read: the next read mends it
            known = previous.get(row["schema_name"])
            engine = (
                known[1].engine if known else engine_for_schema(self._engine, row["schema_name"])
            )
            record = TenantRecord(
                id=row["id"],
                name=row["name"],
                domain=row["domain"],
                schema_name=row["schema_name"],
                theme_config=row["theme_config"],
                created_at=row["created_at"],
                engine=engine,
                read_engine=known[1].read_engine if known else read_only(engine),
                suspended_at=row["suspended_at"],
                suspended_reason=row["suspended_reason"],
            )
            self._read[row["schema_name"]] = (xmins.get(row["schema_name"], ""), record)
        return {record.domain: record for _, record in self._read.values()}


REGISTRY = "omniorder.registry"  # its key in app.extensions
_registry_lock = threading.Lock()


def tenant_registry() -> TenantRegistry:
    """This app's registry (one per process and app), made on first use."""
    registry = current_app.extensions.get(REGISTRY)
    if registry is None:
        with _registry_lock:
            registry = current_app.extensions.get(REGISTRY)
            if registry is None:
                registry = TenantRegistry(
                    db.engine, current_app.config["OMNIORDER_REGISTRY_CHECK_INTERVAL"]
                )
                current_app.extensions[REGISTRY] = registry
    return registry


def bind_tenant_named(domain) -> TenantRecord:
    """Bind this context (a system API request, a CLI command) to the restaurant serving
    `domain`, so `db.session` works in its schema inside the caller's unit of work; `NotFound`
    when there is none. The request's own tenancy hook binds storefront requests instead."""
    domain = validate_domain(domain)
    record = tenant_registry().lookup(domain)
    if record is None:
        raise NotFound(f"no tenant with domain {domain}")
    bind_tenant(record)
    return record
