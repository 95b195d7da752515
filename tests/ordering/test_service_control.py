"""Pickup slots, the ready estimate, the cap per slot and the pause, on a frozen clock.

The rules live in ordering/pickup.py; every function there takes `now`, and so does
`place_order`, so these tests fix the moment instead of sleeping. The pure rules are checked
without a database; the rest place real orders in a real restaurant schema.
"""

import datetime
import threading
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Closed, Invalid, Paused, SlotFull
from omniorder.kitchen.board import cancel_order, pause_orders, resume_orders
from omniorder.ordering.checkout import place_order
from omniorder.ordering.models import Order
from omniorder.ordering.order_input import OrderLine
from omniorder.ordering.pickup import (
    check_order_time,
    pause_state,
    ready_estimate,
    slot_of,
    slot_starts,
)
from omniorder.settings.document import (
    current_settings,
    default_settings,
    update_settings,
    validate_settings,
)
from tests.support.choices import add_dish, bound

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = datetime.timedelta(minutes=1)


def berlin(*parts) -> datetime.datetime:
    """A Berlin wall-clock moment as UTC (fold 0 on an ambiguous hour)."""
    return datetime.datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


def settings(**changes) -> dict:
    return validate_settings({**default_settings(), "timezone": "Europe/Berlin", **changes})


def wall(moments) -> list[str]:
    return [m.astimezone(BERLIN).strftime("%H:%M") for m in moments]


# --- slots (pure) ---------------------------------------------------------------------------


LUNCH = settings(hours={"mon": [["11:30", "14:30"]]})  # Monday 2026-11-30


def test_slots_run_from_opening_every_slot_minutes_while_the_range_is_open():
    starts = list(slot_starts(LUNCH, berlin(2026, 11, 30, 9, 0), days=1))
    assert (
        wall(starts) == [f"{h:02}:{m:02}" for h in (11, 12, 13, 14) for m in (0, 15, 30, 45)][2:-2]
    )


def test_the_first_slot_is_at_least_prep_minutes_away():
    # 11:40 + 15 min prep = 11:55: the 11:45 slot is too soon, 12:00 is the first
    starts = list(slot_starts(LUNCH, berlin(2026, 11, 30, 11, 40), days=1))
    assert wall(starts)[:2] == ["12:00", "12:15"]


def test_slots_reach_a_week_ahead_and_no_further():
    now = berlin(2026, 11, 30, 12, 0)
    starts = list(slot_starts(LUNCH, now))
    assert starts[-1] <= now + datetime.timedelta(days=7)
    assert {s.astimezone(BERLIN).date() for s in starts} == {
        datetime.date(2026, 11, 30),
        datetime.date(2026, 12, 7),
    }


def test_slots_across_midnight_belong_to_the_evening_they_start():
    late = settings(hours={"fri": [["22:00", "01:00"]]}, slot_minutes=30)  # Fri 2026-11-27
    starts = list(slot_starts(late, berlin(2026, 11, 27, 20, 0), days=1))
    assert wall(starts) == ["22:00", "22:30", "23:00", "23:30", "00:00", "00:30"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # spring forward (Sun 2026-03-29): 02:00–03:00 never happens, the range is 2 h long
        (datetime.date(2026, 3, 29), ["01:00", "01:30", "03:00", "03:30"]),
        # fall back (Sun 2026-10-25): 02:00–03:00 happens twice, the range is 4 h long
        (datetime.date(2026, 10, 25), ["01:00", "01:30", "02:00", "02:30", "02:00", "02:30"]),
    ],
)
def test_slots_count_real_minutes_across_daylight_saving_changes(day, expected):
    night = settings(hours={"sun": [["01:00", "04:00"]]}, slot_minutes=30, prep_minutes=0)
    now = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=BERLIN).astimezone(UTC)
    starts = list(slot_starts(night, now, days=1))
    assert wall(starts)[: len(expected)] == expected
    assert len(starts) == {29: 4, 25: 8}[day.day]
    assert all(
        later - earlier == 30 * MINUTE for earlier, later in zip(starts, starts[1:], strict=False)
    )


