"""The back office: menu, orders and sales (managers and admins), staff, webhooks, e-mails,
printers, and the restaurant's own pages (`restaurant/`: setup, profile, branding, theme,
settings; admins).

One module per capability; ids in paths go through Werkzeug's ``uuid`` converter, so a view
gets a `uuid.UUID` (compared as one, whatever the letter case of the URL) and a malformed id
is a 404 before any view.
"""

from omniorder.blueprints.admin import (  # noqa: F401  (the pages, each registering on `bp`)
    emails,
    menu,
    menu_transfer,
    option_groups,
    orders,
    printers,
    restaurant,
    staff,
    webhooks,
)
from omniorder.blueprints.admin.base import bp

__all__ = ["bp"]
