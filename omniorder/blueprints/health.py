from flask import Blueprint

from omniorder.tenancy.http import tenant_exempt

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@tenant_exempt
def healthz():
    """Liveness for load balancers: no tenant, no database."""
    return {"status": "ok"}
