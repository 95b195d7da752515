"""``flask orders archive|restore``: cold storage of old orders (Parquet)."""

import click
from flask.cli import AppGroup

from omniorder.core.commands import command, jobs_option

orders_cli = AppGroup("orders", help="Cold storage of old orders (Parquet).")


@orders_cli.command("archive")
@click.option("--older-than", default="12mo", show_default=True, help="e.g. 12mo, 1y, 400d.")
@click.option(
    "--dest",
    help="Local folder or s3://bucket/prefix (default: "
    "OMNIORDER_ARCHIVE_URI, else instance/archive).",
)
@click.option("--domain", help="Only this tenant.")
@click.option("--dry-run", is_flag=True, help="Count, move nothing.")
@jobs_option
@command
def archive_command(older_than, dest, domain, dry_run, jobs):
    """Move finished orders older than the cutoff out of each tenant into Parquet files."""
    from omniorder.analytics import archive

    result = archive.archive(
        older_than=older_than, uri=dest, domain=domain, dry_run=dry_run, jobs=jobs
    )
    verb = "would move" if dry_run else "moved"
    click.echo(
        f"archive: {verb} {sum(result.archived.values())} orders from "
        f"{sum(1 for n in result.archived.values() if n)} tenants, "
        f"{len(result.failed)} failed"
    )
    for tenant, count in sorted(result.stuck.items()):
        click.echo(
            f"not moved: {tenant}: {count} old orders are still open (PENDING or COOKING) "
            "(the other orders of their days wait with them)"
        )
    for tenant, error in sorted(result.failed.items()):
        click.echo(f"failed: {tenant}: {error}", err=True)
    if result.failed:
        raise click.ClickException("some tenants failed; re-run to continue")


@orders_cli.command("restore")
@click.option("--domain", required=True)
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--dest", help="Where the archive is (as for archive).")
@command
def restore_command(domain, month, dest):
    """Bring one archived month of a tenant back (orders already present are kept)."""
    from omniorder.analytics import archive

    count = archive.restore(domain, month, dest)
    click.echo(f"restored {count} orders of {domain} for {month}")