def test_a_moment_counts_in_the_slot_it_falls_in():
    assert slot_of(LUNCH, berlin(2026, 11, 30, 12, 7)) == berlin(2026, 11, 30, 12, 0)
    assert slot_of(LUNCH, berlin(2026, 11, 30, 11, 30)) == berlin(2026, 11, 30, 11, 30)
    # an ASAP estimate just after closing continues the range's grid
    assert slot_of(LUNCH, berlin(2026, 11, 30, 14, 41)) == berlin(2026, 11, 30, 14, 30)


# --- when an order may be placed (pure) -----------------------------------------------------


@pytest.mark.parametrize(
    ("pickup", "message"),
    [
        (berlin(2026, 11, 30, 11, 45), "at least 15 minutes"),  # 5 minutes away
        (berlin(2026, 11, 30, 9, 0), "at least 15 minutes"),  # in the past
        (berlin(2026, 11, 30, 15, 0), "outside the restaurant's opening hours"),
        (berlin(2026, 12, 14, 12, 0), "at most 7 days ahead"),
    ],
)
def test_a_pickup_time_the_restaurant_cannot_serve_is_a_400(pickup, message):
    with pytest.raises(Invalid) as refused:
        check_order_time(LUNCH, pickup, berlin(2026, 11, 30, 11, 40))
    assert message in refused.value.fields["pickup_at"]


def test_closed_refuses_asap_but_takes_a_pickup_in_opening_hours():
    before_opening = berlin(2026, 11, 30, 10, 0)
    with pytest.raises(Closed) as closed:
        check_order_time(LUNCH, None, before_opening)
    assert closed.value.details["opens_at"] == "2026-11-30T11:30:00+01:00"
    check_order_time(LUNCH, berlin(2026, 11, 30, 12, 0), before_opening)


def test_a_timed_pause_ends_by_itself_at_its_time():
    start = berlin(2026, 11, 30, 12, 0)
    paused = settings(pause={"until": (start + 15 * MINUTE).isoformat()})
    assert pause_state(paused, start + 14 * MINUTE) == (True, start + 15 * MINUTE)
    assert pause_state(paused, start + 15 * MINUTE) == (False, None)
    with pytest.raises(Paused) as refused:
        check_order_time(paused, None, start + 14 * MINUTE)
    assert refused.value.details["resumes_at"] == "2026-11-30T12:15:00+01:00"
    check_order_time(paused, None, start + 15 * MINUTE)  # no job had to run


def test_a_pause_takes_scheduled_orders_for_after_it_only():
    start = berlin(2026, 11, 30, 12, 0)
    paused = settings(pause={"until": (start + 60 * MINUTE).isoformat()})
    with pytest.raises(Paused):
        check_order_time(paused, start + 30 * MINUTE, start)
    check_order_time(paused, start + 60 * MINUTE, start)
    until_resumed = settings(pause={"until": None})
    assert pause_state(until_resumed, start + datetime.timedelta(days=30)) == (True, None)
    with pytest.raises(Paused) as refused:
        check_order_time(until_resumed, None, start)
    assert refused.value.details["resumes_at"] is None
    check_order_time(until_resumed, start + 30 * MINUTE, start)  # planned pickups still come


def test_the_asap_estimate_is_prep_plus_a_minute_per_order_ahead():
    now = berlin(2026, 11, 30, 12, 0)
    assert ready_estimate(settings(prep_minutes=20), now, 0) == now + 20 * MINUTE
    assert ready_estimate(settings(prep_minutes=20), now, 7) == now + 27 * MINUTE


# --- orders in a real restaurant, on a frozen clock -----------------------------------------


NOW = datetime.datetime.now(UTC).replace(microsecond=0)


