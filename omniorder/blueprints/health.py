from flask import Blueprint
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from omniorder.extensions import db
from omniorder.openapi import openapi_document
from omniorder.tenancy.http import tenant_exempt

bp = Blueprint("health", __name__)


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
    """The API's OpenAPI 3.1 description (omniorder/openapi.py)."""
    return openapi_document()
