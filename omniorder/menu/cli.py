"""``flask menu export|import``: a restaurant's whole menu as one JSON document
(menu/document.py), the same as ``GET``/``PUT /api/v1/sys/tenants/<domain>/menu``."""

import json

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from omniorder.core import json_input
from omniorder.core.commands import command
from omniorder.core.errors import Invalid
from omniorder.menu.document import export_menu, import_menu
from omniorder.tenancy.registry import bind_tenant_named

menu_cli = AppGroup("menu", help="Export and import a restaurant's menu (one JSON document).")


@menu_cli.command("export")
@click.argument("domain")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    help="The file to write (default: standard output).",
)
@command
def export_command(domain, out):
    """Print (or write to --out) the restaurant's menu as JSON."""
    bind_tenant_named(domain)
    text = json.dumps(export_menu(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    with open(out, "w", encoding="utf-8") as file:
        file.write(text)
    click.echo(f"exported the menu of {domain} to {out}", err=True)


def read_document(file) -> object:
    try:
        return json_input.loads(file.read())
    except UnicodeDecodeError:
        raise Invalid("FILE", _("must be UTF-8 text")) from None
    except (ValueError, RecursionError) as error:
        raise Invalid("FILE", _("is not JSON (%(reason)s)", reason=str(error)[:80])) from None


@menu_cli.command("import")
@click.argument("domain")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Only check the document; change nothing.")
@command
def import_command(domain, file, dry_run):
    """Replace the restaurant's whole menu with FILE's (- reads standard input), in one
    transaction: any problem and nothing changes."""
    bind_tenant_named(domain)
    counts = import_menu(read_document(file), dry_run=dry_run)
    summary = (
        f"{counts.categories} categories, {counts.items} items, "
        f"{counts.option_groups} option groups, {counts.options} options"
    )
    if dry_run:
        click.echo(f"{file.name}: valid ({summary}); nothing changed (dry run)")
    else:
        click.echo(f"imported the menu of {domain}: {summary}")
