"""The back office's side of service control (issue 16): the weekly opening-hours table,
closed dates and pickup rules on the Settings page, the ready-estimate formula and the pause
shown there, and kitchen stations on the menu page and in the menu document."""

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from omniorder.core.database import db
from omniorder.menu.models import Category
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.clock import shown
from tests.support.orders import insert_orders
from tests.support.settings import PAGE_FIELDS
from tests.support.staff import signed_in

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_WEEK = {f"hours-{day}_0_{end}": "" for day in DAYS for end in ("opens", "closes")}


@pytest.fixture
def admin(app, tenant):
    return signed_in(app, tenant, "admin")


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def stored(db_connection, tenant) -> dict:
    """The settings row as saved (defaults not filled in); {} when never saved."""
    document = db_connection.scalar(
        text(f'SELECT document FROM "{tenant.schema_name}".settings')  # noqa: S608
    )
    db_connection.rollback()
    return document or {}


def save(admin, **fields):
    """The Settings page posted as a browser would, every day closed unless `fields` says."""
    return admin.post("/admin/settings", {**PAGE_FIELDS, **CLOSED_WEEK, **fields})


def hours(day: str, *ranges: tuple[str, str]) -> dict:
    """The table's inputs for one day's pairs, as `save` takes them (hours-mon_0_opens=…)."""
    return {
        f"hours-{day}_{row}_{end}": time
        for row, pair in enumerate(ranges)
        for end, time in zip(("opens", "closes"), pair, strict=True)
    }


def input_value(page: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*value="([^"]*)"', page).group(1)


# --- opening hours, closed dates and pickup rules --------------------------------------------


def test_the_weekly_table_saves_hours_closures_and_pickup_rules(admin, tenant, db_connection):
    page = admin.get("/admin/settings").text
    # A new restaurant is open all day: 00:00 – 00:00, the closing 00:00 being midnight.
    assert input_value(page, "hours-mon_0_opens") == "00:00"
    assert input_value(page, "hours-mon_0_closes") == "00:00"
    assert 'type="time"' in page and ">Monday</th>" in page and ">Sunday</th>" in page
    assert "A closing time of 00:00 (12:00 AM on a 12-hour clock) means midnight" in page

    saved = save(
        admin,
        **hours("mon", ("11:30", "14:30"), ("17:00", "22:00")),
        **hours("fri", ("17:00", "02:00")),  # crosses midnight: belongs to Friday
        **hours("sat", ("18:00", "00:00")),  # until midnight: 24:00
        **hours("sun", ("00:00", "00:00")),  # all day
        **{"hours-wed_2_opens": "12:00", "hours-wed_2_closes": "15:00"},  # a later pair only
        **{
            "closures-closed_dates": "2026-12-26, 2026-12-25\n2027-01-01\n2026-12-25",
            "pickup-prep_minutes": "20",
            "pickup-slot_minutes": "10",
            "pickup-max_orders_per_slot": "4",
        },
    )
    assert saved.status_code == 303, saved.text
    document = stored(db_connection, tenant)
    assert document["hours"] == {
        "mon": [["11:30", "14:30"], ["17:00", "22:00"]],
        "tue": [],
        "wed": [["12:00", "15:00"]],
        "thu": [],
        "fri": [["17:00", "02:00"]],
        "sat": [["18:00", "24:00"]],
        "sun": [["00:00", "24:00"]],
    }
    assert document["closed_dates"] == ["2026-12-25", "2026-12-26", "2027-01-01"]  # sorted
    assert (document["prep_minutes"], document["slot_minutes"]) == (20, 10)
    assert document["max_orders_per_slot"] == 4

    page = admin.get("/admin/settings?saved=1").text
    assert "Settings saved." in page
    assert input_value(page, "hours-fri_0_closes") == "02:00"
    assert input_value(page, "hours-sat_0_closes") == "00:00"  # 24:00 as the input says it
    assert input_value(page, "hours-wed_0_opens") == "12:00"  # listed first from now on
    assert input_value(page, "hours-tue_0_opens") == ""  # closed
    assert "2026-12-25\n2026-12-26\n2027-01-01</textarea>" in page
    assert input_value(page, "pickup-prep_minutes") == "20"


