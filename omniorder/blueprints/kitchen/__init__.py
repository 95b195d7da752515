"""The kitchen tablet: board, one-tap advances, sold-out toggles, near-free polling."""

from flask import Blueprint

bp = Blueprint("kitchen", __name__, url_prefix="/kitchen")

from omniorder.blueprints.kitchen import routes  # noqa: E402, F401
