"""Anything the settings validator accepts must render (issue 24, item 1): a settings document
the system API, the CLI or the admin page saves is then shown by every page and answered by
every API call without a 5xx, in every time zone. A 500 after a 200 is the validator's bug.

The first find: a pause "until 9999-12-31T23:59:59Z" was accepted, and every page that shows
the pause then failed (the moment is in year 10000 in Berlin). A timed pause is now at most
`PAUSE_DAYS` ahead, and one stored before that bound is read as paused until resumed.
"""

import datetime
import json
import uuid
import zoneinfo

import pytest
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import text

from omniorder.core.database import db
from omniorder.notifications.mail import TEMPLATES, build_message, mail_language
from omniorder.notifications.models import Notification
from omniorder.ordering.models import Order
from omniorder.ordering.pickup import pause_notice, pickup_offer
from omniorder.settings.document import DAYS, PAUSE_DAYS, default_settings, validate_settings
from omniorder.settings.hours import closed_notice, next_opening
from tests.support.app import SYS_TOKEN
from tests.support.choices import add_dish, bound
from tests.support.languages import translated
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
UTC = datetime.UTC
ZONES = sorted(zoneinfo.available_timezones())


@pytest.fixture(autouse=True)
def _forget_failed_attempts():
    from omniorder.blueprints import sysapi

    sysapi._failures.clear()
    yield
    sysapi._failures.clear()


def patch(client, tenant, change):
    return client.patch(f"/api/v1/sys/tenants/{tenant.domain}/settings", json=change, headers=AUTH)


def stored(db_connection, tenant) -> dict:
    document = db_connection.scalar(
        text(f'SELECT document FROM "{tenant.schema_name}".settings')  # noqa: S608
    )
    db_connection.rollback()
    return document


def store_directly(db_connection, tenant, document: dict) -> None:
    """A document as an older version (without today's checks) may have saved it."""
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".settings SET document = CAST(:d AS jsonb)'  # noqa: S608
        ),
        {"d": json.dumps(document)},
    )
    db_connection.commit()


def now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


# --- the pause that bricked a restaurant ----------------------------------------------------


@pytest.mark.parametrize(
    ("until", "says"),
    [
        ("9999-12-31T23:59:59Z", f"must be at most {PAUSE_DAYS} days ahead"),
        ("3000-01-01T00:00:00+00:00", f"must be at most {PAUSE_DAYS} days ahead"),
        ("9999-12-31T23:59:59-12:00", "is out of range"),  # year 10000 in UTC
    ],
)
def test_a_pause_further_than_a_week_is_422_and_nothing_saved(
    client, tenant, db_connection, until, says
):
    """A well-formed moment beyond the rule no JSON Schema can state (within 7 days of now)."""
    response = patch(client, tenant, {"timezone": "Europe/Berlin", "pause": {"until": until}})
    assert response.status_code == 422, response.text
    assert response.json["fields"]["pause.until"].startswith(says)
    assert stored(db_connection, tenant) == {}


def test_the_refusal_says_how_to_pause_for_longer(client, tenant):
    response = patch(client, tenant, {"pause": {"until": "9999-12-31T23:59:59Z"}})
    assert '{"until": null} (until resumed)' in response.json["fields"]["pause.until"]


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59+00:00"])
def test_a_pause_ending_before_2000_is_422(client, tenant, until):
    response = patch(client, tenant, {"pause": {"until": until}})
    assert response.status_code == 422 and "pause.until" in response.json["fields"]


def test_the_cli_refuses_a_far_pause_in_one_line(runner, tenant, db_connection):
    result = runner.invoke(
        args=["tenants", "settings", tenant.domain, "--set", 'pause={"until": "9999-12-31T23:59Z"}']
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and "pause.until" in errors[0] and "7 days" in errors[0]
    assert stored(db_connection, tenant) == {}


def test_a_pause_of_a_week_is_taken_and_every_page_shows_it(app, client, tenant):
    until = now() + datetime.timedelta(days=PAUSE_DAYS) - datetime.timedelta(seconds=5)
    change = {"timezone": "Pacific/Kiritimati", "pause": {"until": until.isoformat()}}
    assert patch(client, tenant, change).status_code == 200
    customer = Customer(app.test_client(), tenant.domain)
    assert "Online orders are paused · back at " in customer.get("/").text
    admin = signed_in(app, tenant, "admin")
    for path in ("/kitchen", "/kitchen/board", "/admin/settings"):
        assert admin.get(path).status_code == 200, path


def test_a_far_pause_stored_before_the_bound_reads_as_until_resumed_and_can_be_ended(
    app, client, tenant, db_connection
):
    store_directly(
        db_connection,
        tenant,
        {"timezone": "Europe/Berlin", "pause": {"until": "9999-12-31T23:59:59+00:00"}},
    )
    customer = Customer(app.test_client(), tenant.domain)
    page = customer.get("/")
    assert page.status_code == 200 and "Online orders are paused" in page.text
    slots = client.get("/api/v1/pickup-slots", headers={"Host": tenant.domain})
    assert slots.status_code == 200 and slots.json["asap_available"] is False
    fries = menu(app, tenant)["Fries"]
    body = {"customer_name": "Ada", "items": [{"menu_item_id": str(fries.id), "quantity": 1}]}
    asap = client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain})
    assert asap.status_code == 409 and asap.json["resumes_at"] is None
    admin = signed_in(app, tenant, "admin")
    settings_page = admin.get("/admin/settings")
    assert settings_page.status_code == 200
    assert "Online orders paused until resumed — resume from the kitchen board." in (
        settings_page.text
    )
    assert admin.get("/kitchen/board").status_code == 200
    # The admin repairs it from the back office: the board's Resume.
    board = admin.get("/kitchen")
    assert board.status_code == 200 and ">Resume</button>" in board.text
    assert admin.post("/kitchen/resume", htmx=True).status_code == 200
    assert stored(db_connection, tenant)["pause"] is None
    assert "Online orders are paused" not in customer.get("/").text


