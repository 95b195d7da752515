"""The kitchen tablet's pages: the board, one-tap moves (advance, undo, recall, picked up,
cancel), pause and resume of online orders, sold-out toggles, the poll."""

from flask import Blueprint, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from omniorder.blueprints.kitchen.poll import PollAnswer, answer_poll
from omniorder.cache.changes import change_feed
from omniorder.core.errors import DomainError, Invalid
from omniorder.kitchen import board as kitchen
from omniorder.kitchen.board import board_token
from omniorder.languages.serving import served_language
from omniorder.menu.catalog import clean_station, menu_items
from omniorder.menu.translations import kitchen_line_name
from omniorder.ordering.pickup import pause_notice
from omniorder.printing import jobs as printing
from omniorder.settings.document import current_settings
from omniorder.staff.sessions import is_htmx, login_redirect, staff_required
from omniorder.tenancy.bind import current_tenant

bp = Blueprint("kitchen", __name__, url_prefix="/kitchen")
bp.add_app_template_global(kitchen_line_name)  # each line in the staff member's language

# The station a tablet shows is remembered in a cookie on that tablet: the grill's tablet
# stays the grill's after a reload, without a setting per device on the server.
STATION_COOKIE = "kitchen_station"
STATION_COOKIE_AGE = 400 * 24 * 3600  # browsers cap cookies at 400 days
UNDO_SECONDS = 10
# What a tap did, in the words of the Undo strip, by the `from` its recall posts.
UNDONE = {"COOKING": _l("started"), "DONE": _l("done"), "PICKED_UP": _l("picked up")}


def chosen_station() -> str | None:
    """?station= when given (a tap posts its board's station), else what this tablet
    remembers (a bad cookie: the full board). Checked like the categories' station names
    (menu/catalog.py): empty is the expo's board."""
    if "station" in request.args:
        return clean_station(request.args["station"])
    if "station" in request.form:  # a tap on that station's board (a GET has no form)
        return clean_station(request.form["station"])
    try:
        return clean_station(request.cookies.get(STATION_COOKIE, ""))
    except Invalid:
        return None


def board_context(message=None, undo=None) -> dict:
    """What _board.html shows: the board (of this tablet's station), its all-day counts, the
    pause banner and, after a tap, the Undo for it."""
    station = chosen_station()
    board = kitchen.board(station=station)
    return {
        "board": board,
        "token": board_token(board.version),
        "station": station,
        "message": message,
        "undo": undo,
        "undo_seconds": UNDO_SECONDS,
        "all_day": kitchen.all_day_counts(board, served_language()),
        "pause_notice": pause_notice(current_settings(), board.now),
        "urgency": kitchen.urgency,
        "lines_to_cook": kitchen.lines_to_cook,
        **printing_context(board.now),
    }


def printing_context(now) -> dict:
    """Whether the restaurant prints tickets (a Reprint on each card) and the printers whose
    tickets nobody has taken for 2 minutes; no statement for a restaurant without printers."""
    has_printers = bool(current_settings()["printers"])
    return {
        "has_printers": has_printers,
        "printers_waiting": printing.waiting_tickets(now) if has_printers else [],
    }


def render_board(status=200, message=None, undo=None):
    return render_template("kitchen/_board.html", **board_context(message, undo)), status


def board_action(action, undo_from=None, undo=None):
    """Run a board action (a service call); answer htmx with the re-rendered board, a plain
    form post with 303 back to the board. A refusal (DomainError) is the board with its message
    and status for htmx, the error page otherwise. `undo_from(order)`: the `from` of the
    recall that undoes this tap, for the Undo strip."""
    try:
        order = action()
    except DomainError as error:
        if not is_htmx():
            raise
        return render_board(error.status_code, error.message)
    recall_from = undo_from(order) if undo_from is not None else None
    if not is_htmx():  # the Undo travels in the address: shown until the next page
        undo_query = {"undo": order.id, "undo_from": recall_from} if recall_from else {}
        return redirect(url_for("kitchen.board", **undo_query), code=303)
    return render_board(undo=undo(order) if undo is not None else undo_offer(order, recall_from))


def undo_offer(order, recall_from) -> dict | None:
    """The Undo strip's data: the order, where its form posts with which fields, what the tap
    did."""
    if recall_from is None:
        return None
    return {
        "order": order,
        "url": url_for("kitchen.recall", order_id=order.id),
        "fields": {"from": recall_from},
        "did": UNDONE[recall_from],
    }


def station_undo_offer(order, station: str) -> dict:
    """The Undo strip after a station's bump: it takes the station's marks back."""
    return {
        "order": order,
        "url": url_for("kitchen.lines_undone", order_id=order.id),
        "fields": {"station": station},
        "did": _("done at %(station)s", station=station),
    }


