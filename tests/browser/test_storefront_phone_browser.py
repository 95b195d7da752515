"""Finding one's way on a phone (issue 28), in chromium at 390×844: the item sheet, one-tap
adds, the category bar, search and allergen filters, the cart sheet, tomorrow 12:30 in two
taps, "Order again", and axe on each of those states in every theme preset."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from omniorder.settings.theme import PRESETS
from tests.support.accessibility import assert_accessible
from tests.support.choices import add_pizza, bound, set_settings
from tests.support.storefront import change_item, menu

PHONE = {"width": 390, "height": 844}
BERLIN = ZoneInfo("Europe/Berlin")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORDER_PAGE = re.compile(r"/orders/[0-9a-f-]{36}$")


def on_a_phone(browser, tenant, live_server, javascript=True):
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.refused = refused
    page.goto(f"http://{tenant.domain}:{live_server}/")
    return page


def open_sheet(page, name):
    """Tap an item's row: its sheet opens, named by the item."""
    page.locator(".item-link", has_text=name).click()
    sheet = page.get_by_role("dialog", name=name)
    expect(sheet).to_be_visible()
    return sheet


def scroll_y(page):
    return page.evaluate("window.scrollY")


def test_an_item_with_options_is_added_from_its_sheet_and_the_bar_updates_in_view(
    browser, live_server, make_tenant, app
):
    tenant = make_tenant(name="Sheet Pizzeria")
    add_pizza(app, tenant)
    page = on_a_phone(browser, tenant, live_server)
    row = page.locator(".item", has_text="Margherita")
    row.scroll_into_view_if_needed()
    expect(row).to_contain_text("from $11.00")
    expect(row.get_by_role("radio")).to_have_count(0)  # no option groups in the list
    before = scroll_y(page)

    sheet = open_sheet(page, "Margherita")
    expect(sheet).to_contain_text("Allergens: gluten, milk")
    page.keyboard.press("Escape")  # closes; focus goes back to the row
    expect(sheet).to_be_hidden()
    expect(row.locator(".item-link")).to_be_focused()

    sheet = open_sheet(page, "Margherita")
    add = sheet.get_by_role("button", name=re.compile("^Add to order"))
    add.click()  # the size is required: the browser keeps the sheet until one is chosen
    expect(sheet).to_be_visible()
    sheet.get_by_label("Large").check()
    sheet.get_by_label("Basil").check()
    sheet.get_by_label("Note for the kitchen about Margherita (optional)").fill("no garlic")
    expect(add).to_have_text("Add to order · $14.50")
    sheet.get_by_label("Quantity").fill("2")
    expect(add).to_have_text("Add to order · $29.00")
    sheet.get_by_label("Quantity").fill("1")
    add.click()

    expect(sheet).to_be_hidden()
    bar = page.locator(".cart-bar-link")
    expect(bar).to_be_in_viewport(ratio=1)
    expect(bar).to_have_text(re.compile(r"^\s*View cart\s*·\s*1 item\s*·\s*\$14\.50\s*$"))
    expect(page.locator(".cart-bar-added")).to_have_text("Added Margherita to your order.")
    assert scroll_y(page) == before  # without scrolling
    expect(row.locator(".item-link")).to_be_focused()
    cart = page.locator("#cart")
    expect(cart).to_contain_text("Size: Large (+$3.00); Extras: Basil (+$0.50)")
    expect(cart).to_contain_text("Note: no garlic")
    assert page.refused == []
    page.context.close()


def test_an_item_without_options_adds_in_one_tap(browser, live_server, make_tenant):
    tenant = make_tenant(name="One Tap Diner")
    page = on_a_phone(browser, tenant, live_server)
    page.get_by_role("button", name="Add Fries to your order").click()
    bar = page.locator(".cart-bar-link")
    expect(bar).to_be_in_viewport(ratio=1)
    expect(bar).to_have_text(re.compile(r"1 item\s*·\s*\$4\.50"))
    expect(page.get_by_role("dialog")).to_have_count(0)  # no dialog is open
    page.context.close()