def test_an_overlapping_range_is_refused_next_to_its_day_and_nothing_saved(
    admin, tenant, db_connection
):
    typed = {
        **hours("mon", ("11:00", "15:00")),
        "hours-mon_2_opens": "14:00",  # the third pair: overlaps the first
        "hours-mon_2_closes": "18:00",
        **hours("tue", ("09:00", "")),  # half a range
        "closures-closed_dates": "2026-12-25, Christmas",
        "pickup-prep_minutes": "soon",
    }
    refused = save(admin, **typed)
    assert refused.status_code == 400
    page = refused.text
    assert "Nothing was saved" in page
    assert '<p id="hours-mon_2_opens-problem" class="notice">Monday: overlaps another' in page
    assert re.search(r'aria-invalid="true" id="hours-mon_2_opens"', page)
    assert ">Monday, range 3, opens</a>: overlaps another opening range" in page
    assert "Tuesday: needs both an opening and a closing time" in page
    assert "must be a date such as 2026-12-25" in page
    assert re.search(r'aria-invalid="true" id="closures-closed_dates"', page)
    assert "must be a whole number, such as 15" in page
    # What was typed is kept, for correcting.
    assert input_value(page, "hours-mon_2_opens") == "14:00"
    assert input_value(page, "hours-tue_0_opens") == "09:00"
    assert "Christmas</textarea>" in page
    assert stored(db_connection, tenant) == {}

    # Monday running past midnight into Tuesday's morning: the message is at Tuesday.
    refused = save(admin, **hours("mon", ("18:00", "03:00")), **hours("tue", ("02:00", "10:00")))
    assert refused.status_code == 400
    assert "Tuesday: overlaps another opening range" in refused.text
    assert stored(db_connection, tenant) == {}


def test_the_table_speaks_the_restaurants_language(client, admin, tenant):
    changed = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"locale": "de_DE", "hours": {"mon": [["11:30", "14:30"]] * 1}},
        headers=AUTH,
    )
    assert changed.status_code == 200, changed.text
    page = admin.get("/admin/settings").text
    assert ">Montag</th>" in page and ">Sonntag</th>" in page
    assert input_value(page, "hours-mon_0_opens") == "11:30"


def test_a_day_with_more_ranges_than_the_table_shows_keeps_them_all(
    client, admin, tenant, db_connection
):
    four = [["08:00", "09:00"], ["10:00", "11:00"], ["12:00", "13:00"], ["14:00", "15:00"]]
    assert (
        client.patch(
            f"/api/v1/sys/tenants/{tenant.domain}/settings",
            json={"hours": {"thu": four}},
            headers=AUTH,
        ).status_code
        == 200
    )
    page = admin.get("/admin/settings").text
    assert input_value(page, "hours-thu_3_opens") == "14:00"  # a fourth pair is shown
    fields = {
        f"hours-thu_{row}_{end}": t
        for row, r in enumerate(four)
        for end, t in zip(("opens", "closes"), r, strict=True)
    }
    assert save(admin, **fields).status_code == 303
    assert stored(db_connection, tenant)["hours"]["thu"] == four


def test_the_ready_estimate_formula_and_todays_figure_are_shown(admin, tenant, db_connection):
    page = admin.get("/admin/settings").text
    formula = (
        "ASAP orders are promised for now + preparation time + 1 minute per order already "
        "waiting or cooking"
    )
    assert formula in page
    assert "Now: about 15 minutes (0 orders waiting or cooking)" in page

    insert_orders(db_connection, tenant, ["Ann", "Ben"], status="PENDING")
    insert_orders(db_connection, tenant, ["Cem"], status="COOKING")
    insert_orders(db_connection, tenant, ["Dee"], status="DONE")  # ready: not ahead
    insert_orders(db_connection, tenant, ["Eve"], status="CANCELLED")
    db_connection.commit()
    assert (
        "Now: about 18 minutes (3 orders waiting or cooking)" in admin.get("/admin/settings").text
    )


