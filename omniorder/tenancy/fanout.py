"""One unit of work in many tenant schemas: a transaction per tenant, failures reported, not
raised, optionally over forked worker processes (each with its own connection)."""

import multiprocessing
import signal
from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import Connection, Engine, create_engine, select

from omniorder.models import Tenant
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER


class TenantRef(NamedTuple):
    id: object
    domain: str
    schema_name: str


Work = Callable[[Connection, TenantRef], object]
ResultCallback = Callable[[TenantRef, str | None], None]


def worker_pool(jobs: int):
    """Forked workers with default signal handling: a SIGTERM handler the parent installed
    (the embedded database's) must not make a terminated worker linger."""
    return multiprocessing.get_context("fork").Pool(jobs, initializer=_default_signals)


def _default_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tenant_refs(engine: Engine, domain: str | None = None) -> list[TenantRef]:
    statement = select(Tenant.id, Tenant.domain, Tenant.schema_name).order_by(Tenant.domain)
    if domain is not None:
        statement = statement.where(Tenant.domain == domain)
    with engine.connect() as connection:
        return [TenantRef(*row) for row in connection.execute(statement)]


class Outcome(NamedTuple):
    error: str | None  # one line, or None when the tenant's transaction committed
    value: object      # what `work` returned


def for_each_tenant(engine: Engine, tenants: list[TenantRef], work: Work, *, jobs: int = 1,
                    on_result: ResultCallback | None = None) -> dict[TenantRef, Outcome]:
    """Run `work(connection, tenant)` in one transaction per tenant, the connection bound to
    the tenant's schema. With jobs > 1, `work` must be picklable (a module-level function or
    a functools.partial of one)."""
    results: dict[TenantRef, Outcome] = {}

    def record(tenant, error, value):
        results[tenant] = Outcome(error, value)
        if on_result is not None:
            on_result(tenant, error)

    if jobs <= 1 or len(tenants) <= 1:
        for tenant, error, value in _run(engine, tenants, work):
            record(tenant, error, value)
        return results
    engine.dispose()  # no pooled connection may be inherited by the forked workers
    url = engine.url.render_as_string(hide_password=False)
    chunks = [(url, tenants[i::jobs * 4], work) for i in range(min(len(tenants), jobs * 4))]
    with worker_pool(jobs) as pool:
        for outcome in pool.imap_unordered(_run_in_worker, chunks):
            for tenant, error, value in outcome:
                record(TenantRef(*tenant), error, value)
        pool.close()
        pool.join()
    return results


def _run(engine: Engine, tenants: list[TenantRef], work: Work):
    outcome = []
    with engine.connect() as connection:
        for tenant in tenants:
            connection.execution_options(
                schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: tenant.schema_name})
            try:
                with connection.begin():
                    value = work(connection, tenant)
            except Exception as error:  # noqa: BLE001 - reported per tenant
                cause = getattr(error, "orig", None) or error
                lines = str(cause).splitlines() or [""]
                outcome.append((tenant, f"{type(cause).__name__}: {lines[0]}", None))
            else:
                outcome.append((tenant, None, value))
    return outcome


def _run_in_worker(arguments):
    url, tenants, work = arguments
    engine = create_engine(url, pool_size=1)
    try:
        return [(tuple(tenant), error, value) for tenant, error, value in _run(engine, tenants,
                                                                                 work)]
    finally:
        engine.dispose()
