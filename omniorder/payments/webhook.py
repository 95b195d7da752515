"""Stripe's word on a payment: its signed webhook, on the restaurant's own host.

``POST /api/v1/payments/stripe/webhook`` is what a restaurant registers in its Stripe account.
The body is verified with that restaurant's webhook secret (`stripe.Webhook.construct_event`,
5 minutes' tolerance): anything unsigned, signed with another secret, altered or older is a
400 and changes nothing. So an event of another restaurant's account, sent to this host, fails
here; one that verifies but names a PaymentIntent of another restaurant (Stripe test doubles
send every event to every endpoint) matches none of this restaurant's orders and is ignored.
Each event id is handled once (`PaymentEvent`): a replay of a signed event changes nothing.
No call to Stripe is made here: the event carries the PaymentIntent.
"""

import logging

import stripe
from sqlalchemy.dialects.postgresql import insert

from omniorder.core.database import db
from omniorder.core.errors import Invalid, NotFound
from omniorder.payments import online
from omniorder.payments.models import PaymentEvent
from omniorder.settings.document import current_settings
from omniorder.settings.payments import stripe_keys

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed")


def receive_event(payload: bytes, signature_header: str | None) -> str:
    """Verify and handle one webhook delivery; what became of it (for the 200's body)."""
    keys = stripe_keys(current_settings())
    if keys is None:
        raise NotFound("This restaurant takes no payments online.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header, keys.webhook_secret, tolerance=TOLERANCE_SECONDS
        )
        event = event.to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        raise Invalid(
            "Stripe-Signature", "does not verify with this restaurant's webhook secret"
        ) from None
    if event.get("type") not in HANDLED:
        return "ignored"
    intent = event["data"]["object"]
    first = db.session.scalar(
        insert(PaymentEvent)
        .values(id=event["id"], type=event["type"], payment_intent_id=intent.get("id"))
        .on_conflict_do_nothing(index_elements=[PaymentEvent.id])
        .returning(PaymentEvent.id)
    )
    if first is None:
        return "duplicate"
    order = online.apply_intent(intent)
    return "applied" if order is not None else "ignored"
