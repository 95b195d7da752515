"""A customer orders in a real browser, with htmx and with JavaScript off."""

import re

from playwright.sync_api import expect


def order_two_items(page, base_url):
    page.goto(base_url + "/")
    page.get_by_role("button", name="Add House Burger to your order").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    page.get_by_role("button", name="Add Fries to your order").click()
    expect(page.locator("#cart-count")).to_have_text("2")
    expect(page.locator("#cart-total")).to_have_text("$17.00")
    page.get_by_label("Your name (for pickup)").fill("Grace Hopper")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))


def test_customer_orders_two_items_and_sees_the_tracking_page(
    browser, live_server, make_tenant, tmp_path
):
    tenant = make_tenant(
        name="Browser Pizza", theme_config={"preset": "bold", "primary_color": "#d62300"}
    )
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    requests, refused = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    base_url = f"http://{tenant.domain}:{live_server}"

    order_two_items(page, base_url)

    expect(page.locator("#order-number")).to_have_text("1001")
    expect(page.locator(".status-text")).to_have_text("Received — waiting for the kitchen")
    expect(page.locator(".order-lines")).to_contain_text("1 × House Burger")
    header_colour = page.eval_on_selector(
        ".site-header", "e => getComputedStyle(e).backgroundColor"
    )
    assert header_colour == "rgb(214, 35, 0)"
    page.screenshot(path=str(tmp_path / "tracking.png"), full_page=True)
    assert (tmp_path / "tracking.png").stat().st_size > 5000
    assert all(url.startswith(base_url) for url in requests), "no external requests"
    assert refused == []  # the theme's nonce'd <style> and htmx run under our CSP
    context.close()


def test_ordering_works_with_javascript_off(browser, live_server, make_tenant):
    tenant = make_tenant(name="No JS Diner")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    order_two_items(page, f"http://{tenant.domain}:{live_server}")
    expect(page.locator("#order-number")).to_have_text("1001")
    context.close()


def test_customer_picks_a_pickup_slot_and_sees_it_on_the_order_page(
    browser, live_server, make_tenant
):
    from tests.browser.conftest import assert_accessible

    tenant = make_tenant(name="Slot Diner")
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    page.get_by_role("button", name="Add Fries to your order").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    when = page.get_by_label("When?")
    expect(when).to_have_value("")  # as soon as possible, by default
    expect(when.locator("option").first).to_contain_text("As soon as possible (about 15 min)")
    slot = when.locator("optgroup option").nth(3)
    value, label = slot.get_attribute("value"), slot.inner_text().strip()
    # "6:30 PM" today, "Thu, Dec 10, 6:30 PM" on another day (en_US: a 12-hour clock)
    assert re.fullmatch(r"(\w{3}, \w{3} [0-9]{1,2}, )?[0-9]{1,2}:[0-5][0-9]\u202f[AP]M", label)
    when.select_option(value)
    page.get_by_label("Your name (for pickup)").fill("Ada Lovelace")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))

    expect(page.locator(".ready-time")).to_have_text(f"Pickup {label}")
    expect(page.locator(".status-text")).to_have_text("Received — waiting for the kitchen")
    assert_accessible(page)
    context.close()
