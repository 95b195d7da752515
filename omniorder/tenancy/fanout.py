"""One unit of work in many tenant schemas: a transaction per tenant, failures reported, not
raised, optionally over forked worker processes (each with its own connection).

Analytics refresh and archival (`for_each_tenant`) and ``flask db``
(`omniorder.tenancy.migrate`) all go through `fan_out`: one pool, one way to start a worker,
one error format (`one_line`) and one result callback (``on_result(key, error_or_None)``).
Workers are forked processes, not threads, because ``flask db`` runs Alembic in them and
Alembic's ``op`` proxy is process-global.
"""

import functools
import multiprocessing
import signal
from collections.abc import Callable, Hashable, Sequence
from typing import NamedTuple, TypeVar

from sqlalchemy import Connection, Engine, create_engine, select

from omniorder.core.database import db
from omniorder.core.errors import NotFound
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER, quote_schema, validate_domain

Key = TypeVar("Key", bound=Hashable)


class TenantRef(NamedTuple):
    """A restaurant as the registry lists it (picklable, for forked workers)."""

    id: object
    domain: str
    schema_name: str
    name: str
    created_at: object


class Outcome(NamedTuple):
    error: str | None  # one line, or None when the tenant's transaction committed
    value: object  # what the work returned


Work = Callable[[Connection, TenantRef], object]
# on_result(key, error_or_None): called in the calling process as each key finishes.
ResultCallback = Callable[[Key, str | None], None]
# report(key, error=None, value=None): how a task hands back each key's outcome.
Report = Callable[..., None]
# A task: task(engine, report), picklable (a module-level function or a partial of one).
Task = Callable[[Engine, Report], None]


REF_COLUMNS = (Tenant.id, Tenant.domain, Tenant.schema_name, Tenant.name, Tenant.created_at)


def tenant_refs(engine: Engine, domain: str | None = None) -> list[TenantRef]:
    statement = select(*REF_COLUMNS).order_by(Tenant.domain)
    if domain is not None:
        statement = statement.where(Tenant.domain == domain)
    with engine.connect() as connection:
        return [TenantRef(*row) for row in connection.execute(statement)]


def for_each_tenant(
    engine: Engine,
    tenants: list[TenantRef],
    work: Work,
    *,
    jobs: int = 1,
    on_result: ResultCallback | None = None,
) -> dict[TenantRef, Outcome]:
    """Run `work(connection, tenant)` in one transaction per tenant, the connection bound to
    the tenant's schema. With jobs > 1, `work` must be picklable (a module-level function or
    a functools.partial of one)."""
    bound = functools.partial(_in_tenant_schema, work=work)
    chunks = split(tenants, jobs * 4 if jobs > 1 else 1)  # small chunks even out the workers
    tasks = [functools.partial(each_in_transaction, keys=chunk, work=bound) for chunk in chunks]
    return fan_out(engine, tasks, jobs=jobs, on_result=on_result)


def _in_tenant_schema(connection: Connection, tenant: TenantRef, *, work: Work) -> object:
    connection.execution_options(
        schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: tenant.schema_name}
    )
    return work(connection, tenant)


def fan_out(
    engine: Engine, tasks: list[Task], *, jobs: int = 1, on_result: ResultCallback | None = None
) -> dict:
    """Run every task, here or spread over `jobs` forked workers: each key's `Outcome`."""
    outcomes = {}

    def record(key, outcome: Outcome) -> None:
        outcomes[key] = outcome
        if on_result is not None:
            on_result(key, outcome.error)

    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            task(engine, _reporter(record))
        return outcomes
    engine.dispose()  # no pooled connection may be inherited by the forked workers
    url = engine.url.render_as_string(hide_password=False)
    with worker_pool(jobs) as pool:
        for results in pool.imap_unordered(_run_in_worker, [(url, task) for task in tasks]):
            for key, outcome in results:
                record(key, outcome)
        pool.close()
        pool.join()
    return outcomes


def each_in_transaction(
    engine: Engine, report: Report, *, keys: Sequence, work: Callable[[Connection, object], object]
) -> None:
    """A task: `work(connection, key)` for each key in its own transaction on one connection,
    rolled back and reported on any exception, the next key going on."""
    with engine.connect() as connection:
        for key in keys:
            try:
                with connection.begin():
                    value = work(connection, key)
            except Exception as error:  # noqa: BLE001 - reported per key
                report(key, error)
            else:
                report(key, value=value)


def one_line(error: BaseException) -> str:
    """`DuplicateColumn: column "x" … already exists`: the driver's error, when there is one."""
    error = getattr(error, "orig", None) or error
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def split(items: Sequence, parts: int) -> list[Sequence]:
    """`items` dealt round-robin into at most `parts` non-empty chunks."""
    return [items[i::parts] for i in range(min(max(parts, 1), len(items)))]


def _reporter(record: Callable[[object, Outcome], None]) -> Report:
    def report(key, error: BaseException | None = None, value: object = None) -> None:
        record(key, Outcome(None if error is None else one_line(error), value))

    return report


def _run_in_worker(arguments) -> list[tuple[object, Outcome]]:
    url, task = arguments
    results: list[tuple[object, Outcome]] = []
    engine = create_engine(url, pool_size=1)
    try:
        task(engine, _reporter(lambda key, outcome: results.append((key, outcome))))
    finally:
        engine.dispose()
    return results


def worker_pool(jobs: int):
    """Forked workers with default signal handling: a SIGTERM handler the parent installed
    (the embedded database's) must not make a terminated worker linger."""
    return multiprocessing.get_context("fork").Pool(jobs, initializer=_default_signals)


def _default_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tenants_with_orders(engine: Engine, tenants: list[TenantRef], where: str) -> list[TenantRef]:
    """The tenants with at least one order matching `where` (SQL over the orders table, a
    constant of the caller's, never input): one query per 1,000 tenants, each arm a LIMIT 1
    that a partial index answers. What the periodic sweeps (analytics, payments) ask first so
    that a job is deferred only where there is work."""
    found = set()
    with engine.connect() as connection:
        for start in range(0, len(tenants), 1000):
            chunk = tenants[start : start + 1000]
            union = " UNION ALL ".join(
                f"(SELECT %s FROM {quote_schema(t.schema_name)}.orders "  # noqa: S608
                f"WHERE {where} LIMIT 1)"
                for t in chunk
            )
            found.update(
                connection.exec_driver_sql(union, tuple(t.schema_name for t in chunk)).scalars()
            )
    return [tenant for tenant in tenants if tenant.schema_name in found]


def tenants_named(domain=None) -> list[TenantRef]:
    """Every tenant, or the one serving `domain` (normalized here; `NotFound` if none): what
    the commands that run across tenants (analytics, archival, export) work on."""
    if domain is None:
        return tenant_refs(db.engine)
    domain = validate_domain(domain)
    tenants = tenant_refs(db.engine, domain)
    if not tenants:
        raise NotFound(f"no tenant with domain {domain}")
    return tenants