def test_the_category_bar_jumps_to_a_section_and_marks_it(browser, live_server, make_tenant):
    tenant = make_tenant(name="Bar Diner")
    page = on_a_phone(browser, tenant, live_server)
    nav = page.get_by_role("navigation", name="Menu categories")
    nav.get_by_role("link", name="Drinks").click()
    expect(page.get_by_role("heading", name="Drinks")).to_be_in_viewport()
    expect(nav.get_by_role("link", name="Drinks")).to_have_attribute("aria-current", "true")
    expect(nav).to_be_in_viewport()  # it sticks to the top
    assert nav.evaluate("e => Math.abs(e.getBoundingClientRect().top) < 1")
    expect(nav.get_by_role("link", name="Mains")).not_to_have_attribute("aria-current", "true")

    page.get_by_role("heading", name="Sides").evaluate("e => e.scrollIntoView()")
    page.mouse.wheel(0, 60)  # the customer scrolls on: the section in view is marked
    expect(nav.get_by_role("link", name="Sides")).to_have_attribute("aria-current", "true")
    page.context.close()


def test_search_and_allergen_filters_hide_what_does_not_match(
    browser, live_server, make_tenant, app
):
    tenant = make_tenant(name="Search Pizzeria")
    classic = add_pizza(app, tenant)
    change_item(app, tenant, classic.id, description="Tomato, mozzarella: our classic pizza")
    add_pizza(app, tenant, name="Pizza Bianca")
    page = on_a_phone(browser, tenant, live_server)
    rows = page.locator(".item")
    total = rows.count()

    page.get_by_role("searchbox", name="Search the menu").fill("pizza")
    visible = page.locator(".item:visible .item-name")
    expect(visible).to_have_text(["Margherita", "Pizza Bianca"])  # by description and name
    expect(page.get_by_role("status").filter(has_text="match")).to_have_text("2 items match")
    expect(page.get_by_role("heading", name="Drinks")).to_be_hidden()  # empty sections go
    nav = page.get_by_role("navigation", name="Menu categories")
    expect(nav.get_by_role("link", name="Drinks")).to_be_hidden()
    assert_accessible(page)  # search active

    page.get_by_role("searchbox", name="Search the menu").fill("no such dish")
    expect(page.locator(".match-count")).to_have_text("No items match")
    page.get_by_role("searchbox", name="Search the menu").fill("")
    expect(rows.filter(visible=True)).to_have_count(total)

    page.get_by_label("Without gluten").check()
    shown = page.locator(".item:visible")
    expect(shown.filter(has_text="Margherita")).to_have_count(0)
    expect(shown.filter(has_text="House Burger")).to_have_count(0)
    expect(shown.filter(has_text="Fries")).to_have_count(1)
    for allergens in page.locator(".item:visible").evaluate_all(
        "rows => rows.map(row => row.dataset.allergens)"
    ):
        assert "gluten" not in allergens.split()
    page.context.close()


def test_tomorrow_at_half_past_twelve_in_two_taps(
    browser, live_server, make_tenant, app, db_connection
):
    tenant = make_tenant(name="Two Tap Diner")
    set_settings(
        app, tenant, timezone="Europe/Berlin", hours={day: [["00:00", "24:00"]] for day in WEEK}
    )
    page = on_a_phone(browser, tenant, live_server)
    page.get_by_role("button", name="Add Fries to your order").click()
    page.locator(".cart-bar-link").click()  # the cart opens as a sheet
    sheet = page.get_by_role("dialog", name="Your order")
    expect(sheet).to_be_visible()
    when = sheet.get_by_role("group", name="When?")
    asap = when.get_by_role("radio").first
    expect(asap).to_be_checked()
    expect(asap).to_have_accessible_name(re.compile(r"^As soon as possible \(about \d+ min\)$"))

    when.get_by_role("radio", name="Tomorrow").check()  # tap 1
    when.get_by_role("radio", name="12:30\u202fPM").check()  # tap 2
    sheet.get_by_label("Your name (for pickup)").fill("Ada")
    assert_accessible(page)  # the cart sheet with the picker
    sheet.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(ORDER_PAGE)

    tomorrow = datetime.datetime.now(BERLIN).date() + datetime.timedelta(days=1)
    expected = datetime.datetime.combine(tomorrow, datetime.time(12, 30), BERLIN)
    order_id = page.url.rsplit("/", 1)[1]
    pickup_at = db_connection.exec_driver_sql(
        f"SELECT pickup_at FROM \"{tenant.schema_name}\".orders WHERE id = '{order_id}'"
    ).scalar()
    assert pickup_at == expected
    expect(page.locator(".ready-time")).to_contain_text("12:30\u202fPM")
    page.context.close()


