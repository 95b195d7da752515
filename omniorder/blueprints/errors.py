"""Error pages: one place maps domain errors and HTTP errors to JSON (under /api) or a page in
the restaurant's theme, with the ways on that this visitor has (the board, the back office,
the login)."""

from flask import Flask, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from omniorder.core.errors import DomainError, Invalid
from omniorder.languages import SOURCE_LANGUAGE
from omniorder.settings.theme import page_theme
from omniorder.staff.sessions import staff_session_from_cookie
from omniorder.web.input import wants_json
from omniorder.web.ratelimit import retry_after_seconds

HEADINGS = {
    400: _l("That did not work"),
    403: _l("Not for your role"),
    404: _l("Not found"),
    409: _l("That changed meanwhile"),
    413: _l("Too large"),
    402: _l("Payment not completed"),
    422: _l("That does not match"),
    429: _l("Too many requests"),
    502: _l("The payment service did not answer"),
    503: _l("Back in a moment"),
}
STAFF_PATHS = ("/kitchen", "/admin", "/login")


def static_url(filename: str) -> str:
    """url_for('static'), or the same path when the request has no URL adapter (a Host
    Werkzeug could not bind), so no page ever fails on its stylesheet."""
    try:
        return url_for("static", filename=filename)
    except (RuntimeError, AttributeError, BuildError):
        return f"{request.script_root}{current_app.static_url_path}/{filename}"


def _url(endpoint: str) -> str | None:
    try:
        return url_for(endpoint)
    except (RuntimeError, AttributeError, BuildError):
        return None


def ways_on() -> list[tuple[str, str]]:
    """Links from an error page to where this visitor can go, worked out without a query:
    the storefront; for staff the board, and the back office when the request already loaded
    a manager or admin (a 403 did); the login on staff paths for everyone else."""
    if g.get("tenant") is None:
        return []
    links = [(_("Back to the menu"), _url("storefront.menu"))]
    staff = g.get("_login_user")  # flask-login's user, only if this request loaded it
    if staff is not None and staff.is_authenticated:
        links.append((_("Kitchen board"), _url("kitchen.board")))
        if staff.may("manager"):
            links.append((_("Back office"), _url("admin.menu")))
    elif staff_session_from_cookie() is not None:
        links.append((_("Kitchen board"), _url("kitchen.board")))
    elif request.path.startswith(STAFF_PATHS):
        links.append((_("Staff login"), _url("auth.login")))
    return [(label, href) for label, href in links if href]


def render_error(
    status: int,
    message: str,
    fields: dict | None = None,
    details: dict | None = None,
    heading: str | None = None,
):
    if wants_json():
        body = {"error": message, **(details or {})}
        if fields:
            body["fields"] = fields
        return body, status
    # Straight from the Jinja environment, without the context processors: they load the
    # signed-in user (a query), so a page about a database outage would itself fail on it.
    # The restaurant's name and theme come from the bound tenant, which is in memory.
    context = {
        "status": status,
        "message": message,
        "fields": fields or {},
        "heading": heading or HEADINGS.get(status),
        "links": ways_on(),
        **page_theme(g.get("tenant")),
    }
    template = (
        "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    )
    return current_app.jinja_env.get_template(template).render(context), status


def handle_domain_error(error: DomainError):
    fields = error.fields if isinstance(error, Invalid) else None
    page = render_error(error.status_code, error.message, fields, error.details, error.heading)
    return (*page, error.headers)


def handle_http_error(error: HTTPException):
    """The error in our layout (or JSON), keeping the headers werkzeug gives it: a 405's
    ``Allow``, which RFC 9110 requires."""
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    if error.code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return (*render_error(error.code or 500, error.description or error.name), headers)


RETRY_AFTER_SECONDS = 2


def handle_database_unavailable(error):
    """PostgreSQL down, restarting or out of pooled connections: 503 + Retry-After.

    No pre-ping on checkout (it would cost every request a round trip): the request that
    meets a dead connection gets this 503, SQLAlchemy invalidates the whole pool on that
    disconnect, and the next requests open fresh connections once the server is back.
    """
    if isinstance(error, OperationalError) or isinstance(error, PoolTimeout):
        current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
        # The page's language as decided already, else the source language: deciding it now
        # reads the restaurant's settings, which may take the query that cannot be made.
        g.setdefault("language", SOURCE_LANGUAGE)
        response = render_error(
            503, _("The restaurant system is busy or restarting; please try again in a moment.")
        )
        return (*response, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    raise error


def handle_unstorable_input(error: DataError):
    """Input PostgreSQL refuses to store or compare (a NUL byte, an out-of-range number) that
    got past a form's own checks: the request's transaction is rolled back, the client hears
    400, never a 500."""
    current_app.logger.info("rejected input: %s", str(error.orig).splitlines()[0])
    return render_error(400, _("The request contains characters or values that cannot be used."))


def handle_rate_limited(error: RateLimitExceeded):
    """Over the order rate limit (omniorder/web/ratelimit.py): 429 with Retry-After."""
    response = render_error(429, error.description)
    return (*response, {"Retry-After": str(retry_after_seconds())})


def init_app(app: Flask) -> None:
    app.add_template_global(static_url)
    app.register_error_handler(DataError, handle_unstorable_input)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
