"""``flask analytics refresh|report``: the cross-tenant sales warehouse."""

import sys
import time

import click
from flask.cli import AppGroup

from omniorder.analytics import sales as analytics
from omniorder.core.commands import command, jobs_option

analytics_cli = AppGroup("analytics", help="The cross-tenant sales warehouse.")


@analytics_cli.command("refresh")
@click.option(
    "--full",
    is_flag=True,
    help="Recompute every day still in the orders tables (run it after a time-zone change).",
)
@click.option(
    "--since",
    metavar="YYYY-MM-DD",
    help="With --full: first delete the rows from this local day on (after a time-zone "
    "change; only days after the last archived one).",
)
@click.option("--domain", help="Only this tenant.")
@jobs_option
@command
def analytics_refresh(full, since, domain, jobs):
    """Count new orders into public.analytics (incremental unless --full).

    Days are each restaurant's local days (its settings' time zone). After a restaurant changes
    its time zone, `--full --domain DOMAIN` re-keys the days still in its orders table, and
    `--since DAY` also drops old-zone rows from DAY on that no order maps to any more."""
    started = time.perf_counter()
    bar = None

    def start(count):
        nonlocal bar
        if count:
            bar = click.progressbar(length=count, label="tenants", file=sys.stderr)
            bar.__enter__()

    try:
        result = analytics.refresh(
            full=full,
            since=since,
            jobs=jobs,
            domain=domain,
            on_start=start,
            on_result=lambda tenant, error: bar and bar.update(1),
        )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(
        f"analytics: {result.refreshed} tenants refreshed, {result.unchanged} unchanged, "
        f"{len(result.failed)} failed ({time.perf_counter() - started:.2f} s)"
    )
    for tenant, error in sorted(result.failed.items()):
        click.echo(f"failed: {tenant}: {error}", err=True)
    if result.failed:
        raise click.ClickException("some tenants failed; re-run to retry them")


@analytics_cli.command("report")
@click.option("--from", "date_from", help="First day, YYYY-MM-DD (each restaurant's local day).")
@click.option("--to", "date_to", help="Last day, YYYY-MM-DD (each restaurant's local day).")
@click.option("--domain", help="Only this tenant.")
@command
def analytics_report(date_from, date_to, domain):
    """Orders, revenue and items sold per tenant, and the platform total.

    From the warehouse (as of its last refresh); a day is each restaurant's local day, the
    same days as its sales page."""
    report = analytics.report(date_from, date_to, domain)
    width = max([len(row.domain) for row in report.rows] + [8])
    # Revenue in minor units: restaurants keep their own currencies, so the platform total
    # is a sum of numbers, not of money, unless every restaurant uses the same currency.
    click.echo(f"{'tenant':<{width}}  {'orders':>8}  {'revenue (minor)':>15}  {'items':>8}")
    for row in [*report.rows, report.total]:
        click.echo(
            f"{row.domain:<{width}}  {row.orders:>8}  {row.revenue_cents:>15}  {row.items_sold:>8}"
        )
