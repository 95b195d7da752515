"""An admin sets up printing in chromium: the Printers page with a printer, an agent's token
shown once and tickets waiting, then the board with its Reprint and warning; axe on each."""

import re

from playwright.sync_api import expect
from sqlalchemy import update

from omniorder.core.database import db
from omniorder.printing.models import PrintJob
from tests.support.accessibility import assert_accessible
from tests.support.choices import bound
from tests.support.printing import items_named, name_stations, place
from tests.support.staff import PASSWORD, add_staff


def test_an_admin_sets_up_a_printer_and_an_agent(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Axe Grill")
    add_staff(app, tenant, "owner@grill.example", "admin")
    name_stations(app, tenant, {"Mains": "Grill"})
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("owner@grill.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(admin|kitchen)"))
    page.goto(base + "/admin/printers")
    assert_accessible(page)  # no printer, no agent yet

    page.get_by_label(re.compile("^Name")).fill("Pass")
    page.get_by_label(re.compile("^Stations")).fill("Grill")
    page.get_by_label("Copies").select_option("2")
    page.get_by_role("button", name="Save printer").click()
    expect(page.get_by_role("alert")).to_contain_text("Printer saved.")
    page.get_by_label(re.compile("^Address")).fill("10.0.0.5")
    page.get_by_label(re.compile("^Name")).fill("Bar")
    page.get_by_role("button", name="Save printer").click()
    expect(page.get_by_role("alert")).to_contain_text("print agent")
    assert_accessible(page)  # the refusal, with what was typed

    page.get_by_label("Agent name").fill("Kitchen PC")
    page.get_by_role("button", name="Register an agent").click()
    expect(page.locator("#agent-token")).to_contain_text("opa_")
    assert_accessible(page)  # the token, the printer and the agent

    place(
        app.test_client(),
        tenant,
        [{"menu_item_id": items_named(app, tenant)["House Burger"], "quantity": 1}],
    )
    with bound(app, tenant):
        db.session.execute(
            update(PrintJob).values(
                created_at=PrintJob.created_at - db.text("interval '3 minutes'")
            )
        )
    page.get_by_role("button", name="Print test page on Pass").click()
    expect(page.get_by_role("alert")).to_contain_text("Test page sent")
    expect(page.locator(".printer-waiting")).to_contain_text("Printer Pass: 2 tickets waiting")
    assert_accessible(page)

    page.goto(base + "/kitchen")
    expect(page.locator(".printer-warning")).to_contain_text("Printer Pass: 2 tickets waiting")
    page.get_by_role("button", name=re.compile("^Reprint #")).click()
    expect(page.locator(".printer-warning")).to_contain_text("Printer Pass: 2 tickets waiting")
    assert_accessible(page)
    page.context.close()
