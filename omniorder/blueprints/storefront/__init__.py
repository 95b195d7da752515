"""The customer's storefront on a restaurant's own domain: menu, cart, checkout, tracking."""

from flask import Blueprint

bp = Blueprint("storefront", __name__)

from omniorder.blueprints.storefront import routes  # noqa: E402, F401
