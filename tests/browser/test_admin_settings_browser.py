"""An admin sets the opening hours in the Settings page's weekly table with the browser's own
time inputs and picks a locale from the list grouped by language, a manager names a category's
kitchen station and reads the orders list; every page passes axe."""

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import text

from tests.support.accessibility import assert_accessible
from tests.support.app import SYS_TOKEN
from tests.support.languages import translated
from tests.support.orders import insert_orders
from tests.support.staff import PASSWORD, add_staff


def log_in(page, url, email):
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_admin_sets_the_week_with_time_inputs(browser, live_server, make_tenant, app, tmp_path):
    tenant = make_tenant(name="Hours Diner")
    add_staff(app, tenant, "owner@hours.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, f"{base}/login", "owner@hours.example")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    page.goto(f"{base}/admin/settings")
    expect(page.get_by_label("Monday, range 1, opens")).to_have_value("00:00")
    assert_accessible(page)

    page.get_by_label("Monday, range 1, opens").fill("11:30")
    page.get_by_label("Monday, range 1, closes").fill("14:30")
    page.get_by_label("Monday, range 2, opens").fill("17:00")
    page.get_by_label("Monday, range 2, closes").fill("22:00")
    page.get_by_label("Friday, range 1, opens").fill("17:00")
    page.get_by_label("Friday, range 1, closes").fill("02:00")  # into Saturday, which then
    page.get_by_label("Saturday, range 1, opens").fill("10:00")  # cannot open at midnight
    page.get_by_label("Saturday, range 1, closes").fill("23:00")
    for end in ("opens", "closes"):
        page.get_by_label(f"Tuesday, range 1, {end}").fill("")  # closed on Tuesdays
    page.get_by_label("Closed dates").fill("2026-12-25\n2026-12-24")
    page.get_by_label("Preparation time (minutes)").fill("20")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "admin-settings.png"), full_page=True)

    settings = (
        app.test_client()
        .get(
            f"/api/v1/sys/tenants/{tenant.domain}/settings",
            headers={"Authorization": f"Bearer {SYS_TOKEN}"},
        )
        .json
    )
    assert settings["hours"]["mon"] == [["11:30", "14:30"], ["17:00", "22:00"]]
    assert settings["hours"]["tue"] == []
    assert settings["hours"]["fri"] == [["17:00", "02:00"]]
    assert settings["hours"]["sat"] == [["10:00", "23:00"]]
    assert settings["hours"]["sun"] == [["00:00", "24:00"]]  # 00:00 – 00:00: all day
    assert settings["closed_dates"] == ["2026-12-24", "2026-12-25"]
    assert settings["prep_minutes"] == 20
    expect(page.get_by_text("Now: about 20 minutes")).to_be_visible()

    # An overlap is refused where it was typed, and the page still passes axe.
    page.get_by_label("Monday, range 3, opens").fill("14:00")
    page.get_by_label("Monday, range 3, closes").fill("15:00")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Nothing was saved. Please correct:")).to_be_visible()
    expect(page.get_by_label("Monday, range 3, opens")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Monday: overlaps another opening range")).to_be_visible()
    assert_accessible(page)


def test_a_manager_names_a_categorys_station(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Station Diner")
    add_staff(app, tenant, "boss@station.example", "manager")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, f"http://{tenant.domain}:{live_server}/login", "boss@station.example")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    assert_accessible(page)
    station = page.get_by_label("Station of Mains")
    station.fill("Grill")
    station.press("Enter")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    expect(page.get_by_label("Station of Mains")).to_have_value("Grill")


def test_an_admin_picks_a_locale_from_its_language_group(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Locale Diner")
    add_staff(app, tenant, "owner@locale.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, f"{base}/login", "owner@locale.example")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    page.goto(f"{base}/admin/settings")
    locale = page.get_by_label("Language and number format")
    groups = locale.locator("optgroup")
    expect(groups.first).to_have_attribute("label", "English")  # the restaurant's language
    expect(locale.locator("optgroup:first-child > option").first).to_have_text(
        "English (United States) · en_US"
    )
    expect(locale.locator('optgroup[label="German"] > option[value="de_CH"]')).to_have_text(
        "German (Switzerland) · de_CH"
    )
    expect(page.get_by_label("Currency").locator('option[value="ADP"]')).to_have_count(0)
    locale.select_option(label="German (Switzerland) · de_CH")
    page.get_by_label("Currency").select_option("CHF")
    page.get_by_role("button", name="Save settings").click()
    # Its languages follow its locale until set: the back office now speaks German.
    expect(page.get_by_text(translated("de", "Settings saved."))).to_be_visible()
    example = translated(
        "de",
        "How amounts and dates are written, and typed by staff: %(example)s today.",
        example="CHF\u00a011.00",  # as the Swiss write it
    )
    expect(page.get_by_text(example)).to_be_visible()
    locale = page.get_by_label(translated("de", "Language and number format"))
    groups = locale.locator("optgroup")
    expect(groups.first).to_have_attribute("label", "German")  # now the restaurant's own first
    expect(locale.locator("option").first).to_have_text("German (Switzerland) · de_CH")
    assert_accessible(page)


def test_a_manager_reads_pickup_times_in_the_orders_list(
    browser, live_server, make_tenant, app, db_connection
):
    tenant = make_tenant(name="Pickup Diner")
    add_staff(app, tenant, "boss@pickup.example", "manager")
    asap, collected = insert_orders(db_connection, tenant, ["Asa", "Col"])
    # The moment as a parameter: Citus refuses now() inside CASE on a distributed table.
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".orders SET ready_at = :now, '  # noqa: S608
            "picked_up_at = CASE WHEN id = :collected THEN CAST(:now AS timestamptz) END"
        ),
        {"collected": collected, "now": dt.datetime.now(dt.UTC)},
    )
    db_connection.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, f"http://{tenant.domain}:{live_server}/login", "boss@pickup.example")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderRadius]"
    back_office_button = page.get_by_role("link", name="New item").evaluate(style)
    page.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("columnheader", name="Pickup")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Picked up \d"))).to_have_count(1)
    expect(page.get_by_text(re.compile(r"^Ready about \d"))).to_have_count(2)
    find = page.get_by_role("button", name="Find")
    assert find.evaluate(style) == back_office_button  # styled as the other buttons
    assert_accessible(page)
