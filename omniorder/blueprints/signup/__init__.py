"""Self-service sign-up on the platform's own host (platform/signup.py)."""

from omniorder.blueprints.signup.routes import bp

__all__ = ["bp"]
