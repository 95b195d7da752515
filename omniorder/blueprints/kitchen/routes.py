"""The kitchen tablet's pages: the board, one-tap advances, sold-out toggles, the poll."""

from flask import redirect, render_template, request, session, url_for
from flask_login import logout_user

from omniorder.blueprints.kitchen import bp
from omniorder.blueprints.kitchen.poll import PollAnswer, answer_poll
from omniorder.errors import DomainError
from omniorder.services import kitchen
from omniorder.services.kitchen import board_token
from omniorder.services.menu import menu_items
from omniorder.staff_sessions import is_htmx, login_redirect, staff_required
from omniorder.tenancy.bind import current_tenant

AGE_WARN_MINUTES, AGE_LATE_MINUTES = 10, 20


def render_board(status=200, message=None):
    board = kitchen.board()
    return render_template(
        "kitchen/_board.html",
        board=board,
        token=board_token(board.version),
        message=message,
        warn=AGE_WARN_MINUTES,
        late=AGE_LATE_MINUTES,
    ), status


@bp.get("")
@staff_required("kitchen")
def board():
    board = kitchen.board()
    return render_template(
        "kitchen/board.html",
        board=board,
        items=menu_items(),
        token=board_token(board.version),
        message=None,
        warn=AGE_WARN_MINUTES,
        late=AGE_LATE_MINUTES,
    )


@bp.get("/board")
def board_poll():
    """The 2-second poll: one statement, and 204 (nothing to swap) while nothing changed.
    Unchanged polls rarely get here: `UnchangedPollShortcut` answers them before Flask does,
    through the same `answer_poll`."""
    answer = answer_poll(current_tenant(), session, request.args.get("since"))
    if answer is PollAnswer.SESSION_ENDED:
        logout_user()
    if answer in (PollAnswer.SESSION_ENDED, PollAnswer.NOT_SIGNED_IN):
        return login_redirect()
    if answer is PollAnswer.UNCHANGED:
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
        return render_template(
            "errors/error.html", status=400, message="available must be true or false"
        ), 400
    kitchen.set_availability(item_id, available == "true")
    if is_htmx():
        return render_template("kitchen/_menu_panel.html", items=menu_items())
    return redirect(url_for("kitchen.board") + "#menu-panel", code=303)
