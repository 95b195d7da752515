"""localstripe (a fake, stateful Stripe API server) as a real process on a free loopback port,
and the helpers the payment tests share: the API base, the Stripe.js stand-in's URL, a Stripe
client pointed at it, webhook registration, a reset of its data, and its 3-D Secure step.

The process itself (a free loopback port, its /tmp pickle saving off) is harness/localstripe.py's,
shared with the payments benchmark.

One localstripe is one Stripe account: every `sk_…` key is accepted and sees every object, and
every event goes to every registered webhook; tests/payments/test_localstripe_support.py pins
what the app relies on.
"""

import json
import os
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import stripe

from harness.localstripe import js_url
from harness.localstripe import localstripe as localstripe_process

# Cards (the numbers localstripe's PaymentMethod knows; any future expiry, any 3-digit CVC).
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # created fine, declined when charged
CARD_3DS = "4000002760003184"  # confirm → requires_action
CARD_3DS_DECLINED = "4000008260003178"  # 3-D Secure, then declined when charged


# localstripe's Stripe.js stand-in has `createPaymentMethod: async () => {}` (it answers
# undefined). This completes it the only way the stand-in allows from the browser (the
# publishable key may only create tokens): a token's card, whose `card_…` id localstripe takes
# wherever it takes a `pm_…`. The app's page then calls what it calls on real Stripe.js:
# `stripe.createPaymentMethod({type: 'card', card: element})` → {paymentMethod: {id, card}}.
CREATE_PAYMENT_METHOD_SHIM = """
(function () {
  const makeStripe = Stripe;
  Stripe = function (key, options) {
    const stripe = makeStripe(key, options);
    stripe.createPaymentMethod = async function (data) {
      const result = await stripe.createToken(data.card || data.element);
      if (result.error) return {error: result.error};
      const card = result.token.card;
      return {paymentMethod: {
        id: card.id, object: 'payment_method', type: 'card',
        billing_details: data.billing_details || {},
        card: {brand: card.brand.toLowerCase(), last4: card.last4,
               exp_month: card.exp_month, exp_year: card.exp_year},
      }};
    };
    return stripe;
  };
})();
"""


@dataclass
class Localstripe:
    base: str  # e.g. http://127.0.0.1:41234
    log: str  # its stderr: access log and webhook deliveries

    @property
    def js_url(self) -> str:
        """The Stripe.js v3 stand-in, to load instead of https://js.stripe.com/v3/."""
        return js_url(self.base)

    def route_stripe_js(self, page) -> None:
        """Serve this page (Playwright) the stand-in at `js_url` with createPaymentMethod."""
        with urllib.request.urlopen(self.js_url, timeout=10) as response:
            script = response.read().decode() + CREATE_PAYMENT_METHOD_SHIM
        page.route(
            self.js_url,
            lambda route: route.fulfill(body=script, content_type="application/javascript"),
        )

    def client(self, api_key: str = "sk_test_omniorder", **options) -> stripe.StripeClient:
        """A StripeClient with its own key, talking to this localstripe (no global state)."""
        options.setdefault("max_network_retries", 0)
        options.setdefault("http_client", stripe.RequestsClient(timeout=10))
        return stripe.StripeClient(api_key, base_addresses={"api": self.base}, **options)

    def post(self, path: str, body: dict, method: str = "POST") -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def register_webhook(
        self, webhook_id: str, url: str, secret: str, events: list[str] | None = None
    ) -> None:
        """Every event (of `events`, else all) goes to `url`, signed with `secret`, about one
        second after it happens. The same id replaces the earlier one; there is no removal:
        `disable_webhook` keeps the id but sends it nothing."""
        body = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = events
        status, text = self.post(f"/_config/webhooks/{webhook_id}", body)
        assert status == 200, (status, text)

    def disable_webhook(self, webhook_id: str) -> None:
        status, text = self.post(
            f"/_config/webhooks/{webhook_id}",
            {"url": "http://127.0.0.1:9/", "secret": "whsec_off", "events": []},
        )
        assert status == 200, (status, text)

    def reset(self) -> None:
        """Forget every object (DELETE /_config/data). Registered webhooks stay."""
        status, text = self.post("/_config/data", None, method="DELETE")
        assert status == 200, (status, text)

    def authenticate(self, payment_intent, success: bool = True):
        """The 3-D Secure step the Stripe.js stand-in's confirmCardPayment does after its
        "Complete authentication" / "Fail authentication" buttons: the PaymentIntent must be
        in requires_action; `success` charges it, else it goes back to requires_payment_method."""
        status, text = self.post(
            f"/v1/payment_intents/{payment_intent.id}/_authenticate?success={str(success).lower()}",
            {"key": "pk_test_omniorder", "client_secret": payment_intent.client_secret},
        )
        assert status == 200, (status, text)
        return json.loads(text)


def card_payment_method(client: stripe.StripeClient, number: str = CARD_OK):
    """A card PaymentMethod made server-side (what Stripe.js makes in the browser)."""
    return client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )


@contextmanager
def running_localstripe():
    """A localstripe process (empty store, saving off) on a free loopback port."""
    log = tempfile.NamedTemporaryFile(prefix="omniorder-localstripe-", suffix=".log", delete=False)
    try:
        with localstripe_process(log) as process:
            yield Localstripe(base=process.base, log=log.name)
    finally:
        log.close()
        os.unlink(log.name)


@pytest.fixture(scope="session")
def localstripe_server():
    """One localstripe for the test session (registered in tests/conftest.py)."""
    with running_localstripe() as server:
        yield server


@pytest.fixture
def localstripe(localstripe_server):
    """The session's localstripe, emptied before the test (webhooks stay registered)."""
    localstripe_server.reset()
    return localstripe_server
