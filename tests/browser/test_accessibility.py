"""axe-core on every page a person opens: the storefront with a cart, an order's tracking page
and receipt, the login page, the kitchen board and each back-office page, as chromium renders
them. The flows' own browser tests check their pages in more states; this one makes sure no
page is left out."""

import re

import pytest

from omniorder.services.theme import PRESETS
from tests.browser.conftest import assert_accessible
from tests.support.staff import PASSWORD, add_staff

BACK_OFFICE = [
    "/admin",
    "/admin/menu",
    "/admin/items/new",
    "/admin/orders",
    "/admin/sales",
    "/admin/staff",
    "/admin/theme",
    "/admin/settings",
    "/admin/webhooks",
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


@pytest.mark.parametrize("preset", list(PRESETS))
def test_the_cart_bar_passes_axe_on_every_theme_preset(browser, live_server, make_tenant, preset):
    tenant = make_tenant(name=f"Bar {preset}", theme_config={"preset": preset})
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/")
    page.get_by_role("button", name="Add Lemonade to your order").click()
    page.locator(".cart-bar-added").wait_for()
    assert_accessible(page)
    page.context.close()
