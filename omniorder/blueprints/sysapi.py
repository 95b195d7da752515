"""The system API for platform operators: Bearer-token auth, no tenant, no cookies."""

import hmac

from flask import Blueprint, abort, current_app, request

from omniorder.blueprints.errors import json_object
from omniorder.errors import Invalid
from omniorder.extensions import csrf
from omniorder.services import analytics
from omniorder.tenancy.http import tenant_exempt
from omniorder.tenancy.provision import provision_tenant

bp = Blueprint("sysapi", __name__, url_prefix="/api/v1/sys")
csrf.exempt(bp)

PROVISION_FIELDS = {"name", "domain", "schema_name", "theme_config", "admin_email",
                    "admin_password"}


@bp.before_request
def require_system_token():
    """Disabled (404) without a configured token; 401 unless the Bearer token matches."""
    expected = current_app.config.get("OMNIORDER_SYS_TOKEN")
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        abort(401, description="A valid system token is required (Authorization: Bearer …).")


@bp.post("/provision")
@tenant_exempt
def provision():
    body = json_object()
    unknown = body.keys() - PROVISION_FIELDS
    if unknown:
        raise Invalid(fields={str(key)[:40]: "is not a provisioning field" for key in unknown})
    tenant = provision_tenant(**{key: body.get(key) for key in PROVISION_FIELDS})
    answer = {"id": str(tenant.id), "name": tenant.name, "domain": tenant.domain,
              "schema_name": tenant.schema_name, "admin_email": tenant.admin_email}
    if tenant.generated_password:
        answer["admin_password"] = tenant.generated_password
    return answer, 201


@bp.get("/analytics")
@tenant_exempt
def analytics_report():
    """The warehouse's totals per tenant over [from, to]: the same as `flask analytics report`."""
    rows = analytics.report(analytics.parse_day(request.args.get("from"), "from"),
                            analytics.parse_day(request.args.get("to"), "to"),
                            request.args.get("domain") or None)
    tenants = [{"domain": r.domain, "name": r.name, "orders": r.orders,
                "revenue_cents": r.revenue_cents, "items_sold": r.items_sold} for r in rows]
    return {"tenants": tenants,
            "total": {key: sum(t[key] for t in tenants)
                      for key in ("orders", "revenue_cents", "items_sold")}}
