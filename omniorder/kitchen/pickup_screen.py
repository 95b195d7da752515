"""The pickup screen: a TV by the counter showing the order numbers being prepared and those
ready for pickup, polled every second or so from the restaurant's own host without a login.

It shows what the customers may see of the board, no more: a number, and a first name only
when the restaurant allows it (`pickup_screen_names`). Orders awaiting their online payment
are not in the kitchen yet and never appear; cancelled and picked-up orders leave it, and so
does a ready order nobody collected once the board stops showing it (`DONE_VISIBLE_FOR`). Its
poll is the board's (the board version and the minute, `board_token`), so an unchanged poll
is answered from the worker's pushed caches without a statement."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from omniorder.core.database import db
from omniorder.kitchen.board import DONE_VISIBLE_FOR, NEXT_STATUS
from omniorder.ordering.models import AWAITING_PAYMENT, BOARD_VERSION, Order

SHOWN_PER_COLUMN = 40  # more than a TV shows legibly; the oldest are left out


@dataclass(frozen=True)
class Called:
    number: int
    first_name: str | None


@dataclass(frozen=True)
class PickupScreen:
    version: int
    now: datetime
    preparing: list[Called]
    ready: list[Called]


def first_name(customer_name: str) -> str:
    return customer_name.split()[0] if customer_name.split() else ""


def pickup_screen(show_names: bool) -> PickupScreen:
    """The two columns: preparing by number, ready newest first (just called, on top)."""
    version, now = db.session.execute(select(BOARD_VERSION, func.now())).one()
    rows = db.session.execute(
        select(Order.number, Order.customer_name, Order.status)
        .where(
            or_(
                and_(Order.status.in_(NEXT_STATUS), Order.payment_status != AWAITING_PAYMENT),
                and_(
                    Order.status == "DONE",
                    Order.picked_up_at.is_(None),
                    Order.status_changed_at > now - DONE_VISIBLE_FOR,
                ),
            )
        )
        .order_by(Order.status_changed_at.desc(), Order.number.desc())
    ).all()

    def called(row) -> Called:
        return Called(row.number, first_name(row.customer_name) if show_names else None)

    ready = [called(row) for row in rows if row.status == "DONE"][:SHOWN_PER_COLUMN]
    preparing = sorted(
        (called(row) for row in rows if row.status != "DONE"), key=lambda each: each.number
    )[-SHOWN_PER_COLUMN:]
    return PickupScreen(version, now, preparing, ready)