def undo_from_address() -> dict | None:
    """The Undo a board without JavaScript was sent back with (?undo=<id>&undo_from=…); a bad
    or stale one is simply not offered (the recall itself is checked when tapped)."""
    recall_from = request.args.get("undo_from")
    if recall_from not in UNDONE or "undo" not in request.args:
        return None
    try:
        return undo_offer(kitchen.order_on_board(request.args["undo"]), recall_from)
    except DomainError:
        return None


@bp.get("")
@staff_required("kitchen")
def board():
    context = board_context(undo=undo_from_address())
    response = make_response(
        render_template(
            "kitchen/board.html",
            items=menu_items(),
            stations=kitchen.stations(),
            kitchen_keys=current_settings()["kitchen_keys"],
            **context,
        )
    )
    if "station" in request.args:  # remembered by this tablet
        response.set_cookie(
            STATION_COOKIE,
            context["station"] or "",
            max_age=STATION_COOKIE_AGE,
            path=url_for("kitchen.board"),
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response


@bp.get("/board")
def board_poll():
    """The 2-second poll: one statement, and 204 (nothing to swap) while nothing changed.
    Unchanged polls rarely get here: `UnchangedPollShortcut` answers them before Flask does,
    through the same `answer_poll`."""
    answer = answer_poll(current_tenant(), session, request.args.get("since"), change_feed())
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
    return board_action(
        lambda: kitchen.advance_order(order_id, request.form.get("from", "")),
        undo_from=lambda order: order.status,  # COOKING or DONE: recalled from there
    )


@bp.post("/orders/<uuid:order_id>/recall")
@staff_required("kitchen")
def recall(order_id):
    return board_action(lambda: kitchen.recall_order(order_id, request.form.get("from", "")))


def posted_station() -> str:
    """The station a station's bump speaks for (its board's, posted with the tap)."""
    station = clean_station(request.form.get("station", ""))
    if not station:
        raise Invalid("station", _("is required: the station whose lines are done"))
    return station


@bp.post("/orders/<uuid:order_id>/lines-done")
@staff_required("kitchen")
def lines_done(order_id):
    """A station's bump: its lines of the order are done (the expo sees them checked)."""
    station = None

    def bump():
        nonlocal station
        station = posted_station()
        return kitchen.bump_station_lines(order_id, station)

    return board_action(bump, undo=lambda order: station_undo_offer(order, station))


@bp.post("/orders/<uuid:order_id>/lines-undone")
@staff_required("kitchen")
def lines_undone(order_id):
    return board_action(lambda: kitchen.undo_station_lines(order_id, posted_station()))


@bp.post("/recall-last")
@staff_required("kitchen")
def recall_last():
    """The bump bar's Recall key: the last order bumped to Done goes back to Cooking."""
    return board_action(kitchen.recall_last_done)


@bp.post("/orders/<uuid:order_id>/picked-up")
@staff_required("kitchen")
def picked_up(order_id):
    return board_action(
        lambda: kitchen.mark_picked_up(order_id), undo_from=lambda order: "PICKED_UP"
    )


@bp.post("/orders/<uuid:order_id>/cancel")
@staff_required("kitchen")
def cancel(order_id):
    return board_action(
        lambda: kitchen.cancel_order(
            order_id, request.form.get("reason"), current_user.role, current_user.email
        )
    )


def pause_minutes(text) -> int:
    """The pause form's choice as minutes; only the board's own choices are numbers here."""
    if text not in ("15", "30", "60", "0"):
        raise Invalid("minutes", _("must be 15, 30, 60 or 0 (until resumed)"))
    return int(text)


@bp.post("/pause")
@staff_required("kitchen")
def pause():
    return board_action(lambda: kitchen.pause_orders(pause_minutes(request.form.get("minutes"))))


@bp.post("/resume")
@staff_required("kitchen")
def resume():
    return board_action(kitchen.resume_orders)


@bp.post("/items/<uuid:item_id>/availability")
@staff_required("kitchen")
def availability(item_id):
    available = request.form.get("available")
    if available not in ("true", "false"):
        return render_template(
            "errors/error.html", status=400, message=_("available must be true or false")
        ), 400
    kitchen.set_availability(item_id, available == "true")
    if is_htmx():
        return render_template("kitchen/_menu_panel.html", items=menu_items())
    return redirect(url_for("kitchen.board") + "#menu-panel", code=303)


@bp.post("/orders/<uuid:order_id>/reprint")
@staff_required("kitchen")
def reprint(order_id):
    """The order's tickets again (a ticket lost, torn or smudged)."""

    def action():
        order = kitchen.order_on_board(order_id)
        printing.reprint(order)
        return order

    return board_action(action)
