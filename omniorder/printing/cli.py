"""``flask print devices add|list|revoke``: a restaurant's print agents from the command line,
the same rules as the back office's Printers page (printing/devices.py)."""

import click
from flask.cli import AppGroup

from omniorder.core.commands import command
from omniorder.printing.devices import add_device, list_devices, revoke_device
from omniorder.tenancy.registry import bind_tenant_named

print_cli = AppGroup("print", help="Ticket printers: the print agents of a restaurant.")
devices_cli = AppGroup("devices", help="Register, list and revoke print agents.")
print_cli.add_command(devices_cli)


@devices_cli.command("add")
@click.argument("domain")
@click.option("--name", required=True, help="What to call the agent (e.g. Kitchen PC).")
@command
def add_command(domain, name):
    """Register an agent and print its token, once: it is not stored, only its hash."""
    bind_tenant_named(domain)
    device, token = add_device(name)
    click.echo(f"print agent {device.name} ({device.id}); its token, shown this once:", err=True)
    click.echo(token)


@devices_cli.command("list")
@click.argument("domain")
@command
def list_command(domain):
    """Every agent: id, name, registered, last seen, revoked."""
    bind_tenant_named(domain)
    for device in list_devices():
        seen = device.last_seen_at.isoformat() if device.last_seen_at else "never"
        state = f"revoked {device.revoked_at.isoformat()}" if device.revoked_at else "active"
        click.echo(f"{device.id}\t{device.name}\tlast seen {seen}\t{state}")


@devices_cli.command("revoke")
@click.argument("domain")
@click.argument("device_id")
@command
def revoke_command(domain, device_id):
    """Stop an agent's token from working, at once."""
    bind_tenant_named(domain)
    device = revoke_device(device_id)
    click.echo(f"revoked print agent {device.name} ({device.id})")
