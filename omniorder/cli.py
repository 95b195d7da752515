"""Operator commands: thin wrappers over the same services the HTTP API calls.

Every failure ends in one readable line and a non-zero exit code: 2 for bad input, 1 for
everything else (conflicts, unknown tenants, failed migrations).
"""

import functools
import json
import sys
import time

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from omniorder.errors import DomainError, Invalid
from omniorder.extensions import db
from omniorder.money import format_cents
from omniorder.services import analytics, export
from omniorder.services.demo import ensure_demo_tenants
from omniorder.services.tenants import drop_tenant, list_tenants, provision_tenant
from omniorder.tenancy import migrate as migrations
from omniorder.unit_of_work import unit_of_work

tenants_cli = AppGroup("tenants", help="Provision, list and drop restaurants.")
orders_cli = AppGroup("orders", help="Cold storage of old orders (Parquet).")
analytics_cli = AppGroup("analytics", help="The cross-tenant sales warehouse.")
db_cli = AppGroup("db", help="Alembic migrations for the public schema and every tenant.")


def domain_errors(command):
    """Run the command as one unit of work (commit at its end, roll back on any failure) and
    turn a service's domain error into click's one-line error and exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with unit_of_work():
                return command(*args, **kwargs)
        except Invalid as error:
            raise click.UsageError(error.message) from None
        except DomainError as error:
            raise click.ClickException(error.message) from None

    return wrapper


def parse_theme(ctx, param, value):
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        raise click.BadParameter("must be a JSON object") from None


@tenants_cli.command("create")
@click.option("--name", required=True, help='Restaurant name, e.g. "Pizza Hut".')
@click.option("--domain", required=True, help="Host that serves it, e.g. pizza.example.com.")
@click.option("--schema", "schema_name", help="Schema name (default: tenant_<clean name>).")
@click.option("--theme", callback=parse_theme, help='JSON, e.g. {"primary_color": "#d62300"}.')
@click.option("--admin-email", help="Default: admin@<domain>.")
@click.option("--admin-password", help="Default: a generated one, printed once.")
@domain_errors
def create_tenant(name, domain, schema_name, theme, admin_email, admin_password):
    """Create a restaurant: schema, tables, admin login and a starter menu."""
    tenant = provision_tenant(
        name=name, domain=domain, schema_name=schema_name, theme_config=theme,
        admin_email=admin_email,
        admin_password=admin_password,
    )
    click.echo(f"created {tenant.name}: domain {tenant.domain}, schema {tenant.schema_name}")
    click.echo(f"admin login: {tenant.admin_email}")
    if tenant.generated_password:
        click.echo(f"admin password (shown once): {tenant.generated_password}")


@tenants_cli.command("list")
def list_command():
    """One line per tenant: domain, schema, name, created."""
    for tenant in list_tenants():
        created = tenant.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{tenant.domain}\t{tenant.schema_name}\t{tenant.name}\t{created}")


@tenants_cli.command("drop")
@click.argument("domain")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@domain_errors
def drop_command(domain, yes):
    """Erase a restaurant: its schema with all its data, and its registry row."""
    if not yes:
        click.confirm(f"Drop {domain} and ALL its data? This cannot be undone", abort=True)
    tenant = drop_tenant(domain)
    click.echo(f"dropped {tenant.domain} (schema {tenant.schema_name})")


@tenants_cli.command("export")
@click.argument("domain")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The zip file to write.")
@domain_errors
def export_command(domain, out):
    """A tenant's data as a zip of JSON files (users without password hashes) + manifest."""
    counts = export.export_tenant(domain, out)
    click.echo(f"exported {domain} to {out}: " +
               ", ".join(f"{count} {name}" for name, count in counts.items()))


def _run_scope(scope: str, direction: str, revision: str, jobs: int) -> bool:
    """Migrate one scope with a progress bar; print its summary; True when nothing failed."""
    engine = db.engine
    started = time.perf_counter()
    plan = migrations.plan_migration(engine, scope=scope, direction=direction, revision=revision)
    label = "public" if scope == "public" else "tenants"
    if plan.pending and scope == "tenant":
        with click.progressbar(length=len(plan.pending), label=label, file=sys.stderr) as bar:
            report = migrations.apply_migration(engine, plan, jobs=jobs,
                                                on_result=lambda schema, error: bar.update(1))
    else:
        report = migrations.apply_migration(engine, plan, jobs=jobs)
    target = report.target or "base"
    seconds = time.perf_counter() - started
    if scope == "public":
        state = "failed" if report.failed else ("migrated" if report.migrated else "already")
        click.echo(f"public: {state} at {target}" if state != "failed" else "public: failed")
    else:
        click.echo(f"tenants: {len(report.migrated)} migrated to {target}, {report.skipped} "
                   f"already there, {len(report.failed)} failed ({seconds:.2f} s)")
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
    "--scope", type=click.Choice(["all", "public", "tenant"]), default="all", show_default=True,
    help="Which schemas; with a revision id it is found from the id.")
