"""Pickup times over HTTP, as a customer's app and the storefront meet them: the API's
pickup_at and its 400s and 409s, the ready time every order gets, the cap per slot (with two
customers racing through real HTTP connections), the pause, GET /api/v1/pickup-slots, and
the customer's checkout, order page and receipt.

The server's clock is the real one here (the frozen-clock rules are
tests/ordering/test_service_control.py), so times are chosen against it:
from the slots the API offers, or days away.
"""

import datetime
import hashlib
import http.client
import json
import re
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest

from omniorder.kitchen.board import cancel_order
from omniorder.ordering.checkout import request_digest
from omniorder.ordering.order_input import OrderLine
from tests.support.app import SYS_TOKEN
from tests.support.choices import bound, set_settings
from tests.support.clock import local_day, shown
from tests.support.storefront import Customer, menu, order_count

UTC = datetime.UTC
BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = datetime.timedelta(minutes=1)
SLACK = datetime.timedelta(seconds=10)  # between the test's clock and the server's
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_WEEK = {day: [] for day in DAYS}


def now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


def moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def order_body(app, tenant, name="Ada", **extra) -> dict:
    fries = menu(app, tenant)["Fries"]
    return {"customer_name": name, "items": [{"menu_item_id": str(fries.id), "quantity": 1}]} | (
        extra
    )


def post_order(client, tenant, body, **headers):
    return client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain, **headers})


def pickup_slots(client, tenant) -> dict:
    response = client.get("/api/v1/pickup-slots", headers={"Host": tenant.domain})
    assert response.status_code == 200, response.text
    return response.json


def berlin_hours(app, tenant, hours, **more):
    set_settings(app, tenant, timezone="Europe/Berlin", hours={**CLOSED_WEEK, **hours}, **more)


def lunch_in_three_days(app, tenant) -> datetime.date:
    """Open only 11:30–14:30 (Berlin) on the day three days from today: closed now, for
    certain. Returns that local date."""
    day = datetime.datetime.now(BERLIN).date() + datetime.timedelta(days=3)
    berlin_hours(app, tenant, {DAYS[day.weekday()]: [["11:30", "14:30"]]})
    return day


def at_berlin(day: datetime.date, hour: int, minute: int = 0) -> str:
    return datetime.datetime.combine(day, datetime.time(hour, minute), BERLIN).isoformat()


# --- the API ---------------------------------------------------------------------------------


def test_a_scheduled_order_is_ready_at_its_pickup_time(app, client, tenant):
    slot = pickup_slots(client, tenant)["slots"][4]
    placed = post_order(client, tenant, order_body(app, tenant, pickup_at=slot))
    assert placed.status_code == 201, placed.text
    assert moment(placed.json["ready_at"]) == moment(placed.json["pickup_at"]) == moment(slot)
    shown = client.get(f"/api/v1/orders/{placed.json['id']}", headers={"Host": tenant.domain})
    assert shown.json["ready_at"] == placed.json["ready_at"]
    assert shown.json["picked_up_at"] is None and shown.json["cancel_reason"] is None


def test_the_same_pickup_moment_in_another_offset_is_the_same_time(app, client, tenant):
    slot = moment(pickup_slots(client, tenant)["slots"][2])
    in_tokyo = slot.astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
    placed = post_order(client, tenant, order_body(app, tenant, pickup_at=in_tokyo))
    assert placed.status_code == 201, placed.text
    assert moment(placed.json["pickup_at"]) == slot


def test_asap_is_ready_after_prep_plus_a_minute_per_order_ahead(app, client, tenant):
    def asap_wait(name) -> datetime.timedelta:
        before = now()
        placed = post_order(client, tenant, order_body(app, tenant, name))
        assert placed.status_code == 201, placed.text
        assert placed.json["pickup_at"] is None
        wait = moment(placed.json["ready_at"]) - before
        assert wait >= datetime.timedelta(0)
        return wait

    alone = asap_wait("First")
    assert abs(alone - 15 * MINUTE) <= SLACK  # prep_minutes, nothing ahead
    asap_wait("Second")
    asap_wait("Third")
    fourth = asap_wait("Fourth")  # three orders ahead
    assert abs(fourth - alone - 3 * MINUTE) <= SLACK


