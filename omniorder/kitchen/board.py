"""The kitchen board: what is cooking, one-tap advances, sold-out toggles, cheap polling."""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import SmallInteger, String, any_, bindparam, case, exists, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from omniorder.cache.changes import HOT_MAX_AGE, ChangeFeed
from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid, NotFound
from omniorder.core.text_input import clean_line
from omniorder.menu.catalog import menu_item
from omniorder.menu.models import Category, MenuItem
from omniorder.menu.translations import kitchen_item_name
from omniorder.notifications.outbox import order_event
from omniorder.ordering.models import (
    AWAITING_PAYMENT,
    BOARD_VERSION,
    Order,
    bump_board_version,
)
from omniorder.ordering.pickup import pause_setting, utc_now
from omniorder.payments.refunds import refund_on_cancel
from omniorder.settings.document import current_settings, update_settings
from omniorder.staff.models import User
from omniorder.tenancy.registry import TenantRecord

NEXT_STATUS = {"PENDING": "COOKING", "COOKING": "DONE"}
DONE_VISIBLE_FOR = timedelta(minutes=30)
DONE_SHOWN = 12
KITCHEN_ROLES = ("kitchen", "manager", "admin")


@dataclass(frozen=True)
class Board:
    version: int
    now: datetime
    columns: dict[str, list[Order]]

    @property
    def newest_number(self) -> int:
        return max(
            (order.number for orders in self.columns.values() for order in orders), default=0
        )


def board(station: str | None = None) -> Board:
    """Open orders, the ones due first first (by ready time, else age), and the latest DONE
    ones not yet picked up (at most DONE_SHOWN, each for 30 minutes after it was done): enough
    for the pass to check a pickup, never a wall of cards at the end of a busy lunch.

    With a `station`, each open order keeps only the lines of that station (matched without
    regard to case) and an order with none is left out: the grill sees what it grills, the
    full board stays the expo's view."""
    version, now = db.session.execute(select(BOARD_VERSION, func.now())).one()
    open_orders = db.session.scalars(
        select(Order)
        .where(Order.status.in_(NEXT_STATUS), Order.payment_status != AWAITING_PAYMENT)
        .order_by(func.coalesce(Order.ready_at, Order.created_at), Order.number)
    ).all()
    done = db.session.scalars(
        select(Order)
        .where(
            Order.status == "DONE",
            Order.status_changed_at > now - DONE_VISIBLE_FOR,
            Order.picked_up_at.is_(None),
        )
        .order_by(Order.status_changed_at.desc())
        .limit(DONE_SHOWN)
    ).all()
    columns = {status: [] for status in ("PENDING", "COOKING")}
    for order in open_orders:
        ticket = station_ticket(order, station) if station else order
        if ticket is not None:
            columns[order.status].append(ticket)
    columns["DONE"] = list(done)
    return Board(version, now, columns)


@dataclass(frozen=True)
class StationTicket:
    """An order as one station sees it: the order's fields, only that station's lines."""

    order: Order
    items: list[dict]

    def __getattr__(self, name):
        return getattr(self.order, name)


def station_lines(order: Order, station: str) -> list[int]:
    """The positions in `order.items` of the lines `station` cooks (matched without case)."""
    wanted = station.casefold()
    return [
        position
        for position, line in enumerate(order.items)
        if (line.get("station") or "").casefold() == wanted
    ]


def station_ticket(order: Order, station: str) -> StationTicket | None:
    """The station's lines it has not bumped yet; None when there are none (its work on this
    order is done, or it has none)."""
    done = set(order.lines_done or ())
    lines = [order.items[p] for p in station_lines(order, station) if p not in done]
    return StationTicket(order, lines) if lines else None


def lines_to_cook(ticket) -> list[dict]:
    """The lines of a ticket still to cook: a station's ticket holds only those already; a
    full order leaves out the lines their stations have bumped."""
    if isinstance(ticket, StationTicket):
        return ticket.items
    done = set(ticket.lines_done or ())
    return [line for position, line in enumerate(ticket.items) if position not in done]