jobs_option = click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
                           help="Tenant schemas migrated in parallel (processes).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@scope_choice
@jobs_option
@domain_errors
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
@domain_errors
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
@domain_errors
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


@click.command("demo")
@with_appcontext
@click.option("--port", default=5000, show_default=True, help="Port shown in the URLs.")
@domain_errors
def demo_command(port):
    """Provision the demo restaurants if missing and print their URLs and logins."""
    for demo, created in ensure_demo_tenants():
        click.echo(f"{demo['name']}: http://{demo['domain']}:{port}/ "
                   f"({'created' if created else 'already there'})")
        click.echo(f"  admin login: {demo['admin_email']} / {demo['admin_password']}")
        click.echo(f"  kitchen login: {demo['kitchen_email']} / {demo['kitchen_password']}"
                   f" (board: http://{demo['domain']}:{port}/kitchen)")


@analytics_cli.command("refresh")
@click.option("--full", is_flag=True, help="Recompute every day of every tenant.")
@click.option("--domain", help="Only this tenant.")
@jobs_option
@domain_errors
def analytics_refresh(full, domain, jobs):
    """Count new orders into public.analytics (incremental unless --full)."""
    started = time.perf_counter()
    bar = None

    def start(count):
        nonlocal bar
        if count:
            bar = click.progressbar(length=count, label="tenants", file=sys.stderr)
            bar.__enter__()

    try:
        result = analytics.refresh(full=full, jobs=jobs, domain=domain, on_start=start,
                                   on_result=lambda tenant, error: bar and bar.update(1))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(f"analytics: {result.refreshed} tenants refreshed, {result.unchanged} unchanged, "
               f"{len(result.failed)} failed ({time.perf_counter() - started:.2f} s)")
    for tenant, error in sorted(result.failed.items()):
        click.echo(f"failed: {tenant}: {error}", err=True)
    if result.failed:
        raise click.ClickException("some tenants failed; re-run to retry them")


@analytics_cli.command("report")
@click.option("--from", "date_from", help="First day, YYYY-MM-DD (UTC).")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD (UTC).")
@click.option("--domain", help="Only this tenant.")
@domain_errors
def analytics_report(date_from, date_to, domain):
    """Orders, revenue and items sold per tenant, and the platform total."""
    rows = analytics.report(analytics.parse_day(date_from, "from"),
                            analytics.parse_day(date_to, "to"), domain)
    width = max([len(row.domain) for row in rows] + [8])
    click.echo(f"{'tenant':<{width}}  {'orders':>8}  {'revenue':>14}  {'items':>8}")
    for row in rows:
        click.echo(f"{row.domain:<{width}}  {row.orders:>8}  {format_cents(row.revenue_cents):>14}"
                   f"  {row.items_sold:>8}")
    click.echo(f"{'TOTAL':<{width}}  {sum(r.orders for r in rows):>8}  "
               f"{format_cents(sum(r.revenue_cents for r in rows)):>14}  "
               f"{sum(r.items_sold for r in rows):>8}")


@orders_cli.command("archive")
@click.option("--older-than", default="12mo", show_default=True, help="e.g. 12mo, 1y, 400d.")
@click.option("--dest", help="Local folder or s3://bucket/prefix (default: "
                             "OMNIORDER_ARCHIVE_URI, else instance/archive).")
@click.option("--domain", help="Only this tenant.")
@click.option("--dry-run", is_flag=True, help="Count, move nothing.")
@jobs_option
@domain_errors
def archive_command(older_than, dest, domain, dry_run, jobs):
    """Move finished orders older than the cutoff out of each tenant into Parquet files."""
    from omniorder.services import archive

    result = archive.archive(older_than=older_than, uri=dest, domain=domain, dry_run=dry_run,
                             jobs=jobs)
    verb = "would move" if dry_run else "moved"
    click.echo(f"archive: {verb} {sum(result.archived.values())} orders from "
               f"{sum(1 for n in result.archived.values() if n)} tenants, "
               f"{len(result.failed)} failed")
    for tenant, count in sorted(result.stuck.items()):
        click.echo(f"not moved: {tenant}: {count} old orders are not DONE "
                   "(the other orders of their days wait with them)")
    for tenant, error in sorted(result.failed.items()):
        click.echo(f"failed: {tenant}: {error}", err=True)
    if result.failed:
        raise click.ClickException("some tenants failed; re-run to continue")


@orders_cli.command("restore")
@click.option("--domain", required=True)
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--dest", help="Where the archive is (as for archive).")
@domain_errors
def restore_command(domain, month, dest):
    """Bring one archived month of a tenant back (orders already present are kept)."""
    from omniorder.services import archive

    count = archive.restore(domain, month, dest)
    click.echo(f"restored {count} orders of {domain} for {month}")


def init_app(app: Flask) -> None:
    app.cli.add_command(tenants_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
