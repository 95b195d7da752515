"""Paying on the storefront (no browser): the checkout's choice, the order's page while it
awaits its payment, and the two routes its script calls (static/pay.js), against localstripe.
The browser's side is tests/browser/test_storefront_payment_browser.py."""

import re

import pytest
from sqlalchemy import text

from omniorder.payments.gateway import stripe_js_sources
from tests.payments.test_online_payments import board_numbers
from tests.support.localstripe import CARD_3DS, CARD_DECLINED, CARD_OK
from tests.support.payments import card, place, stored_order, take_payments
from tests.support.storefront import Customer, menu


def order_page_path(response) -> str:
    assert response.status_code == 303, response.text[:500]
    return re.search(r"/orders/[0-9a-f-]{36}$", response.headers["Location"]).group(0)


def check_out(customer, app, tenant, payment=None) -> str:
    """Fries in the cart, then the checkout form as the page sends it: the order's path."""
    customer.add(menu(app, tenant)["Fries"].id)
    data = {
        "csrf_token": customer.csrf_token(),
        "idempotency_key": customer.checkout_key(),
        "customer_name": "Ann",
    }
    if payment is not None:
        data["payment"] = payment
    return order_page_path(customer.post("/checkout", data))


def post_json(customer, path, body, csrf=True):
    """As the order page's script posts: JSON, the CSRF token in a header, JSON back."""
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = customer.csrf_token()
    return customer.client.post(path, json=body, base_url=customer.base_url, headers=headers)


def pay_on_page(customer, path, payment_method, csrf=True):
    """The PaymentMethod's id Stripe.js made, for the order at `path`."""
    return post_json(customer, f"{path}/pay", {"payment_method": payment_method}, csrf)


def refresh_on_page(customer, path, csrf=True):
    return post_json(customer, f"{path}/pay/refresh", {}, csrf)


def order_id(path) -> str:
    return path.rsplit("/", 1)[1]


def test_the_checkout_offers_pay_now_or_at_pickup_only_when_the_restaurant_lets_choose(
    app, client, tenant, localstripe
):
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    off = customer.get("/").text
    assert "Payment at the counter:" in off and 'name="payment"' not in off

    take_payments(app, tenant, localstripe, online="optional")
    optional = customer.get("/").text
    assert re.search(r'<input type="radio" name="payment" value="online" checked>', optional)
    assert 'value="counter"' in optional
    assert "Pay now (card)" in optional and "Pay at pickup" in optional

    take_payments(app, tenant, localstripe, online="required")
    required = customer.get("/").text
    assert "Paid online:" in required and 'name="payment"' not in required


def test_an_order_paid_at_pickup_says_so_and_loads_no_stripe(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe, online="optional")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant, payment="counter")

    page = customer.get(path)
    assert "Pay at pickup:" in page.text and "Received — waiting for the kitchen" in page.text
    assert localstripe.js_url not in page.text and 'id="payment"' not in page.text
    assert localstripe.base not in page.headers["Content-Security-Policy"]
    assert "Pay at pickup" in customer.get(f"{path}/receipt").text


def test_an_online_order_waits_for_its_payment_off_the_board_with_the_card_field(
    app, client, tenant, localstripe
):
    account = take_payments(app, tenant, localstripe, online="optional")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant, payment="online")
    order = stored_order(app, tenant, order_id(path))
    assert order.payment_status == "requires_payment"
    assert order.payment_intent_id is None  # made with the first card, not at checkout
    assert order.number not in board_numbers(app, tenant)

    page = customer.get(path)
    assert "Waiting for your payment" in page.text
    assert "Not sent to the kitchen yet" in page.text and "Ready around" not in page.text
    assert f'<script src="{localstripe.js_url}" defer></script>' in page.text
    assert f'data-publishable-key="{account.publishable_key}"' in page.text
    assert "Pay $" in page.text
    receipt = customer.get(f"{path}/receipt").text
    assert "Not paid yet:" in receipt and "goes to the kitchen once it is paid" in receipt