@pytest.mark.parametrize(
    ("label", "pickup_at", "message"),
    [
        ("malformed", "tomorrow at noon", "ISO 8601"),
        ("naive", "2026-12-01T12:00:00", "offset"),
        ("not text", 1764590400, "ISO 8601"),
    ],
)
def test_a_malformed_pickup_time_is_a_400(app, client, tenant, label, pickup_at, message):
    response = post_order(client, tenant, order_body(app, tenant, pickup_at=pickup_at))
    assert response.status_code == 400, response.text
    assert message in response.json["fields"]["pickup_at"]
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize(
    ("label", "pickup_at", "message"),
    [
        ("past", lambda: (now() - 60 * MINUTE).isoformat(), "minutes from now"),
        ("before prep", lambda: (now() + 2 * MINUTE).isoformat(), "minutes from now"),
        ("8 days ahead", lambda: (now() + datetime.timedelta(days=8)).isoformat(), "7 days"),
    ],
)
def test_a_pickup_time_the_restaurant_cannot_serve_is_a_422(
    app, client, tenant, label, pickup_at, message
):
    """Well-formed (the OpenAPI document takes it), refused by a rule no schema can state."""
    response = post_order(client, tenant, order_body(app, tenant, pickup_at=pickup_at()))
    assert response.status_code == 422, response.text
    assert message in response.json["fields"]["pickup_at"]
    assert order_count(app, tenant) == 0


def test_a_pickup_outside_opening_hours_is_a_422(app, client, tenant):
    day = lunch_in_three_days(app, tenant)
    response = post_order(client, tenant, order_body(app, tenant, pickup_at=at_berlin(day, 16)))
    assert response.status_code == 422, response.text
    assert "opening hours" in response.json["fields"]["pickup_at"]


def test_closed_asap_is_409_with_opens_at_but_a_pickup_in_hours_is_taken(app, client, tenant):
    day = lunch_in_three_days(app, tenant)
    asap = post_order(client, tenant, order_body(app, tenant))
    assert asap.status_code == 409, asap.text
    assert moment(asap.json["opens_at"]) == moment(at_berlin(day, 11, 30))

    placed = post_order(client, tenant, order_body(app, tenant, pickup_at=at_berlin(day, 12, 15)))
    assert placed.status_code == 201, placed.text
    assert moment(placed.json["ready_at"]) == moment(at_berlin(day, 12, 15))
    assert placed.json["ready_at"].endswith(("+01:00", "+02:00"))  # the restaurant's offset

    offered = pickup_slots(client, tenant)
    assert offered["asap_available"] is False
    assert offered["notice"].startswith("Closed · opens ")
    assert offered["slots"][0] == at_berlin(day, 11, 30)
    assert offered["slots"][-1] == at_berlin(day, 14, 15)


def test_a_pause_refuses_asap_and_pickups_before_it_ends(app, client, tenant):
    before_pause = [moment(slot) for slot in pickup_slots(client, tenant)["slots"]]
    until = (now() + 50 * MINUTE).replace(microsecond=0)
    changed = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"pause": {"until": until.isoformat()}},
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    )
    assert changed.status_code == 200, changed.text

    asap = post_order(client, tenant, order_body(app, tenant))
    assert asap.status_code == 409, asap.text
    assert moment(asap.json["resumes_at"]) == until
    assert "Online orders are paused · back at " in asap.json["error"]

    during = next(slot for slot in before_pause if slot < until)
    refused = post_order(client, tenant, order_body(app, tenant, pickup_at=during.isoformat()))
    assert refused.status_code == 409 and moment(refused.json["resumes_at"]) == until

    offered = pickup_slots(client, tenant)
    assert offered["asap_available"] is False and offered["notice"].startswith("Online orders")
    assert all(moment(slot) >= until for slot in offered["slots"])
    after = offered["slots"][0]
    placed = post_order(client, tenant, order_body(app, tenant, pickup_at=after))
    assert placed.status_code == 201, placed.text
    assert order_count(app, tenant) == 1


def test_a_full_slot_is_409_naming_the_next_and_a_cancelled_order_frees_its_place(
    app, client, tenant
):
    set_settings(app, tenant, max_orders_per_slot=1)
    slots = pickup_slots(client, tenant)["slots"]
    slot, following = slots[3], slots[4]
    first = post_order(client, tenant, order_body(app, tenant, "First", pickup_at=slot))
    assert first.status_code == 201, first.text
    second = post_order(client, tenant, order_body(app, tenant, "Second", pickup_at=slot))
    assert second.status_code == 409, second.text
    assert second.json["next_slot"] == following
    assert "pickup slot is full" in second.json["error"]

    assert slot not in pickup_slots(client, tenant)["slots"]
    with bound(app, tenant):
        cancel_order(first.json["id"], "Oven broke", "manager")
    assert slot in pickup_slots(client, tenant)["slots"]
    third = post_order(client, tenant, order_body(app, tenant, "Third", pickup_at=slot))
    assert third.status_code == 201, third.text


