"""The print agents' API (Host picks the restaurant, a bearer token picks the agent): fetch
the tickets waiting (``GET /api/v1/print/jobs``: leased for 60 s, ``204`` when none) and
acknowledge each once the printer took it. Rules in omniorder/printing/jobs.py."""

import base64

from flask import Blueprint, abort, g, request

from omniorder.cache.changes import change_feed
from omniorder.platform.suspension import refuse_while_suspended
from omniorder.printing import jobs
from omniorder.tenancy.bind import current_tenant
from omniorder.web.extensions import csrf

bp = Blueprint("print_api", __name__, url_prefix="/api/v1/print")
csrf.exempt(bp)  # a bearer token, no cookie: nothing for a forged form to ride on


@bp.before_request
def signed_agent():
    """401 unless the bearer token is one of this restaurant's agents' (not revoked)."""
    refuse_while_suspended()
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else None
    device = jobs.device_for_token(current_tenant(), token, change_feed())
    if device is None:
        abort(401, "A print agent's token is required (Authorization: Bearer …).")
    g.print_device = device


@bp.get("/jobs")
def waiting_jobs():
    """The jobs waiting for the agent's printers (``?printer=Pass``, repeated; none: every
    agent printer), each leased for 60 s; ``204`` with no statement while none waits."""
    tenant = current_tenant()
    printers = [name[:60] for name in request.args.getlist("printer")[:20]]
    if not jobs.anything_to_offer(tenant, printers, change_feed()):
        return "", 204
    offered = jobs.lease_jobs(tenant, g.print_device, printers)
    if not offered:
        return "", 204
    return {
        "jobs": [
            {"id": str(job.id), "printer": job.printer, "data": base64.b64encode(job.data).decode()}
            for job in offered
        ]
    }


@bp.post("/jobs/<job_id>/done")
def job_done(job_id):
    jobs.acknowledge(job_id)
    return {"id": job_id, "printed": True}
