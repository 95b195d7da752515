"""Staff login and logout on each restaurant's own host."""

from omniorder.blueprints.auth.routes import bp

__all__ = ["bp"]
