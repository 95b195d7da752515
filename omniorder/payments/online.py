"""An order paid online: its PaymentIntent, and the one transition to paid, whoever sees it first.

The kitchen's status (PENDING → COOKING → DONE) is unchanged; the money has its own
``payment_status``. An online order is inserted ``requires_payment``: off the board, out of
sales, with no ready time promised and no receipt, but holding its pickup slot. Then:

1. The checkout prices the order, asks the restaurant's Stripe account for one PaymentIntent
   of exactly its total and currency (`open_payment_intent`, with no transaction open; its
   metadata names the restaurant's schema and the order's id, chosen before the INSERT) and
   inserts the order with it: the PaymentIntent's call and nothing else. A retried checkout
   (the same Idempotency-Key finds the same order) gets that order's PaymentIntent
   (`payment_for`).
2. The customer pays: the storefront's card field (Stripe.js) makes a PaymentMethod in the
   browser, which `pay_with_card` attaches and confirms on the server (no card number ever
   reaches us);
   a card that asks for 3-D Secure answers ``requires_action`` and the browser completes it
   with Stripe.js.
3. Whoever learns first that the PaymentIntent succeeded applies `apply_intent`: the signed
   webhook (payments/webhook.py), the customer's return (`refresh_payment`), or the sweep for
   payments older than a minute (payments/tasks.py). Under the order's row lock and only from
   ``requires_payment``, so it happens once: the order enters the board as PENDING with its
   ready time counted then, the receipt and the ``order.created`` webhook go out.
4. Not paid within `PAYMENT_WINDOW`: the sweep cancels the PaymentIntent, then the order
   ("payment not completed"), which frees its slot. A payment that still succeeds after that
   is refunded in full (payments/refunds.py).

Every call to Stripe happens with no transaction open: read, commit, call, then a new short
transaction records what Stripe said (each record conditional on the state read, so a race
between the webhook and the refresh changes the order once).
"""

import datetime
import logging
import re
import uuid
from dataclasses import dataclass

import stripe
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid, PaymentDeclined, ProviderUnavailable
from omniorder.core.unit_of_work import commit_step
from omniorder.notifications.outbox import order_event
from omniorder.ordering.checkout import PlacedOrder, order_by_id
from omniorder.ordering.models import AWAITING_PAYMENT, Order, bump_board_version
from omniorder.ordering.pickup import ready_time, utc_now
from omniorder.payments.gateway import client_for
from omniorder.payments.refunds import request_refund
from omniorder.printing.jobs import queue_tickets
from omniorder.settings.document import current_settings
from omniorder.settings.payments import StripeKeys, stripe_keys
from omniorder.tenancy.bind import current_tenant

log = logging.getLogger(__name__)

PAYMENT_WINDOW = datetime.timedelta(minutes=15)  # how long an unpaid order holds its slot
NOT_COMPLETED = "payment not completed"


def _keys() -> StripeKeys:
    keys = stripe_keys(current_settings())
    if keys is None:
        raise Conflict(_("This restaurant does not take payments online."))
    return keys


@dataclass(frozen=True)
class PaymentStart:
    """What a browser or an app needs to pay: the 201's ``payment``."""

    client_secret: str
    publishable_key: str
    amount: int
    currency: str

    def as_json(self) -> dict:
        return {
            "client_secret": self.client_secret,
            "publishable_key": self.publishable_key,
            "amount": self.amount,
            "currency": self.currency,
        }


def open_payment_intent(order_id: uuid.UUID, amount: int, currency: str) -> dict:
    """`place_order`'s `open_payment`: the PaymentIntent of an order about to be inserted
    (asked with no transaction open). Stripe not answering refuses the checkout (502) before
    anything is written."""
    client = client_for(_keys())
    try:
        return _new_intent(client, order_id, amount, currency, "payment")
    except ProviderUnavailable:
        raise ProviderUnavailable(
            _(
                "The payment service did not answer, so nothing was ordered: "
                "please try again in a moment."
            )
        ) from None


def payment_for(placed: PlacedOrder) -> PaymentStart:
    """What the customer's browser needs to pay `placed`: the PaymentIntent opened with it
    (no further call), or, for an order an earlier request placed with the same key, that
    order's own (the one opened for this request is cancelled: one per order)."""
    keys = _keys()
    order = placed.order
    if placed.payment is not None:
        secret = placed.payment["client_secret"]
        return PaymentStart(secret, keys.publishable_key, order.total_amount, order.currency)
    if placed.unused_payment is not None:
        commit_step()
        _cancel_quietly(client_for(keys), placed.unused_payment["id"])
    return start_payment(order)


