"""Print agents: a name and a token shown once (only its SHA-256 is kept, so a database dump
prints nothing), revocable at once on every worker (the change feed drops the cached hashes)."""

import secrets

from sqlalchemy import func, select

from omniorder.core.database import db, get_or_404
from omniorder.core.text_input import clean_line
from omniorder.printing.jobs import token_digest
from omniorder.printing.models import PrintDevice

MAX_NAME = 60


def add_device(name) -> tuple[PrintDevice, str]:
    """A new agent and its token (the only time the token exists in the clear)."""
    name = clean_line("name", name, limit=MAX_NAME, required=True)
    token = "opa_" + secrets.token_urlsafe(32)
    device = PrintDevice(name=name, token_hash=token_digest(token))
    db.session.add(device)
    db.session.flush()
    return device, token


def list_devices() -> list[PrintDevice]:
    return list(db.session.scalars(select(PrintDevice).order_by(PrintDevice.created_at)))


def revoke_device(device_id) -> PrintDevice:
    """Its token stops working at once; revoking twice is fine."""
    device = get_or_404(PrintDevice, device_id, "print agent")
    if device.revoked_at is None:
        device.revoked_at = func.now()
        db.session.flush()
    return device
