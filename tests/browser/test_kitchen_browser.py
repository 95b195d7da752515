"""A customer orders while the kitchen tablet, in another browser, cooks it."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.orders import insert_orders
from tests.support.staff import PASSWORD, add_staff


def staff_login(page, login_url, email):
    page.goto(login_url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_order_travels_from_storefront_to_board_and_back(
    browser, live_server, make_tenant, app, tmp_path
):
    tenant = make_tenant(name="Board Bistro")
    add_staff(app, tenant, "tablet@bistro.example", "kitchen")
    base_url = f"http://{tenant.domain}:{live_server}"

    kitchen = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_login(kitchen, base_url + "/kitchen", "tablet@bistro.example")
    kitchen.wait_for_url(re.compile(r"/kitchen$"))
    expect(kitchen.locator(".column-pending .card")).to_have_count(0)

    customer = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    customer.goto(base_url + "/")
    customer.get_by_role("button", name="Add Garden Bowl to your order").click()
    expect(customer.locator("#cart-count")).to_have_text("1")
    customer.get_by_label("Your name (for pickup)").fill("Ada")
    customer.get_by_role("button", name=re.compile("Place order")).click()
    customer.wait_for_url(re.compile(r"/orders/"))

    card = kitchen.locator(".column-pending .card", has_text="Ada")
    expect(card).to_be_visible(timeout=5000)  # within one or two 2-second polls
    expect(card).to_contain_text("1× Garden Bowl")
    expect(card).to_have_class(re.compile(r"\bnew\b"))  # announced: flash + sound
    kitchen.get_by_role("button", name="Start cooking #1001").click()
    expect(kitchen.locator(".column-cooking .card", has_text="Ada")).to_be_visible()
    expect(customer.locator(".status-text")).to_have_text("Being prepared", timeout=8000)
    kitchen.screenshot(path=str(tmp_path / "board.png"))
    kitchen.get_by_role("button", name="Done #1001").click()
    expect(kitchen.locator(".column-done .card", has_text="Ada")).to_be_visible()

    expect(customer.locator(".status-text")).to_have_text("Ready for pickup", timeout=8000)
    # Ready is not final any more: the page polls (slower) until the order is picked up.
    expect(customer.locator("#order-status")).to_have_attribute("hx-trigger", "every 10s")
    assert (tmp_path / "board.png").stat().st_size > 5000


def test_back_office_pages_render(browser, live_server, make_tenant, app, tmp_path):
    tenant = make_tenant(name="Office Diner")
    add_staff(app, tenant, "owner@diner.example", "admin")
    client = app.test_client()
    item = client.get("/api/v1/menu", headers={"Host": tenant.domain}).json["items"][0]
    for name in ("Grace Hopper", "Alan Turing"):
        assert (
            client.post(
                "/api/v1/orders",
                headers={"Host": tenant.domain},
                json={
                    "customer_name": name,
                    "items": [{"menu_item_id": item["id"], "quantity": 1}],
                },
            ).status_code
            == 201
        )
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    staff_login(page, f"http://{tenant.domain}:{live_server}/login", "owner@diner.example")
    page.wait_for_url(re.compile(r"/admin/menu$"))
    expect(page.get_by_role("link", name="House Burger", exact=True)).to_be_visible()
    page.screenshot(path=str(tmp_path / "admin-menu.png"), full_page=True)
    page.get_by_role("link", name="Theme").click()
    page.wait_for_url(re.compile(r"/admin/theme$"))
    page.wait_for_load_state("load")  # htmx is listening only once its deferred script ran
    page.get_by_label("Primary colour (#rrggbb)").fill("#7c3aed")
    expect(page.locator("#theme-preview")).to_have_attribute("data-primary", "#7c3aed")
    header = page.locator("#theme-preview .preview-header")
    expect(header).to_have_css("background-color", "rgb(124, 58, 237)")  # applied under CSP
    page.screenshot(path=str(tmp_path / "admin-theme.png"))
    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_text("owner@diner.example").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "admin-staff.png"))
    page.get_by_role("link", name="Orders").click()
    expect(page.locator("table.orders tbody tr")).to_have_count(2)
    page.get_by_label("Number or customer").fill("grace")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("table.orders tbody tr")).to_have_count(1)
    expect(page.locator("table.orders")).to_contain_text("Grace Hopper")
    page.screenshot(path=str(tmp_path / "admin-orders.png"))
    assert refused == []  # nothing the pages use is blocked by our CSP


def test_twenty_open_orders_fit_a_1280x800_tablet_without_scrolling(
    browser, live_server, make_tenant, app, tmp_path
):
    tenant = make_tenant(name="Busy Kitchen")
    add_staff(app, tenant, "tablet@busy.example", "kitchen")
    client = app.test_client()
    items = client.get("/api/v1/menu", headers={"Host": tenant.domain}).json["items"]
    for number in range(20):
        lines = [
            {"menu_item_id": items[(number + k) % len(items)]["id"], "quantity": k + 1}
            for k in range(2)
        ]
        response = client.post(
            "/api/v1/orders",
            headers={"Host": tenant.domain},
            json={"customer_name": f"Guest {number}", "items": lines},
        )
        assert response.status_code == 201
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_login(
        page, f"http://{tenant.domain}:{live_server}/login?next=/kitchen", "tablet@busy.example"
    )
    page.wait_for_url(re.compile(r"/kitchen$"))
    for number in range(1001, 1011):
        page.get_by_role("button", name=f"Start cooking #{number} ").click()
    expect(page.locator(".column-cooking .card")).to_have_count(10)
    page.screenshot(path=str(tmp_path / "busy-board.png"))
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 800, f"the board scrolls: {height}px tall"


def place_order(app, tenant, name, lines):
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
    assert response.status_code == 201
    return response.json


def test_a_cook_undoes_a_tap_hands_an_order_over_and_pauses_ordering(
    browser, live_server, make_tenant, app, tmp_path
):
    tenant = make_tenant(name="Undo Diner")
    add_staff(app, tenant, "cook@undo.example", "kitchen")
    ada = place_order(app, tenant, "Ada", [("House Burger", 2), ("Lemonade", 1)])
    bob = place_order(app, tenant, "Bob", [("Fries", 1)])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    kitchen = context.new_page()
    kitchen.clock.install()  # the Undo strip's 10 seconds, fast-forwarded below
    staff_login(
        kitchen, f"http://{tenant.domain}:{live_server}/login?next=/kitchen", "cook@undo.example"
    )
    kitchen.wait_for_url(re.compile(r"/kitchen$"))
    kitchen.goto(f"http://{tenant.domain}:{live_server}/kitchen")  # no tap: a tablet switched on
    new, cooking, done = (
        kitchen.locator(f".column-{name} .card") for name in ("pending", "cooking", "done")
    )
    expect(new).to_have_count(2)
    sound = kitchen.locator("#sound-toggle")
    expect(sound).to_have_text("Tap to enable sound")  # no tap since the page loaded
    expect(sound).to_have_attribute("aria-pressed", "false")
    assert_accessible(kitchen)

    start_ada = f"Start cooking #{ada['number']} Ada: 2× House Burger, 1× Lemonade"
    kitchen.get_by_role("button", name=start_ada).click()
    expect(cooking.filter(has_text="Ada")).to_be_visible()
    expect(sound).to_have_text("Sound: on")  # the tap unlocked audio
    expect(sound).to_have_attribute("aria-pressed", "true")
    undo = kitchen.get_by_role("button", name=f"Undo #{ada['number']}")
    expect(undo).to_be_visible()
    undo.click()
    expect(new.filter(has_text="Ada")).to_be_visible()
    expect(cooking).to_have_count(0)

    kitchen.get_by_role("button", name=f"Start cooking #{bob['number']} Bob").click()
    kitchen.get_by_role("button", name=f"Done #{bob['number']} Bob").click()
    expect(done.filter(has_text="Bob")).to_be_visible()
    assert_accessible(kitchen)  # Done cards with Picked up / Recall, the Undo strip
    kitchen.get_by_role("button", name=f"Picked up #{bob['number']} Bob").click()
    expect(done).to_have_count(0)
    expect(kitchen.get_by_role("button", name=f"Undo #{bob['number']}")).to_be_visible()
    kitchen.clock.run_for(11000)
    expect(kitchen.locator(".undo-strip")).to_have_count(0)

    sound.click()
    expect(sound).to_have_text("Sound: off")
    expect(sound).to_have_attribute("aria-pressed", "false")

    kitchen.get_by_text("Pause online orders").click()
    kitchen.get_by_role("button", name="30 min").click()
    banner = kitchen.locator(".pause-banner")
    expect(banner).to_contain_text("Online orders are paused · back at ")
    kitchen.get_by_text("All day").click()
    expect(kitchen.locator("#all-day")).to_contain_text("2× House Burger")
    assert_accessible(kitchen)
    kitchen.screenshot(path=str(tmp_path / "paused-board.png"))
    storefront = browser.new_page()
    storefront.goto(f"http://{tenant.domain}:{live_server}/")
    expect(storefront.get_by_text("Online orders are paused")).to_be_visible()
    kitchen.get_by_role("button", name="Resume").click()
    expect(banner).to_have_count(0)
    storefront.reload()
    expect(storefront.get_by_text("Online orders are paused")).to_have_count(0)
    storefront.close()

    kitchen.get_by_label(f"Cancel #{ada['number']}…").click()
    kitchen.get_by_label("Reason (the customer sees it)").fill("Out of buns")
    assert_accessible(kitchen)  # the open cancel form
    kitchen.get_by_role("button", name=f"Cancel order #{ada['number']}").click()
    expect(new).to_have_count(0)
    context.close()


def inside(box, viewport) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
        and box["y"] + box["height"] <= viewport["height"]
    )


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 800, "height": 1280}], ids=str
)
def test_a_half_typed_cancel_reason_survives_the_poll_and_the_box_stays_on_screen(
    browser, live_server, make_tenant, app, db_connection, viewport
):
    tenant = make_tenant(name="Rush Diner")
    add_staff(app, tenant, "chef@rush.example", "manager")  # Cancel on Done cards too
    ada = place_order(app, tenant, "Ada", [("Fries", 1)])
    for name in ("Bob", "Cy"):
        place_order(app, tenant, name, [("Fries", 1)])
    insert_orders(db_connection, tenant, ["Eve"], status="DONE")
    db_connection.commit()
    page = browser.new_context(viewport=viewport).new_page()  # a tablet
    staff_login(
        page, f"http://{tenant.domain}:{live_server}/login?next=/kitchen", "chef@rush.example"
    )
    page.wait_for_url(re.compile(r"/kitchen$"))
    left = page.locator(".column-pending .card").first  # the New column's left-most card
    expect(left).to_contain_text("Ada")
    left.get_by_label(f"Cancel #{ada['number']}…").click()
    reason = left.get_by_label("Reason (the customer sees it)")
    reason.press_sequentially("Out of bu")

    place_order(app, tenant, "Dee", [("Fries", 1)])  # the next poll brings a new board
    expect(page.locator(".column-pending .card", has_text="Dee")).to_be_visible(timeout=5000)
    expect(reason).to_have_value("Out of bu")
    page.keyboard.type("ns")  # the cook types on where they were
    expect(reason).to_have_value("Out of buns")
    assert inside(left.locator(".card-cancel").bounding_box(), viewport)

    done = page.locator(".column-done .card", has_text="Eve")
    done.get_by_label(re.compile(r"^Cancel #\d+…")).click()
    assert inside(done.locator(".card-cancel").bounding_box(), viewport)
    page.get_by_role("button", name=f"Cancel order #{ada['number']}").click()
    expect(page.locator(".card", has_text="Ada")).to_have_count(0)
    page.context.close()


def order_status(app, tenant, order_id) -> str:
    response = app.test_client().get(f"/api/v1/orders/{order_id}", headers={"Host": tenant.domain})
    return response.json["status"]


def test_offline_the_board_says_so_and_refuses_a_tap(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Offline Diner")
    add_staff(app, tenant, "cook@offline.example", "kitchen")
    ada = place_order(app, tenant, "Ada", [("Fries", 1)])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    staff_login(
        page, f"http://{tenant.domain}:{live_server}/login?next=/kitchen", "cook@offline.example"
    )
    page.wait_for_url(re.compile(r"/kitchen$"))
    banner = page.get_by_text(re.compile(r"Offline — last update \d+ s ago"))
    refused = page.get_by_text("Tap not sent")
    start = page.get_by_role("button", name=f"Start cooking #{ada['number']} Ada")
    expect(banner).to_be_hidden()

    context.set_offline(True)  # the tablet loses the network
    expect(banner).to_be_visible(timeout=5000)
    start.click()
    expect(refused).to_be_visible()
    assert order_status(app, tenant, ada["id"]) == "PENDING"
    assert_accessible(page)
    context.set_offline(False)
    expect(banner).to_be_hidden(timeout=5000)
    expect(refused).to_be_hidden()

    # The server stops answering (hung, not refused): the poll's deadline notices.
    held = []
    page.route("**/kitchen/board?*", lambda route: held.append(route))  # never answered
    expect(banner).to_be_visible(timeout=5000)
    start.click()
    expect(refused).to_be_visible()
    assert order_status(app, tenant, ada["id"]) == "PENDING"
    page.unroute("**/kitchen/board?*")
    expect(banner).to_be_hidden(timeout=5000)
    start.click()  # back online, a tap goes through
    expect(page.locator(".column-cooking .card", has_text="Ada")).to_be_visible()
    assert order_status(app, tenant, ada["id"]) == "COOKING"
    context.close()