def test_the_payment_page_policy_allows_exactly_the_configured_stripe_js_origin(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    policy = customer.get(path).headers["Content-Security-Policy"]
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == f"'self' {localstripe.base}"
    assert directives["connect-src"] == f"'self' {localstripe.base}"
    assert directives["frame-src"] == f"'self' {localstripe.base}"
    assert "*" not in policy and "unsafe-inline" not in policy
    # the menu, the status fragment and the receipt stay on our own origin
    for other in ("/", f"{path}/status", f"{path}/receipt"):
        assert localstripe.base not in customer.get(other).headers["Content-Security-Policy"]


def test_stripes_own_script_gets_stripes_origins(app):
    with app.test_request_context():
        app.config.pop("OMNIORDER_STRIPE_JS_URL", None)
        assert stripe_js_sources() == {
            "script-src": ("https://js.stripe.com",),
            "frame-src": ("https://js.stripe.com", "https://hooks.stripe.com"),
            "connect-src": ("https://api.stripe.com",),
        }


def test_paying_on_the_page_puts_the_order_on_the_board(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    paid = pay_on_page(customer, path, card(localstripe, CARD_OK))
    assert paid.status_code == 200, paid.text
    assert paid.json == {"status": "succeeded", "payment_status": "paid"}
    order = stored_order(app, tenant, order_id(path))
    assert order.number in board_numbers(app, tenant)

    page = customer.get(path)
    assert "Paid online" in page.text and "Received — waiting for the kitchen" in page.text
    assert "Ready around" in page.text  # promised now that it is paid
    assert 'id="payment"' not in page.text and localstripe.js_url not in page.text
    assert "Paid online" in customer.get(f"{path}/receipt").text
    # paying again changes nothing
    assert pay_on_page(customer, path, card(localstripe, CARD_OK)).json["status"] == "succeeded"


def test_a_declined_card_is_said_on_the_page_and_another_card_pays(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    declined = pay_on_page(customer, path, card(localstripe, CARD_DECLINED))
    assert declined.status_code == 402
    assert declined.json["error"] == "Your card was declined."
    page = customer.get(path).text
    assert "Your payment did not go through: Your card was declined." in page

    paid = pay_on_page(customer, path, card(localstripe, CARD_OK))
    assert paid.status_code == 200 and paid.json["payment_status"] == "paid"
    assert "did not go through" not in customer.get(path).text


def test_3d_secure_is_settled_by_the_refresh_route(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    asked = pay_on_page(customer, path, card(localstripe, CARD_3DS))
    assert asked.status_code == 200
    assert asked.json["status"] == "requires_action"
    assert asked.json["payment_status"] == "requires_payment"
    secret = asked.json["client_secret"]
    assert refresh_on_page(customer, path).json["payment_status"] == "requires_payment"

    intent = localstripe.client().v1.payment_intents.retrieve(secret.split("_secret_")[0])
    localstripe.authenticate(intent, success=True)  # what Stripe.js's 3-D Secure step does
    refreshed = refresh_on_page(customer, path)
    assert refreshed.status_code == 200
    assert refreshed.json == {"payment_status": "paid", "payment_error": None}


def test_the_payment_routes_need_the_pages_csrf_token(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    refused = pay_on_page(customer, path, card(localstripe, CARD_OK), csrf=False)
    assert refused.status_code == 400
    assert "CSRF" in refused.json["error"]
    assert refresh_on_page(customer, path, csrf=False).status_code == 400
    assert stored_order(app, tenant, order_id(path)).payment_status == "requires_payment"
    assert stored_order(app, tenant, order_id(path)).payment_intent_id is None  # nothing asked


@pytest.mark.parametrize(
    "payment_method", ["", "4242424242424242", "pm_ x", {"number": "4242424242424242"}, None]
)
def test_anything_but_a_payment_method_id_is_400(app, client, tenant, localstripe, payment_method):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)

    refused = pay_on_page(customer, path, payment_method)
    assert refused.status_code == 400, refused.text
    assert "error" in refused.json
    assert stored_order(app, tenant, order_id(path)).payment_intent_id is None


def test_an_unknown_order_is_404_and_an_order_paid_at_pickup_is_409(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe, online="optional")
    customer = Customer(client, tenant.domain)
    unknown = "/orders/00000000-0000-4000-8000-000000000000"
    assert pay_on_page(customer, unknown, card(localstripe, CARD_OK)).status_code == 404
    assert refresh_on_page(customer, unknown).status_code == 404

    counter = check_out(customer, app, tenant, payment="counter")
    refused = pay_on_page(customer, counter, card(localstripe, CARD_OK))
    assert refused.status_code == 409
    assert refused.json["error"] == "This order is paid at the counter."
    assert refresh_on_page(customer, counter).status_code == 409
    assert stored_order(app, tenant, order_id(counter)).payment_status == "counter"


def test_another_restaurants_order_is_not_found_here(app, client, make_tenant, localstripe):
    first, second = make_tenant(name="First"), make_tenant(name="Second")
    take_payments(app, first, localstripe, online="required")
    take_payments(app, second, localstripe, online="required")
    path = check_out(Customer(client, first.domain), app, first)

    elsewhere = Customer(client, second.domain)
    assert pay_on_page(elsewhere, path, card(localstripe, CARD_OK)).status_code == 404
    assert stored_order(app, first, order_id(path)).payment_status == "requires_payment"


def test_the_api_order_placed_online_is_paid_on_the_storefront_page(
    app, client, tenant, localstripe
):
    """An order placed through the API (its PaymentIntent made at once) is paid on its page."""
    take_payments(app, tenant, localstripe, online="required")
    placed = place(client, app, tenant).json
    customer = Customer(client, tenant.domain)
    paid = pay_on_page(customer, f"/orders/{placed['id']}", card(localstripe, CARD_OK))
    assert paid.json["payment_status"] == "paid"


def test_the_tracking_page_and_receipt_say_what_was_refunded(
    app, client, tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe, online="required")
    customer = Customer(client, tenant.domain)
    path = check_out(customer, app, tenant)
    assert pay_on_page(customer, path, card(localstripe, CARD_OK)).status_code == 200
    total = stored_order(app, tenant, order_id(path)).total_amount

    def refunded(status, amount):  # what payments/refunds.py records once Stripe refunded
        db_connection.execute(
            text(
                f'UPDATE "{tenant.schema_name}".orders '  # noqa: S608
                "SET payment_status = :s, amount_refunded = :a WHERE id = :id"
            ),
            {"s": status, "a": amount, "id": order_id(path)},
        )
        db_connection.commit()

    refunded("partially_refunded", 100)
    for page in (path, f"{path}/status", f"{path}/receipt"):
        text_shown = customer.get(page).text
        assert f"Partly refunded:</strong> $1.00 of ${total / 100:.2f}" in text_shown, page
    refunded("refunded", total)
    for page in (path, f"{path}/status", f"{path}/receipt"):
        assert f"Refunded:</strong> ${total / 100:.2f} back to your card" in customer.get(page).text
