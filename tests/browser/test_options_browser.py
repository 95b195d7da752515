"""A customer orders a pizza with a required size, an extra and a note, in a real browser;
the kitchen tablet's ticket shows all three. The menu is made here, not taken from demo data."""

import re

from playwright.sync_api import expect

from tests.support.choices import add_pizza, set_settings
from tests.support.staff import PASSWORD, add_staff


def open_item(page, javascript=True):
    """Tap Margherita's row: its sheet (a dialog) with JavaScript, else its own page."""
    page.get_by_role("link", name="Margherita").click()
    if javascript:
        card = page.get_by_role("dialog", name="Margherita")
        expect(card).to_be_visible()
        return card
    page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}$"))
    return page.locator(".item-sheet")


def choose_and_add(card, note="no garlic"):
    expect(card).to_contain_text("Allergens: gluten, milk")
    card.get_by_label("Large").check()
    card.get_by_label("Basil").check()
    card.get_by_label("Note for the kitchen about Margherita (optional)").fill(note)
    card.get_by_role("button", name=re.compile("^Add to order")).click()


def test_a_pizza_with_a_size_an_extra_and_a_note_reaches_the_kitchen_ticket(
    browser, live_server, make_tenant, app
):
    tenant = make_tenant(name="Options Pizzeria")
    add_pizza(app, tenant)
    set_settings(
        app,
        tenant,
        tax={"rate_bp": 1000, "inclusive": False},
        tips={"enabled": True, "presets_percent": [10, 15]},
    )
    add_staff(app, tenant, "oven@pizzeria.example", "kitchen")
    base_url = f"http://{tenant.domain}:{live_server}"

    kitchen = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    kitchen.goto(base_url + "/login")
    kitchen.get_by_label("Email").fill("oven@pizzeria.example")
    kitchen.get_by_label("Password").fill(PASSWORD)
    kitchen.get_by_role("button", name="Log in").click()
    kitchen.wait_for_url(re.compile(r"/kitchen$"))

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(base_url + "/")
    # The size is required: the browser keeps the form until one is chosen.
    card = open_item(page)
    card.get_by_role("button", name=re.compile("^Add to order")).click()
    expect(page.locator("#cart-count")).to_have_text("0")
    choose_and_add(card)
    expect(page.locator("#cart-count")).to_have_text("1")
    cart = page.locator("#cart")
    expect(cart).to_contain_text("Size: Large (+$3.00); Extras: Basil (+$0.50)")
    expect(cart).to_contain_text("Note: no garlic")
    expect(page.locator("#cart-subtotal")).to_have_text("$14.50")
    expect(page.locator("#cart-tax")).to_have_text("$1.45")
    page.get_by_label("Your name (for pickup)").fill("Ada")
    page.get_by_label("Note for the whole order (optional)").fill("Ring twice")
    cart.get_by_label("15%").check()  # htmx posts the choice on change
    expect(page.locator("#cart-tip")).to_have_text("$2.18")
    expect(page.locator("#cart-total")).to_have_text("$18.13")
    # The cart was swapped in anew; what the customer had typed is still there.
    expect(page.get_by_label("Your name (for pickup)")).to_have_value("Ada")
    expect(page.get_by_label("Note for the whole order (optional)")).to_have_value("Ring twice")
    expect(cart).to_contain_text("Payment at the counter")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator(".order-lines")).to_contain_text("Size: Large")
    expect(page.locator(".order-sums")).to_contain_text("$18.13")

    ticket = kitchen.locator(".column-pending .card", has_text="Ada")
    expect(ticket).to_be_visible(timeout=5000)
    expect(ticket).to_contain_text("1× Margherita")
    expect(ticket.locator(".line-option")).to_have_text(["+ Size: Large", "+ Extras: Basil"])
    note = ticket.locator(".ticket-note").first
    expect(note).to_have_text("NOTE: no garlic")
    assert note.evaluate("e => getComputedStyle(e).fontWeight") == "800"
    assert note.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
    expect(ticket).to_contain_text("ORDER NOTE: Ring twice")

    page.get_by_role("link", name="Receipt (printable)").click()
    expect(page.locator(".receipt")).to_contain_text("Options Pizzeria")
    expect(page.get_by_role("button", name="Print")).to_be_visible()


def test_options_and_notes_work_with_javascript_off(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Plain Pizzeria")
    add_pizza(app, tenant)
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    choose_and_add(open_item(page, javascript=False), note="well done")
    expect(page.locator("#cart-count")).to_have_text("1")
    expect(page.locator("#cart")).to_contain_text("Note: well done")
    page.get_by_label("Your name (for pickup)").fill("Bo")
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    expect(page.locator(".order-lines")).to_contain_text("Extras: Basil")
    expect(page.locator(".order-lines")).to_contain_text("Note: well done")
