"""WSGI entry point: ``gunicorn wsgi:app``."""

from omniorder import create_app

app = create_app()
