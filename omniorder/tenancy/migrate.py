"""``flask db``: Alembic across the public schema and every tenant schema.

Scaling to thousands of tenants: before running anything, every tenant's version is read in
one query and tenants already at the target are skipped, so a no-op upgrade costs two queries
and no Alembic run. Pending tenants are migrated by `migrations/env.py`, one transaction each;
with ``jobs > 1`` they are split over forked worker processes, each with its own connection
(Alembic's ``op`` proxy is process-global, so threads could not share it safely). A failed
tenant keeps its old version, so a re-run continues where the last one stopped.
"""

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Engine, create_engine, text

from omniorder.errors import Conflict, Invalid
from omniorder.tenancy.names import quote_schema

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCOPES = ("public", "tenant")
# Called as on_result(schema_name, error_or_None) after each tenant.
ResultCallback = Callable[[str, str | None], None]


@dataclass
class MigrationReport:
    scope: str
    target: str | None
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: int = 0


def _migrations_dir() -> str:
    return current_app.config["OMNIORDER_MIGRATIONS_DIR"]


def alembic_config(scope: str, migrations_dir: str | None = None) -> "Config":
    from alembic.config import Config

    directory = Path(migrations_dir or _migrations_dir())
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(directory / "versions" / scope))
    return config


@cache
def _script(scope: str, migrations_dir: str) -> "ScriptDirectory":
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(scope, migrations_dir))


def script_directory(scope: str) -> "ScriptDirectory":
    return _script(scope, _migrations_dir())


