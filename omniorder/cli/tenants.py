"""``flask tenants create|list|drop|export`` and ``flask demo``."""

import json

import click
from flask.cli import AppGroup, with_appcontext

from omniorder.cli import command
from omniorder.services import export
from omniorder.services.demo import ensure_demo_tenants
from omniorder.services.tenants import drop_tenant, list_tenants, provision_tenant

tenants_cli = AppGroup("tenants", help="Provision, list and drop restaurants.")


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
@command
def create_tenant(name, domain, schema_name, theme, admin_email, admin_password):
    """Create a restaurant: schema, tables, admin login and a starter menu."""
    tenant = provision_tenant(
        name=name,
        domain=domain,
        schema_name=schema_name,
        theme_config=theme,
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
@command
def drop_command(domain, yes):
    """Erase a restaurant: its schema with all its data, and its registry row."""
    if not yes:
        click.confirm(f"Drop {domain} and ALL its data? This cannot be undone", abort=True)
    tenant = drop_tenant(domain)
    click.echo(f"dropped {tenant.domain} (schema {tenant.schema_name})")


@tenants_cli.command("export")
@click.argument("domain")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The zip file to write.",
)
@command
def export_command(domain, out):
    """A tenant's data as a zip of JSON files (users without password hashes) + manifest."""
    counts = export.export_tenant(domain, out)
    click.echo(
        f"exported {domain} to {out}: "
        + ", ".join(f"{count} {name}" for name, count in counts.items())
    )


@click.command("demo")
@with_appcontext
@click.option("--port", default=5000, show_default=True, help="Port shown in the URLs.")
@command
def demo_command(port):
    """Provision the demo restaurants if missing and print their URLs and logins."""
    for demo, created in ensure_demo_tenants():
        click.echo(
            f"{demo['name']}: http://{demo['domain']}:{port}/ "
            f"({'created' if created else 'already there'})"
        )
        click.echo(f"  admin login: {demo['admin_email']} / {demo['admin_password']}")
        click.echo(
            f"  kitchen login: {demo['kitchen_email']} / {demo['kitchen_password']}"
            f" (board: http://{demo['domain']}:{port}/kitchen)"
        )