def stations() -> list[str]:
    """The stations the restaurant has named on its categories, for the board's picker."""
    named = db.session.scalars(select(Category.station).where(Category.station.is_not(None)))
    # one entry per station as the board matches them: "Grill" and "grill" are one station
    by_key = {}
    for station in sorted(named):
        by_key.setdefault(station.casefold(), station)
    return sorted(by_key.values(), key=str.casefold)


def all_day_counts(board: Board, language: str) -> list[tuple[str, int]]:
    """How many of each item (with its options) the open orders on `board` still need, most
    first: the cooks' "all day" panel, counted from the board already read (no query), each
    item named in the kitchen's `language` (orders placed in other languages count together)."""
    counts: dict[str, int] = {}
    for status in NEXT_STATUS:
        for order in board.columns[status]:
            for line in lines_to_cook(order):
                options = ", ".join(option["name"] for option in line.get("options") or [])
                item = kitchen_item_name(line, language)
                name = f"{item} ({options})" if options else item
                counts[name] = counts.get(name, 0) + line["quantity"]
    return sorted(counts.items(), key=lambda count: (-count[1], count[0]))


# Timer colours: against the ready time (amber when due within DUE_SOON, red once past it);
# an order from before ready times existed falls back to its age.
DUE_SOON = timedelta(minutes=5)
AGE_WARN, AGE_LATE = timedelta(minutes=10), timedelta(minutes=20)


def urgency(order: Order, now: datetime) -> str:
    """The ticket's colour, read from across the room: "late", "warn" or "" (done orders)."""
    if order.status not in NEXT_STATUS:
        return ""
    if order.ready_at is not None:
        if now > order.ready_at:
            return "late"
        return "warn" if order.ready_at - now <= DUE_SOON else ""
    age = now - order.created_at
    return "late" if age >= AGE_LATE else ("warn" if age >= AGE_WARN else "")


# Built once: constructing the statement cost more than running it (hot path, every 2 s).
# The roles travel as one array parameter: an IN list is re-rendered on every execution.
# "Allowed" includes the session version: an ended session (auth.py) gets no 204 either.
POLL_STATEMENT = select(
    select(BOARD_VERSION).scalar_subquery(),
    exists()
    .where(
        User.id == bindparam("staff_id"),
        User.session_version == bindparam("session_version"),
        User.role == any_(bindparam("roles", list(KITCHEN_ROLES), type_=ARRAY(String))),
    )
    .label("allowed"),
)


def board_token(version: int) -> str:
    """What the tablet shows: the board version and the minute (ages tick once a minute)."""
    return f"{version}-{int(time.time() // 60)}"


def poll(
    tenant: TenantRecord, staff_id: uuid.UUID, session_version: int, feed: ChangeFeed | None
) -> tuple[int, bool]:
    """(board version, is this session of this staff member still allowed on the board).

    While this worker's change feed listens, both come from its memory, kept fresh by the
    board's and the staff's notifications: an unchanged poll issues no statement. Otherwise
    (no feed, or not listening) ONE statement answers both.

    Takes the tenant and the feed explicitly: the WSGI shortcut for unchanged polls calls it
    outside any Flask context (blueprints/kitchen/poll.py)."""
    if feed is not None and feed.healthy:
        version = held_board_version(tenant, feed)
        staff = feed.cached(
            tenant.schema_name, "staff", "kitchen", lambda: _kitchen_staff(tenant), _small
        )
        return version, staff.get(staff_id) == session_version
    with tenant.read_engine.connect() as connection:
        version, still_allowed = connection.execute(
            POLL_STATEMENT, {"staff_id": staff_id, "session_version": session_version}
        ).one()
    return version, still_allowed


BOARD_VERSION_STATEMENT = select(BOARD_VERSION)