def test_order_again_from_the_tracking_page_fills_the_cart(browser, live_server, make_tenant, app):
    from omniorder.core.database import db
    from omniorder.menu.models import MenuItem

    tenant = make_tenant(name="Again Diner")
    page = on_a_phone(browser, tenant, live_server)
    page.get_by_role("button", name="Add Fries to your order").click()
    expect(page.locator("#cart-count")).to_have_text("1")  # the cart is a cookie: one at a time
    page.get_by_role("button", name="Add Lemonade to your order").click()
    expect(page.locator("#cart-count")).to_have_text("2")
    page.get_by_label("Your name (for pickup)").fill("Ada")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(ORDER_PAGE)
    with bound(app, tenant):  # the restaurant stops selling lemonade meanwhile
        db.session.delete(db.session.get(MenuItem, menu(app, tenant)["Lemonade"].id))

    page.get_by_role("link", name="Order again").click()
    sheet = page.get_by_role("dialog", name="Your order")
    expect(sheet).to_be_visible()  # the storefront, with the cart open
    expect(sheet).to_contain_text("No longer available, left out: Lemonade.")
    expect(sheet.locator(".cart-line-name")).to_have_text(["Fries"])
    expect(page.locator(".cart-bar-link")).to_contain_text("1 item")
    assert_accessible(page)
    sheet.get_by_role("button", name="Close").click()
    expect(sheet).to_be_hidden()
    expect(page.locator("aside#cart")).to_have_count(1)  # back in the page
    page.context.close()


def test_the_item_page_works_without_javascript(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Plain Sheet Pizzeria")
    add_pizza(app, tenant)
    page = on_a_phone(browser, tenant, live_server, javascript=False)
    # the search is sent as a form and filtered by the server
    page.get_by_role("searchbox", name="Search the menu").fill("margh")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"\?q=margh$"))
    expect(page.locator(".item-link")).to_have_text(["Margherita"])
    expect(page.get_by_role("status").filter(has_text="match")).to_have_text("1 item matches")
    page.get_by_role("link", name="Margherita").click()
    page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}$"))
    page.get_by_label("Regular").check()
    page.get_by_role("button", name=re.compile("^Add to order")).click()
    expect(page.locator(".cart-bar-link")).to_contain_text("1 item")
    expect(page.locator("#cart")).to_contain_text("Size: Regular")
    page.context.close()


PRIMARY = {"light": "#c2410c", "bold": "#d62300", "dark": "#0ea5e9"}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_phone_state_passes_axe_in_every_theme_preset(
    browser, live_server, make_tenant, app, preset
):
    tenant = make_tenant(
        name=f"Axe {preset}",
        theme_config={"preset": preset, "primary_color": PRIMARY.get(preset, "#c2410c")},
    )
    add_pizza(app, tenant)
    page = on_a_phone(browser, tenant, live_server)
    assert_accessible(page)
    page.get_by_role("searchbox", name="Search the menu").fill("fries")
    page.get_by_label("Without gluten").check()
    expect(page.locator(".match-count")).to_have_text("1 item matches")
    assert_accessible(page)  # search active
    page.get_by_role("searchbox", name="Search the menu").fill("")
    page.get_by_label("Without gluten").uncheck()

    sheet = open_sheet(page, "Margherita")
    sheet.get_by_label("Large").check()
    assert_accessible(page)  # item sheet open
    sheet.get_by_role("button", name=re.compile("^Add to order")).click()
    expect(sheet).to_be_hidden()

    page.locator(".cart-bar-link").click()
    cart = page.get_by_role("dialog", name="Your order")
    expect(cart).to_be_visible()
    assert_accessible(page)  # cart sheet open
    assert page.refused == []
    page.context.close()