def start_payment(order: Order) -> PaymentStart:
    """The PaymentIntent of an order placed earlier (found by its Idempotency-Key), after
    committing what the request wrote: retrieved, or opened when it has none yet."""
    keys = _keys()
    order_id, intent_id = order.id, order.payment_intent_id
    amount, currency = order.total_amount, order.currency
    commit_step()  # nothing is held while Stripe is asked
    client = client_for(keys)
    if intent_id is not None:
        intent = _retrieve(client, intent_id)
    else:
        intent = _new_intent(client, order_id, amount, currency, "payment")
        intent = _keep_intent(client, order_id, intent, replacing=None)
    return PaymentStart(intent["client_secret"], keys.publishable_key, amount, currency)


def _new_intent(client, order_id, amount: int, currency: str, attempt: str) -> dict:
    """A PaymentIntent of exactly the order's total, naming the restaurant and the order. The
    idempotency key makes Stripe answer a retried create with the same PaymentIntent; the
    order's own column is what makes it one per order (`_keep_intent`)."""
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {"schema": current_tenant().schema_name, "order_id": str(order_id)},
            },
            options={"idempotency_key": f"omniorder-order-{order_id}-{attempt}"},
        )
    except stripe.StripeError as error:
        raise _unavailable(error) from None
    return intent.to_dict()


def _keep_intent(client, order_id, intent: dict, replacing: str | None) -> dict:
    """Store `intent` as the order's PaymentIntent unless another request stored one first
    (then that one is the order's and ours is cancelled): one PaymentIntent per order."""
    stored = db.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.payment_intent_id.is_not_distinct_from(replacing))
        .values(payment_intent_id=intent["id"], payment_error=None)
    ).rowcount
    commit_step()
    if stored:
        return intent
    _cancel_quietly(client, intent["id"])
    current = db.session.scalar(select(Order.payment_intent_id).where(Order.id == order_id))
    commit_step()
    return _retrieve(client, current)


def _cancel_quietly(client, intent_id: str) -> None:
    try:
        client.v1.payment_intents.cancel(intent_id)
    except stripe.StripeError as error:
        log.info("payment %s not cancelled: %s", intent_id, error.user_message)


def _unavailable(error: stripe.StripeError) -> ProviderUnavailable:
    log.warning("stripe: %s", error.user_message or type(error).__name__)
    return ProviderUnavailable(
        _(
            "The payment service did not answer. Your order is saved and not paid yet: "
            "try paying again in a moment."
        )
    )


def payment_order(order_id) -> Order:
    """The order a payment call is about: 404 when unknown, 409 when it is not paid online."""
    order = order_by_id(order_id)
    if order.payment_intent_id is None and order.payment_status != AWAITING_PAYMENT:
        raise Conflict(_("This order is paid at the counter."))
    return order


@dataclass(frozen=True)
class PaymentAttempt:
    order: Order
    intent_status: str
    client_secret: str | None  # for Stripe.js when the bank asks for 3-D Secure

    def as_json(self) -> dict:
        answer = {"status": self.intent_status}
        if self.intent_status == "requires_action":
            answer["client_secret"] = self.client_secret
        return answer


PAYMENT_METHOD = re.compile(r"(pm|card|src)_[A-Za-z0-9_]{1,200}")


