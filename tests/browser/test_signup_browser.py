"""An owner opens a restaurant in chromium: signs up on the platform host (the subdomain
checked as they type, the region filled in from the browser), follows the mailed link, logs
in, publishes once the checklist is done, and a customer places the first order on the new
storefront. The sign-up page passes axe."""

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant
from tests.support.accessibility import assert_accessible
from tests.support.app import running_app
from tests.support.choices import add_dish, set_settings
from tests.support.jobs import run_queue
from tests.support.mail import plain

PLATFORM = "app.test.localhost"
SUFFIX = "test.localhost"
LINK = re.compile(r"http://[^/\s]+(/signup/confirm/[A-Za-z0-9_.-]+)")
PASSWORD = "plum tractor velvet 42"
# Open around the clock, but no longer the default a new restaurant starts with.
ALL_DAY = {
    day: [["00:00", "12:00"], ["12:00", "24:00"]]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


@pytest.fixture
def app(database_url, inbox):
    with running_app(
        database_url,
        OMNIORDER_SMTP_URL=inbox.url,
        OMNIORDER_PLATFORM_HOST=PLATFORM,
        OMNIORDER_TENANT_DOMAIN_SUFFIX=SUFFIX,
        OMNIORDER_SIGNUP="open",
    ) as app:
        yield app


def test_an_owner_signs_up_publishes_and_takes_a_first_order(browser, live_server, app, inbox):
    app.config["OMNIORDER_PUBLIC_PORT"] = str(live_server)  # links and redirects carry it
    name = "plum" + uuid.uuid4().hex[:8]
    domain = f"{name}.{SUFFIX}"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, timezone_id="Europe/London", locale="en-GB"
    )  # a German browser gets the sign-up (and its restaurant) in German: tests/languages
    page = context.new_page()
    try:
        page.goto(f"http://{PLATFORM}:{live_server}/signup")
        expect(page.get_by_role("heading", name="Open your restaurant")).to_be_visible()
        expect(page.get_by_label("Time zone")).to_have_value("Europe/London")  # from Intl
        expect(page.get_by_label("Language and formats")).to_have_value("en_GB")
        expect(page.get_by_label("Currency")).to_have_value("GBP")
        assert_accessible(page)

        page.get_by_label("Restaurant name").fill("Plum Pizza")
        page.get_by_label("Subdomain").fill("admin")
        expect(page.locator("#subdomain-status")).to_contain_text("is reserved")
        page.get_by_label("Subdomain").fill(name)
        expect(page.locator("#subdomain-status")).to_have_text(f"{domain} is available.")
        page.get_by_label("Your e-mail").fill("owner@plum.example")
        page.get_by_label("Password").fill("password1")
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_text("Password is too easy to guess.")).to_be_visible()
        assert_accessible(page)  # the problem beside its field
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
        assert_accessible(page)

        run_queue(app, "mail")
        (message,) = inbox.to("owner@plum.example")
        path = LINK.search(plain(message)).group(1)
        page.goto(f"http://{PLATFORM}:{live_server}{path}")
        assert_accessible(page)
        page.get_by_role("button", name="Open my restaurant").click()
        page.wait_for_url(re.compile(rf"^http://{re.escape(domain)}:{live_server}/login"))
        page.get_by_label("Email").fill("owner@plum.example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/admin/setup$"))
        expect(page.locator('[data-item="region"]')).to_contain_text("Done")

        # The rest of the checklist, as the owner's other pages would save it.
        restaurant = SimpleNamespace(domain=domain)
        set_settings(
            app,
            restaurant,
            hours=ALL_DAY,
            tax={"rate_bp": 1900, "inclusive": True},
            profile={"phone": "+49301234567"},
        )
        add_dish(app, restaurant, "Plum Pizza Margherita", 900)
        page.reload()
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Published: your storefront takes orders."
        )

        customer = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
        customer.goto(f"http://{domain}:{live_server}/")
        customer.get_by_role("button", name="Add Plum Pizza Margherita to your order").click()
        expect(customer.locator("#cart-count")).to_have_text("1")
        customer.get_by_label("Your name (for pickup)").fill("Grace Hopper")
        customer.get_by_role("button", name=re.compile("Place order")).click()
        customer.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
        expect(customer.locator("#order-number")).to_have_text("1001")
        customer.context.close()
    finally:
        context.close()
        try:
            with app.app_context(), unit_of_work():
                drop_tenant(domain)
        except NotFound:  # the sign-up failed before the restaurant existed
            pass
