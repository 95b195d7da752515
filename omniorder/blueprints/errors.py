"""Error pages: one place maps domain errors and HTTP errors to JSON (under /api) or HTML."""

from flask import Flask, current_app, request
from flask_limiter import RateLimitExceeded
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from omniorder.errors import DomainError, Invalid
from omniorder.ratelimit import retry_after_seconds


def json_object() -> dict:
    """The request's JSON object body, or `Invalid` (malformed, not an object, nested to hurt)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object")
    return body


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str, fields: dict | None = None):
    if wants_json():
        body = {"error": message}
        if fields:
            body["fields"] = fields
        return body, status
    # Straight from the Jinja environment, without the context processors: they load the
    # signed-in user (a query), so a page about a database outage would itself fail on it.
    page = current_app.jinja_env.get_template("errors/error.html").render(
        status=status, message=message, fields=fields or {})
    return page, status


def handle_domain_error(error: DomainError):
    fields = error.fields if isinstance(error, Invalid) else None
    return render_error(error.status_code, error.message, fields)


def handle_http_error(error: HTTPException):
    response = render_error(error.code or 500, error.description or error.name)
    if error.code == 401:
        return (*response, {"WWW-Authenticate": "Bearer"})
    return response


RETRY_AFTER_SECONDS = 2


def handle_database_unavailable(error):
    """PostgreSQL down, restarting or out of pooled connections: 503 + Retry-After.

    No pre-ping on checkout (it would cost every request a round trip): the request that
    meets a dead connection gets this 503, SQLAlchemy invalidates the whole pool on that
    disconnect, and the next requests open fresh connections once the server is back.
    """
    if isinstance(error, OperationalError) or isinstance(error, PoolTimeout):
        current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
        response = render_error(503, "The restaurant system is busy or restarting; "
                                     "please try again in a moment.")
        return (*response, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    raise error


def handle_unstorable_input(error: DataError):
    """Input PostgreSQL refuses to store or compare (a NUL byte, an out-of-range number) that
    got past a form's own checks: the request's transaction is rolled back, the client hears
    400, never a 500."""
    current_app.logger.info("rejected input: %s", str(error.orig).splitlines()[0])
    return render_error(400, "The request contains characters or values that cannot be used.")


def handle_rate_limited(error: RateLimitExceeded):
    """Over the order rate limit (omniorder/ratelimit.py): 429 with Retry-After."""
    response = render_error(429, error.description)
    return (*response, {"Retry-After": str(retry_after_seconds())})


def init_app(app: Flask) -> None:
    app.register_error_handler(DataError, handle_unstorable_input)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeout, handle_database_unavailable)