@cache
def _linear_head(scope: str, migrations_dir: str) -> str | None:
    """The head of a linear history, read from the revision files with `ast` (nothing runs).

    Importing Alembic costs about 0.1 s, a fifth of a no-op ``flask db upgrade``; knowing the
    head is all a no-op needs. Returns None for anything but one straight line (branches,
    merges, unusual files), and the caller then asks Alembic.
    """
    revisions, parents = set(), set()
    for path in (Path(migrations_dir) / "versions" / scope).glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name):
                try:
                    values[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return None
        revisions.add(revision)
        if down is not None:
            parents.add(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def head_revision(scope: str) -> str:
    return _linear_head(scope, _migrations_dir()) or script_directory(scope).get_current_head()


def tenant_head_revision() -> str:
    """The revision a freshly provisioned tenant schema is stamped with."""
    return head_revision("tenant")


def tenant_schemas(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if connection.scalar(text("SELECT to_regclass('public.tenants')")) is None:
            raise Conflict("the public schema is not migrated yet: run `flask db upgrade`")
        return list(connection.scalars(
            text("SELECT schema_name FROM public.tenants ORDER BY schema_name")
        ))


def schema_versions(engine: Engine, schemas: list[str]) -> dict[str, str | None]:
    """Every schema's Alembic version in two queries, whatever the number of schemas.

    None means the schema has no version table (never migrated, or the schema is missing).
    """
    versions: dict[str, str | None] = dict.fromkeys(schemas)
    if not schemas:
        return versions
    with engine.connect() as connection:
        versioned = list(connection.scalars(text(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'alembic_version' AND n.nspname = ANY(:schemas)"
        ), {"schemas": schemas}))
        for start in range(0, len(versioned), 1000):
            chunk = versioned[start:start + 1000]
            union = " UNION ALL ".join(
                f"SELECT %s, version_num FROM {quote_schema(s)}.alembic_version"  # noqa: S608
                if s != "public" else "SELECT %s, version_num FROM public.alembic_version"
                for s in chunk
            )
            for schema, version in connection.exec_driver_sql(union, tuple(chunk)):
                versions[schema] = version
    return versions


def _resolve(scope: str, revision: str) -> str | None:
    """A revision id (or head/base/prefix) of `scope` → the full id, None for base."""
    if revision == "base":
        return None
    if revision == "head":
        return head_revision(scope)
    from alembic.util import CommandError

    script = script_directory(scope)
    try:
        found = script.get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise Invalid("revision", f"{revision} is not a {scope} revision")
    return found.revision


def scope_of(revision: str) -> str:
    """Which set a revision id belongs to; `Invalid` when neither or both."""
    owners = []
    for scope in SCOPES:
        try:
            _resolve(scope, revision)
            owners.append(scope)
        except Invalid:
            pass
    if len(owners) != 1:
        raise Invalid("revision", f"{revision} names no single revision; give --scope")
    return owners[0]


@dataclass(frozen=True)
class MigrationPlan:
    scope: str
    direction: str
    revision: str
    target: str | None
    pending: dict[str, str | None]  # schema → its current version
    skipped: int


def plan_migration(engine: Engine, *, scope: str, direction: str,
                   revision: str = "head") -> MigrationPlan:
    """Which schemas of `scope` are not yet at `revision` (two queries for all tenants)."""
    target = _resolve(scope, revision)
    schemas = ["public"] if scope == "public" else tenant_schemas(engine)
    versions = schema_versions(engine, schemas)
    pending = {schema: versions[schema] for schema in schemas if versions[schema] != target}
    return MigrationPlan(scope, direction, revision, target, pending,
                         len(schemas) - len(pending))


def apply_migration(engine: Engine, plan: MigrationPlan, *, jobs: int = 1,
                    on_result: ResultCallback | None = None) -> MigrationReport:
    """Run the plan, one transaction per schema; failures are reported, not raised.

    Tenant schemas take the fast path when Alembic can render the step as SQL (every revision
    on the way is plain DDL; a revision that must run online says ``online_only = True``):
    the SQL is rendered once per starting version and replayed in each tenant's transaction,
    so a tenant costs four round trips and almost no Python. Otherwise Alembic runs online in
    each tenant (env.py).
    """
    report = MigrationReport(scope=plan.scope, target=plan.target, skipped=plan.skipped)
    if not plan.pending:
        return report

    def record(schema: str, error: str | None) -> None:
        if error is None:
            report.migrated.append(schema)
        else:
            report.failed[schema] = error
        if on_result is not None:
            on_result(schema, error)

    migrations_dir = _migrations_dir()
    batches = []  # (schemas, rendered SQL or None, their current version)
    by_version: dict[str | None, list[str]] = {}
    for schema, version in plan.pending.items():
        by_version.setdefault(version, []).append(schema)
    known = _known_revisions(plan.scope, migrations_dir)
    for version in [v for v in by_version if v is not None and v not in known]:
        for schema in by_version.pop(version):  # Alembic could not place it: never guess
            record(schema, f"UnknownRevision: {version} is not a {plan.scope} revision")
    for version, schemas in by_version.items():
        sql = None
        if plan.scope == "tenant":
            sql = render_sql(plan.direction, version, plan.target, migrations_dir)
        batches.append((schemas, sql, version))

    work = [(schemas[i::jobs], sql, version) for schemas, sql, version in batches
            for i in range(min(jobs, len(schemas)))]
    arguments = (plan.scope, plan.direction, plan.revision, migrations_dir)
    if jobs <= 1 or len(plan.pending) == 1:
        for schemas, sql, version in work:
            _migrate_batch(engine, schemas, sql, version, *arguments, on_result=record)
        return report

    from omniorder.tenancy.fanout import worker_pool

    engine.dispose()  # no pooled connection may be inherited by the forked workers
    url = engine.url.render_as_string(hide_password=False)
    with worker_pool(jobs) as pool:
        jobs_list = [(url, schemas, sql, version, *arguments) for schemas, sql, version in work]
        for results in pool.imap_unordered(_migrate_batch_in_worker, jobs_list):
            for schema, error in results:
                record(schema, error)
        pool.close()
        pool.join()
    return report


def migrate(engine: Engine, *, scope: str, direction: str, revision: str = "head",
            jobs: int = 1) -> MigrationReport:
    """Plan and apply in one call."""
    plan = plan_migration(engine, scope=scope, direction=direction, revision=revision)
    return apply_migration(engine, plan, jobs=jobs)


@cache
def _known_revisions(scope: str, migrations_dir: str) -> frozenset[str]:
    """Every revision id of `scope`, read without importing Alembic (see `_linear_head`)."""
    found = set()
    for path in (Path(migrations_dir) / "versions" / scope).glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] \
                    == ["revision"] and isinstance(node.value, ast.Constant):
                found.add(node.value.value)
    return frozenset(found)


def render_sql(direction: str, current: str | None, target: str | None,
               migrations_dir: str) -> str | None:
    """The tenant SQL from `current` to `target`, rendered by Alembic offline; None when a
    revision on the way must run online."""
    import io

    from alembic import command

    script = _script("tenant", migrations_dir)
    upper, lower = (target, current) if direction == "upgrade" else (current, target)
    for revision in script.iterate_revisions(upper or "base", lower or "base"):
        if getattr(revision.module, "online_only", False):
            return None
    buffer = io.StringIO()
    config = alembic_config("tenant", migrations_dir)
    config.attributes.update(scope="tenant", render_sql=buffer)
    if direction == "upgrade":
        command.upgrade(config, f"{current}:{target}" if current else target, sql=True)
    else:
        command.downgrade(config, f"{current}:{target or 'base'}", sql=True)
    return buffer.getvalue()


def execute_script(connection, sql: str) -> None:
    """Run a multi-statement script as is (simple query protocol: no parameters, no % parsing),
    inside the connection's current transaction."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _migrate_batch(engine, schemas, sql, version, scope, direction, revision, migrations_dir,
                   on_result: ResultCallback | None = None) -> list[tuple[str, str | None]]:
    results = []

    def report(schema, error):
        message = None if error is None else _one_line(error)
        results.append((schema, message))
        if on_result is not None:
            on_result(schema, message)

    if sql is None:
        _run_alembic(engine, schemas, scope, direction, revision, migrations_dir, report)
        return results
    with engine.connect() as connection:
        for schema in schemas:
            try:
                with connection.begin():
                    lock_and_bind(connection, schema)
                    current = connection.exec_driver_sql(
                        "SELECT version_num FROM alembic_version").scalar() \
                        if version is not None else None
                    if current != version:
                        raise RuntimeError(f"found {current}, expected {version}: re-run")
                    execute_script(connection, sql)
            except Exception as error:  # noqa: BLE001 - one tenant's failure is reported
                report(schema, error)
            else:
                report(schema, None)
    return results


def lock_and_bind(connection, schema_name: str) -> None:
    """Serialise migrators per schema and point search_path at it for this transaction only."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:lock)), "
             "set_config('search_path', :path, true)"),
        {"lock": f"omniorder-migrate:{schema_name}",
         "path": quote_schema(schema_name) if schema_name != "public" else "public"})


def _run_alembic(engine, schemas, scope, direction, revision, migrations_dir, report) -> None:
    """Alembic online through env.py, which reports each schema."""
    from alembic import command

    config = alembic_config(scope, migrations_dir)
    config.attributes.update(engine=engine, scope=scope, schemas=schemas, report=report)
    run = command.upgrade if direction == "upgrade" else command.downgrade
    if scope != "public":
        run(config, revision)
        return
    try:
        run(config, revision)
    except Exception as error:  # noqa: BLE001 - the public run fails as a whole
        report("public", error)
    else:
        report("public", None)


def _migrate_batch_in_worker(arguments) -> list[tuple[str, str | None]]:
    url, *rest = arguments
    engine = create_engine(url, pool_size=1)
    try:
        return _migrate_batch(engine, *rest)
    finally:
        engine.dispose()


def _one_line(error: BaseException) -> str:
    """`DuplicateColumn: column "x" … already exists`: the driver's error, when there is one."""
    error = getattr(error, "orig", None) or error
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"
