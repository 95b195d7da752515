"""The system API for platform operators: Bearer-token auth, no tenant, no cookies."""

import hmac
import threading
import time
from collections import defaultdict, deque

from flask import Blueprint, abort, current_app, request

from omniorder.analytics import sales as analytics
from omniorder.core.errors import Invalid
from omniorder.menu.document import export_menu, import_menu
from omniorder.platform.suspension import resume_tenant, suspend_tenant
from omniorder.platform.tenants import PROVISIONING_FIELDS, provision_tenant
from omniorder.settings.document import current_settings, public_settings, update_settings
from omniorder.tenancy.registry import bind_tenant_named
from omniorder.web.extensions import csrf
from omniorder.web.hosts import tenant_exempt
from omniorder.web.input import json_object
from omniorder.web.ratelimit import request_network

bp = Blueprint("sysapi", __name__, url_prefix="/api/v1/sys")
csrf.exempt(bp)


# Failed token attempts per client network (an IPv4 address, an IPv6 /64: `request_network`),
# per worker process: 10 a minute, then 429 for further WRONG tokens from that network. The
# token is checked first and a valid one is never refused, so other callers' failures cannot
# lock the operator out. In process on purpose: it
# needs no shared store and still caps a guesser at a few hundred tries an hour per worker
# against a 32+ character token; the real defence is the token's length. Behind a proxy the
# client address is the proxy's unless OMNIORDER_PROXY_HOPS counts it (then ProxyFix takes it
# from X-Forwarded-For); without it every caller shares one address, so one guesser gets all
# wrong tokens refused, still never the right one.
MAX_FAILURES_PER_MINUTE = 10
_failures: dict[str, deque] = defaultdict(deque)
_failures_lock = threading.Lock()


def _recent_failures(address: str, now: float) -> deque:
    attempts = _failures[address]
    while attempts and now - attempts[0] > 60:
        attempts.popleft()
    return attempts


def _forget_quiet_addresses(now: float) -> None:
    """Once the map grows, keep only addresses that failed within the last minute."""
    if len(_failures) > 1000:
        for address in [a for a, times in _failures.items() if not times or now - times[-1] > 60]:
            del _failures[address]


def _valid_token(expected: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


@bp.before_request
def require_system_token():
    """Disabled (404) without a configured token; a valid Bearer token always passes; a wrong
    one is 401, or 429 after repeated failures from its address."""
    expected = current_app.config.get("OMNIORDER_SYS_TOKEN")
    if not expected:
        abort(404)
    if _valid_token(expected):
        return None
    address, now = request_network(), time.monotonic()
    with _failures_lock:
        failures = _recent_failures(address, now)
        if len(failures) >= MAX_FAILURES_PER_MINUTE:
            return (
                {"error": "Too many failed attempts; wait a minute."},
                429,
                {"Retry-After": "60"},
            )
        failures.append(now)
        _forget_quiet_addresses(now)
    abort(401, description="A valid system token is required (Authorization: Bearer …).")


# The provisioning body: the CLI's fields and an optional menu document (else the starter menu).
PROVISION_BODY = (*PROVISIONING_FIELDS, "menu")


@bp.post("/provision")
@tenant_exempt
def provision():
    body = json_object()
    unknown = body.keys() - set(PROVISION_BODY)
    if unknown:
        raise Invalid(fields={str(key)[:40]: "is not a provisioning field" for key in unknown})
    tenant = provision_tenant(**{key: body.get(key) for key in PROVISION_BODY})
    answer = {
        "id": str(tenant.id),
        "name": tenant.name,
        "domain": tenant.domain,
        "schema_name": tenant.schema_name,
        "admin_email": tenant.admin_email,
    }
    if tenant.generated_password:
        answer["admin_password"] = tenant.generated_password
    return answer, 201


@bp.get("/analytics")
@tenant_exempt
def analytics_report():
    """The warehouse's totals per tenant over [from, to] (each restaurant's local days, as on
    its sales page): the same as `flask analytics report`."""
    report = analytics.report(
        request.args.get("from"), request.args.get("to"), request.args.get("domain")
    )
    return {
        "tenants": [
            {"domain": row.domain, "name": row.name, **_figures(row)} for row in report.rows
        ],
        "total": _figures(report.total),
    }


def _figures(row) -> dict:
    return {"orders": row.orders, "revenue_cents": row.revenue_cents, "items_sold": row.items_sold}


@bp.get("/tenants/<domain>/settings")
@tenant_exempt
def tenant_settings(domain):
    """A restaurant's whole settings document, its payment secrets masked: the same as `flask
    tenants settings DOMAIN`."""
    bind_tenant_named(domain)
    return public_settings(current_settings())


@bp.patch("/tenants/<domain>/settings")
@tenant_exempt
def change_tenant_settings(domain):
    """Merge the given keys (objects into objects) and answer the whole document, its payment
    secrets masked; 400 with a message per bad key, and nothing saved."""
    bind_tenant_named(domain)
    return public_settings(update_settings(json_object()))


@bp.get("/tenants/<domain>/menu")
@tenant_exempt
def tenant_menu(domain):
    """A restaurant's whole menu as one document: the same as `flask menu export DOMAIN`."""
    bind_tenant_named(domain)
    return export_menu()


@bp.put("/tenants/<domain>/menu")
@tenant_exempt
def replace_tenant_menu(domain):
    """Replace the whole menu (``?dry_run=true``: only check it): the same as `flask menu
    import`; 400 with a message per problem at its path, and nothing changed."""
    bind_tenant_named(domain)
    dry_run = request.args.get("dry_run", "false")
    if dry_run not in ("true", "false"):
        raise Invalid("dry_run", "must be true or false")
    counts = import_menu(json_object(), dry_run=dry_run == "true")
    return {"dry_run": dry_run == "true", **counts.as_json()}


@bp.put("/tenants/<domain>/suspension")
@tenant_exempt
def suspend(domain):
    """Suspend a restaurant (the same as `flask tenants suspend DOMAIN --reason …`); again
    on a suspended one keeps its time and takes the new reason."""
    body = json_object()
    unknown = body.keys() - {"reason"}
    if unknown:
        raise Invalid(fields={str(key)[:40]: "is not a suspension field" for key in unknown})
    return suspend_tenant(domain, body.get("reason")).as_json()


@bp.delete("/tenants/<domain>/suspension")
@tenant_exempt
def resume(domain):
    """Lift a restaurant's suspension (the same as `flask tenants resume DOMAIN`)."""
    return resume_tenant(domain).as_json()
