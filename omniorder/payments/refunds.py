"""Money back on an order paid online: in full on cancel, in part from the back office.

A refund is decided in the caller's transaction (the cancel, the manager's form): a `Refund`
row and the job that asks Stripe, deferred on the same connection, so a rolled-back cancel
refunds nothing and a committed one always has its job. The job (`send_refund`) claims the
row, commits, asks Stripe with an idempotency key made from the order and the row, and records
the answer in a new transaction: a worker killed after Stripe refunded but before the record
runs the job again, Stripe answers the same refund for the same key, and it is recorded once.

What is left to refund counts every refund not failed, so two managers refunding at the same
moment (the order's row is locked) never give back more than was paid.
"""

import datetime
import logging
import uuid

import stripe
from flask_babel import gettext as _
from sqlalchemy import func, select

from omniorder.core.database import db, get_or_404
from omniorder.core.errors import BrokenRule, Conflict, check_fields
from omniorder.core.money import amount_for_input, parse_amount
from omniorder.core.text_input import clean_line
from omniorder.core.unit_of_work import unit_of_work
from omniorder.jobs.engine import RetryLater, defer_for_tenant
from omniorder.ordering.models import Order
from omniorder.payments.gateway import client_for
from omniorder.payments.models import Refund
from omniorder.settings.document import current_settings
from omniorder.settings.payments import stripe_keys

log = logging.getLogger(__name__)

REFUNDABLE = ("paid", "partially_refunded")
MAX_ATTEMPTS = 20
MAX_REASON = 200
# What a typed refund amount may be read up to: anything above what is left is refused by
# `request_refund` with what is left, so a manager hears one rule, whatever the amount.
MAX_TYPED_AMOUNT = 10**15


def refundable_left(order: Order) -> int:
    """What can still be refunded: the total less every refund asked and not failed."""
    asked = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, Refund.status != "failed"
        )
    )
    return order.total_amount - int(asked)


def request_refund(order: Order, amount: int, reason: str, requested_by: str | None = None):
    """Refund `amount` of `order` (locked by the caller) through the job engine; a 422 when it
    is more than what is left, a 409 when the order was not paid online."""
    if order.payment_status not in REFUNDABLE or order.payment_intent_id is None:
        raise Conflict(_("Only an order paid online can be refunded."))
    left = refundable_left(order)
    if amount <= 0 or amount > left:
        shown = amount_for_input(left, current_settings()["locale"], order.currency)
        raise BrokenRule(
            "amount", _("must be more than 0 and at most %(amount)s (what is left)", amount=shown)
        )
    refund = Refund(order_id=order.id, amount=amount, reason=reason, requested_by=requested_by)
    db.session.add(refund)
    db.session.flush()
    defer_for_tenant("send_refund", refund_id=str(refund.id))
    return refund


def refund_on_cancel(order: Order, requested_by: str | None = None) -> Refund | None:
    """A cancelled order paid online gets back all that is left of its payment; `requested_by`
    is who cancelled it, when a person did."""
    if order.payment_status not in REFUNDABLE:
        return None
    left = refundable_left(order)
    if left <= 0:
        return None
    reason = f"order cancelled: {order.cancel_reason or ''}".strip()
    return request_refund(order, left, reason, requested_by)


def refund_part(order_id, amount_text, reason, requested_by: str) -> Refund:
    """A manager's partial refund from the order's back-office page: `amount_text` as typed in
    the restaurant's locale (``4.50``), `reason` required (the customer's question later)."""
    order = get_or_404(Order, order_id, "order", lock=True)
    locale = current_settings()["locale"]
    typed = check_fields(
        {
            "amount": lambda: parse_amount(
                amount_text, "amount", MAX_TYPED_AMOUNT, locale, order.currency
            ),
            # one line, as a cancel's reason: it is shown in the history and sent to Stripe
            "reason": lambda: clean_line("reason", reason, limit=MAX_REASON, required=True),
        }
    )
    return request_refund(order, typed["amount"], typed["reason"], requested_by)


