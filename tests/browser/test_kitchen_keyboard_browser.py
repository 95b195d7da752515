"""The kitchen without touching the screen (a bump bar's keys), stations bumping their own
lines while the expo sees the checks, and the pickup screen by the counter."""

import re
import time

from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.staff import PASSWORD, add_staff


def staff_login(page, base_url, email, next_path):
    page.goto(f"{base_url}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def order(app, tenant, name, lines):
    client = app.test_client()
    items = {
        item["name"]: item["id"]
        for item in client.get("/api/v1/menu", headers={"Host": tenant.domain}).json["items"]
    }
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": name,
            "items": [{"menu_item_id": items[item], "quantity": n} for item, n in lines],
        },
    )
    assert response.status_code == 201, response.text
    return response.json


def test_a_rush_driven_with_the_keyboard_only(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Keys Diner")
    add_staff(app, tenant, "cook@keys.example", "kitchen")
    ada, bob, cyd = (order(app, tenant, name, [("House Burger", 1)]) for name in "ABC")
    base_url = f"http://{tenant.domain}:{live_server}"
    kitchen = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_login(kitchen, base_url, "cook@keys.example", "/kitchen")
    kitchen.wait_for_url(re.compile(r"/kitchen$"))
    new, cooking, done = (
        kitchen.locator(f".column-{name} .card") for name in ("pending", "cooking", "done")
    )
    selected = kitchen.locator(".card.selected")
    expect(new).to_have_count(3)

    kitchen.keyboard.press("1")
    expect(selected).to_have_attribute("data-number", str(ada["number"]))
    expect(selected).to_have_attribute("aria-current", "true")
    assert_accessible(kitchen)  # a ticket selected
    kitchen.keyboard.press("Enter")  # Ada: start cooking
    expect(cooking).to_have_count(1)
    # Ada left New: the selection goes to the ticket now at her place, and survives polls
    expect(kitchen.locator(".column-pending .card.selected")).to_have_attribute(
        "data-number", str(bob["number"])
    )
    kitchen.wait_for_timeout(2500)  # a poll or so
    expect(selected).to_have_attribute("data-number", str(bob["number"]))
    kitchen.keyboard.press("ArrowDown")
    expect(selected).to_have_attribute("data-number", str(cyd["number"]))
    kitchen.keyboard.press("Enter")  # Cyd: start cooking
    expect(cooking).to_have_count(2)

    kitchen.keyboard.press("ArrowRight")
    kitchen.keyboard.press("1")
    expect(kitchen.locator(".column-cooking .card.selected")).to_have_attribute(
        "data-number", str(ada["number"])
    )
    kitchen.keyboard.press("Enter")  # Ada: done
    expect(done.filter(has_text=f"#{ada['number']}")).to_have_count(1)
    kitchen.keyboard.press("u")  # undo, within its 10 s
    expect(done).to_have_count(0)
    expect(cooking).to_have_count(2)

    kitchen.keyboard.press("1")
    kitchen.keyboard.press("Enter")  # Ada: done again
    kitchen.keyboard.press("2")
    expect(selected).to_have_attribute("data-number", str(cyd["number"]))
    kitchen.keyboard.press("Enter")  # Cyd: done, the last bumped
    expect(done).to_have_count(2)
    kitchen.keyboard.press("r")  # recall the last bumped: Cyd
    expect(cooking).to_have_count(1)
    expect(cooking).to_have_attribute("data-number", str(cyd["number"]))

    kitchen.keyboard.press("?")
    dialog = kitchen.get_by_role("dialog", name="Kitchen keys")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Recall the last bumped ticket")
    assert_accessible(kitchen)
    kitchen.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    kitchen.keyboard.press("s")
    expect(kitchen.locator("#menu-drawer")).to_have_attribute("open", "")
    kitchen.keyboard.press("Escape")
    expect(kitchen.locator("#menu-drawer")).not_to_have_attribute("open", "")
    kitchen.keyboard.press("1")  # the board's keys again
    expect(selected).to_have_attribute("data-number", str(cyd["number"]))


def test_stations_bump_their_lines_the_expo_sees_them_and_the_pickup_screen_follows(
    browser, live_server, make_tenant, app, db_connection
):
    tenant = make_tenant(name="Station Grill")
    for station, category in (("Grill", "Mains"), ("Bar", "Drinks")):
        db_connection.exec_driver_sql(
            f'UPDATE "{tenant.schema_name}".categories SET station = %s WHERE name = %s',
            (station, category),
        )
    db_connection.commit()
    add_staff(app, tenant, "expo@grill.example", "kitchen")
    ada = order(app, tenant, "Ada", [("House Burger", 1), ("Lemonade", 1)])
    base_url = f"http://{tenant.domain}:{live_server}"

    tv = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    tv.goto(base_url + "/pickup-screen")
    preparing, ready = tv.locator(".pickup-preparing li"), tv.locator(".pickup-ready li")
    expect(preparing).to_have_text([str(ada["number"])])
    expect(tv.get_by_role("button", name="Sound on")).to_have_attribute("aria-pressed", "false")
    assert_accessible(tv)
    tv.get_by_role("button", name="Sound on").click()

    kitchen = browser.new_context(viewport={"width": 1280, "height": 800})
    grill = kitchen.new_page()
    staff_login(grill, base_url, "expo@grill.example", "/kitchen")
    grill.wait_for_url(re.compile(r"/kitchen$"))
    grill.goto(base_url + "/kitchen?station=Grill")
    expo = kitchen.new_page()
    expo.goto(base_url + "/kitchen?station=")
    expo_card = expo.locator(".column-pending .card, .column-cooking .card")
    expect(expo_card.locator(".line-done")).to_have_count(0)

    expect(grill.locator(".column-pending .card")).to_contain_text("House Burger")
    expect(grill.locator(".column-pending .card")).not_to_contain_text("Lemonade")
    grill.keyboard.press("1")
    grill.keyboard.press("Enter")  # the grill's lines are done
    expect(grill.locator(".column-pending .card, .column-cooking .card")).to_have_count(0)
    expect(expo.locator(".column-cooking .card .line-done")).to_have_count(1, timeout=5000)
    expect(expo.locator(".column-cooking .card .line-done")).to_contain_text("House Burger")

    bar = kitchen.new_page()
    bar.goto(base_url + "/kitchen?station=Bar")
    bar.get_by_role("button", name=re.compile(rf"^Done #{ada['number']} Ada")).click()
    expect(expo.locator(".column-cooking .card .line-done")).to_have_count(2, timeout=5000)
    expect(ready).to_have_text(["—"])  # the expo has not bumped it

    expo.keyboard.press("ArrowRight")
    expo.keyboard.press("1")
    expo.keyboard.press("Enter")  # the expo bumps it: ready
    bumped = time.monotonic()
    expect(ready).to_have_text([str(ada["number"])], timeout=2000)
    assert time.monotonic() - bumped < 2.5
    expect(tv.locator("#pickup-columns")).to_have_attribute("data-chimed", re.compile(r"\d+"))
    assert_accessible(tv)
