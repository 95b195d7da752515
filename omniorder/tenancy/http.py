"""The one tenancy hook: every request is bound to the tenant its Host names, or answered 404.

Routes that need no tenant (health checks, the system API, static files) are marked with
`@tenant_exempt` and skip the lookup entirely.
"""

import logging
import threading

from flask import Flask, abort, current_app, g, request
from psycopg import errors as pg_errors
from sqlalchemy.exc import ProgrammingError
from werkzeug.exceptions import NotFound

from omniorder.extensions import db
from omniorder.tenancy.bind import bind_tenant
from omniorder.tenancy.names import normalize_host
from omniorder.tenancy.registry import TenantRegistry

log = logging.getLogger(__name__)
NO_RESTAURANT = "No restaurant is served at this address."
REGISTRY = "omniorder.registry"  # its key in app.extensions
_registry_lock = threading.Lock()


def tenant_exempt(view):
    """Mark a view (or every view of a blueprint, via its before_request) as tenant-free."""
    view.tenant_exempt = True
    return view


def tenant_registry() -> TenantRegistry:
    """This app's registry (one per process and app), made on first use."""
    registry = current_app.extensions.get(REGISTRY)
    if registry is None:
        with _registry_lock:
            registry = current_app.extensions.get(REGISTRY)
            if registry is None:
                registry = TenantRegistry(
                    db.engine, current_app.config["OMNIORDER_REGISTRY_CHECK_INTERVAL"]
                )
                current_app.extensions[REGISTRY] = registry
    return registry


def bind_request_tenant() -> None:
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "tenant_exempt", False):
        return
    tenant = tenant_registry().lookup(normalize_host(request.host))
    if tenant is None:
        abort(404, description=NO_RESTAURANT)
    bind_tenant(tenant)


def answer_dropped_tenant(error: ProgrammingError):
    """A schema dropped after this worker cached its tenant: 404 once the registry agrees."""
    tenant = g.get("tenant")
    missing = isinstance(error.orig, (pg_errors.InvalidSchemaName, pg_errors.UndefinedTable))
    if tenant is not None and missing:
        db.session.rollback()
        registry = tenant_registry()
        registry.invalidate()
        current = registry.lookup(tenant.domain)
        if current is None or current.schema_name != tenant.schema_name:
            log.info("tenant %s vanished mid-request", tenant.domain)
            return current_app.handle_http_exception(NotFound(NO_RESTAURANT))
    raise error


def init_app(app: Flask) -> None:
    app.before_request(bind_request_tenant)
    app.register_error_handler(ProgrammingError, answer_dropped_tenant)
    static_view = app.view_functions.get("static")
    if static_view is not None:
        tenant_exempt(static_view)