def test_a_pause_that_ended_long_ago_stored_before_the_bound_is_no_pause(
    app, client, tenant, db_connection
):
    store_directly(db_connection, tenant, {"pause": {"until": "0001-01-01T00:00:00+00:00"}})
    assert (
        client.get(f"/api/v1/sys/tenants/{tenant.domain}/settings", headers=AUTH).json["pause"]
        is None
    )
    # An unrelated change saves the repaired document.
    assert patch(client, tenant, {"timezone": "America/Adak"}).status_code == 200
    assert stored(db_connection, tenant)["pause"] is None


# --- every time zone, through the rules that show times (no database) ------------------------


EDGE_HOURS = {
    "mon": [["00:00", "24:00"]],
    "tue": [["23:59", "00:01"]],
    "wed": [["00:30", "00:45"], ["02:00", "03:00"], ["23:00", "02:00"]],
    "thu": [["02:30", "03:30"]],  # the hour many zones skip or repeat
    "fri": [],
    "sat": [["12:00", "11:59"]],
}


@pytest.mark.parametrize("hours", [EDGE_HOURS, {day: [] for day in DAYS}])
def test_every_time_zone_shows_its_notices_slots_and_times(hours):
    at = now()
    for zone in ZONES:
        settings = validate_settings(
            {
                **default_settings(),
                "timezone": zone,
                "hours": hours,
                "closed_dates": ["0001-01-01", "9999-12-31", at.date().isoformat()],
                "slot_minutes": 5,
                "pause": {"until": (at + datetime.timedelta(days=PAUSE_DAYS)).isoformat()},
            }
        )
        offer = pickup_offer(settings, at)
        assert offer.asap_available is False
        assert pause_notice(settings, at).startswith("Online orders are paused · back at ")
        notice = closed_notice(settings, at)
        assert notice is None or notice.startswith("Closed")
        opens = next_opening(settings, at)
        assert opens is None or opens >= at


# --- the property: accepted means rendered ---------------------------------------------------


def moments(earliest: datetime.datetime) -> st.SearchStrategy[str]:
    """ISO moments from `earliest` to a week and a bit ahead, and the extremes, with offsets."""
    offsets = st.integers(-14 * 60, 14 * 60).map(
        lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
    )
    near = st.builds(
        lambda seconds, zone: (
            (earliest + datetime.timedelta(seconds=seconds)).astimezone(zone).isoformat()
        ),
        st.integers(-3 * 86_400, (PAUSE_DAYS + 1) * 86_400),
        offsets,
    )
    extreme = st.sampled_from(
        ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "2000-01-01T00:00:00+00:00"]
    )
    return st.one_of(near, extreme)


TIMES = st.sampled_from(
    ["00:00", "00:01", "01:30", "02:00", "02:30", "03:00", "11:59", "12:00", "23:00", "23:59"]
)
ENDS = st.one_of(TIMES.filter(lambda t: t != "00:00"), st.just("24:00"))


def day_hours() -> st.SearchStrategy[list]:
    return st.lists(st.tuples(TIMES, ENDS).map(list), max_size=2)


