"""Error pages: one place maps domain errors and HTTP errors to JSON (under /api) or HTML.

Also the input boundary's one text check (`refuse_unstorable_text`): JSON bodies, form values
and query arguments go through it before a view uses them.
"""

import re

from flask import Flask, current_app, g, request, url_for
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from omniorder.core.database import reads_only
from omniorder.core.errors import DomainError, Invalid
from omniorder.settings.theme import page_theme
from omniorder.staff.sessions import staff_session_from_cookie
from omniorder.web.ratelimit import retry_after_seconds

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
UNSTORABLE = "contains a character that cannot be stored (a lone UTF-16 surrogate)"


def _field_name(path: str, key) -> str:
    """A field's name for a message: printable even when the key itself is the bad text."""
    key = str(key).encode("utf-8", "backslashreplace").decode()[:40]
    return f"{path}.{key}" if path else key


def refuse_unstorable_text(value, field: str = "") -> None:
    """Raise `Invalid` naming the field when any text in `value` (a string, or JSON lists and
    objects of them, keys included) holds a lone surrogate: JSON's "\\ud800" decodes to one,
    and no UTF-8 database, page or log can take it. Iterative, so depth cannot hurt."""
    pending = [(field, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _LONE_SURROGATE.search(item):
                raise Invalid(path or "body", UNSTORABLE)
        elif isinstance(item, dict):
            for key, inner in item.items():
                name = _field_name(path, key)
                if isinstance(key, str) and not key.isascii() and _LONE_SURROGATE.search(key):
                    raise Invalid(name, UNSTORABLE)
                pending.append((name, inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", inner) for index, inner in enumerate(item))


def request_json():
    """The parsed JSON body, or None when it is missing, malformed or nested to hurt."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_object() -> dict:
    """The request's JSON object body, or `Invalid` (malformed, not an object, nested to hurt,
    or holding text that cannot be stored)."""
    body = request_json()
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object")
    refuse_unstorable_text(body)
    return body


def check_form_input() -> None:
    """Before every view: query arguments and form values pass `refuse_unstorable_text`.

    Outside /api a JSON body is form data too (Flask-WTF reads it as one), so there it must be
    an object of text fields (or lists of text) like a real form; else a dict or a number
    reached code that expects a string. The JSON API checks its bodies in `json_object`.
    """
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            refuse_unstorable_text({key: value})
    if request.path.startswith("/api/") or reads_only() or not request.is_json:
        return
    body = request_json()
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object of form fields")
    refuse_unstorable_text(body)
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise Invalid(_field_name("", key), "must be text")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


HEADINGS = {
    400: "That did not work",
    403: "Not for your role",
    404: "Not found",
    409: "That changed meanwhile",
    413: "Too large",
    422: "That does not match",
    429: "Too many requests",
    503: "Back in a moment",
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
    links = [("Back to the menu", _url("storefront.menu"))]
    staff = g.get("_login_user")  # flask-login's user, only if this request loaded it
    if staff is not None and staff.is_authenticated:
        links.append(("Kitchen board", _url("kitchen.board")))
        if staff.may("manager"):
            links.append(("Back office", _url("admin.menu")))
    elif staff_session_from_cookie() is not None:
        links.append(("Kitchen board", _url("kitchen.board")))
    elif request.path.startswith(STAFF_PATHS):
        links.append(("Staff login", _url("auth.login")))
    return [(label, href) for label, href in links if href]


def render_error(
    status: int, message: str, fields: dict | None = None, details: dict | None = None
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
        "heading": HEADINGS.get(status),
        "links": ways_on(),
        **page_theme(g.get("tenant")),
    }
    template = (
        "errors/_error.html" if request.headers.get("HX-Request") == "true" else "errors/error.html"
    )
    return current_app.jinja_env.get_template(template).render(context), status


def handle_domain_error(error: DomainError):
    fields = error.fields if isinstance(error, Invalid) else None
    return render_error(error.status_code, error.message, fields, error.details)


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
        response = render_error(
            503, "The restaurant system is busy or restarting; please try again in a moment."
        )
        return (*response, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    raise error


def handle_unstorable_input(error: DataError):
    """Input PostgreSQL refuses to store or compare (a NUL byte, an out-of-range number) that
    got past a form's own checks: the request's transaction is rolled back, the client hears
    400, never a 500."""
    current_app.logger.info("rejected input: %s", str(error.orig).splitlines()[0])
    return render_error(400, "The request contains characters or values that cannot be used.")


def handle_rate_limited(error: RateLimitExceeded):
    """Over the order rate limit (omniorder/web/ratelimit.py): 429 with Retry-After."""
    response = render_error(429, error.description)
    return (*response, {"Retry-After": str(retry_after_seconds())})


def init_app(app: Flask) -> None:
    app.add_template_global(static_url)
    app.before_request(check_form_input)
    app.register_error_handler(DataError, handle_unstorable_input)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