def test_the_idempotency_key_covers_the_pickup_time(app, client, tenant):
    slots = pickup_slots(client, tenant)["slots"]
    key = {"Idempotency-Key": "pickup-key-1"}
    first = post_order(client, tenant, order_body(app, tenant, pickup_at=slots[1]), **key)
    again = post_order(client, tenant, order_body(app, tenant, pickup_at=slots[1]), **key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    other = post_order(client, tenant, order_body(app, tenant, pickup_at=slots[2]), **key)
    assert other.status_code == 422, other.text
    asap = post_order(client, tenant, order_body(app, tenant), **key)
    assert asap.status_code == 422, asap.text
    assert order_count(app, tenant) == 1


def test_a_plain_order_keeps_the_digest_it_had_before_pickup_times():
    item = uuid.uuid4()
    before = json.dumps({"customer_name": "Ann", "items": [[str(item), 2]]}, separators=(",", ":"))
    digest = request_digest("Ann", [OrderLine(item, 2)])
    assert digest == hashlib.sha256(before.encode()).hexdigest()
    pickup = datetime.datetime(2026, 12, 1, 11, tzinfo=UTC)
    assert request_digest("Ann", [OrderLine(item, 2)], pickup_at=pickup) != digest
    assert request_digest(
        "Ann", [OrderLine(item, 2)], pickup_at=pickup.astimezone(BERLIN)
    ) == request_digest("Ann", [OrderLine(item, 2)], pickup_at=pickup)


def test_pickup_slots_offer_no_full_slot_and_nothing_before_prep(
    app, client, tenant, count_statements
):
    before = now()
    offered = pickup_slots(client, tenant)
    assert offered["asap_available"] is True and offered["notice"] is None
    starts = [moment(slot) for slot in offered["slots"]]
    assert starts == sorted(starts) and len(starts) > 600  # open all day: every 15 minutes
    assert starts[0] >= before + 15 * MINUTE
    assert starts[0] < before + 30 * MINUTE + SLACK
    assert starts[-1] <= now() + datetime.timedelta(days=7)
    assert all(slot.endswith(("+00:00", "Z")) for slot in offered["slots"])  # UTC restaurant

    set_settings(app, tenant, max_orders_per_slot=1)
    taken = offered["slots"][2]
    assert post_order(client, tenant, order_body(app, tenant, pickup_at=taken)).status_code == 201
    assert taken not in pickup_slots(client, tenant)["slots"]

    # Cheap: one query more with a cap than without (the orders in the coming week).
    statements = count_statements(app)
    pickup_slots(client, tenant)
    capped = len(statements)
    set_settings(app, tenant, max_orders_per_slot=0)
    statements.clear()
    pickup_slots(client, tenant)
    assert capped == len(statements) + 1


# --- two customers racing for the last place, through real HTTP connections --------------


def test_two_customers_racing_for_the_last_place_in_a_slot_one_gets_it(
    app, client, tenant, live_server
):
    set_settings(app, tenant, max_orders_per_slot=1)
    slots = pickup_slots(client, tenant)["slots"]

    def race(slot) -> list[int]:
        barrier, statuses = threading.Barrier(2), []

        def customer(name):
            connection = http.client.HTTPConnection("127.0.0.1", live_server, timeout=30)
            body = json.dumps(order_body(app, tenant, name, pickup_at=slot))
            headers = {"Host": tenant.domain, "Content-Type": "application/json"}
            connection.connect()
            barrier.wait()
            connection.request("POST", "/api/v1/orders", body, headers)
            statuses.append(connection.getresponse().status)
            connection.close()

        racers = [threading.Thread(target=customer, args=(n,)) for n in ("Ann", "Bo")]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        return sorted(statuses)

    for round_number in range(10):
        assert race(slots[round_number * 2]) == [201, 409], f"round {round_number}"
    assert order_count(app, tenant) == 10


# --- the storefront --------------------------------------------------------------------------


def checkout(customer, name, pickup_at="", htmx=False):
    """Check out with a pickup time as the When? select sends it ("": as soon as possible)."""
    return customer.post(
        "/checkout",
        {
            "csrf_token": customer.csrf_token(),
            "idempotency_key": customer.checkout_key(),
            "customer_name": name,
            "pickup_at": pickup_at,
        },
        htmx=htmx,
    )


def when_select(html: str) -> str:
    """The checkout's When? picker: its radio buttons (pickup_at) and day buttons."""
    return html.split('<fieldset class="pickup-time" data-pickup>')[1].split("</form>")[0]


def slot_radio(value: str, label: str, checked=False) -> str:
    """A slot's radio button as the picker writes it."""
    return f'value="{value}"{" checked" if checked else ""}>{label}</label>'


def test_checkout_offers_asap_and_slots_grouped_by_local_day(app, client, tenant):
    customer = Customer(client, tenant.domain)
    assert 'name="pickup_at"' not in customer.get("/").text  # nothing to check out yet
    customer.add(menu(app, tenant)["Fries"].id)
    select = when_select(customer.get("/").text)
    asap = r'name="pickup_at" value="" checked><span>As soon as possible \(about 15 min\)</span>'
    assert re.search(asap, select)
    assert select.index("As soon as possible") < select.index('name="pickup_day"')  # first
    slots = [moment(slot) for slot in pickup_slots(client, tenant)["slots"]]
    days = sorted({slot.date() for slot in slots})  # a UTC restaurant: its local days
    labels = re.findall(r"<legend>([^<]+)</legend>", select.split("</legend>", 2)[2])
    today = now().date()
    expected = [
        {0: "Today", 1: "Tomorrow"}.get((day - today).days) or local_day(day) for day in days
    ]  # "Today", "Tomorrow", "Thu, Nov 26" …
    assert labels == expected
    buttons = re.findall(r'name="pickup_day" value="([^"]+)"(?: checked)?><span>([^<]+)<', select)
    assert buttons == [(day.isoformat(), label) for day, label in zip(days, expected, strict=True)]
    first = slots[0]  # the time alone: its day is chosen first
    assert slot_radio(first.isoformat(), shown(first)) in select


def test_asap_estimate_at_checkout_counts_the_queue(app, client, tenant):
    for name in ("A", "B"):
        assert post_order(client, tenant, order_body(app, tenant, name)).status_code == 201
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    assert "As soon as possible (about 17 min)" in customer.get("/").text


@pytest.mark.parametrize("htmx", [False, True])
def test_checkout_with_a_chosen_slot_shows_the_pickup_time(app, client, tenant, htmx):
    berlin_hours(app, tenant, {day: [["00:00", "24:00"]] for day in DAYS})
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    slot = pickup_slots(client, tenant)["slots"][5]
    response = checkout(customer, "Grace", slot, htmx=htmx)
    assert response.status_code in (200, 303), response.text
    tracking = response.headers.get("HX-Redirect") or response.headers["Location"]
    local = moment(slot).astimezone(BERLIN)
    expected = f'Pickup <time datetime="{moment(slot).astimezone(UTC).isoformat()}">'
    label = shown(local, today=now().astimezone(BERLIN).date())
    page = customer.get(tracking).text
    assert expected in page and f"{label}</time>" in page
    receipt = customer.get(tracking + "/receipt").text
    assert "Pickup <time" in receipt and f"{label}</time>" in receipt


def test_an_asap_order_page_says_when_it_should_be_ready(app, client, tenant, db_connection):
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    tracking = checkout(customer, "Ada").headers["Location"]
    order_id = tracking.rsplit("/", 1)[1]
    ready_at = db_connection.exec_driver_sql(
        f"SELECT ready_at FROM \"{tenant.schema_name}\".orders WHERE id = '{order_id}'"
    ).scalar()
    label = shown(ready_at.astimezone(UTC), today=now().date())  # a UTC restaurant
    expected = f'Ready around <time datetime="{ready_at.isoformat()}">{label}</time>'
    assert expected in customer.get(tracking).text
    assert expected in customer.get(tracking + "/status").text
    assert "Ready around" in customer.get(tracking + "/receipt").text


def test_a_paused_storefront_says_so_and_offers_only_pickup_times(app, client, tenant):
    until = (now() + 45 * MINUTE).replace(second=0, microsecond=0)
    set_settings(app, tenant, timezone="Europe/Berlin", pause={"until": until.isoformat()})
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    html = customer.get("/").text
    back = shown(until.astimezone(BERLIN), today=now().astimezone(BERLIN).date())
    assert f"Online orders are paused · back at {back}" in html
    select = when_select(html)
    assert "As soon as possible" not in select and 'value=""' not in select
    first = re.search(r'name="pickup_at" value="([^"]+)" checked>', select).group(1)
    assert moment(first) >= until

    refused = checkout(customer, "Ada", "")  # as soon as possible, sent anyway
    assert refused.status_code == 409 and "Online orders are paused" in refused.text
    placed = checkout(customer, "Ada", first)
    assert placed.status_code == 303, placed.text


def test_a_closed_storefront_offers_pickup_times_in_opening_hours(app, client, tenant):
    day = lunch_in_three_days(app, tenant)
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    html = customer.get("/").text
    assert "Closed · opens " in html
    select = when_select(html)
    assert "As soon as possible" not in select
    opens = moment(at_berlin(day, 11, 30))
    # the first slot chosen (no ASAP while closed), under its day: "Thu, Dec 10", "11:30 AM"
    assert slot_radio(opens.isoformat(), shown(opens), checked=True) in select
    assert f"<legend>{local_day(day)}</legend>" in select
    assert checkout(customer, "Ada", at_berlin(day, 12)).status_code == 303


@pytest.mark.parametrize("htmx", [False, True])
def test_a_full_slot_at_checkout_comes_back_with_the_next_one_chosen(app, client, tenant, htmx):
    set_settings(app, tenant, max_orders_per_slot=1)
    slots = pickup_slots(client, tenant)["slots"]
    taken = post_order(client, tenant, order_body(app, tenant, "Early", pickup_at=slots[1]))
    assert taken.status_code == 201
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    response = checkout(customer, "Late", slots[1], htmx=htmx)
    assert response.status_code == 409, response.text
    assert "pickup slot is full; please choose a later time." in response.text
    assert f'value="{slots[2]}" checked>' in when_select(response.text)
    assert 'value="Late"' in response.text  # the name typed stays
    assert order_count(app, tenant) == 1


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ("next tuesday", 400, "Pickup time must be a time in ISO 8601"),
        ("2026-12-01T12:00:00", 400, "Pickup time must include its UTC offset"),
        ("2020-01-01T12:00:00+00:00", 422, "Pickup time must be at least 15 minutes from now"),
    ],
)
def test_a_pickup_time_not_offered_at_checkout_is_refused(
    app, client, tenant, value, status, message
):
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    response = checkout(customer, "Ada", value)
    assert response.status_code == status and message in response.text
    assert order_count(app, tenant) == 0