def held_board_version(tenant: TenantRecord, feed: ChangeFeed | None) -> int:
    """The board's version from this worker's memory while its change `feed` listens (no
    statement), else read (one): what every cheap poll of the orders compares against."""
    if feed is None or not feed.healthy:
        return _board_version(tenant)
    return feed.cached(
        tenant.schema_name, "board", "version", lambda: _board_version(tenant), _small, HOT_MAX_AGE
    )


KITCHEN_STAFF_STATEMENT = select(User.id, User.session_version).where(
    User.role == any_(bindparam("roles", list(KITCHEN_ROLES), type_=ARRAY(String)))
)


def _board_version(tenant: TenantRecord) -> int:
    with tenant.read_engine.connect() as connection:
        return connection.execute(BOARD_VERSION_STATEMENT).scalar_one()


def _kitchen_staff(tenant: TenantRecord) -> dict[uuid.UUID, int]:
    """Who may be on the board: each kitchen-role staff member's current session version."""
    with tenant.read_engine.connect() as connection:
        return {
            user_id: version for user_id, version in connection.execute(KITCHEN_STAFF_STATEMENT)
        }


def _small(value) -> int:
    return 64 + 64 * (len(value) if isinstance(value, dict) else 0)


def _order_id(order_id) -> uuid.UUID:
    try:
        return uuid.UUID(str(order_id))
    except ValueError:
        raise NotFound(_("No such order.")) from None


def order_on_board(order_id) -> Order:
    """One order by id (`NotFound` otherwise): what a board without JavaScript needs to offer
    the Undo of its last tap after the redirect."""
    order = db.session.get(Order, _order_id(order_id))
    if order is None:
        raise NotFound(_("No such order."))
    return order


def _move(order_id, conditions: list, values: dict, refusal) -> Order:
    """One conditional UPDATE: the order changes only if it still is as the tablet saw it, so
    of two tablets the first tap wins; the other gets `Conflict` with `refusal(order)`."""
    order_id = _order_id(order_id)
    moved = db.session.scalar(
        update(Order).where(Order.id == order_id, *conditions).values(**values).returning(Order.id)
    )
    order = db.session.get(Order, order_id, populate_existing=True)
    if order is None:
        raise NotFound(_("No such order."))
    if moved is None:
        raise Conflict(refusal(order))
    bump_board_version()
    return order


def _moved_already(order: Order) -> str:
    if order.status == "CANCELLED":
        return _("This order was cancelled.")
    if order.picked_up_at is not None:
        return _("This order was already picked up.")
    return _("Someone else already moved this order.")


def advance_order(order_id, from_status: str) -> Order:
    """Move an order one step, only if it is still in `from_status` (first tap wins)."""
    if from_status == "DONE":
        raise Conflict(_("This order is already done."))
    if from_status not in NEXT_STATUS:
        raise Invalid("from", _("must be PENDING or COOKING"))
    order = _move(
        order_id,
        [Order.status == from_status, Order.payment_status != AWAITING_PAYMENT],
        {"status": NEXT_STATUS[from_status], "status_changed_at": func.now()},
        _moved_already,
    )
    if order.status == "DONE":
        order_event(order, "order.ready")  # once per order, even if recalled and done again
    return order


# Recall: one step back, for an order moved within RECALL_WINDOW. `from` says what the tablet
# showed: PICKED_UP (the pickup is undone: back in the Done column), DONE or COOKING.
RECALL_WINDOW = timedelta(minutes=30)
RECALL_FROM = ("PICKED_UP", "DONE", "COOKING")