def test_a_pause_from_the_board_is_shown_read_only(client, admin, tenant):
    page = admin.get("/admin/settings").text
    assert "Online orders paused" not in page
    until = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=30)
    change = {"timezone": "Europe/Berlin", "pause": {"until": until.isoformat()}}
    url = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    assert client.patch(url, json=change, headers=AUTH).status_code == 200
    berlin = ZoneInfo("Europe/Berlin")
    local = shown(until.astimezone(berlin), today=dt.datetime.now(berlin).date())
    page = admin.get("/admin/settings").text
    assert f"Online orders paused until {local} — resume from the kitchen board." in page

    assert client.patch(url, json={"pause": {"until": None}}, headers=AUTH).status_code == 200
    page = admin.get("/admin/settings").text
    assert "Online orders paused until resumed — resume from the kitchen board." in page
    # Saving the page leaves the board's pause alone.
    assert save(admin, **hours("mon", ("09:00", "17:00"))).status_code == 303
    assert client.get(url, headers=AUTH).json["pause"] == {"until": None}


def test_a_save_without_its_csrf_token_is_refused(admin, tenant, db_connection):
    refused = admin.post(
        "/admin/settings", {**PAGE_FIELDS, **hours("mon", ("09:00", "17:00"))}, csrf=False
    )
    assert refused.status_code == 400
    assert stored(db_connection, tenant) == {}


@pytest.mark.parametrize(
    "fields, message",
    [
        (hours("mon", ("9am", "17:00")), "must be times such as 11:30"),
        (hours("mon", ("24:00", "02:00")), "starts at a time that is not HH:MM"),
        (hours("mon", ("25:00", "26:00")), "starts at a time that is not HH:MM"),
        (hours("mon", ("10:00", "10:00")), "opens and closes at the same time"),
        ({"hours-mon_9_opens": "10:00", "hours-mon_9_closes": "11:00"}, None),  # no such pair
        ({"pickup-slot_minutes": "1"}, "5 to 1440"),
        ({"pickup-max_orders_per_slot": "-1"}, "must be a whole number"),
        ({"pickup-prep_minutes": "١٥"}, "must be a whole number"),  # Arabic-Indic digits
        ({"closures-closed_dates": "2026-02-30"}, "must be a date such as 2026-12-25"),
        ({"closures-closed_dates": "<b>2026</b>"}, "must be a date such as 2026-12-25"),
    ],
)
def test_bad_table_input_is_400_with_its_message_and_nothing_saved(
    admin, tenant, db_connection, fields, message
):
    response = save(admin, **fields)
    if message is None:  # an unknown field is ignored: the week is saved closed
        assert response.status_code == 303
        return
    assert response.status_code == 400
    assert message in response.text and "<b>2026</b>" not in response.text
    assert stored(db_connection, tenant) == {}


# --- stations on the menu page -----------------------------------------------------------------


def categories(app, tenant) -> dict[str, str | None]:
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        rows = db.session.execute(select(Category.name, Category.station).order_by(Category.rank))
        return dict(rows.all())


def category_id(app, tenant, name):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        return db.session.scalars(select(Category.id).where(Category.name == name)).one()


def test_a_manager_sets_a_categorys_station(app, tenant, manager):
    mains = category_id(app, tenant, "Mains")
    saved = manager.post(
        f"/admin/categories/{mains}/rename", {"name": "Mains", "station": " Grill "}
    )
    assert saved.status_code == 303
    assert categories(app, tenant)["Mains"] == "Grill"  # trimmed
    page = manager.get("/admin/menu").text
    assert f'id="station-{mains}" name="station" value="Grill"' in page

    # A rename from a form without the station field keeps it; an empty one clears it.
    manager.post(f"/admin/categories/{mains}/rename", {"name": "Grill plates"})
    assert categories(app, tenant)["Grill plates"] == "Grill"
    manager.post(f"/admin/categories/{mains}/rename", {"name": "Mains", "station": "  "})
    assert categories(app, tenant)["Mains"] is None

    created = manager.post("/admin/categories", {"name": "Shakes", "station": "Bar"})
    assert created.status_code == 303
    assert categories(app, tenant)["Shakes"] == "Bar"


