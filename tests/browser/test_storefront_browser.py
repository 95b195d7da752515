"""A customer orders in a real browser, with htmx and with JavaScript off."""

import re

import pytest
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
    browser, live_server, make_tenant, app
):
    from tests.support.accessibility import assert_accessible
    from tests.support.choices import set_settings
    from tests.support.clock import zone_at_midday

    tenant = make_tenant(name="Slot Diner")
    set_settings(app, tenant, timezone=zone_at_midday())  # today's slots left, at any hour
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    page.get_by_role("button", name="Add Fries to your order").click()
    expect(page.locator("#cart-count")).to_have_text("1")
    when = page.get_by_role("group", name="When?")
    asap = when.get_by_role("radio").first  # as soon as possible, first and by default
    expect(asap).to_be_checked()
    expect(when.locator("label").first).to_contain_text("As soon as possible (about 15 min)")
    expect(when.get_by_role("radio", name="Today")).to_be_checked()  # the day shown first
    slot = when.locator(".pickup-day:visible .slot").nth(3)
    label = slot.inner_text().strip()
    # "6:30 PM": the time alone, its day chosen above (en_US: a 12-hour clock)
    assert re.fullmatch(r"[0-9]{1,2}:[0-5][0-9]\u202f[AP]M", label)
    slot.get_by_role("radio").check()
    expect(asap).not_to_be_checked()
    page.get_by_label("Your name (for pickup)").fill("Ada Lovelace")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))

    expect(page.locator(".ready-time")).to_have_text(f"Pickup {label}")  # today's: the time
    expect(page.locator(".status-text")).to_have_text("Received — waiting for the kitchen")
    assert_accessible(page)
    context.close()


def test_an_amount_typed_in_other_amount_is_the_tip_with_and_without_javascript(
    browser, live_server, make_tenant, app
):
    from tests.support.choices import set_settings

    tenant = make_tenant(name="Tip Diner")
    set_settings(app, tenant, tips={"enabled": True, "presets_percent": [10, 15]})
    for javascript in (True, False):
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, java_script_enabled=javascript
        )
        page = context.new_page()
        page.goto(f"http://{tenant.domain}:{live_server}/")
        page.get_by_role("button", name="Add Fries to your order").click()
        expect(page.locator("#cart-count")).to_have_text("1")
        expect(page.get_by_role("radio", name="No tip")).to_be_checked()
        page.get_by_role("textbox", name="Other amount").fill("2.00")
        if javascript:  # typing picks "Other amount"; leaving the field sends it
            expect(page.get_by_role("radio", name="Other amount")).to_be_checked()
            page.get_by_role("textbox", name="Other amount").press("Tab")
        else:  # the radio stays on "No tip"
            page.get_by_role("button", name="Apply tip").click()
        expect(page.locator("#cart-tip")).to_have_text("$2.00")
        expect(page.get_by_role("radio", name="Other amount")).to_be_checked()
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no JavaScript"])
def test_after_add_on_a_phone_the_cart_bar_is_in_view(
    browser, live_server, make_tenant, javascript
):
    """A phone: the cart link has scrolled away and the cart is far below. After Add, the
    customer still sees the item and, at the bottom of the screen, the bar with the count
    and the total; at the end of the page the bar covers nothing."""
    tenant = make_tenant(name="Phone Diner")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    expect(page.locator(".cart-bar-link")).to_have_count(0)
    page.get_by_role("button", name="Add Lemonade to your order").click()

    bar = page.locator(".cart-bar-link")
    expect(bar).to_be_in_viewport(ratio=1)
    expect(bar).to_have_text(re.compile(r"^\s*View cart\s*·\s*1 item\s*·\s*\$3\.50\s*$"))
    expect(page.locator(".cart-bar-added")).to_have_text("Added Lemonade to your order.")
    expect(page.locator(".item", has_text="Lemonade")).to_be_in_viewport()
    assert page.locator(".site-header").evaluate("e => e.getBoundingClientRect().bottom < 0")

    bar.click()  # to the cart: a sheet with JavaScript, the panel further down without
    expect(page.locator("#cart")).to_be_in_viewport()
    place = page.get_by_role("button", name=re.compile("Place order"))
    if javascript:
        sheet = page.get_by_role("dialog", name="Your order")
        expect(sheet).to_be_visible()
        place.scroll_into_view_if_needed()
        expect(place).to_be_in_viewport(ratio=1)
        sheet.get_by_role("button", name="Close").click()
        expect(bar).to_be_focused()  # back where the customer was
    else:
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        expect(place).to_be_in_viewport(ratio=1)
        box, bar_box = place.bounding_box(), bar.bounding_box()
        assert box["y"] + box["height"] <= bar_box["y"]
    context.close()
