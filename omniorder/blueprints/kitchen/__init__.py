"""The kitchen tablet: board, one-tap advances, sold-out toggles, near-free polling."""

from omniorder.blueprints.kitchen.routes import bp

__all__ = ["bp"]
