"""What the payments code relies on in localstripe 1.15 (a real process, tests/support/localstripe)
driven by the official `stripe` library: a PaymentIntent with a card attached by an update and
then confirmed (success, decline, 3-D Secure), refunds, and webhooks that
`StripeClient.construct_event` verifies. Where localstripe differs from Stripe in a way the app
must design around (idempotency keys ignored, no retry on a declined PaymentIntent), the test
says so, so that a new localstripe that changes it is noticed."""

import json
import uuid
from pathlib import Path

import pytest
import stripe

from tests.support.localstripe import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    card_payment_method,
)
from tests.support.mail import wait_until
from tests.support.webhooks import Receiver

ORDER = {
    "amount": 1250,
    "currency": "eur",
    "metadata": {"tenant": "t1", "order_id": "o-42"},
    "payment_method_types": ["card"],
}


def confirmed(client, number, **params):
    """A PaymentIntent with a card attached (update) and confirmed (localstripe answers 500
    "Not implemented" to confirm(…, payment_method=…))."""
    intent = client.v1.payment_intents.create({**ORDER, **params})
    payment_method = card_payment_method(client, number)
    client.v1.payment_intents.update(intent.id, {"payment_method": payment_method.id})
    return client.v1.payment_intents.confirm(intent.id)


def test_a_payment_intent_keeps_amount_and_metadata_but_not_its_idempotency_key(localstripe):
    client = localstripe.client("sk_test_restaurant_a")
    first = client.v1.payment_intents.create(ORDER, {"idempotency_key": "order-o-42"})
    again = client.v1.payment_intents.create(ORDER, {"idempotency_key": "order-o-42"})

    assert first.status == "requires_payment_method"
    assert (first.amount, first.currency) == (1250, "eur")
    assert first.metadata.to_dict() == {"tenant": "t1", "order_id": "o-42"}
    assert first.client_secret.startswith(f"{first.id}_secret_")
    # Stripe answers the same PaymentIntent; localstripe makes another: the app must not count
    # on the key to avoid a second PaymentIntent for one order.
    assert again.id != first.id
    # One localstripe is one account: another restaurant's key sees the same objects.
    other = localstripe.client("sk_test_restaurant_b")
    assert other.v1.payment_intents.retrieve(first.id).id == first.id


def test_a_good_card_attached_by_update_then_confirmed_succeeds(localstripe):
    client = localstripe.client()
    intent = client.v1.payment_intents.create(ORDER)
    card = card_payment_method(client, CARD_OK)
    with pytest.raises(stripe.APIError, match="Not implemented"):
        client.v1.payment_intents.confirm(intent.id, {"payment_method": card.id})

    updated = client.v1.payment_intents.update(intent.id, {"payment_method": card.id})
    assert updated.status == "requires_confirmation"
    paid = client.v1.payment_intents.confirm(intent.id)

    assert paid.status == "succeeded"
    assert paid.latest_charge.amount == 1250  # an embedded Charge here, an id on Stripe
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_declined_card_raises_card_error_and_the_intent_cannot_be_retried(localstripe):
    client = localstripe.client()
    with pytest.raises(stripe.CardError) as declined:
        confirmed(client, CARD_DECLINED)
    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    charge = declined.value.json_body["error"]["charge"]

    intent = client.v1.charges.retrieve(charge).payment_intent
    intent = client.v1.payment_intents.retrieve(intent)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "card_declined"
    # Stripe takes a new card on the same PaymentIntent; localstripe does not (its status stays
    # requires_payment_method): a new attempt needs a new PaymentIntent.
    good = card_payment_method(client, CARD_OK)
    client.v1.payment_intents.update(intent.id, {"payment_method": good.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.confirm(intent.id)
    assert client.v1.payment_intents.cancel(intent.id).status == "canceled"


def test_a_3d_secure_card_requires_action_until_authenticated(localstripe):
    client = localstripe.client()
    intent = confirmed(client, CARD_3DS)
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"

    assert localstripe.authenticate(intent, success=True)["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"

    refused = confirmed(client, CARD_3DS)
    failed = localstripe.authenticate(refused, success=False)
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_intent_authentication_failure"
    # After a failed authentication the same PaymentIntent takes another card.
    good = card_payment_method(client, CARD_OK)
    client.v1.payment_intents.update(refused.id, {"payment_method": good.id})
    assert client.v1.payment_intents.confirm(refused.id).status == "succeeded"


def test_partial_then_full_refund(localstripe):
    client = localstripe.client()
    intent = confirmed(client, CARD_OK)

    part = client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 250}, {"idempotency_key": f"refund-{intent.id}-1"}
    )
    rest = client.v1.refunds.create(
        {"payment_intent": intent.id, "amount": 1000}, {"idempotency_key": f"refund-{intent.id}-2"}
    )

    assert (part.status, part.amount, part.payment_intent) == ("succeeded", 250, intent.id)
    assert (rest.status, rest.amount) == ("succeeded", 1000)
    refunds = client.v1.refunds.list({"payment_intent": intent.id})
    assert sorted(refund.amount for refund in refunds.data) == [250, 1000]
    after = client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "succeeded"  # a refunded PaymentIntent stays succeeded
    assert (after.latest_charge.amount_refunded, after.latest_charge.refunded) == (1250, True)


def test_every_event_goes_signed_to_every_webhook_and_construct_event_verifies_it(localstripe):
    ours, theirs = Receiver(), Receiver()
    ours_id, theirs_id = f"ours-{uuid.uuid4().hex}", f"theirs-{uuid.uuid4().hex}"
    localstripe.register_webhook(ours_id, ours.url, "whsec_ours")
    localstripe.register_webhook(theirs_id, theirs.url, "whsec_theirs")
    try:
        client = localstripe.client()
        paid = confirmed(client, CARD_OK)
        with pytest.raises(stripe.CardError) as declined:
            confirmed(client, CARD_DECLINED)
        charge = client.v1.charges.retrieve(declined.value.json_body["error"]["charge"])
        ids = {paid.id, charge.payment_intent}

        def events(receiver):  # (earlier tests' events may still be on their way)
            bodies = [json.loads(request["body"]) for request in receiver.requests]
            return sorted(b["type"] for b in bodies if b["data"]["object"]["id"] in ids)

        assert wait_until(lambda: len(events(ours)) == 2 and len(events(theirs)) == 2, 10)
        assert events(ours) == ["payment_intent.payment_failed", "payment_intent.succeeded"]
        assert events(theirs) == events(ours)

        request = next(r for r in ours.requests if paid.id.encode() in r["body"])
        signature = request["headers"]["Stripe-Signature"]
        assert signature.startswith("t=") and ",v1=" in signature
        event = client.construct_event(request["body"], signature, "whsec_ours", tolerance=300)
        assert (event.type, event.data.object.id) == ("payment_intent.succeeded", paid.id)
        assert event.data.object.metadata.order_id == "o-42"
        with pytest.raises(stripe.SignatureVerificationError):
            client.construct_event(request["body"], signature, "whsec_theirs", tolerance=300)
    finally:
        localstripe.disable_webhook(ours_id)
        localstripe.disable_webhook(theirs_id)
        ours.stop()
        theirs.stop()


def test_localstripe_saves_nothing_to_the_shared_temp_file(localstripe):
    shared = Path("/tmp/localstripe.pickle")
    before = shared.stat().st_mtime_ns if shared.exists() else None
    confirmed(localstripe.client(), CARD_OK)
    assert (shared.stat().st_mtime_ns if shared.exists() else None) == before
