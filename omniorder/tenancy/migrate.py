"""``flask db``: Alembic across the public schema and every tenant schema, in two steps.

Planning (`plan_migration`) runs nothing. Every tenant's version is read in one query and the
revision files once, with `ast`: importing Alembic costs about 0.1 s, a fifth of a no-op run,
and planning only needs the revision ids and the head. Each schema not at the target is
pending from its own version; one at a version its set does not know is reported, never
guessed. So a no-op ``flask db upgrade`` sends six queries (public and tenants) whatever the
number of tenants, touches no tenant, and imports no Alembic while the files are plain.

Applying (`apply_migration`) runs the pending schemas on fanout's pool
(`omniorder.tenancy.fanout.fan_out`), one transaction each; with ``jobs > 1`` over forked
worker processes, each with its own connection (Alembic's ``op`` proxy is process-global, so
threads could not share it). A failed tenant keeps its old version, so a re-run continues
where the last one stopped.
"""

import ast
import re
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Engine, text

from omniorder.core.errors import Conflict, Invalid
from omniorder.tenancy.fanout import ResultCallback, Task, each_in_transaction, fan_out, split
from omniorder.tenancy.names import quote_schema

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCOPES = ("public", "tenant")


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


# Planning: what the revision files and the schemas' versions say; nothing runs.


@dataclass(frozen=True)
class Revisions:
    """What planning needs from one set of revision files."""

    ids: frozenset[str]
    heads: frozenset[str]


