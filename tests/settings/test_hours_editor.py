"""The hours editor on the Settings page: a "Closed" box per day beside its ranges, "Copy
Monday to all weekdays" and "Add a range" that work as plain posts (nothing saved), ranges past
midnight, and bad times refused beside their day."""

import re

import pytest
from sqlalchemy import text

from tests.support.settings import PAGE_FIELDS
from tests.support.staff import signed_in

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_WEEK = {f"hours-{day}_0_{end}": "" for day in DAYS for end in ("opens", "closes")}


@pytest.fixture
def admin(app, tenant):
    return signed_in(app, tenant, "admin")


def stored_hours(db_connection, tenant) -> dict | None:
    document = db_connection.scalar(
        text(f'SELECT document FROM "{tenant.schema_name}".settings')  # noqa: S608
    )
    db_connection.rollback()
    return (document or {}).get("hours")


def post(admin, **fields):
    return admin.post("/admin/settings", {**PAGE_FIELDS, **CLOSED_WEEK, **fields})


def value(page: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*value="([^"]*)"', page).group(1)


def ticked(page: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)
    return "checked" in tag


def test_each_day_has_a_closed_box_ticked_when_it_has_no_ranges(admin, db_connection, tenant):
    saved = post(admin, **{"hours-mon_0_opens": "11:00", "hours-mon_0_closes": "15:00"})
    assert saved.status_code == 303, saved.text
    page = admin.get("/admin/settings").text
    assert not ticked(page, "hours-mon_closed")
    assert ticked(page, "hours-tue_closed")
    assert '<span class="visually-hidden">Closed on Monday</span>' in page


def test_a_ticked_closed_box_closes_the_day_whatever_times_it_holds(admin, db_connection, tenant):
    saved = post(
        admin,
        **{
            "hours-mon_0_opens": "11:00",
            "hours-mon_0_closes": "15:00",
            "hours-mon_1_opens": "17:00",
            "hours-mon_1_closes": "02:00",  # past midnight: belongs to Monday
            "hours-tue_0_opens": "09:00",
            "hours-tue_0_closes": "12:00",
            "hours-tue_closed": "y",
        },
    )
    assert saved.status_code == 303, saved.text
    hours = stored_hours(db_connection, tenant)
    assert hours["mon"] == [["11:00", "15:00"], ["17:00", "02:00"]]
    assert hours["tue"] == []


def test_copy_monday_fills_tuesday_to_friday_and_saves_nothing(admin, db_connection, tenant):
    before = stored_hours(db_connection, tenant)
    page = post(
        admin,
        hours_action="copy_monday",
        **{
            "hours-mon_0_opens": "11:30",
            "hours-mon_0_closes": "14:30",
            "hours-mon_1_opens": "18:00",
            "hours-mon_1_closes": "00:00",
            "hours-sat_0_opens": "10:00",
            "hours-sat_0_closes": "16:00",
        },
    )
    assert page.status_code == 200
    assert "copied to Tuesday–Friday" in page.text
    for day in ("tue", "wed", "thu", "fri"):
        assert value(page.text, f"hours-{day}_0_opens") == "11:30"
        assert value(page.text, f"hours-{day}_1_closes") == "00:00"
        assert not ticked(page.text, f"hours-{day}_closed")
    assert value(page.text, "hours-sat_0_opens") == "10:00"  # the weekend is left alone
    assert value(page.text, "hours-sun_0_opens") == ""
    assert stored_hours(db_connection, tenant) == before

    # Saving the page as shown keeps the copies.
    copied = {
        f"hours-{day}_{row}_{end}": value(page.text, f"hours-{day}_{row}_{end}")
        for day in DAYS
        for row in range(2)
        for end in ("opens", "closes")
    }
    assert post(admin, **copied).status_code == 303
    hours = stored_hours(db_connection, tenant)
    assert hours["fri"] == [["11:30", "14:30"], ["18:00", "24:00"]]
    assert hours["sun"] == []


def test_copy_monday_copies_a_closed_monday(admin):
    page = post(
        admin,
        hours_action="copy_monday",
        **{"hours-mon_closed": "y", "hours-wed_0_opens": "09:00", "hours-wed_0_closes": "10:00"},
    ).text
    assert ticked(page, "hours-wed_closed")
    assert value(page, "hours-wed_0_opens") == ""


def test_add_a_range_shows_one_more_pair_per_day(admin):
    page = admin.get("/admin/settings").text
    assert 'id="hours-mon_3_opens"' not in page
    page = post(admin, hours_action="add_range", hours_columns="3").text
    assert 'id="hours-mon_3_opens"' in page and 'id="hours-mon_4_opens"' not in page
    page = post(admin, hours_action="add_range", hours_columns="6").text
    assert 'id="hours-mon_5_opens"' in page and "Add a range</button>" not in page


def test_remove_empties_one_range_and_saves_nothing(admin, db_connection, tenant):
    before = stored_hours(db_connection, tenant)
    typed = {
        "hours-tue_0_opens": "09:00",
        "hours-tue_0_closes": "12:00",
        "hours-tue_1_opens": "17:00",
        "hours-tue_1_closes": "01:00",
    }
    page = admin.get("/admin/settings").text
    assert 'value="remove:mon:0"' in page and 'value="remove:mon:1"' not in page
    page = post(admin, hours_action="remove:tue:0", **typed)
    assert page.status_code == 200
    assert "The range was removed from Tuesday" in page.text
    assert value(page.text, "hours-tue_0_opens") == ""
    assert value(page.text, "hours-tue_1_closes") == "01:00"
    assert stored_hours(db_connection, tenant) == before
    for forged in ("remove:xyz:0", "remove:tue:9", "remove:tue:", "remove:"):
        assert post(admin, hours_action=forged, **typed).status_code == 400, forged


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"hours-wed_0_opens": "25:00", "hours-wed_0_closes": "26:00"}, "Wednesday:"),
        ({"hours-wed_0_opens": "nine", "hours-wed_0_closes": "10:00"}, "must be times"),
        ({"hours-wed_0_opens": "09:00"}, "needs both an opening and a closing time"),
    ],
)
def test_bad_times_are_a_400_beside_their_day(admin, db_connection, tenant, typed, message):
    before = stored_hours(db_connection, tenant)
    refused = post(admin, **typed)
    assert refused.status_code == 400
    problem = re.search(
        r'<p id="hours-wed_0_opens-problem" class="notice">([^<]*)</p>', refused.text
    )
    assert problem is not None and problem.group(1).startswith("Wednesday:")
    assert message in refused.text
    assert re.search(r'aria-invalid="true" id="hours-wed_0_opens"', refused.text)
    assert stored_hours(db_connection, tenant) == before
