"""``flask cluster nodes|rebalance|distribute``: the Citus cluster behind the app
(deploy/citus.md). ``flask tenants placement|move`` place single restaurants."""

import click
from flask.cli import AppGroup

from omniorder.cluster import nodes as cluster
from omniorder.core.commands import command

cluster_cli = AppGroup("cluster", help="Nodes of a Citus cluster and the tenants on them.")


@cluster_cli.command("nodes")
@command
def nodes_command():
    """One line per node: HOST:PORT, role, state, tenants held, their size."""
    for node in cluster.nodes():
        state = "active" if node.active else "inactive"
        if node.role == "worker" and not node.holds_tenants:
            state += ", draining (takes no tenants)"
        click.echo(
            f"{node.address}\t{node.role}\t{state}\t{node.tenants} tenants\t"
            f"{cluster.human_size(node.size_bytes)}"
        )


@cluster_cli.command("rebalance")
@click.option(
    "--by",
    type=click.Choice(sorted(cluster.STRATEGIES)),
    default="tenants",
    show_default=True,
    help="Even the number of tenants per worker, or their size.",
)
@click.option("--dry-run", is_flag=True, help="Print the moves without making them.")
@command
def rebalance_command(by, dry_run):
    """Even tenants across the worker nodes, moving them online (Citus' rebalancer)."""
    plan = cluster.rebalance(by=by, dry_run=dry_run, report=click.echo)
    if not plan:
        click.echo("balanced already; nothing to move")
    elif dry_run:
        for schema, source, target in plan:
            click.echo(f"would move {schema} from {source} to {target}")
    else:
        click.echo(f"moved {len(plan)} tenant(s)")


@cluster_cli.command("distribute")
@command
def distribute_command():
    """Make tenants provisioned before Citus was installed distributed schemas (each then
    lives on one worker; new tenants are distributed when provisioned)."""
    distributed = cluster.distribute_tenants(report=click.echo)
    click.echo(f"distributed {len(distributed)} tenant schema(s)")
