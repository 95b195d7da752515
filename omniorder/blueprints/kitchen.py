"""The kitchen tablet: board, one-tap advances, sold-out toggles, near-free polling."""

from urllib.parse import parse_qs

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import logout_user
from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from omniorder.auth import (
    is_htmx,
    login_redirect,
    staff_required,
    staff_session_for,
    staff_session_from_cookie,
)
from omniorder.errors import DomainError
from omniorder.security import security_headers
from omniorder.services import kitchen
from omniorder.services.kitchen import board_token
from omniorder.services.menu import menu_items
from omniorder.tenancy.bind import current_tenant
from omniorder.tenancy.http import REGISTRY
from omniorder.tenancy.names import normalize_host

bp = Blueprint("kitchen", __name__, url_prefix="/kitchen")
AGE_WARN_MINUTES, AGE_LATE_MINUTES = 10, 20


def render_board(status=200, message=None):
    board = kitchen.board()
    return render_template("kitchen/_board.html", board=board, token=board_token(board.version),
                           message=message, warn=AGE_WARN_MINUTES, late=AGE_LATE_MINUTES), status


@bp.get("")
@staff_required("kitchen")
def board():
    board = kitchen.board()
    return render_template("kitchen/board.html", board=board, items=menu_items(),
                           token=board_token(board.version), message=None,
                           warn=AGE_WARN_MINUTES, late=AGE_LATE_MINUTES)


@bp.get("/board")
def board_poll():
    """The 2-second poll: one statement, and 204 (nothing to swap) while nothing changed.

    It reads the staff id and session version from the signed session instead of loading the
    user, and checks in the same statement that this session is still theirs and may still
    see the board. Unchanged polls rarely get here: `UnchangedBoardShortcut` answers them
    before Flask does.
    """
    signed = staff_session_from_cookie()
    if signed is None:
        return login_redirect()
    version, allowed = kitchen.poll(current_tenant(), signed.user_id, signed.version)
    if not allowed:
        logout_user()
        return login_redirect()
    if request.args.get("since") == board_token(version):
        return "", 204
    return render_board()


@bp.post("/orders/<uuid:order_id>/advance")
@staff_required("kitchen")
def advance(order_id):
    try:
        kitchen.advance_order(order_id, request.form.get("from", ""))
    except DomainError as error:
        if not is_htmx():
            raise
        return render_board(error.status_code, error.message)
    if is_htmx():
        return render_board()
    return redirect(url_for("kitchen.board"), code=303)


@bp.post("/items/<uuid:item_id>/availability")
@staff_required("kitchen")
def availability(item_id):
    available = request.form.get("available")
    if available not in ("true", "false"):
        return render_template("errors/error.html", status=400,
                               message="available must be true or false"), 400
    kitchen.set_availability(item_id, available == "true")
    if is_htmx():
        return render_template("kitchen/_menu_panel.html", items=menu_items())
    return redirect(url_for("kitchen.board") + "#menu-panel", code=303)


class UnchangedBoardShortcut:
    """WSGI middleware: the tablet's 2-second poll answered 204 before Flask when nothing
    changed, which is what almost every poll finds.

    Profiling showed Flask's per-request machinery (request context, URL matching, the
    session object, before/after hooks) costing more than the poll's one statement. This
    answers 204 only where `board_poll` would: a session cookie signed by this app (same
    serializer, same max age), naming a staff member of the Host's tenant, whose session has
    not been ended and who may still see the board (the same one statement), and an unchanged
    token. Anything else (no or bad cookie, another tenant, an ended session, a changed board,
    a database error) goes on to Flask, which answers it in full: the shortcut can only ever
    say "nothing changed".
    """

    def __init__(self, app: Flask):
        self.app = app
        self.next_app = app.wsgi_app
        self.serializer = None

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/kitchen/board" and \
                environ.get("REQUEST_METHOD") == "GET" and self.unchanged(environ):
            start_response("204 NO CONTENT", [*security_headers(), ("Vary", "Cookie")])
            return []
        return self.next_app(environ, start_response)

    def unchanged(self, environ) -> bool:
        registry = self.app.extensions.get(REGISTRY)  # made by the first request
        since = parse_qs(environ.get("QUERY_STRING", "")).get("since")
        cookie = parse_cookie(environ).get(self.app.config["SESSION_COOKIE_NAME"])
        if registry is None or not since or not cookie:
            return False
        try:
            tenant = registry.lookup(normalize_host(get_host(environ)))
            signed = staff_session_for(tenant, self.session_data(cookie))
            if signed is None:
                return False
            version, allowed = kitchen.poll(tenant, signed.user_id, signed.version)
        except SQLAlchemyError:
            return False  # Flask answers it (503, or 404 for a dropped tenant)
        return allowed and since[0] == board_token(version)

    def session_data(self, cookie: str) -> dict:
        """What Flask's SecureCookieSessionInterface.open_session would load."""
        if self.serializer is None:
            self.serializer = self.app.session_interface.get_signing_serializer(self.app)
        try:
            return self.serializer.loads(
                cookie, max_age=int(self.app.permanent_session_lifetime.total_seconds()))
        except BadSignature:
            return {}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.wsgi_app = UnchangedBoardShortcut(app)
