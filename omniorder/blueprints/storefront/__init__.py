"""The customer's storefront on a restaurant's own domain: menu, cart, checkout, tracking,
and the pickup screen by the counter."""

from omniorder.blueprints.storefront import pickup_screen  # noqa: F401 (its routes on bp)
from omniorder.blueprints.storefront.routes import bp

__all__ = ["bp"]
