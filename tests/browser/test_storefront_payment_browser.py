"""A customer pays for an order in chromium with localstripe's Stripe.js stand-in: the card
typed into its field (plain inputs here; an iframe on Stripe), a decline and another card,
3-D Secure, the kitchen board. Stripe.js is served to the page by `route_stripe_js` (the
stand-in plus its createPaymentMethod shim); the page's own code is what runs on Stripe."""

import json
import re

from playwright.sync_api import expect

from tests.browser.test_kitchen_browser import staff_login
from tests.payments.test_online_payments import board_numbers
from tests.support.accessibility import assert_accessible
from tests.support.localstripe import CARD_3DS, CARD_DECLINED, CARD_OK
from tests.support.payments import take_payments
from tests.support.staff import add_staff

ORDER_PAGE = re.compile(r"/orders/[0-9a-f-]{36}$")


class PayingCustomer:
    """One customer's browser page, with what it sends to the restaurant's site and what the
    page's CSP refused."""

    def __init__(self, browser, localstripe, base_url):
        self.context = browser.new_context(viewport={"width": 390, "height": 844})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.sent, self.refused = [], []
        localstripe.route_stripe_js(self.page)
        self.page.on("request", self._record)
        self.page.on(
            "console",
            lambda message: (
                self.refused.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def _record(self, request):
        if request.url.startswith(self.base_url):
            self.sent.append((request.method, request.url, request.post_data or ""))

    def order_fries(self, pay_now=None):
        page = self.page
        page.goto(self.base_url + "/")
        page.get_by_role("button", name="Add Fries to your order").click()
        expect(page.locator("#cart-count")).to_have_text("1")
        page.get_by_label("Your name (for pickup)").fill("Grace")
        if pay_now is not None:
            page.get_by_role(
                "radio", name=re.compile("Pay now" if pay_now else "Pay at pickup")
            ).check()
        page.get_by_role("button", name=re.compile("Place order")).click()
        page.wait_for_url(ORDER_PAGE)
        return int(page.locator("#order-number").inner_text())

    def type_card(self, number):
        for placeholder, value in (
            ("number", number),
            ("exp_month", "12"),
            ("exp_year", "34"),  # two digits: the stand-in puts "20" before them
            ("cvc", "123"),
            ("postal_code", "10115"),
        ):
            self.page.fill(f"#card-element input[placeholder={placeholder}]", value)

    def pay(self, number):
        self.type_card(number)
        self.page.get_by_role("button", name=re.compile(r"^Pay \$")).click()

    def expect_paid(self):
        expect(self.page.locator(".status-text")).to_have_text(
            "Received — waiting for the kitchen", timeout=10000
        )
        expect(self.page.locator(".paid-online")).to_contain_text("Paid online")
        expect(self.page.locator(".ready-time")).to_contain_text("Ready around")
        expect(self.page.locator("#payment")).to_have_count(0)

    def payment_posts(self) -> list[dict]:
        return [json.loads(body) for method, url, body in self.sent if url.endswith("/pay")]

    def close(self):
        self.context.close()


def restaurant(app, make_tenant, localstripe, online, name):
    tenant = make_tenant(name=name)
    take_payments(app, tenant, localstripe, online=online)
    return tenant


def test_a_card_payment_sends_the_order_to_the_kitchen_board(
    browser, live_server, make_tenant, app, localstripe
):
    tenant = restaurant(app, make_tenant, localstripe, "required", "Card Diner")
    add_staff(app, tenant, "tablet@card.example", "kitchen")
    base_url = f"http://{tenant.domain}:{live_server}"
    kitchen = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    staff_login(kitchen, base_url + "/kitchen", "tablet@card.example")
    kitchen.wait_for_url(re.compile(r"/kitchen$"))

    customer = PayingCustomer(browser, localstripe, base_url)
    customer.order_fries()
    page = customer.page
    expect(page.locator(".status-text")).to_have_text("Waiting for your payment")
    expect(page.locator(".awaiting-payment")).to_contain_text("Not sent to the kitchen yet")
    expect(page.locator("#card-element input")).to_have_count(5)  # Stripe.js's field, mounted
    assert_accessible(page)
    page.wait_for_timeout(2500)  # a board poll (every 2 s) passes: still nothing to cook
    expect(kitchen.locator(".card", has_text="Grace")).to_have_count(0)

    customer.pay(CARD_OK)

    customer.expect_paid()
    card = kitchen.locator(".column-pending .card", has_text="Grace")
    expect(card).to_be_visible(timeout=5000)
    expect(card).to_contain_text("Fries")
    # Only the PaymentMethod's id came to us: no card number, expiry or CVC in any request
    # the page sent to the restaurant's site.
    assert customer.payment_posts() == [
        {"payment_method": customer.payment_posts()[0]["payment_method"]}
    ]
    assert re.fullmatch(r"(pm|card)_\w+", customer.payment_posts()[0]["payment_method"])
    for _, url, body in customer.sent:
        assert CARD_OK not in body and CARD_OK not in url
        assert "4242" not in body and '"123"' not in body
    assert customer.refused == []  # Stripe.js and the page's script run under the CSP
    customer.close()
    kitchen.context.close()


def test_a_declined_card_is_said_and_another_card_pays(
    browser, live_server, make_tenant, app, localstripe
):
    tenant = restaurant(app, make_tenant, localstripe, "optional", "Decline Diner")
    customer = PayingCustomer(browser, localstripe, f"http://{tenant.domain}:{live_server}")
    number = customer.order_fries(pay_now=True)
    page = customer.page

    customer.pay(CARD_DECLINED)

    message = page.locator("#payment-message")
    expect(message).to_have_text(
        "Your payment did not go through: Your card was declined. "
        "Please try again or use another card."
    )
    expect(page.locator(".status-text")).to_have_text("Waiting for your payment")
    assert number not in board_numbers(app, tenant)

    customer.pay(CARD_OK)  # the number field typed over

    customer.expect_paid()
    assert number in board_numbers(app, tenant)
    assert len(customer.payment_posts()) == 2
    for _, _, body in customer.sent:
        assert CARD_DECLINED not in body and CARD_OK not in body
    assert customer.refused == []
    customer.close()


def test_3d_secure_is_completed_in_the_stripe_js_step(
    browser, live_server, make_tenant, app, localstripe
):
    tenant = restaurant(app, make_tenant, localstripe, "required", "Secure Diner")
    customer = PayingCustomer(browser, localstripe, f"http://{tenant.domain}:{live_server}")
    number = customer.order_fries()
    page = customer.page

    customer.pay(CARD_3DS)
    page.get_by_role("button", name="Complete authentication").click()

    customer.expect_paid()
    assert number in board_numbers(app, tenant)
    assert any(url.endswith("/pay/refresh") for _, url, _ in customer.sent)
    assert customer.refused == []
    customer.close()


def test_pay_at_pickup_is_a_choice_and_loads_no_stripe(
    browser, live_server, make_tenant, app, localstripe
):
    tenant = restaurant(app, make_tenant, localstripe, "optional", "Pickup Diner")
    customer = PayingCustomer(browser, localstripe, f"http://{tenant.domain}:{live_server}")
    number = customer.order_fries(pay_now=False)
    page = customer.page

    expect(page.locator(".status-text")).to_have_text("Received — waiting for the kitchen")
    expect(page.locator(".pay-at-counter")).to_contain_text("Pay at pickup")
    expect(page.locator("#payment")).to_have_count(0)
    assert number in board_numbers(app, tenant)
    customer.close()
