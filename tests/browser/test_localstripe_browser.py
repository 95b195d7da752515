"""localstripe's Stripe.js stand-in in a real browser, the way a payment page uses Stripe.js: a
card element (plain inputs here, an iframe on Stripe), createPaymentMethod (completed by
tests/support/localstripe's shim), the server's update + confirm, and confirmCardPayment's
3-D Secure step (two buttons here, Stripe's challenge frame on Stripe)."""

import http.server
import threading

import pytest

from tests.support.localstripe import CARD_3DS, CARD_OK

PAGE = """<!doctype html><html lang="en"><head><title>Pay</title>
<script src="{js}"></script></head><body><main><div id="card"></div></main><script>
window.stripe = Stripe('pk_test_omniorder');
window.card = stripe.elements().create('card');
card.mount('#card');
</script></body></html>"""


@pytest.fixture
def pay_page(localstripe):
    """A page on its own loopback origin that loads the stand-in from localstripe's."""
    body = PAGE.format(js=localstripe.js_url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join()


def type_card(page, number):
    for placeholder, value in (
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "34"),  # two digits: the stand-in puts "20" before them
        ("cvc", "123"),
        ("postal_code", "10115"),
    ):
        page.fill(f"#card input[placeholder={placeholder}]", value)


def pay(page, client, number):
    """The browser makes the payment method, the server attaches and confirms it."""
    type_card(page, number)
    made = page.evaluate("stripe.createPaymentMethod({type: 'card', card})")
    assert made["paymentMethod"]["card"]["last4"] == number[-4:]
    intent = client.v1.payment_intents.create(
        {"amount": 1250, "currency": "eur", "payment_method_types": ["card"]}
    )
    client.v1.payment_intents.update(intent.id, {"payment_method": made["paymentMethod"]["id"]})
    return client.v1.payment_intents.confirm(intent.id)


def test_card_typed_into_the_stand_in_pays(browser, localstripe, pay_page):
    page = browser.new_page()
    localstripe.route_stripe_js(page)
    page.goto(pay_page)
    assert page.locator("#card iframe").count() == 0

    paid = pay(page, localstripe.client(), CARD_OK)

    assert paid.status == "succeeded"
    page.close()


def test_3d_secure_is_completed_with_the_stand_in_button(browser, localstripe, pay_page):
    page = browser.new_page()
    localstripe.route_stripe_js(page)
    page.goto(pay_page)
    client = localstripe.client()
    intent = pay(page, client, CARD_3DS)
    assert intent.status == "requires_action"

    page.evaluate(
        "secret => { window.result = null;"
        " stripe.confirmCardPayment(secret).then(r => { window.result = r; }); }",
        intent.client_secret,
    )
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_function("window.result !== null")

    assert page.evaluate("window.result.paymentIntent.status") == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    page.close()