def test_a_cancelled_order_page_shows_the_reason_as_text_and_stops_polling(app, client, tenant):
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    tracking = checkout(customer, "Ada").headers["Location"]
    with bound(app, tenant):
        cancel_order(
            tracking.rsplit("/", 1)[1], "<script>alert(1)</script> out of fries", "kitchen"
        )
    for path in (tracking, tracking + "/status"):
        html = customer.get(path).text
        assert '<p class="status-text">Cancelled</p>' in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; out of fries" in html
        assert "<script>alert(1)" not in html
        assert "hx-trigger" not in html and "Ready around" not in html
    assert 'http-equiv="refresh"' not in customer.get(tracking).text
    receipt = customer.get(tracking + "/receipt").text
    assert "Cancelled" in receipt and "<script>alert(1)" not in receipt


def test_a_picked_up_order_page_ends_with_picked_up(app, client, tenant):
    from omniorder.kitchen.board import advance_order, mark_picked_up

    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    tracking = checkout(customer, "Ada").headers["Location"]
    order_id = tracking.rsplit("/", 1)[1]
    with bound(app, tenant):
        advance_order(order_id, "PENDING")
        advance_order(order_id, "COOKING")
    status = customer.get(tracking + "/status").text
    assert "Ready for pickup" in status and "hx-trigger" in status  # until it is collected
    assert "Ready around" not in status  # the estimate has done its work
    with bound(app, tenant):
        mark_picked_up(order_id)
    for path in (tracking, tracking + "/status"):
        html = customer.get(path).text
        assert '<p class="status-text">Picked up</p>' in html and "hx-trigger" not in html


def test_a_restaurant_never_open_offers_no_time_and_says_so(app, client, tenant):
    set_settings(app, tenant, hours=CLOSED_WEEK)
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    html = customer.get("/").text
    assert 'name="pickup_at"' not in html
    assert "Closed. No pickup times are available this week." in html
    assert pickup_slots(client, tenant) == {
        "slots": [],
        "asap_available": False,
        "notice": "Closed",
    }
    assert checkout(customer, "Ada").status_code == 409
