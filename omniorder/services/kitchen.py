"""The kitchen board: what is cooking, one-tap advances, sold-out toggles, cheap polling."""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, any_, bindparam, exists, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from omniorder.errors import Conflict, Invalid, NotFound
from omniorder.extensions import db
from omniorder.models import BoardVersion, MenuItem, Order, User
from omniorder.services.menu import menu_item
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


def bump_board_version() -> None:
    """Call in every transaction that changes an order, before it commits."""
    db.session.execute(update(BoardVersion).values(version=BoardVersion.version + 1))


def board() -> Board:
    """Open orders oldest first, and the latest DONE ones (at most DONE_SHOWN, each for 30
    minutes after it was done): enough for the pass to check a pickup, never a wall of cards
    at the end of a busy lunch."""
    version, now = db.session.execute(select(BoardVersion.version, func.now())).one()
    open_orders = db.session.scalars(
        select(Order).where(Order.status.in_(NEXT_STATUS)).order_by(Order.created_at, Order.number)
    ).all()
    done = db.session.scalars(
        select(Order)
        .where(Order.status == "DONE", Order.status_changed_at > now - DONE_VISIBLE_FOR)
        .order_by(Order.status_changed_at.desc())
        .limit(DONE_SHOWN)
    ).all()
    columns = {status: [] for status in ("PENDING", "COOKING")}
    for order in open_orders:
        columns[order.status].append(order)
    columns["DONE"] = list(done)
    return Board(version, now, columns)


# Built once: constructing the statement cost more than running it (hot path, every 2 s).
# The roles travel as one array parameter: an IN list is re-rendered on every execution.
# "Allowed" includes the session version: an ended session (auth.py) gets no 204 either.
POLL_STATEMENT = select(
    BoardVersion.version,
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


def poll(tenant: TenantRecord, staff_id: uuid.UUID, session_version: int) -> tuple[int, bool]:
    """(board version, is this session of this staff member still allowed on the board) in
    ONE statement.

    Takes the tenant explicitly: the WSGI shortcut for unchanged polls calls it outside any
    Flask context (blueprints/kitchen.py)."""
    with tenant.read_engine.connect() as connection:
        version, still_allowed = connection.execute(
            POLL_STATEMENT, {"staff_id": staff_id, "session_version": session_version}
        ).one()
    return version, still_allowed


def advance_order(order_id, from_status: str) -> Order:
    """Move an order one step, only if it is still in `from_status` (first tap wins)."""
    if from_status == "DONE":
        raise Conflict("This order is already done.")
    if from_status not in NEXT_STATUS:
        raise Invalid("from", "must be PENDING or COOKING")
    try:
        order_id = uuid.UUID(str(order_id))
    except ValueError:
        raise NotFound("No such order.") from None
    moved = db.session.scalar(
        update(Order)
        .where(Order.id == order_id, Order.status == from_status)
        .values(status=NEXT_STATUS[from_status], status_changed_at=func.now())
        .returning(Order.id)
    )
    if moved is None:
        if db.session.get(Order, order_id) is None:
            raise NotFound("No such order.")
        raise Conflict("Someone else already moved this order.")
    bump_board_version()
    return db.session.get(Order, order_id)


def set_availability(item_id, available: bool) -> MenuItem:
    """Sold out / back on sale: the storefront and checkout see it at once."""
    item = menu_item(item_id, lock=True)  # a concurrent delete: 404, not a failed flush
    item.is_available = available
    db.session.flush()
    return item
