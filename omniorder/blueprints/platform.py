"""Routes no restaurant owns (tenant-exempt): the health check for load balancers, the
OpenAPI description, and the favicon browsers ask every host for."""

import functools
from pathlib import Path

import yaml
from flask import Blueprint, current_app, send_from_directory
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from omniorder.core.database import db
from omniorder.settings.document import accepted_values
from omniorder.web.hosts import tenant_exempt

bp = Blueprint("platform", __name__)


@bp.get("/healthz")
@tenant_exempt
def healthz():
    """For load balancers: no tenant; one `SELECT 1` says whether PostgreSQL answers."""
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (OperationalError, PoolTimeout):
        return {"status": "degraded", "database": "down"}, 503, {"Retry-After": "2"}
    return {"status": "ok", "database": "up"}


@bp.get("/api/v1/openapi.json")
@tenant_exempt
def openapi():
    """The API's OpenAPI 3.1 description (`openapi.yaml` beside the views it describes)."""
    return openapi_document()


@functools.cache
def openapi_document() -> dict:
    """openapi.yaml, read once per process, with the value lists that follow the installed tz
    and CLDR data filled in where the document names them (``x-omniorder-values``)."""
    document = yaml.safe_load((Path(__file__).parent / "openapi.yaml").read_text())
    values = accepted_values()

    def fill(node):
        if isinstance(node, dict):
            name = node.pop("x-omniorder-values", None)
            if name is not None:
                node["enum"] = list(values[name])
            for child in node.values():
                fill(child)
        elif isinstance(node, list):
            for child in node:
                fill(child)

    fill(document)
    return document


@bp.get("/favicon.ico")
@tenant_exempt
def favicon():
    """Browsers ask every host for it, restaurant or not: the app's icon (pages link the SVG
    one), cached for a day."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)