@cache
def _read_revisions(scope: str, migrations_dir: str) -> Revisions | None:
    """The ids and heads of `scope`, read from the revision files with `ast` (nothing runs).

    None when a file gives its ``revision`` or ``down_revision`` as anything but literals, or
    names a parent that is not there: the caller then asks Alembic.
    """
    parents: dict[str, tuple[str, ...]] = {}
    for path in (Path(migrations_dir) / "versions" / scope).glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                name, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                name, value = node.target, node.value
            else:
                continue
            if isinstance(name, ast.Name) and name.id in ("revision", "down_revision"):
                try:
                    values[name.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, down = values.get("revision"), values.get("down_revision")
        down = () if down is None else (down,) if isinstance(down, str) else down
        if (
            not isinstance(revision, str)
            or not isinstance(down, tuple | list)
            or not all(isinstance(parent, str) for parent in down)
        ):
            return None
        parents[revision] = tuple(down)
    referenced = {parent for down in parents.values() for parent in down}
    if not referenced <= parents.keys():
        return None
    return Revisions(frozenset(parents), frozenset(parents.keys() - referenced))


def forget_revision_files() -> None:
    """Read the revision files afresh next time (for a test that has just added one)."""
    _read_revisions.cache_clear()
    _script.cache_clear()


def revisions(scope: str) -> Revisions:
    """The ids and heads of `scope`: from `_read_revisions`, else from Alembic."""
    migrations_dir = _migrations_dir()
    found = _read_revisions(scope, migrations_dir)
    if found is None:
        script = _script(scope, migrations_dir)
        found = Revisions(
            frozenset(each.revision for each in script.walk_revisions()),
            frozenset(script.get_heads()),
        )
    return found


def head_revision(scope: str) -> str:
    heads = revisions(scope).heads
    if len(heads) == 1:
        return next(iter(heads))
    return script_directory(scope).get_current_head()  # None, or Alembic's "multiple heads"


def tenant_head_revision() -> str:
    """The revision a freshly provisioned tenant schema is stamped with."""
    return head_revision("tenant")


def tenant_schemas(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if connection.scalar(text("SELECT to_regclass('public.tenants')")) is None:
            raise Conflict("the public schema is not migrated yet: run `flask db upgrade`")
        return list(
            connection.scalars(text("SELECT schema_name FROM public.tenants ORDER BY schema_name"))
        )


def schema_versions(engine: Engine, schemas: list[str]) -> dict[str, str | None]:
    """Every schema's Alembic version in two queries, whatever the number of schemas.

    None means the schema has no version table (never migrated, or the schema is missing).
    """
    versions: dict[str, str | None] = dict.fromkeys(schemas)
    if not schemas:
        return versions
    with engine.connect() as connection:
        versioned = list(
            connection.scalars(
                text(
                    "SELECT n.nspname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = 'alembic_version' AND n.nspname = ANY(:schemas)"
                ),
                {"schemas": schemas},
            )
        )
        for start in range(0, len(versioned), 1000):
            chunk = versioned[start : start + 1000]
            union = " UNION ALL ".join(
                f"SELECT %s, version_num FROM {quote_schema(s)}.alembic_version"  # noqa: S608
                if s != "public"
                else "SELECT %s, version_num FROM public.alembic_version"
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
    if revision in revisions(scope).ids:
        return revision
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
    pending: dict[str, str | None]  # every schema not at the target → its current version
    skipped: int  # schemas already at the target
    unknown: frozenset[str] = frozenset()  # pending, at a version `scope` does not have

    def steps(self) -> dict[str | None, list[str]]:
        """The pending schemas that can be migrated, by the version they start from."""
        steps: dict[str | None, list[str]] = {}
        for schema, version in self.pending.items():
            if schema not in self.unknown:
                steps.setdefault(version, []).append(schema)
        return steps


def plan_migration(
    engine: Engine, *, scope: str, direction: str, revision: str = "head"
) -> MigrationPlan:
    """Which schemas of `scope` are not yet at `revision`, and from where (two queries for all
    tenants, nothing run)."""
    target = _resolve(scope, revision)
    schemas = ["public"] if scope == "public" else tenant_schemas(engine)
    versions = schema_versions(engine, schemas)
    pending = {schema: versions[schema] for schema in schemas if versions[schema] != target}
    known = revisions(scope).ids if pending else frozenset()
    unknown = frozenset(
        schema
        for schema, version in pending.items()
        if version is not None and version not in known
    )
    return MigrationPlan(
        scope, direction, revision, target, pending, len(schemas) - len(pending), unknown
    )


# Applying: tasks on fanout's pool, each reporting every schema it was given.


def apply_migration(
    engine: Engine, plan: MigrationPlan, *, jobs: int = 1, on_result: ResultCallback | None = None
) -> MigrationReport:
    """Run the plan on fanout's pool, one transaction per schema; failures are reported, not
    raised, and `on_result(schema, error_or_None)` hears each schema as it finishes."""
    report = MigrationReport(scope=plan.scope, target=plan.target, skipped=plan.skipped)
    for schema in sorted(plan.unknown):  # Alembic could not place it: never guess
        report.failed[schema] = (
            f"UnknownRevision: {plan.pending[schema]} is not a {plan.scope} revision"
        )
        if on_result is not None:
            on_result(schema, report.failed[schema])
    outcomes = fan_out(engine, _tasks(plan, jobs), jobs=jobs, on_result=on_result)
    for schema, outcome in outcomes.items():
        if outcome.error is None:
            report.migrated.append(schema)
        else:
            report.failed[schema] = outcome.error
    return report


def migrate(
    engine: Engine, *, scope: str, direction: str, revision: str = "head", jobs: int = 1
) -> MigrationReport:
    """Plan and apply in one call."""
    plan = plan_migration(engine, scope=scope, direction=direction, revision=revision)
    return apply_migration(engine, plan, jobs=jobs)


def _tasks(plan: MigrationPlan, jobs: int) -> list[Task]:
    """For each starting version, its schemas in `jobs` chunks, each chunk one task.

    Tenant schemas take the fast path when Alembic can render the step as SQL (every revision
    on the way is plain DDL; a revision that must run online says ``online_only = True``):
    the SQL is rendered once per starting version and replayed in each tenant's transaction,
    so a tenant costs four round trips and almost no Python. Otherwise Alembic runs online in
    each schema (env.py).
    """
    migrations_dir = _migrations_dir()
    tasks: list[Task] = []
    for version, schemas in plan.steps().items():
        sql = None
        if plan.scope == "tenant":
            sql = render_sql(plan.direction, version, plan.target, migrations_dir)
        for chunk in split(schemas, jobs):
            if sql is None:
                tasks.append(
                    partial(
                        _run_alembic,
                        schemas=chunk,
                        scope=plan.scope,
                        direction=plan.direction,
                        revision=plan.revision,
                        migrations_dir=migrations_dir,
                    )
                )
            else:
                replay = partial(_replay_sql, sql=sql, version=version)
                tasks.append(partial(each_in_transaction, keys=chunk, work=replay))
    return tasks


def render_sql(
    direction: str, current: str | None, target: str | None, migrations_dir: str
) -> str | None:
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


_STATEMENT_PARTS = re.compile(
    r"(?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)?\$)"  # $$...$$, $body$...$body$
    r"|'(?:[^']|'')*'"  # a string, '' inside
    r'|"(?:[^"]|"")*"'  # a quoted name, "" inside
    r"|--[^\n]*|/\*.*?\*/"  # comments
    r"|(?P<end>;)|[^;'\"$/-]+|.",
    re.DOTALL,
)


def sql_statements(script: str) -> list[str]:
    """A SQL script split at its top-level semicolons (not those inside quotes, dollar-quoted
    bodies or comments), without empty or comment-only pieces."""
    statements, current = [], []
    for part in _STATEMENT_PARTS.finditer(script):
        if part.group("end"):
            statements.append("".join(current))
            current = []
        else:
            current.append(part.group(0))
    statements.append("".join(current))
    return [s.strip() for s in statements if _without_comments(s).strip()]


def _without_comments(statement: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.DOTALL)


def execute_statements(connection, statements: list[str]) -> None:
    """Run statements one by one inside the connection's current transaction. One at a time
    because Citus sends a DDL statement's whole query string on to its workers and refuses a
    string of several commands there (CREATE INDEX, ADD FOREIGN KEY on a distributed tenant
    schema); a few more round trips than one multi-statement string, small beside the DDL's
    own work. ``no_parameters``: the statement goes to the driver without a parameter list,
    so a % in it is SQL, not a placeholder."""
    for statement in statements:
        connection.exec_driver_sql(statement, execution_options={"no_parameters": True})


def _replay_sql(connection, schema: str, *, sql: str, version: str | None) -> None:
    """One tenant's step on the fast path, inside its transaction."""
    lock_and_bind(connection, schema)
    current = (
        connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if version is not None
        else None
    )
    if current != version:
        raise RuntimeError(f"found {current}, expected {version}: re-run")
    execute_statements(connection, sql_statements(sql))


def lock_and_bind(connection, schema_name: str) -> None:
    """Serialise migrators per schema and point search_path at it for this transaction only."""
    connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtext(:lock)), set_config('search_path', :path, true)"
        ),
        {
            "lock": f"omniorder-migrate:{schema_name}",
            "path": quote_schema(schema_name) if schema_name != "public" else "public",
        },
    )


def _run_alembic(
    engine: Engine,
    report,
    *,
    schemas: list[str],
    scope: str,
    direction: str,
    revision: str,
    migrations_dir: str,
) -> None:
    """A task: Alembic online through env.py, which reports each tenant schema."""
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
        report("public")
