"""Opening hours: the settings keys, the pure `is_open` / `next_opening` (fixed UTC moments, no
database), and a closed restaurant on the storefront, the API and checkout (real PostgreSQL)."""

import datetime
import json
from zoneinfo import ZoneInfo

import pytest

from omniorder.settings.document import DAYS, current_settings, default_settings, validate_settings
from omniorder.settings.hours import is_open, next_opening
from tests.support.app import SYS_TOKEN
from tests.support.choices import add_dish, bound, set_settings
from tests.support.clock import shown
from tests.support.languages import translated
from tests.support.openapi import conforms
from tests.support.storefront import Customer, order_count

UTC = datetime.UTC
CLOSED_WEEK = {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def utc(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


def settings(timezone="Europe/Berlin", closed_dates=(), **hours) -> dict:
    """A clean settings document open only on the days given (mon=[["11:30", "14:30"]])."""
    return validate_settings(
        {
            **default_settings(),
            "timezone": timezone,
            "hours": hours,
            "closed_dates": list(closed_dates),
        }
    )


# --- the settings keys ----------------------------------------------------------------------


# Well-formed ranges that break a rule JSON Schema cannot state: 422.
BROKEN_HOURS = [
    ({"hours": {"mon": [["11:30", "14:30"], ["14:00", "22:00"]]}}, "hours.mon[1]", "overlaps"),
    (
        {"hours": {"sun": [["22:00", "03:00"]], "mon": [["02:00", "05:00"]]}},
        "hours.mon[0]",
        "overlaps",
    ),
    ({"hours": {"mon": [["10:00", "10:00"]]}}, "hours.mon[0]", "same time"),
]
BAD_HOURS = [
    ({"hours": {"mon": [["25:00", "26:00"]]}}, "hours.mon[0]", "HH:MM"),
    ({"hours": {"mon": [["24:00", "10:00"]]}}, "hours.mon[0]", "HH:MM"),
    ({"hours": {"mon": [["9:00", "10:00"]]}}, "hours.mon[0]", "HH:MM"),
    ({"hours": {"mon": [["10:00"]]}}, "hours.mon[0]", "pair of times"),
    ({"hours": {"mon": [[10, 11]]}}, "hours.mon[0]", "pair of times"),
    ({"hours": {"mon": "11-14"}}, "hours.mon", "list"),
    ({"hours": {"monday": []}}, "hours.monday", "is not a day"),
    ({"hours": []}, "hours", "object"),
    ({"closed_dates": ["2026-02-30"]}, "closed_dates[0]", "date"),
    ({"closed_dates": "2026-12-25"}, "closed_dates", "list"),
    ({"prep_minutes": -1}, "prep_minutes", "minutes"),
    ({"slot_minutes": 1}, "slot_minutes", "minutes"),
    ({"max_orders_per_slot": "5"}, "max_orders_per_slot", "0 (no cap)"),
]


@pytest.mark.parametrize("change, path, words", BAD_HOURS, ids=[c[1] for c in BAD_HOURS])
def test_bad_hours_are_400_naming_the_dotted_path(client, tenant, change, path, words):
    response = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json=change,
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    )
    assert response.status_code == 400, response.text
    assert words in response.json["fields"][path]


@pytest.mark.parametrize("change, path, words", BROKEN_HOURS, ids=[c[1] for c in BROKEN_HOURS])
def test_hours_breaking_a_rule_are_422_naming_the_dotted_path(client, tenant, change, path, words):
    """The OpenAPI document states each range's form; what it cannot state (ranges that
    overlap, across midnight too, or open and close at once) is 422, and nothing is saved."""
    url = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    auth = {"Authorization": f"Bearer {SYS_TOKEN}"}
    before = client.get(url, headers=auth).json
    response = client.patch(url, json=change, headers=auth)
    assert response.status_code == 422, response.text
    assert words in response.json["fields"][path]
    # With a malformed value beside it, the malformed one is what to fix first: 400.
    response = client.patch(url, json={**change, "prep_minutes": -1}, headers=auth)
    assert response.status_code == 400, response.text
    assert client.get(url, headers=auth).json == before


def test_hours_are_kept_sorted_with_missing_days_closed():
    clean = settings(mon=[["17:00", "22:00"], ["11:30", "14:30"]], fri=[["17:00", "02:00"]])
    assert clean["hours"]["mon"] == [["11:30", "14:30"], ["17:00", "22:00"]]
    assert clean["hours"]["tue"] == []
    assert settings(closed_dates=["2026-12-25", "2026-01-01"])["closed_dates"] == [
        "2026-01-01",
        "2026-12-25",
    ]


# --- is_open and next_opening: fixed moments, no database ----------------------------------


def test_the_defaults_are_open_at_any_moment():
    document = default_settings()
    for moment in (utc(2026, 3, 29, 1, 30), utc(2026, 12, 31, 23, 59, 59), utc(2027, 1, 1)):
        assert is_open(document, moment)
        assert next_opening(document, moment) == moment


def test_lunch_and_dinner_on_monday_in_berlin():
    lunch_and_dinner = settings(mon=[["11:30", "14:30"], ["17:00", "22:00"]])
    # Monday 2026-11-23; Berlin is UTC+1 in November
    assert not is_open(lunch_and_dinner, utc(2026, 11, 23, 10, 29))  # 11:29 local
    assert is_open(lunch_and_dinner, utc(2026, 11, 23, 10, 30))  # 11:30
    assert not is_open(lunch_and_dinner, utc(2026, 11, 23, 13, 30))  # 14:30: closed again
    assert next_opening(lunch_and_dinner, utc(2026, 11, 23, 14)) == utc(2026, 11, 23, 16)
    # after dinner on Monday: next Monday's lunch
    assert next_opening(lunch_and_dinner, utc(2026, 11, 23, 21)) == utc(2026, 11, 30, 10, 30)


def test_a_range_crossing_midnight_belongs_to_the_day_it_starts():
    late = settings(fri=[["17:00", "02:00"]])
    assert is_open(late, utc(2026, 11, 28, 0, 30))  # Saturday 01:30 local: Friday's night
    assert not is_open(late, utc(2026, 11, 28, 1))  # Saturday 02:00
    assert not is_open(late, utc(2026, 11, 28, 16, 30))  # Saturday 17:30: not Saturday's
    assert next_opening(late, utc(2026, 11, 28, 1)) == utc(2026, 12, 4, 16)


def test_an_end_at_24_00_is_midnight():
    evening = settings(tue=[["18:00", "24:00"]])
    assert is_open(evening, utc(2026, 11, 24, 22, 59))  # Tuesday 23:59 local
    assert not is_open(evening, utc(2026, 11, 24, 23))  # Wednesday 00:00


def test_a_closed_date_closes_its_ranges_but_not_the_night_before():
    christmas = settings(
        closed_dates=["2026-12-25"],
        thu=[["17:00", "02:00"]],
        fri=[["11:00", "22:00"]],
    )
    # Thursday 2026-12-24 17:00 runs into the closed Friday until 02:00
    assert is_open(christmas, utc(2026, 12, 25, 0, 30))  # 01:30 on the 25th
    assert not is_open(christmas, utc(2026, 12, 25, 1))  # 02:00
    assert not is_open(christmas, utc(2026, 12, 25, 12))  # Friday lunch: closed date
    assert next_opening(christmas, utc(2026, 12, 25, 1)) == utc(2026, 12, 31, 16)  # Thu 17:00


def test_a_range_on_the_spring_forward_night_is_an_hour_shorter():
    # Berlin, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC)
    night = settings(sat=[["22:00", "06:00"]])
    assert is_open(night, utc(2026, 3, 28, 21))  # 22:00 CET
    assert is_open(night, utc(2026, 3, 29, 3, 59))  # 05:59 CEST
    assert not is_open(night, utc(2026, 3, 29, 4))  # 06:00 CEST: 7 hours, not 8
    early = settings(sun=[["02:30", "04:00"]])  # 02:30 never shows on the clock that day
    assert not is_open(early, utc(2026, 3, 29, 0, 59))
    assert next_opening(early, utc(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert is_open(early, utc(2026, 3, 29, 1, 59))  # 03:59 CEST
    assert not is_open(early, utc(2026, 3, 29, 2))  # 04:00 CEST


def test_a_range_on_the_fall_back_night_is_an_hour_longer():
    # Berlin, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC)
    night = settings(sat=[["22:00", "06:00"]])
    assert is_open(night, utc(2026, 10, 24, 20))  # 22:00 CEST
    assert is_open(night, utc(2026, 10, 25, 4, 59))  # 05:59 CET
    assert not is_open(night, utc(2026, 10, 25, 5))  # 06:00 CET: 9 hours
    # after the change, Saturday's opening is 22:00 CET = 21:00 UTC
    assert next_opening(night, utc(2026, 10, 25, 5)) == utc(2026, 10, 31, 21)


def test_the_time_zone_decides_the_day():
    monday = settings(timezone="America/New_York", mon=[["09:00", "17:00"]])
    # Tuesday 02:00 UTC is Monday 21:00 in New York: closed, next Monday 09:00 EST (14:00 UTC)
    assert not is_open(monday, utc(2026, 11, 24, 2))
    assert next_opening(monday, utc(2026, 11, 24, 2)) == utc(2026, 11, 30, 14)
    assert is_open(monday, utc(2026, 11, 23, 21, 59))  # 16:59 EST


def test_never_open_has_no_next_opening():
    assert next_opening(settings(), utc(2026, 11, 25)) is None
    assert not is_open(settings(), utc(2026, 11, 25))


def test_a_moment_without_a_time_zone_is_refused():
    with pytest.raises(ValueError):
        is_open(default_settings(), datetime.datetime(2026, 11, 25, 12))


# --- with the database -----------------------------------------------------------------------


def test_stored_hours_are_what_the_service_reads(app, tenant):
    set_settings(
        app, tenant, timezone="Asia/Tokyo", hours={**CLOSED_WEEK, "wed": [["10:00", "20:00"]]}
    )
    with bound(app, tenant):
        stored = current_settings()
    # Wednesday 2026-11-25 10:00 in Tokyo is 01:00 UTC
    assert stored["hours"]["mon"] == []
    assert not is_open(stored, utc(2026, 11, 25, 0, 59))
    assert is_open(stored, utc(2026, 11, 25, 1))
    assert next_opening(stored, utc(2026, 11, 25, 11)) == utc(2026, 12, 2, 1)


# --- a closed restaurant over HTTP (hours chosen against the real clock) --------------------


def close_until_in_three_days(app, tenant, timezone="Europe/Berlin", locale="en_US") -> str:
    """Open only 11:30–14:30 on the weekday three days from today (local): closed now, for
    certain. Returns that weekday's short English name ("Tue")."""
    today = datetime.datetime.now(ZoneInfo(timezone)).date()
    open_day = DAYS[(today.weekday() + 3) % 7]
    set_settings(
        app,
        tenant,
        timezone=timezone,
        locale=locale,
        hours={**CLOSED_WEEK, open_day: [["11:30", "14:30"]]},
    )
    return open_day.title()


def opening_in_three_days(timezone="Europe/Berlin", locale="en_US") -> str:
    """The notice's moment for `close_until_in_three_days`: "Thu, Dec 10, 11:30 AM"."""
    zone = ZoneInfo(timezone)
    today = datetime.datetime.now(zone).date()
    opens = datetime.datetime.combine(today + datetime.timedelta(days=3), datetime.time(11, 30))
    return shown(opens.replace(tzinfo=zone), locale, today)


def assert_opens_at(text: str, weekday: str, timezone="Europe/Berlin"):
    opens = datetime.datetime.fromisoformat(text)
    assert opens.utcoffset() == opens.astimezone(ZoneInfo(timezone)).utcoffset()  # local offset
    local = opens.astimezone(ZoneInfo(timezone))
    assert (DAYS[local.weekday()], local.hour, local.minute) == (weekday.lower(), 11, 30)
    assert opens > datetime.datetime.now(UTC)


def test_closed_storefront_says_when_it_opens(app, client, tenant):
    close_until_in_three_days(app, tenant)
    page = Customer(client, tenant.domain).get("/")
    assert page.status_code == 200
    assert f"Closed · opens {opening_in_three_days()}" in page.text


def test_closed_storefront_speaks_the_restaurants_locale(app, client, tenant):
    close_until_in_three_days(app, tenant, locale="de_DE")
    expected = opening_in_three_days(locale="de_DE")  # "Do., 10. Dez., 11:30"
    notice = translated("de", "Closed · opens %(time)s", time=expected)
    assert notice in Customer(client, tenant.domain).get("/").text


def test_api_order_while_closed_is_409_with_opens_at_and_writes_nothing(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    weekday = close_until_in_three_days(app, tenant)
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 409, response.text
    assert f"Closed · opens {opening_in_three_days()}" in response.json["error"]
    assert_opens_at(response.json["opens_at"], weekday)
    assert order_count(app, tenant) == 0


def test_api_order_is_accepted_again_once_open(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    close_until_in_three_days(app, tenant)
    set_settings(app, tenant, hours={**CLOSED_WEEK, **default_settings()["hours"]})
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 201, response.text


def test_a_retried_order_is_answered_after_closing(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    body = {"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]}
    headers = {"Host": tenant.domain, "Idempotency-Key": "retry-after-closing-1"}
    first = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == 201, first.text
    close_until_in_three_days(app, tenant)
    again = client.post("/api/v1/orders", json=body, headers=headers)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]


def test_closed_on_a_closed_date_the_api_says_so(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    today = datetime.datetime.now(ZoneInfo("Europe/Berlin")).date()
    days = [today + datetime.timedelta(days=n) for n in range(-1, 3)]
    set_settings(app, tenant, timezone="Europe/Berlin", closed_dates=[d.isoformat() for d in days])
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 409, response.text
    opens = datetime.datetime.fromisoformat(response.json["opens_at"])
    local = opens.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.date() == today + datetime.timedelta(days=3) and (local.hour, local.minute) == (
        0,
        0,
    )


def test_never_open_is_409_with_a_null_opens_at(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    set_settings(app, tenant, hours=CLOSED_WEEK)
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 409 and response.json["opens_at"] is None
    assert Customer(client, tenant.domain).get("/").text.count("Closed") >= 1


@pytest.mark.parametrize("htmx", [False, True])
def test_checkout_while_closed_shows_the_cart_with_the_message(app, client, tenant, htmx):
    soup = add_dish(app, tenant, "Soup", 500)
    customer = Customer(client, tenant.domain)
    assert customer.add(soup.id).status_code in (200, 303)
    close_until_in_three_days(app, tenant)
    response = customer.checkout("Grace", htmx=htmx)
    assert response.status_code == 409
    assert f"Closed · opens {opening_in_three_days()}" in response.text
    assert 'id="cart"' in response.text and "Soup" in response.text
    assert order_count(app, tenant) == 0


def test_the_closed_409_is_as_documented(app, client, tenant):
    soup = add_dish(app, tenant, "Soup", 500)
    close_until_in_three_days(app, tenant)
    document = client.get("/api/v1/openapi.json", headers={"Host": "any.invalid"}).get_json()
    assert "opens_at" in document["components"]["schemas"]["Error"]["properties"]
    response = client.post(
        "/api/v1/orders",
        json={"customer_name": "Ada", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 409
    conforms(document, "/api/v1/orders", "post", response)


def test_the_cli_sets_hours_by_day(runner, tenant):
    def settings_cli(*sets):
        args = ["tenants", "settings", tenant.domain]
        return runner.invoke(args=args + [part for text in sets for part in ("--set", text)])

    result = settings_cli('hours.tue=[["17:00", "24:00"]]')
    assert result.exit_code == 0, result.output
    hours = json.loads(result.output)["hours"]
    assert hours["tue"] == [["17:00", "24:00"]] and hours["mon"] == [["00:00", "24:00"]]
    # past midnight into Wednesday, which is open from 00:00 (the default): refused
    late = settings_cli('hours.tue=[["17:00", "02:00"]]')
    assert late.exit_code == 2 and "hours.wed[0]: overlaps another opening range" in late.output
    both = settings_cli('hours.tue=[["17:00", "02:00"]]', 'hours.wed=[["11:00", "22:00"]]')
    assert both.exit_code == 0, both.output
    assert settings_cli("hours.tue=[[1]]").exit_code == 2