def recall_order(order_id, from_status: str) -> Order:
    """Undo a tap: DONE → COOKING, COOKING → PENDING, a pickup → DONE again; 409 when the
    order is no longer as the tablet showed it or moved more than 30 minutes ago."""
    if from_status not in RECALL_FROM:
        raise Invalid("from", _("must be PICKED_UP, DONE or COOKING"))
    recent = func.now() - RECALL_WINDOW
    if from_status == "PICKED_UP":
        conditions = [Order.status == "DONE", Order.picked_up_at > recent]
        values = {"picked_up_at": None}
    else:
        conditions = [
            Order.status == from_status,
            Order.picked_up_at.is_(None),
            Order.status_changed_at > recent,
        ]
        back = {"DONE": "COOKING", "COOKING": "PENDING"}[from_status]
        values = {"status": back, "status_changed_at": func.now()}

    def refusal(order: Order) -> str:
        shown = "PICKED_UP" if order.picked_up_at is not None else order.status
        if shown == from_status:
            return _("Only orders moved within the last 30 minutes can be recalled.")
        return _moved_already(order)

    return _move(order_id, conditions, values, refusal)


def last_done_order() -> Order:
    """The order the board bumped to Done last (not picked up, within the recall window): what
    the bump bar's Recall key brings back."""
    order = db.session.scalar(
        select(Order)
        .where(
            Order.status == "DONE",
            Order.picked_up_at.is_(None),
            Order.status_changed_at > func.now() - RECALL_WINDOW,
        )
        .order_by(Order.status_changed_at.desc(), Order.number.desc())
        .limit(1)
    )
    if order is None:
        raise NotFound(_("No order was bumped to Done in the last 30 minutes."))
    return order


def recall_last_done() -> Order:
    """Recall the last bumped order (Done → Cooking), by the rules of `recall_order`."""
    return recall_order(last_done_order().id, "DONE")


def _station_marks(order_id, station: str) -> tuple[Order, list[int]]:
    order = order_on_board(order_id)
    marks = station_lines(order, station)
    if not marks:
        raise Conflict(
            _(
                "Order #%(number)s has nothing for the %(station)s station.",
                number=order.number,
                station=station,
            )
        )
    return order, marks


def bump_station_lines(order_id, station: str, expo: bool | None = None) -> Order:
    """A station bumps its lines of an order: their marks join `lines_done` in one conditional
    UPDATE of the order's row (a New order is Cooking from then on). Two stations at once are
    serialized by the row lock, and PostgreSQL evaluates the later UPDATE on the row the
    earlier one committed, so neither mark is lost and exactly one of them sees every line
    done. Then, when the restaurant works without an expo (`expo` setting false), that one
    moves the order to Done; with an expo, the expo's bump does. The same station's second
    bump (another tablet) is a 409."""
    expo = current_settings()["expo"] if expo is None else expo
    marks = _station_marks(order_id, station)[1]
    given = bindparam("marks", marks, type_=ARRAY(SmallInteger))
    after = func.array_cat(Order.lines_done, given)
    every_line_done = func.cardinality(after) == func.jsonb_array_length(Order.items)
    status = "COOKING" if expo else case((every_line_done, "DONE"), else_="COOKING")

    def refusal(order: Order) -> str:
        if order.status in NEXT_STATUS and set(marks) <= set(order.lines_done):
            return _(
                "The %(station)s station already bumped #%(number)s.",
                station=station,
                number=order.number,
            )
        return _moved_already(order)

    order = _move(
        order_id,
        [
            Order.status.in_(NEXT_STATUS),
            Order.payment_status != AWAITING_PAYMENT,
            ~Order.lines_done.overlap(given),
        ],
        {
            "lines_done": after,
            "status": status,
            # the time as a value: Citus takes no now() inside a CASE of an UPDATE
            "status_changed_at": case(
                (Order.status == status, Order.status_changed_at), else_=utc_now()
            ),
        },
        refusal,
    )
    if order.status == "DONE":
        order_event(order, "order.ready")
    return order


