"""The one tenancy hook: every request is bound to the tenant its Host names, or answered 404.

Routes that need no tenant (health checks, the system API, static files) are marked with
`@tenant_exempt` and skip the lookup entirely. A Host that is not a host name at all is
answered 400 before Flask sees it (`RefuseBadHost`).
"""

import logging

from flask import Flask, abort, current_app, g, request
from flask_babel import lazy_gettext as _l
from psycopg import errors as pg_errors
from sqlalchemy.exc import ProgrammingError
from werkzeug.exceptions import NotFound

from omniorder.cache import changes
from omniorder.cache.changes import change_feed
from omniorder.core.database import db
from omniorder.tenancy.bind import bind_tenant
from omniorder.tenancy.names import is_valid_host_header, normalize_host
from omniorder.tenancy.registry import TenantRecord, TenantRegistry, tenant_registry
from omniorder.web.headers import security_headers

log = logging.getLogger(__name__)
NO_RESTAURANT = _l("No restaurant is served at this address.")


def tenant_exempt(view):
    """Mark a view (or every view of a blueprint, via its before_request) as tenant-free."""
    view.tenant_exempt = True
    return view


def tenant_for_host(registry: TenantRegistry, host: str) -> TenantRecord | None:
    """The restaurant a Host header names: the one rule for requests through Flask and for the
    answers given before it (`omniorder.web.shortcuts`)."""
    return registry.lookup(normalize_host(host))


def bind_request_tenant() -> None:
    change_feed()  # this worker's listener, started by its first request
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "tenant_exempt", False):
        return
    tenant = tenant_for_host(tenant_registry(), request.host)
    if tenant is None:
        abort(404, description=str(NO_RESTAURANT))
    bind_tenant(tenant)


class RefuseBadHost:
    """WSGI middleware: a Host header that is not a host name (an empty label, a label over
    63 characters, a bad port…) is answered 400 "Bad Host header" with our security headers.

    Werkzeug cannot build a URL adapter for such a host, so without this every page, /healthz
    and /static/* failed on their way to an error page. It must see the host a trusted proxy
    forwarded, so it sits inside ProxyFix and outside everything else (`create_app`). The rule
    is the tenant domains' own (`names.is_valid_host_header`).
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        host = environ.get("HTTP_HOST")
        if host is None or is_valid_host_header(host):  # no header (HTTP/1.0): the server's
            return self.wsgi_app(environ, start_response)
        if environ.get("PATH_INFO", "").startswith("/api/"):
            body, kind = b'{"error": "Bad Host header."}\n', "application/json"
        else:
            body, kind = b"Bad Host header.\n", "text/plain; charset=utf-8"
        start_response(
            "400 BAD REQUEST",
            [("Content-Type", kind), ("Content-Length", str(len(body))), *security_headers()],
        )
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


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
            return current_app.handle_http_exception(NotFound(str(NO_RESTAURANT)))
    raise error


def init_app(app: Flask) -> None:
    changes.init_app(app)
    app.before_request(bind_request_tenant)
    app.register_error_handler(ProgrammingError, answer_dropped_tenant)
    static_view = app.view_functions.get("static")
    if static_view is not None:
        tenant_exempt(static_view)
