"""``flask tenants create|list|drop|suspend|resume|export|settings|rotate-secrets|placement|
move``, ``flask platform invite`` and ``flask demo``."""

import datetime
import json

import click
from flask.cli import AppGroup, with_appcontext

from omniorder.cluster import nodes as cluster
from omniorder.core import json_input
from omniorder.core.commands import command
from omniorder.core.errors import DomainError
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform import export
from omniorder.platform.demo import ensure_demo_tenants
from omniorder.platform.signup import make_invites
from omniorder.platform.suspension import resume_tenant, suspend_tenant
from omniorder.platform.tenants import drop_tenant, list_tenants, provision_tenant
from omniorder.settings.document import (
    current_settings,
    public_settings,
    reseal_secrets,
    update_settings,
)
from omniorder.settings.payments import secret_holder_domains
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import bind_tenant_named, tenant_registry

tenants_cli = AppGroup("tenants", help="Provision, list and drop restaurants.")


def parse_theme(ctx, param, value):
    if value is None:
        return None
    try:
        return json_input.loads(value)
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
    """Erase a restaurant: its schema with all its data, its registry row, its archived
    orders and its photos."""
    if not yes:
        click.confirm(f"Drop {domain} and ALL its data? This cannot be undone", abort=True)
    tenant = drop_tenant(domain)
    click.echo(f"dropped {tenant.domain} (schema {tenant.schema_name})")


@tenants_cli.command("suspend")
@click.argument("domain")
@click.option("--reason", required=True, help='Shown to its staff, e.g. "Unpaid invoice".')
@command
def suspend_command(domain, reason):
    """Take a restaurant offline: storefront and API answer 503, no orders; staff can still
    sign in and see the reason. Nothing is deleted; `resume` undoes it."""
    state = suspend_tenant(domain, reason)
    since = state.suspended_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if state.changed:
        click.echo(f"suspended {state.domain}: {state.suspended_reason}")
    else:
        click.echo(
            f"{state.domain} was already suspended (since {since}): {state.suspended_reason}"
        )


@tenants_cli.command("resume")
@click.argument("domain")
@command
def resume_command(domain):
    """Lift a restaurant's suspension: it takes orders again."""
    state = resume_tenant(domain)
    click.echo(f"resumed {state.domain}" if state.changed else f"{state.domain} was not suspended")


@tenants_cli.command("placement")
@command
def placement_command():
    """On a Citus cluster: one line per tenant: domain, schema, node (HOST:PORT), size."""
    for placement in cluster.placements():
        node = placement.node or "coordinator (not distributed)"
        click.echo(
            f"{placement.domain}\t{placement.schema_name}\t{node}\t"
            f"{cluster.human_size(placement.size_bytes)}"
        )


@tenants_cli.command("move")
@click.argument("domain")
@click.option("--to", "to", required=True, metavar="HOST:PORT", help="The worker node to move to.")
@command
def move_command(domain, to):
    """On a Citus cluster: move a restaurant to another worker node while it keeps serving."""
    move = cluster.move_tenant(domain, to, report=click.echo)
    if move.moved:
        click.echo(f"moved {move.domain} to {move.target}")
    else:
        click.echo(f"{move.domain} is already on {move.target}; nothing moved")


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


def parse_assignments(ctx, param, values) -> list[tuple[list[str], object]]:
    """--set KEY=VALUE → (the dotted key's parts, the value): JSON when it parses as JSON, else
    the bare text (``timezone=Europe/Berlin``)."""
    assignments = []
    for assignment in values:
        path, equals, text = assignment.partition("=")
        keys = path.strip().split(".")
        if not equals or not all(keys):
            raise click.BadParameter(f"{assignment!r} must be KEY=VALUE, e.g. tax.rate_bp=1900")
        try:
            value = json_input.loads(text)
        except ValueError:
            value = text
        except RecursionError:
            raise click.BadParameter(f"the value of {path} is nested too deeply") from None
        assignments.append((keys, value))
    return assignments


def read_settings_file(ctx, param, file) -> dict | None:
    if file is None:
        return None
    try:
        document = json_input.loads(file.read())
    except (ValueError, RecursionError):
        raise click.BadParameter("must be a file holding a JSON object") from None
    if not isinstance(document, dict):
        raise click.BadParameter("must be a file holding a JSON object")
    return document


def settings_change(document: dict | None, assignments) -> dict:
    """The file's partial document with each --set laid over it (dotted keys nest)."""
    change = dict(document or {})
    for keys, value in assignments:
        target = change
        for key in keys[:-1]:
            inner = target.get(key)
            target[key] = dict(inner) if isinstance(inner, dict) else {}
            target = target[key]
        target[keys[-1]] = value
    return change


@tenants_cli.command("settings")
@click.argument("domain")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    callback=parse_assignments,
    metavar="KEY=VALUE",
    help="Change one setting: tax.rate_bp=1900, tips.enabled=true, timezone=Europe/Berlin.",
)
@click.option(
    "--json",
    "document",
    type=click.File("rb"),
    callback=read_settings_file,
    help="A JSON file with the settings to change (a partial document, merged).",
)
@command
def settings_command(domain, assignments, document):
    """Print a restaurant's settings as JSON (payment secrets masked), after merging any
    changes (saved whole or not at all; objects such as tax merge into the stored ones)."""
    bind_tenant_named(domain)
    if assignments or document is not None:
        settings = update_settings(settings_change(document, assignments))
    else:
        settings = current_settings()
    click.echo(json.dumps(public_settings(settings), indent=2, ensure_ascii=False))


@tenants_cli.command("rotate-secrets")
def rotate_secrets_command():
    """Seal every stored secret (restaurants' payment keys) again with the first key of
    OMNIORDER_ENCRYPTION_KEYS, one transaction per restaurant; then the older keys can go."""
    with unit_of_work():
        domains = secret_holder_domains()
    restaurants = resealed = 0
    for domain in domains:
        record = tenant_registry().lookup(domain)
        if record is None:  # dropped since: its secrets went with it
            continue
        try:
            with tenant_context(record), unit_of_work():
                resealed += reseal_secrets()
        except DomainError as error:
            failure = click.ClickException(
                f"{error.message}; {restaurants} restaurants re-sealed before it, "
                "the others not tried"
            )
            failure.exit_code = error.cli_exit_code
            raise failure from None
        restaurants += 1
    click.echo(
        f"re-sealed {resealed} secrets of {restaurants} restaurants with the first key "
        "of OMNIORDER_ENCRYPTION_KEYS"
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


platform_cli = AppGroup("platform", help="The platform itself: invite codes for sign-up.")


@platform_cli.command("invite")
@click.option("--count", type=click.IntRange(1, 1000), default=1, show_default=True)
@command
def invite_command(count):
    """Print COUNT single-use invite codes for /signup (OMNIORDER_SIGNUP=invite); they are
    shown only now: the database keeps their hashes."""
    for code in make_invites(count):
        click.echo(code)