def test_a_station_is_checked_with_the_name_and_escaped(app, tenant, manager):
    mains = category_id(app, tenant, "Mains")
    before = categories(app, tenant)
    refused = manager.post(f"/admin/categories/{mains}/rename", {"name": "", "station": "G" * 41})
    assert refused.status_code == 400
    assert "name: is required" in refused.text
    assert "station: must be at most 40 characters" in refused.text
    refused = manager.post(f"/admin/categories/{mains}/rename", {"name": "M", "station": "a\x00b"})
    assert refused.status_code == 400 and "control characters" in refused.text
    assert categories(app, tenant) == before
    assert manager.post("/admin/categories", {"name": "X", "station": "B" * 41}).status_code == 400
    assert "X" not in categories(app, tenant)

    script = "<script>alert(1)</script>"
    saved = manager.post(f"/admin/categories/{mains}/rename", {"name": script, "station": script})
    assert saved.status_code == 303
    assert categories(app, tenant)[script] == script  # stored as typed, shown as text
    page = manager.get("/admin/menu").text
    assert script not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


@pytest.mark.parametrize(
    "typed, status, kept",
    [
        ("Ä" * 40, 303, "Ä" * 40),  # 40 characters, not bytes
        (" " * 40, 303, None),  # only spaces: no station
        (" " * 41, 400, "Grill"),  # over the limit as typed (the API document counts so too)
        ("x" * 10_000, 400, "Grill"),
        ("Gr\x00ill", 400, "Grill"),
        ("Gr\x1bill", 400, "Grill"),
        ("\u202eGrill", 400, "Grill"),  # a right-to-left override is a control character
        ("Grill\nCold", 400, "Grill"),
    ],
)
def test_hostile_stations_are_400s_that_change_nothing(app, tenant, manager, typed, status, kept):
    mains = category_id(app, tenant, "Mains")
    url = f"/admin/categories/{mains}/rename"
    assert manager.post(url, {"name": "Mains", "station": "Grill"}).status_code == 303
    assert manager.post(url, {"name": "Mains", "station": typed}).status_code == status
    assert categories(app, tenant)["Mains"] == kept


def test_stations_ride_the_menu_document_both_ways(app, runner, client, tenant, tmp_path):
    path = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    document = client.get(path, headers=AUTH).json
    assert all("station" not in category for category in document["categories"])  # none yet
    document["categories"][0]["station"] = "Grill"
    document["categories"][2]["station"] = "Bar"
    replaced = client.put(path, json=document, headers=AUTH)
    assert replaced.status_code == 200, replaced.text
    assert client.get(path, headers=AUTH).json == document
    assert categories(app, tenant) == {"Mains": "Grill", "Sides": None, "Drinks": "Bar"}

    # flask menu export → import → export: the same document, stations included.
    exported = tmp_path / "menu.json"
    assert (
        runner.invoke(args=["menu", "export", tenant.domain, "--out", str(exported)]).exit_code == 0
    )
    assert json.loads(exported.read_text()) == document
    imported = runner.invoke(args=["menu", "import", tenant.domain, str(exported)])
    assert imported.exit_code == 0, imported.output
    again = runner.invoke(args=["menu", "export", tenant.domain])
    assert json.loads(again.output) == document

    document["categories"][1]["station"] = "S" * 41
    refused = client.put(path, json=document, headers=AUTH)
    assert refused.status_code == 400
    assert refused.json["fields"] == {"categories[1].station": "must be at most 40 characters"}
    assert categories(app, tenant) == {"Mains": "Grill", "Sides": None, "Drinks": "Bar"}