def documents(at: datetime.datetime) -> st.SearchStrategy[dict]:
    """Settings changes, mostly ones the validator takes: any zone, locale and currency,
    hours crossing midnight or on the hours clocks skip, extreme closed dates, any pause."""
    dates = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31)).map(
        datetime.date.isoformat
    )
    return st.fixed_dictionaries(
        {
            "timezone": st.sampled_from(ZONES),
            "locale": st.sampled_from(["en_US", "de_DE", "ja_JP", "ar_EG", "fa_IR", "hi_IN"]),
            "currency": st.sampled_from(["USD", "EUR", "JPY", "KWD", "CLF"]),
            "tax": st.fixed_dictionaries(
                {"rate_bp": st.integers(0, 10_000), "inclusive": st.booleans()}
            ),
            "tips": st.fixed_dictionaries(
                {
                    "enabled": st.booleans(),
                    "presets_percent": st.lists(st.integers(1, 100), max_size=5, unique=True),
                }
            ),
            "hours": st.fixed_dictionaries({}, optional={day: day_hours() for day in DAYS}),
            "closed_dates": st.lists(dates, max_size=3),
            "prep_minutes": st.sampled_from([0, 1, 15, 24 * 60]),
            "slot_minutes": st.sampled_from([5, 7, 60, 24 * 60]),
            "max_orders_per_slot": st.sampled_from([0, 1, 10_000]),
            "pause": st.one_of(
                st.none(),
                st.just({"until": None}),
                moments(at).map(lambda until: {"until": until}),
            ),
        }
    )


@pytest.fixture
def restaurant(app, tenant):
    """A restaurant with an item whose option group has no options at all, and its staff."""
    empty = add_dish(app, tenant, "Plain bowl", 700, [("Toppings", 0, 2, [])])
    return {
        "admin": signed_in(app, tenant, "admin"),
        "items": [menu(app, tenant)["Fries"].id, empty.id],
    }


ADMIN_PAGES = [
    "/kitchen",
    "/kitchen/board",
    "/admin/settings",
    "/admin/orders",
    "/admin/sales",
    "/admin/menu",
    "/admin/staff",
    "/admin/webhooks",
    "/admin/theme",
]


def assert_answers(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:500]}"
    return response


def place(client, tenant, item_id, pickup_at=None):
    body = {
        "customer_name": "Ada",
        "items": [{"menu_item_id": str(item_id), "quantity": 1}],
        "email": "ada@example.com",
    }
    if pickup_at is not None:
        body["pickup_at"] = pickup_at
    headers = {"Host": tenant.domain, "Idempotency-Key": uuid.uuid4().hex}
    return assert_answers(
        client.post("/api/v1/orders", json=body, headers=headers), f"order at {pickup_at}"
    )


# Each order e-mail's title (mail/*.html), in the order's language when the test reads it.
MAIL_TITLES = {
    "order.created": "Order #%(number)s at %(restaurant)s",
    "order.ready": "Order #%(number)s is ready",
    "order.cancelled": "Order #%(number)s was cancelled",
}


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_accepted_settings_render_every_page_and_answer_every_call(
    app, client, tenant, restaurant, data
):
    change = data.draw(documents(now()))
    saved = patch(client, tenant, change)
    assert saved.status_code in (200, 400, 422), saved.text
    event(f"settings answered {saved.status_code}")
    if saved.status_code == 400:  # refused: then nothing was saved, and that is all
        return
    host = {"Host": tenant.domain}
    # A customer of this example alone: a cart left by an earlier example (a checkout refused
    # while closed keeps it) would make examples depend on each other, and a failure unreplayable.
    customer, admin = Customer(app.test_client(), tenant.domain), restaurant["admin"]
    assert_answers(client.get("/api/v1/menu", headers=host), "menu")
    slots = assert_answers(client.get("/api/v1/pickup-slots", headers=host), "slots").json
    orders = [place(client, tenant, restaurant["items"][0])]
    if slots["slots"]:
        orders.append(place(client, tenant, restaurant["items"][0], slots["slots"][0]))
        orders.append(place(client, tenant, restaurant["items"][0], slots["slots"][-1]))
    assert_answers(customer.get("/"), "storefront")
    for item_id in restaurant["items"]:
        assert_answers(customer.add(item_id), "add to cart")
    assert_answers(customer.get("/"), "storefront with a cart")
    assert_answers(customer.choose_tip("10"), "tip")
    checkout = assert_answers(customer.checkout("Bo"), "checkout")
    tracked = [order.json["id"] for order in orders if order.status_code in (200, 201)]
    if checkout.status_code == 303:
        tracked.append(checkout.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    for order_id in tracked:
        for suffix in ("", "/status", "/receipt"):
            assert_answers(customer.get(f"/orders/{order_id}{suffix}"), f"order page {suffix}")
    for path in ADMIN_PAGES:
        assert_answers(admin.get(path), path)
    assert_answers(admin.get("/kitchen/board", htmx=True), "board poll")
    with bound(app, tenant):  # every e-mail of every order, as the mail job builds it
        for order_id in tracked:
            order = db.session.get(Order, uuid.UUID(order_id))
            language = mail_language(order.language)  # de for a de_DE restaurant, ar for ar_EG
            for kind in TEMPLATES:
                notification = Notification(event=kind, recipient="ada@example.com", key="k")
                content = build_message(app, notification, order).get_body().get_content()
                title = translated(
                    language, MAIL_TITLES[kind], number=order.number, restaurant=tenant.name
                )
                assert escape(title) in content