def undo_station_lines(order_id, station: str) -> Order:
    """Take a station's bump back: its marks leave `lines_done`; an order that bump made Done
    (no expo) is Cooking again. Conditional on the marks the tablet's read saw, so a station
    bumping meanwhile makes this a 409 to try again, never a lost mark."""
    order, marks = _station_marks(order_id, station)
    seen = list(order.lines_done or ())
    remaining = [mark for mark in seen if mark not in marks]

    def refusal(order: Order) -> str:
        if order.status in ("COOKING", "DONE") and not set(marks) <= set(order.lines_done):
            return _(
                "The %(station)s station's lines of #%(number)s are not bumped.",
                station=station,
                number=order.number,
            )
        if order.status in ("COOKING", "DONE") and order.picked_up_at is None:
            return _("Another station just bumped this order: try again.")
        return _moved_already(order)

    return _move(
        order_id,
        [
            Order.status.in_(("COOKING", "DONE")),
            Order.picked_up_at.is_(None),
            Order.lines_done == bindparam("seen", seen, type_=ARRAY(SmallInteger)),
            Order.lines_done.contains(bindparam("undone", marks, type_=ARRAY(SmallInteger))),
        ],
        {
            "lines_done": bindparam("remaining", remaining, type_=ARRAY(SmallInteger)),
            "status": "COOKING",
            "status_changed_at": case(
                (Order.status == "COOKING", Order.status_changed_at), else_=utc_now()
            ),
        },
        refusal,
    )


def mark_picked_up(order_id) -> Order:
    """The customer collected a DONE order: it leaves the board, their page says so."""

    def refusal(order: Order) -> str:
        if order.status in NEXT_STATUS:
            return _("This order is not ready yet.")
        return _moved_already(order)

    return _move(
        order_id,
        [Order.status == "DONE", Order.picked_up_at.is_(None)],
        {"picked_up_at": func.now()},
        refusal,
    )


MAX_CANCEL_REASON = 200
CANCEL_DONE_ROLES = ("manager", "admin")


def clean_cancel_reason(reason) -> str:
    """One clean line (core/text_input.py): the customer reads it in a mail and on the page,
    the back office in its history, so no line break, bidi override or NUL."""
    if not (isinstance(reason, str) and reason.strip()):
        raise Invalid("reason", _("is required: the customer sees it"))
    return clean_line("reason", reason, limit=MAX_CANCEL_REASON, required=True)


def cancel_order(order_id, reason, role: str, cancelled_by: str | None = None) -> Order:
    """Cancel a PENDING or COOKING order (managers and admins: also a DONE one not yet
    picked up) with the reason the customer will read. The order leaves sales: its day is
    recounted by the next analytics refresh (``analytics_pending``). An order paid online is
    refunded what is left, asked by `cancelled_by` (the staff member's e-mail)."""
    reason = clean_cancel_reason(reason)
    cancellable = list(NEXT_STATUS) + (["DONE"] if role in CANCEL_DONE_ROLES else [])

    def refusal(order: Order) -> str:
        if order.status == "DONE" and order.picked_up_at is None:
            return _("Only a manager or an admin can cancel an order that is already done.")
        return _moved_already(order)

    order = _move(
        order_id,
        [Order.status.in_(cancellable), Order.picked_up_at.is_(None)],
        {
            "status": "CANCELLED",
            "status_changed_at": func.now(),
            "cancel_reason": reason,
            "analytics_pending": True,
        },
        refusal,
    )
    refund_on_cancel(order, cancelled_by)  # paid online: its money back (payments/refunds.py)
    order_event(order, "order.cancelled")
    return order


def pause_orders(minutes, now: datetime | None = None) -> dict:
    """Pause online orders for 15, 30 or 60 minutes, or until resumed (0); the board's tablets
    see it on their next poll. Returns the settings."""
    settings = update_settings({"pause": pause_setting(minutes, now or utc_now())})
    bump_board_version()
    return settings


def resume_orders() -> dict:
    settings = update_settings({"pause": None})
    bump_board_version()
    return settings


def set_availability(item_id, available: bool) -> MenuItem:
    """Sold out / back on sale: the storefront and checkout see it at once."""
    item = menu_item(item_id, lock=True)  # a concurrent delete: 404, not a failed flush
    item.is_available = available
    db.session.flush()
    return item