def pay_with_card(order_id, payment_method) -> PaymentAttempt:
    """Pay `order_id` with the card Stripe.js turned into a PaymentMethod in the browser (no
    card number reaches us): attached to the order's PaymentIntent, which is confirmed here.

    A decline is a 402 with the bank's words; the order keeps waiting and keeps the words for
    its page, and the next card gets a new PaymentIntent (the declined one is cancelled: a
    declined PaymentIntent cannot always be confirmed again). A card that needs 3-D Secure
    leaves the PaymentIntent ``requires_action``: the answer carries its client secret for
    Stripe.js, and the page then asks `refresh_payment`."""
    if not isinstance(payment_method, str) or not PAYMENT_METHOD.fullmatch(payment_method):
        raise Invalid("payment_method", "must be a PaymentMethod id made by Stripe.js (pm_…)")
    order = payment_order(order_id)
    if order.payment_status != AWAITING_PAYMENT:
        return PaymentAttempt(order, "succeeded", None)
    if order.status == "CANCELLED":
        raise Conflict(_("This order was cancelled; please order again."))
    keys, intent_id, declined_before = _keys(), order.payment_intent_id, order.payment_error
    order_id, amount, currency = order.id, order.total_amount, order.currency
    commit_step()
    client = client_for(keys)
    if intent_id is None or declined_before is not None:
        if intent_id is not None:
            _cancel_quietly(client, intent_id)
        attempt = f"after-{intent_id}" if intent_id else "payment"
        fresh = _new_intent(client, order_id, amount, currency, attempt)
        intent_id = _keep_intent(client, order_id, fresh, replacing=intent_id)["id"]
    declined = None
    try:
        client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
        intent = client.v1.payment_intents.confirm(intent_id).to_dict()
    except stripe.CardError as error:
        intent, declined = _retrieve(client, intent_id), error.user_message
    except stripe.StripeError as error:
        raise _unavailable(error) from None
    if intent.get("status") == "requires_payment_method":
        declined = declined or intent_declined(intent) or _("The card was declined.")
    order = apply_intent(intent, declined)
    if declined:
        commit_step()  # the decline stays on the order for its page; the 402 says it now
        raise PaymentDeclined(declined)
    return PaymentAttempt(order, intent.get("status"), intent.get("client_secret"))


def _retrieve(client: stripe.StripeClient, intent_id: str) -> dict:
    try:
        return client.v1.payment_intents.retrieve(intent_id).to_dict()
    except stripe.StripeError as error:
        raise _unavailable(error) from None


def refresh_payment(order_id) -> Order:
    """Ask Stripe how the order's payment stands and apply it (the customer is back from
    paying, or from the 3-D Secure step: a lost webhook loses no paid order)."""
    order = payment_order(order_id)
    if order.payment_status != AWAITING_PAYMENT or order.payment_intent_id is None:
        return order
    intent_id, keys = order.payment_intent_id, _keys()
    commit_step()
    return apply_intent(_retrieve(client_for(keys), intent_id))


def intent_declined(intent: dict) -> str | None:
    error = intent.get("last_payment_error")
    if not error:
        return None
    return error.get("message") or _("The card was declined.")


def apply_intent(intent: dict, declined: str | None = None) -> Order | None:
    """Record what a PaymentIntent says about its order, once: succeeded → paid (the order
    enters the board), a failed attempt → its decline kept for the tracking page. Whatever
    does not match the order (another restaurant's schema, another id, another amount or
    currency) is logged and changes nothing; None when no order of this restaurant is
    named."""
    metadata = intent.get("metadata") or {}
    schema = current_tenant().schema_name
    try:
        order_id = uuid.UUID(str(metadata.get("order_id")))
    except ValueError:
        order_id = None
    if metadata.get("schema") != schema or order_id is None:
        log.warning("payment %s names no order of %s: ignored", intent.get("id"), schema)
        return None
    order = db.session.scalars(
        select(Order).where(Order.id == order_id).with_for_update()
    ).one_or_none()
    if order is None or not _matches(order, intent):
        log.warning("payment %s does not match order %s: ignored", intent.get("id"), order_id)
        return order
    if order.payment_intent_id is None:
        order.payment_intent_id = intent["id"]
    status = intent.get("status")
    if status == "succeeded":
        _paid(order)
    elif order.payment_status == AWAITING_PAYMENT and status == "requires_payment_method":
        order.payment_error = declined or intent_declined(intent) or order.payment_error
    db.session.flush()
    return order


def _matches(order: Order, intent) -> bool:
    return (
        order.payment_intent_id in (None, intent.get("id"))
        and intent.get("amount") == order.total_amount
        and str(intent.get("currency", "")).upper() == order.currency
    )


def _paid(order: Order) -> None:
    """The one transition to paid. A cancelled order (its payment window ended first) is
    refunded in full instead of cooked."""
    if order.payment_status != AWAITING_PAYMENT:
        return
    order.payment_status = "paid"
    order.payment_error = None
    if order.status == "CANCELLED":
        request_refund(order, order.total_amount, "paid after the order was cancelled")
        return
    now = utc_now()
    settings = current_settings()
    if order.pickup_at is None and not settings["max_orders_per_slot"]:
        order.ready_at = ready_time(settings, None, now)  # the queue as it is now
    order.status_changed_at = func.now()
    order.analytics_pending = True
    bump_board_version()
    db.session.flush()
    order_event(order, "order.created")
    queue_tickets(order, settings)