def order_now(dish, now=NOW, pickup_at=None, name="Ada") -> SimpleNamespace:
    """Place one order for `dish` in the bound restaurant: its id, status and ready_at."""
    order = place_order(name, [OrderLine(dish.id, 1)], pickup_at=pickup_at, now=now).order
    return SimpleNamespace(id=order.id, status=order.status, ready_at=order.ready_at)


def test_asap_orders_wait_a_minute_for_each_order_ahead(app, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    with bound(app, tenant):
        update_settings({"prep_minutes": 10})
        first, second = order_now(soup), order_now(soup)
        tomorrow = order_now(soup, pickup_at=NOW + datetime.timedelta(days=1))
        third = order_now(soup)
        cancel_order(second.id, "Customer called", "kitchen")
        fourth = order_now(soup)
    assert first.ready_at == NOW + 10 * MINUTE
    assert second.ready_at == NOW + 11 * MINUTE
    assert tomorrow.ready_at == NOW + datetime.timedelta(days=1)  # the slot itself
    assert third.ready_at == NOW + 12 * MINUTE  # tomorrow's order is not ahead of it
    assert fourth.ready_at == NOW + 12 * MINUTE  # the cancelled one is not either


def test_a_pause_from_the_board_ends_by_itself_without_any_job(app, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    with bound(app, tenant):
        pause_orders(15, now=NOW)
    with bound(app, tenant), pytest.raises(Paused):
        order_now(soup, now=NOW + 14 * MINUTE)
    with bound(app, tenant):
        assert order_now(soup, now=NOW + 15 * MINUTE).status == "PENDING"
        pause_orders(0, now=NOW)
    with bound(app, tenant), pytest.raises(Paused):
        order_now(soup, now=NOW + datetime.timedelta(days=3))
    with bound(app, tenant):
        resume_orders()
        order_now(soup)


def test_a_full_slot_is_a_409_naming_the_next_slot_with_room(app, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    with bound(app, tenant):
        update_settings({"max_orders_per_slot": 2, "timezone": "Europe/Berlin"})
        slot = next(s for s in slot_starts(current_settings(), NOW) if s > NOW + 60 * MINUTE)
        order_now(soup, pickup_at=slot)
        taken = order_now(soup, pickup_at=slot + 5 * MINUTE)  # same 15-minute slot
        order_now(soup, pickup_at=slot + 15 * MINUTE)  # the next slot: 1 of 2
    with bound(app, tenant), pytest.raises(SlotFull) as full:
        order_now(soup, pickup_at=slot + 10 * MINUTE)
    assert full.value.details["next_slot"] == (slot + 15 * MINUTE).astimezone(BERLIN).isoformat()
    with bound(app, tenant):
        cancel_order(taken.id, "Changed their mind", "kitchen")
        order_now(soup, pickup_at=slot + 10 * MINUTE)  # the cancelled order freed its place


def test_two_customers_racing_for_the_last_place_in_a_slot_one_gets_it(app, tenant):
    """Eight customers at once for a slot with one place left, five times over: exactly one
    order per slot is taken, every other customer hears the slot is full."""
    soup = add_dish(app, tenant, "Soup", 500)
    with bound(app, tenant):
        update_settings({"max_orders_per_slot": 1})
        slots = [s for s in slot_starts(current_settings(), NOW) if s > NOW + 60 * MINUTE][:5]
    for slot in slots:
        barrier, outcomes = threading.Barrier(8), []

        def customer(number, slot=slot, barrier=barrier, outcomes=outcomes):
            try:
                with bound(app, tenant):
                    barrier.wait()
                    order_now(soup, pickup_at=slot, name=f"Racer {number}")
                outcomes.append("placed")
            except SlotFull:
                outcomes.append("full")

        racers = [threading.Thread(target=customer, args=(n,)) for n in range(8)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert sorted(outcomes) == ["full"] * 7 + ["placed"]
    with bound(app, tenant):
        ready = db.session.scalars(select(Order.ready_at)).all()
    assert sorted(ready) == slots
