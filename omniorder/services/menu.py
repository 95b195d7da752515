"""Reading and changing a restaurant's menu (the bound tenant's)."""

from sqlalchemy import select

from omniorder.extensions import db
from omniorder.models import MenuItem


def menu_items() -> list[MenuItem]:
    """Every item of the tenant, sorted by name: one statement."""
    return list(db.session.scalars(select(MenuItem).order_by(MenuItem.name, MenuItem.id)))
