"""Staff login and logout on each restaurant's own host."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from omniorder.blueprints.auth import routes  # noqa: E402, F401
