"""When an order can be collected: pickup slots, the ready estimate, the cap per slot, pauses.

Rules (all in the restaurant's time zone through settings/hours.py, so daylight saving is
counted once; every function takes `now`, the caller's clock, so tests freeze it):

- **Slots** run every ``slot_minutes`` from the opening of each opening range, while the slot
  starts before the range closes. A customer may pick one that starts at least
  ``prep_minutes`` from now (a slot offered a moment ago stays good for `GRACE` longer) and at
  most `DAYS_AHEAD` days ahead; the API also takes any other moment inside opening hours, which
  counts in the slot it falls in.
- **Ready estimate**: a scheduled order is ready at its pickup time; an ASAP order at
  ``now + prep_minutes + 1 minute × the open orders due by then`` (PENDING or COOKING orders
  that are ASAP or scheduled up to ``now + prep_minutes``, counted up to `QUEUE_COUNTED`):
  one more minute of the kitchen's time per order ahead of it in the queue.
- **Cap**: with ``max_orders_per_slot`` > 0, a slot holds at most that many orders that are not
  cancelled, counted by their ``ready_at``; ASAP orders count in the slot their estimate falls
  in. Counting and inserting are serialised per slot by an advisory lock on that one slot
  (`lock_slot`), so two customers racing for its last place cannot both get it, while orders
  for other slots (and every order of a restaurant without a cap) never wait.
- **Pause**: the settings key ``pause`` (``{"until": ISO}`` or ``{"until": null}``). While it
  holds, orders for now get 409 with ``resumes_at``; scheduled orders are taken for pickups at
  or after ``until`` (and all of them while paused until resumed: a pause stops the rush, not
  tomorrow's plans; closed dates and hours stop those). A timed pause ends by itself: it is a
  comparison with the clock, no job runs.
"""

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, literal_column, or_, select

from omniorder.core.database import db
from omniorder.core.errors import BrokenRule, Invalid, Paused, SlotFull
from omniorder.core.money import format_local_time
from omniorder.languages.serving import time_locale
from omniorder.ordering.models import AWAITING_PAYMENT, Order
from omniorder.settings.hours import closed_notice, ensure_open, is_open, opening_ranges
from omniorder.tenancy.bind import current_tenant

DAYS_AHEAD = 7
GRACE = datetime.timedelta(minutes=5)
PAUSE_CHOICES = (15, 30, 60, 0)  # minutes; 0: until resumed
OPEN_STATUSES = ("PENDING", "COOKING")
# Written into the SQL once: an IN list of parameters is re-rendered on every execution.
OPEN_STATUS_LIST = [literal_column(f"'{status}'") for status in OPEN_STATUSES]
AWAITING_PAYMENT_SQL = literal_column(f"'{AWAITING_PAYMENT}'")


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def local_iso(settings: dict, moment: datetime.datetime | None) -> str | None:
    """ISO 8601 with the restaurant's offset: what API answers and 409s carry."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings["timezone"])).isoformat()


def _minutes(settings: dict, key: str) -> datetime.timedelta:
    return datetime.timedelta(minutes=settings[key])


# Pause


def pause_state(settings: dict, now: datetime.datetime) -> tuple[bool, datetime.datetime | None]:
    """(paused now?, when it resumes: None when until resumed or not paused)."""
    pause = settings.get("pause")
    if pause is None:
        return False, None
    if pause["until"] is None:
        return True, None
    until = datetime.datetime.fromisoformat(pause["until"])
    return (True, until) if now < until else (False, None)


def pause_setting(minutes: int, now: datetime.datetime) -> dict:
    """The ``pause`` value for the board's choice: 15, 30 or 60 minutes, or 0 (until resumed)."""
    if type(minutes) is not int or minutes not in PAUSE_CHOICES:
        raise Invalid("minutes", "must be 15, 30, 60 or 0 (until resumed)")
    if minutes == 0:
        return {"until": None}
    return {"until": (now + datetime.timedelta(minutes=minutes)).isoformat()}


def pause_notice(settings: dict, now: datetime.datetime) -> str | None:
    """What the storefront and the board say while paused, None otherwise."""
    paused, resumes_at = pause_state(settings, now)
    if not paused:
        return None
    if resumes_at is None:
        return _("Online orders are paused")
    when = format_local_time(resumes_at, settings["timezone"], time_locale(settings), now)
    return _("Online orders are paused · back at %(time)s", time=when)


