"""The kitchen tablet: board, one-tap advances, sold-out toggles, near-free polling."""

import time

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import logout_user

from omniorder.auth import is_htmx, login_redirect, staff_id_from_session, staff_required
from omniorder.errors import DomainError
from omniorder.services import kitchen
from omniorder.services.menu import menu_items

bp = Blueprint("kitchen", __name__, url_prefix="/kitchen")
AGE_WARN_MINUTES, AGE_LATE_MINUTES = 10, 20


def board_token(version: int) -> str:
    """What the tablet shows: the board version and the minute (ages tick once a minute)."""
    return f"{version}-{int(time.time() // 60)}"


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

    It reads the staff id from the signed session instead of loading the user, and checks in
    the same statement that this person may still see the board.
    """
    staff_id = staff_id_from_session()
    if staff_id is None:
        return login_redirect()
    version, allowed = kitchen.poll(staff_id)
    if not allowed:
        logout_user()
        return login_redirect()
    if request.args.get("since") == board_token(version):
        return "", 204
    return render_board()


@bp.post("/orders/<order_id>/advance")
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


@bp.post("/items/<item_id>/availability")
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
