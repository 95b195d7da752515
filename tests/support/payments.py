"""A restaurant taking payments online against localstripe, and what its customer does.

localstripe signs each event with the secret of each registered webhook and POSTs it to that
webhook's URL; a restaurant's endpoint is found by its Host, which a loopback URL cannot
carry, so `StripeWebhooks` receives the deliveries on a real loopback server and relays each
one, byte for byte with its Stripe-Signature, to the restaurant's host through the app.
"""

import json
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.ordering.models import Order
from omniorder.settings.document import update_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.localstripe import card_payment_method
from tests.support.mail import wait_until
from tests.support.storefront import menu
from tests.support.webhooks import Receiver

WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"


@dataclass(frozen=True)
class StripeAccount:
    publishable_key: str
    secret_key: str
    webhook_secret: str


def new_account() -> StripeAccount:
    token = secrets.token_hex(12)
    return StripeAccount(f"pk_test_{token}", f"sk_test_{token}", f"whsec_{token}")


def take_payments(app, tenant, localstripe, online="required") -> StripeAccount:
    """Point the app at localstripe and give `tenant` its own Stripe keys and `online` mode."""
    app.config["OMNIORDER_STRIPE_API_BASE"] = localstripe.base
    app.config["OMNIORDER_STRIPE_JS_URL"] = localstripe.js_url
    account = new_account()
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            update_settings(
                {
                    "payments": {
                        "online": online,
                        "stripe": {
                            "publishable_key": account.publishable_key,
                            "secret_key": account.secret_key,
                            "webhook_secret": account.webhook_secret,
                        },
                    }
                }
            )
    return account


def order_body(app, tenant, quantity=2, **fields) -> dict:
    item = menu(app, tenant)["Fries"]
    return {
        "customer_name": "Ann",
        "email": "ann@example.com",
        "items": [{"menu_item_id": str(item.id), "quantity": quantity}],
        **fields,
    }


def place(client, app, tenant, key=None, **fields):
    headers = {"Host": tenant.domain}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/orders", headers=headers, json=order_body(app, tenant, **fields))


def pay(client, tenant, order_id, payment_method_id):
    return client.post(
        f"/api/v1/orders/{order_id}/payment",
        headers={"Host": tenant.domain},
        json={"payment_method": payment_method_id},
    )


def card(localstripe, number):
    return card_payment_method(localstripe.client(), number).id


def stored_order(app, tenant, order_id) -> Order:
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        order = db.session.scalars(select(Order).where(Order.id == order_id)).one()
        db.session.expunge(order)
        return order


class StripeWebhooks:
    """localstripe's deliveries received on loopback and relayed to `tenant`'s host."""

    def __init__(self, localstripe, account: StripeAccount):
        self.localstripe = localstripe
        self.receiver = Receiver()
        self.id = f"omniorder-{uuid.uuid4().hex[:8]}"
        localstripe.register_webhook(
            self.id, self.receiver.url, account.webhook_secret, events=None
        )

    def about(self, intent_id: str) -> list[dict]:
        """The deliveries whose PaymentIntent is `intent_id` (every test's events come here)."""
        return [
            request
            for request in self.receiver.requests
            if json.loads(request["body"])["data"]["object"]["id"] == intent_id
        ]

    def wait_for(self, intent_id: str, count: int = 1, seconds: float = 10) -> list[dict]:
        assert wait_until(lambda: len(self.about(intent_id)) >= count, seconds), (
            f"no webhook about {intent_id}"
        )
        return self.about(intent_id)

    @staticmethod
    def relay(client, domain: str, delivery: dict, body: bytes | None = None):
        return client.post(
            WEBHOOK_PATH,
            headers={
                "Host": domain,
                "Content-Type": "application/json",
                "Stripe-Signature": delivery["headers"]["Stripe-Signature"],
            },
            data=delivery["body"] if body is None else body,
        )

    def stop(self) -> None:
        self.localstripe.disable_webhook(self.id)
        self.receiver.stop()
