"""One way to write a time, everywhere (issue 24, item 11): on the restaurant's today the time
alone, on another day with the weekday and date, in the restaurant's locale with the clock it
uses (12 hours in en_US, 24 in de_DE). Seen as a customer and a cook see it: the tracking page,
the receipt, the kitchen ticket and the receipt e-mail.

The server's clock is the real one, so the restaurant's time zone is chosen to make its local
time early afternoon now (a fixed-offset zone): a same-day pickup is then a PM time that a
24-hour clock writes differently, and reaches no midnight.
"""

import datetime
import re
import uuid
from zoneinfo import ZoneInfo

import pytest

from omniorder.core.database import db
from omniorder.languages.serving import display_locale
from omniorder.notifications.mail import build_message
from omniorder.notifications.models import Notification
from omniorder.ordering.models import Order
from tests.support.choices import bound, set_settings
from tests.support.clock import DE_DAYS, shown
from tests.support.languages import translated
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu

UTC = datetime.UTC


def afternoon_zone() -> str:
    """A fixed-offset zone whose clock shows 13:xx now (Etc/GMT-3 is UTC+3)."""
    offset = (13 - datetime.datetime.now(UTC).hour + 12) % 24 - 12  # -12 … 11
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"


def place(app, client, tenant, pickup_at: datetime.datetime) -> dict:
    fries = menu(app, tenant)["Fries"]
    body = {
        "customer_name": "Ada",
        "items": [{"menu_item_id": str(fries.id), "quantity": 1}],
        "email": "ada@example.com",
        "pickup_at": pickup_at.isoformat(),
    }
    response = client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain})
    assert response.status_code == 201, response.text
    return response.json


def receipt_mail(app, tenant, order_id) -> str:
    """The receipt e-mail's text as the mail job builds it."""
    with bound(app, tenant):
        order = db.session.get(Order, uuid.UUID(order_id))
        notification = Notification(event="order.created", recipient="ada@example.com", key="k")
        message = build_message(app, notification, order)
        return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


@pytest.mark.parametrize("locale", ["en_US", "de_DE"])
@pytest.mark.parametrize("other_day", [False, True], ids=["same day", "other day"])
def test_a_pickup_reads_the_same_on_the_tracking_page_receipt_ticket_and_mail(
    app, client, tenant, locale, other_day
):
    zone = afternoon_zone()
    # English words (the test reads them) for the locale's region: en_DE in a de_DE restaurant
    set_settings(app, tenant, timezone=zone, locale=locale, languages=["en"])
    locale = display_locale("en", locale)
    now = datetime.datetime.now(ZoneInfo(zone))
    if other_day:
        day = now.date() + datetime.timedelta(days=2)
        pickup = datetime.datetime.combine(day, datetime.time(18, 30), ZoneInfo(zone))
    else:
        slots = client.get("/api/v1/pickup-slots", headers={"Host": tenant.domain}).json["slots"]
        pickup = datetime.datetime.fromisoformat(slots[0])
    assert (pickup.date() == now.date()) is not other_day and pickup.hour >= 13
    pickup_text = shown(pickup.astimezone(ZoneInfo(zone)), locale, now.date())
    order = place(app, client, tenant, pickup)
    created_at = datetime.datetime.fromisoformat(order["created_at"]).astimezone(ZoneInfo(zone))
    placed = shown(created_at, locale, now.date())
    customer = Customer(app.test_client(), tenant.domain)

    tracking = customer.get(f"/orders/{order['id']}").text
    assert re.search(rf'Pickup <time datetime="[^"]+">{re.escape(pickup_text)}</time>', tracking)
    receipt = customer.get(f"/orders/{order['id']}/receipt").text
    assert re.search(rf'Pickup <time datetime="[^"]+">{re.escape(pickup_text)}</time>', receipt)
    # The moment it was placed, in the same words: the time only (today), no seconds.
    assert re.search(rf'<p><time datetime="[^"]+">{re.escape(placed)}</time></p>', receipt)
    kitchen = signed_in(app, tenant, "kitchen").get("/kitchen").text
    assert f'<span class="pickup">Pickup {pickup_text}</span>' in kitchen
    mail = receipt_mail(app, tenant, order["id"])
    assert f"\nPickup {pickup_text}\n" in mail
    assert f"placed {placed}\n" in mail


def test_the_checkout_offers_days_by_name_and_date_and_their_slots_as_times(app, client, tenant):
    zone = afternoon_zone()
    set_settings(app, tenant, timezone=zone, locale="de_DE")
    today = datetime.datetime.now(ZoneInfo(zone)).date()
    customer = Customer(app.test_client(), tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    page = customer.get("/").text
    options = re.findall(r'name="pickup_at" value="([^"]+)"(?: checked)?>([^<]+)</label>', page)
    first = {}  # each day's first slot
    for value, text in options:
        first.setdefault(datetime.datetime.fromisoformat(value).date(), text)
    assert re.fullmatch(r"1[3-4]:[0-5][0-9]", first[today])
    later = today + datetime.timedelta(days=3)
    assert re.fullmatch(r"[0-2][0-9]:[0-5][0-9]", first[later])  # its day is chosen first
    days = dict(re.findall(r'name="pickup_day" value="([^"]+)"(?: checked)?><span>([^<]+)<', page))
    assert days[today.isoformat()] == translated("de", "Today")  # a German restaurant's words
    assert days[(today + datetime.timedelta(days=1)).isoformat()] == translated("de", "Tomorrow")
    assert days[later.isoformat()].startswith(f"{DE_DAYS[later.weekday()]}, {later.day}. ")