def refunds_of(order: Order) -> list[Refund]:
    return list(
        db.session.scalars(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.created_at)
        )
    )


def send_refund(refund_id) -> str:
    """The job: ask Stripe for one refund, once (module docstring); the refund's status."""
    refund_id = uuid.UUID(str(refund_id))
    with unit_of_work():
        refund = db.session.scalars(
            select(Refund).where(Refund.id == refund_id).with_for_update()
        ).one_or_none()
        if refund is None or refund.status != "pending":
            return refund.status if refund is not None else "gone"
        order = db.session.get(Order, refund.order_id)
        refund.attempts += 1
        attempts, amount, order_id = refund.attempts, refund.amount, order.id
        intent_id, stripe_refund_id = order.payment_intent_id, refund.stripe_refund_id
        keys = stripe_keys(current_settings())
    if keys is None:
        return _record(refund_id, None, "online payments are switched off; refund by hand")
    client = client_for(keys)
    try:
        if stripe_refund_id is not None:  # Stripe said pending last time: ask again
            answer = client.v1.refunds.retrieve(stripe_refund_id).to_dict()
        elif attempts > 1 and (earlier := _made_before(client, intent_id, refund_id)):
            answer = earlier  # an earlier run was cut off after Stripe refunded: not twice
        else:
            answer = client.v1.refunds.create(
                params={
                    "payment_intent": intent_id,
                    "amount": amount,
                    "metadata": {"order_id": str(order_id), "refund_id": str(refund_id)},
                },
                options={"idempotency_key": f"omniorder-order-{order_id}-refund-{refund_id}"},
            ).to_dict()
    except (stripe.InvalidRequestError, stripe.AuthenticationError) as error:
        return _record(refund_id, None, error.user_message or str(error))  # cannot succeed
    except stripe.StripeError as error:
        message = error.user_message or str(error) or type(error).__name__
        if attempts >= MAX_ATTEMPTS:
            return _record(refund_id, None, message)
        _note_error(refund_id, message)
        raise RetryLater(message) from None
    return _record(refund_id, answer, None)


def _made_before(client, intent_id: str, refund_id: uuid.UUID) -> dict | None:
    """The refund an earlier run of this job made, found by its metadata: Stripe keeps an
    idempotency key for a day, test doubles not at all, so a run after a crash looks first."""
    listed = client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100})
    for refund in listed.to_dict().get("data") or []:
        if (refund.get("metadata") or {}).get("refund_id") == str(refund_id):
            return refund
    return None


def _note_error(refund_id: uuid.UUID, message: str) -> None:
    with unit_of_work():
        db.session.get(Refund, refund_id).last_error = message


def _record(refund_id: uuid.UUID, answer, failure: str | None) -> str:
    """Stripe's answer on the refund and its order, once (only from pending)."""
    with unit_of_work():
        refund = db.session.scalars(
            select(Refund).where(Refund.id == refund_id).with_for_update()
        ).one()
        if refund.status != "pending":
            return refund.status
        if answer is not None:
            refund.stripe_refund_id = answer["id"]
        status = answer.get("status") if answer is not None else "failed"
        if status in ("pending", "requires_action"):
            raise_later = "Stripe has the refund pending; asking again later"
            refund.last_error = None
        elif status == "succeeded":
            refund.status, refund.last_error = "succeeded", None
            refund.settled_at = datetime.datetime.now(datetime.UTC)
            order = db.session.scalars(
                select(Order).where(Order.id == refund.order_id).with_for_update()
            ).one()
            order.amount_refunded += refund.amount
            full = order.amount_refunded >= order.total_amount
            order.payment_status = "refunded" if full else "partially_refunded"
            order.analytics_pending = True  # sales count money net of refunds
            raise_later = None
        else:
            refund.status = "failed"
            refund.last_error = failure or f"Stripe answered {status}"
            log.warning("refund %s failed: %s", refund_id, refund.last_error)
            raise_later = None
        result = refund.status
    if raise_later:
        raise RetryLater(raise_later)
    return result