def _refuse_when_paused(settings: dict, now: datetime.datetime, pickup_at) -> None:
    paused, resumes_at = pause_state(settings, now)
    if not paused:
        return
    if pickup_at is None:
        raise Paused(
            _(
                "%(notice)s; you can still order for a later pickup time.",
                notice=pause_notice(settings, now),
            ),
            local_iso(settings, resumes_at),
        )
    if resumes_at is not None and pickup_at < resumes_at:
        raise Paused(
            _(
                "%(notice)s; please choose a pickup time from then on.",
                notice=pause_notice(settings, now),
            ),
            local_iso(settings, resumes_at),
        )


# Slots


def _day_ranges(
    settings: dict, first: datetime.date, days: int
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    for offset in range(days):
        yield from sorted(opening_ranges(settings, first + datetime.timedelta(days=offset)))


def _local_date(settings: dict, moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(ZoneInfo(settings["timezone"])).date()


def slot_of(settings: dict, moment: datetime.datetime) -> datetime.datetime:
    """The start of the slot `moment` falls in: the grid of the latest range that opened at or
    before it (an ASAP estimate just after closing time extends the last range's grid)."""
    step = _minutes(settings, "slot_minutes")
    day = _local_date(settings, moment) - datetime.timedelta(days=1)
    opened = [opens for opens, _ in _day_ranges(settings, day, 2) if opens <= moment]
    if not opened:
        return moment
    opens = max(opened)
    return opens + (moment - opens) // step * step


def slot_starts(
    settings: dict, now: datetime.datetime, days: int = DAYS_AHEAD
) -> Iterator[datetime.datetime]:
    """Every slot a customer may choose now, in order: from now + prep to `days` days ahead."""
    step = _minutes(settings, "slot_minutes")
    earliest = now + _minutes(settings, "prep_minutes")
    latest = now + datetime.timedelta(days=days)
    day = _local_date(settings, now) - datetime.timedelta(days=1)
    for opens, closes in _day_ranges(settings, day, days + 2):
        start = opens
        if start < earliest:  # jump to the first slot from `earliest` on
            start += -((opens - earliest) // step) * step
        while start < closes and start <= latest:
            yield start
            start += step


def check_pickup_at(settings: dict, pickup_at: datetime.datetime, now: datetime.datetime) -> None:
    """`BrokenRule` (422) on ``pickup_at`` for a well-formed time the restaurant cannot serve."""
    prep = settings["prep_minutes"]
    if pickup_at < now + _minutes(settings, "prep_minutes") - GRACE:
        raise BrokenRule(
            "pickup_at",
            _("must be at least %(minutes)s minutes from now (preparation time)", minutes=prep),
        )
    if pickup_at > now + datetime.timedelta(days=DAYS_AHEAD):
        raise BrokenRule("pickup_at", _("must be at most %(days)s days ahead", days=DAYS_AHEAD))
    if not is_open(settings, pickup_at):
        raise BrokenRule("pickup_at", _("is outside the restaurant's opening hours"))


# Ready estimate and cap (they read the bound restaurant's orders)


# The queue is counted up to this many orders: two hours of the kitchen's minutes, far beyond
# any real rush (a restaurant that far behind pauses), so the count reads a bounded number of
# index entries whatever the backlog, and an estimate never runs away with it.
QUEUE_COUNTED = 120


def orders_ahead_count(due_by):
    """The count of open orders due by `due_by` (a moment, or a bind parameter), at most
    `QUEUE_COUNTED`, as a query: the queue an ASAP order joins, read through the orders'
    status index. A checkout counts it inside its INSERT."""
    queue = (
        select(Order.id)
        .where(
            Order.status.in_(OPEN_STATUS_LIST),
            Order.payment_status != AWAITING_PAYMENT_SQL,  # not in the kitchen's queue yet
            or_(Order.pickup_at.is_(None), Order.pickup_at <= due_by),
        )
        .limit(QUEUE_COUNTED)
        .subquery()
    )
    return select(func.count()).select_from(queue)


def orders_ahead(settings: dict, now: datetime.datetime) -> int:
    """Open orders due by now + prep: the queue an ASAP order joins."""
    return db.session.scalar(orders_ahead_count(now + _minutes(settings, "prep_minutes")))


ONE_MORE_MINUTE = datetime.timedelta(minutes=1)  # of the kitchen's time, per order ahead


def ready_estimate(settings: dict, now: datetime.datetime, ahead: int) -> datetime.datetime:
    """The ASAP formula: now + prep_minutes + one minute per order ahead (`ahead`; with 0,
    when the queue is still to be counted, the moment the minutes are added to)."""
    return now + _minutes(settings, "prep_minutes") + ONE_MORE_MINUTE * ahead


def _taken_per_slot(settings: dict, start: datetime.datetime) -> dict[datetime.datetime, int]:
    """Orders (not cancelled) per slot start, from the slot of `start` to a week ahead."""
    horizon = start + datetime.timedelta(days=DAYS_AHEAD + 1)
    taken: dict[datetime.datetime, int] = {}
    for ready_at in db.session.scalars(
        select(Order.ready_at).where(
            Order.status != "CANCELLED", Order.ready_at >= start, Order.ready_at < horizon
        )
    ):
        slot = slot_of(settings, ready_at)
        taken[slot] = taken.get(slot, 0) + 1
    return taken


def lock_slot(slot: datetime.datetime) -> None:
    """Hold this restaurant's `slot` until the transaction ends (an advisory lock keyed by the
    schema and the slot): orders for the same slot count and insert one after the other,
    orders for other slots and uncapped restaurants never wait on it."""
    name = f"{current_tenant().schema_name} {slot.astimezone(datetime.UTC).isoformat()}"
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)
    db.session.execute(select(func.pg_advisory_xact_lock(key)))


def ensure_room(settings: dict, ready_at: datetime.datetime, now: datetime.datetime) -> None:
    """`SlotFull` (409 with ``next_slot``) when the slot of `ready_at` holds its cap already.
    With a cap, locks the slot first (`lock_slot`) until the order's transaction ends."""
    cap = settings["max_orders_per_slot"]
    if cap == 0:
        return
    slot = slot_of(settings, ready_at)
    lock_slot(slot)
    taken = _taken_per_slot(settings, slot)
    if taken.get(slot, 0) < cap:
        return
    later = (start for start in slot_starts(settings, now) if start > slot)
    free = next((start for start in later if taken.get(start, 0) < cap), None)
    when = format_local_time(slot, settings["timezone"], time_locale(settings), now)
    raise SlotFull(
        _("The %(time)s pickup slot is full; please choose a later time.", time=when),
        local_iso(settings, free),
    )


def full_slots(settings: dict, now: datetime.datetime) -> set[datetime.datetime]:
    """The slot starts the storefront must not offer (one query; empty without a cap)."""
    cap = settings["max_orders_per_slot"]
    if cap == 0:
        return set()
    taken = _taken_per_slot(settings, slot_of(settings, now))
    return {slot for slot, count in taken.items() if count >= cap}


def open_slots(settings: dict, now: datetime.datetime) -> list[datetime.datetime]:
    """The slots to offer a customer now: `slot_starts` without the full ones and, during a
    timed pause, without those before it ends (they would be refused). One query, and only
    with a cap."""
    full = full_slots(settings, now)
    paused, resumes_at = pause_state(settings, now)
    earliest = resumes_at if paused and resumes_at is not None else None
    return [
        start
        for start in slot_starts(settings, now)
        if start not in full and (earliest is None or start >= earliest)
    ]


@dataclass(frozen=True)
class PickupOffer:
    """What a customer may choose now: the open slots, whether "as soon as possible" is
    taken (open and not paused), and why not (the closed and pause notices)."""

    slots: list[datetime.datetime]
    asap_available: bool
    notice: str | None


def pickup_offer(settings: dict, now: datetime.datetime) -> PickupOffer:
    notices = [
        text
        for text in (
            closed_notice(settings, now, time_locale(settings)),
            pause_notice(settings, now),
        )
        if text
    ]
    return PickupOffer(open_slots(settings, now), not notices, "; ".join(notices) or None)


def check_order_time(settings: dict, pickup_at, now: datetime.datetime) -> None:
    """Whether the restaurant takes an order for `pickup_at` (None: as soon as possible):
    `Closed` or `Paused` (409), `BrokenRule` (422, a pickup time it cannot serve)."""
    if pickup_at is None:
        ensure_open(settings, now, time_locale(settings))
    else:
        check_pickup_at(settings, pickup_at, now)
    _refuse_when_paused(settings, now, pickup_at)


def ready_time(settings: dict, pickup_at, now: datetime.datetime) -> datetime.datetime:
    """The order's ``ready_at``: its pickup time, or the ASAP estimate (one query)."""
    if pickup_at is not None:
        return pickup_at
    return ready_estimate(settings, now, orders_ahead(settings, now))
