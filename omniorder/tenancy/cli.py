"""``flask db upgrade|downgrade|current|revision``: Alembic across public and every tenant."""

import sys
import time

import click
from flask.cli import AppGroup

from omniorder.core.commands import command, jobs_option
from omniorder.core.database import db
from omniorder.tenancy import migrate as migrations

db_cli = AppGroup("db", help="Alembic migrations for the public schema and every tenant.")


def _run_scope(scope: str, direction: str, revision: str, jobs: int) -> bool:
    """Migrate one scope with a progress bar; print its summary; True when nothing failed."""
    engine = db.engine
    started = time.perf_counter()
    plan = migrations.plan_migration(engine, scope=scope, direction=direction, revision=revision)
    label = "public" if scope == "public" else "tenants"
    if plan.pending and scope == "tenant":
        with click.progressbar(length=len(plan.pending), label=label, file=sys.stderr) as bar:
            report = migrations.apply_migration(
                engine, plan, jobs=jobs, on_result=lambda schema, error: bar.update(1)
            )
    else:
        report = migrations.apply_migration(engine, plan, jobs=jobs)
    target = report.target or "base"
    seconds = time.perf_counter() - started
    if scope == "public":
        state = "failed" if report.failed else ("migrated" if report.migrated else "already")
        click.echo(f"public: {state} at {target}" if state != "failed" else "public: failed")
    else:
        click.echo(
            f"tenants: {len(report.migrated)} migrated to {target}, {report.skipped} "
            f"already there, {len(report.failed)} failed ({seconds:.2f} s)"
        )
    for schema, error in sorted(report.failed.items()):
        click.echo(f"failed: {schema}: {error}", err=True)
    return not report.failed


def _scopes(scope_option: str, revision: str) -> list[str]:
    if scope_option == "all":
        if revision in ("head", "heads"):
            return ["public", "tenant"]
        return [migrations.scope_of(revision)]
    return [scope_option]


scope_choice = click.option(
    "--scope",
    type=click.Choice(["all", "public", "tenant"]),
    default="all",
    show_default=True,
    help="Which schemas; with a revision id it is found from the id.",
)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@scope_choice
@jobs_option
@command
def upgrade_command(revision, scope, jobs):
    """Upgrade public, then every tenant schema (skipping those already at the target)."""
    ok = True
    for each in _scopes(scope, revision):
        ok = _run_scope(each, "upgrade", "head" if revision == "heads" else revision, jobs) and ok
    if not ok:
        raise click.ClickException("some schemas failed; fix them and re-run to continue")


@db_cli.command("downgrade")
@click.argument("revision")
@scope_choice
@jobs_option
@command
def downgrade_command(revision, scope, jobs):
    """Downgrade the schemas of REVISION's set (public or tenant) to REVISION."""
    relative = revision in ("base", "head") or revision[:1] in "-+"
    if scope == "all" and relative:
        raise click.UsageError(f"{revision} is ambiguous here: give --scope public|tenant")
    ok = True
    for each in _scopes(scope, revision):
        ok = _run_scope(each, "downgrade", revision, jobs) and ok
    if not ok:
        raise click.ClickException("some schemas failed; fix them and re-run to continue")


@db_cli.command("current")
@click.option("--verbose", is_flag=True, help="One line per tenant schema.")
@command
def current_command(verbose):
    """The public revision and how many tenant schemas are at each revision."""
    engine = db.engine
    public = migrations.schema_versions(engine, ["public"])["public"]
    heads = {scope: migrations.head_revision(scope) for scope in migrations.SCOPES}
    click.echo(f"public: {public or 'base'}{' (head)' if public == heads['public'] else ''}")
    versions = migrations.schema_versions(engine, migrations.tenant_schemas(engine))
    counts: dict[str, int] = {}
    for version in versions.values():
        counts[version or "base"] = counts.get(version or "base", 0) + 1
    for version, count in sorted(counts.items()):
        head = " (head)" if version == heads["tenant"] else ""
        click.echo(f"tenants: {count} at {version}{head}")
    if verbose:
        for schema, version in sorted(versions.items()):
            click.echo(f"{schema}\t{version or 'base'}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--scope", type=click.Choice(["public", "tenant"]), required=True)
def revision_command(message, scope):
    """Write a new, empty revision file for the public or the tenant set."""
    from alembic import command

    script = command.revision(migrations.alembic_config(scope), message=message)
    click.echo(f"wrote {script.path}")
