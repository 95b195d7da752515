"""The customer's storefront on a restaurant's own domain: menu, cart, checkout, tracking."""

from omniorder.blueprints.storefront.routes import bp

__all__ = ["bp"]
