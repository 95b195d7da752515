"""axe-core on every page a person opens: the storefront with a cart, an order's tracking page
and receipt, the login page, the kitchen board and each back-office page, as chromium renders
them. The flows' own browser tests check their pages in more states; this one makes sure no
page is left out."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from omniorder.settings.theme import PRESETS
from tests.support.accessibility import assert_accessible
from tests.support.app import SYS_TOKEN
from tests.support.localstripe import CARD_OK
from tests.support.orders import insert_orders
from tests.support.payments import card, pay, place, take_payments
from tests.support.staff import PASSWORD, add_staff

BACK_OFFICE = [
    "/admin",
    "/admin/menu",
    "/admin/menu/transfer",
    "/admin/menu/trash",
    "/admin/items/new",
    "/admin/orders",
    "/admin/sales",
    "/admin/sales/report",
    "/admin/staff",
    "/admin/theme",
    "/admin/settings",
    "/admin/profile",
    "/admin/webhooks",
    "/admin/emails",
    "/admin/setup",
]


@pytest.fixture
def signed_in(browser, live_server, make_tenant, app):
    """A restaurant, its base URL, and a page signed in as its admin."""
    tenant = make_tenant(name="Axe Diner")
    add_staff(app, tenant, "owner@axe.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/login")
    assert_accessible(page)
    page.get_by_label("Email").fill("owner@axe.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(admin|kitchen)"))
    yield base, page
    page.context.close()


def test_the_customers_pages_pass_axe(browser, live_server, make_tenant):
    tenant = make_tenant(name="Axe Cafe")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(base + "/")
    assert_accessible(page)
    page.get_by_role("button", name="Add Garden Bowl to your order").click()
    page.get_by_label("Your name (for pickup)").fill("Ada")
    assert_accessible(page)  # the cart with its checkout form
    page.get_by_role("button", name=re.compile("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]+$"))
    assert_accessible(page)
    page.goto(page.url + "/receipt")
    assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("path", BACK_OFFICE)
def test_each_back_office_page_passes_axe(signed_in, path):
    base, page = signed_in
    response = page.goto(base + path)
    assert response.status == 200, path
    assert_accessible(page)


def test_the_kitchen_board_passes_axe(signed_in):
    base, page = signed_in
    page.goto(base + "/kitchen")
    assert_accessible(page)


# A primary colour per preset: the demo restaurants' (pizza: bold, sushi: dark) and the default,
# so both texts on the primary colour (white, black) are met.
PRIMARY = {"light": "#c2410c", "bold": "#d62300", "dark": "#0ea5e9"}


@pytest.mark.parametrize("preset", PRESETS)
def test_every_kitchen_board_state_passes_axe_in_every_theme_preset(
    browser, live_server, make_tenant, app, db_connection, preset
):
    tenant = make_tenant(
        name="Axe Grill", theme_config={"preset": preset, "primary_color": PRIMARY[preset]}
    )
    add_staff(app, tenant, "chef@axe.example", "manager")  # a manager: Cancel on Done cards too
    now = dt.datetime.now(dt.UTC)
    for name, status, minutes in (
        ("Ada", "PENDING", 0),
        ("Bob", "PENDING", 12),  # amber
        ("Cy", "PENDING", 25),  # red
        ("Di", "COOKING", 25),
        ("Eve", "DONE", 3),
    ):
        insert_orders(
            db_connection,
            tenant,
            [name],
            status=status,
            created_at=now - dt.timedelta(minutes=minutes),
        )
    db_connection.commit()
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/login?next=/kitchen")
    page.get_by_label("Email").fill("chef@axe.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/kitchen$"))
    expect(page.locator(".card.late")).to_have_count(2)
    assert_accessible(page)

    page.get_by_role("button", name=re.compile(r"^Start cooking #\d+ Ada")).click()
    expect(page.locator(".undo-strip")).to_be_visible()
    assert_accessible(page)  # the Undo strip

    page.get_by_text("Sold out…", exact=True).click()
    page.get_by_role("button", name="Mark sold out: Fries").click()
    expect(page.get_by_role("button", name="Back on sale: Fries")).to_be_visible()
    assert_accessible(page)  # the drawer, with both kinds of button
    page.get_by_text("Sold out…", exact=True).click()

    page.get_by_text("Station: All (expo)").click()
    assert_accessible(page)
    page.get_by_text("Station: All (expo)").click()

    page.get_by_text("Pause online orders").click()
    assert_accessible(page)  # the pause panel
    page.get_by_role("button", name="30 min").click()
    expect(page.locator(".pause-banner")).to_be_visible()
    assert_accessible(page)  # the pause banner

    page.get_by_text("All day").click()
    expect(page.locator("#all-day ul")).to_be_visible()
    assert_accessible(page)

    page.get_by_label(re.compile(r"^Cancel #\d+…")).first.click()
    box = page.locator(".card-cancel[open]")
    box.get_by_label("Reason (the customer sees it)").fill("No dough")
    assert_accessible(page)  # the cancel box on a New card
    page.get_by_label(re.compile(r"^Cancel #\d+…")).first.click()
    page.locator(".column-done").get_by_label(re.compile(r"^Cancel #\d+…")).click()
    assert_accessible(page)  # and on a Done card


@pytest.mark.parametrize("preset", list(PRESETS))
def test_the_cart_bar_passes_axe_on_every_theme_preset(browser, live_server, make_tenant, preset):
    tenant = make_tenant(name=f"Bar {preset}", theme_config={"preset": preset})
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    page.get_by_role("button", name="Add Lemonade to your order").click()
    page.locator(".cart-bar-added").wait_for()
    assert_accessible(page)
    page.context.close()


def test_an_orders_page_passes_axe_with_its_payment_refunds_and_forms(signed_in, app, localstripe):
    """The order page of an order paid online: its refund form, a refused refund's message,
    then its refund history (the list of orders links to it)."""
    base, page = signed_in
    tenant = SimpleNamespace(domain=base.split("//")[1].split(":")[0])
    take_payments(app, tenant, localstripe)
    customer = app.test_client()
    order = place(customer, app, tenant).json
    assert pay(customer, tenant, order["id"], card(localstripe, CARD_OK)).status_code == 200
    page.goto(base + "/admin/orders")
    page.get_by_role("link", name=f"Order {order['number']}").click()
    page.wait_for_url(re.compile(r"/admin/orders/[0-9a-f-]+$"))
    expect(page.get_by_text("Paid online", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_label(re.compile("^Amount")).fill("900.00")
    page.get_by_label(re.compile("^Reason .kept")).fill("cold fries")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("what is left")
    assert_accessible(page)  # the refused form, with what was typed
    page.get_by_label(re.compile("^Amount")).fill("2.00")
    page.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Refund of $2.00 asked")
    assert_accessible(page)  # the refund history


def test_the_sales_report_passes_axe_with_figures_and_with_a_refused_range(
    browser, live_server, make_tenant, app, db_connection
):
    """The report with orders (its days, hours, tax and item tables, a cancelled order apart),
    then the 400 page of a range that ends before it starts, chosen in its form."""
    tenant = make_tenant(name="Axe Diner")
    insert_orders(db_connection, tenant, ["Ann", "Bob"], item="Pie", quantities=(2, 1))
    insert_orders(db_connection, tenant, ["Cy"], status="CANCELLED")
    db_connection.commit()
    add_staff(app, tenant, "manager@axe.example", "manager")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/login")
    page.get_by_label("Email").fill("manager@axe.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(admin|kitchen)"))
    page.goto(f"http://{tenant.domain}:{live_server}/admin/sales/report")
    expect(page.locator("#total-orders")).to_have_text("2")
    assert_accessible(page)
    page.get_by_label("From").fill("2026-12-05")
    page.get_by_label("To").fill("2026-12-01")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("alert")).to_contain_text("must be on or before the end date")
    assert_accessible(page)
    page.context.close()


def test_the_forgotten_password_pages_pass_axe(browser, live_server, make_tenant):
    """The request form (also with its problem beside the field) and its answer; the pages
    behind a mailed link: tests/browser/test_staff_invitation_browser.py."""
    tenant = make_tenant(name="Axe Bistro")
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/login/forgot")
    assert_accessible(page)
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text("Email must be an email address.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email").fill("someone@axe.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert_accessible(page)
    page.context.close()


def test_opening_soon_suspended_and_the_staff_banner_pass_axe(
    browser, live_server, make_tenant, app, client
):
    """The pages a customer meets before a restaurant opens and while it is suspended, and
    the back office with the suspension banner (omniorder/platform/)."""
    tenant = make_tenant(name="Axe Soon")
    auth = {"Authorization": f"Bearer {SYS_TOKEN}"}
    settings = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    assert client.patch(settings, json={"published": False}, headers=auth).status_code == 200
    add_staff(app, tenant, "owner@soon.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Opening soon")).to_be_visible()
    assert_accessible(page)

    suspension = f"/api/v1/sys/tenants/{tenant.domain}/suspension"
    assert client.put(suspension, json={"reason": "Unpaid"}, headers=auth).status_code == 200
    response = page.goto(base + "/")
    assert response.status == 503
    assert_accessible(page)
    page.goto(base + "/login")
    page.get_by_label("Email").fill("owner@soon.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(admin|kitchen)"))
    expect(page.get_by_text("This restaurant is suspended.")).to_be_visible()
    assert_accessible(page)
    page.context.close()


def test_the_option_groups_pages_pass_axe(signed_in):
    """The Option groups page with a group and its options, the delete confirmation, and an
    item's page with the group attached and one to attach."""
    base, page = signed_in
    page.goto(base + "/admin/option-groups")
    assert_accessible(page)  # no group yet
    for name in ("Extras", "Sauce"):
        page.get_by_label("New group").fill(name)
        page.get_by_role("button", name="Add group").click()
        page.wait_for_load_state()
    page.get_by_label("New option").first.fill("Cheese")
    page.get_by_label(re.compile("Extra charge")).first.fill("1.00")
    page.get_by_role("button", name="Add option to Extras").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="Delete group Extras").click()
    page.wait_for_url(re.compile(r"/admin/option-groups/[0-9a-f-]+/delete$"))
    assert_accessible(page)

    page.goto(base + "/admin/menu")
    page.get_by_role("link", name=re.compile("Edit Fries|Fries")).first.click()
    page.wait_for_url(re.compile(r"/admin/items/[0-9a-f-]+/edit"))
    page.get_by_label("Add an existing group").select_option(label="Extras (up to 1)")
    page.get_by_role("button", name="Add to this item").click()
    page.wait_for_load_state()
    assert "Cheese" in page.content()
    assert_accessible(page)
