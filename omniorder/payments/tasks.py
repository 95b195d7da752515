"""The payments' jobs: refunds, and the sweep that settles payments nobody told us about.

- ``send_refund``: one refund asked of Stripe (payments/refunds.py), retried with backoff.
- ``payments-sweep`` (every minute): finds the restaurants with orders awaiting payment for
  more than a minute (one query per 1,000 restaurants, through a partial index) and defers one
  ``settle_payments`` job per restaurant, with a queueing lock per restaurant: a restaurant with
  many unpaid orders fills one job at a time, so it never starves the others' in the shared
  queue. Each job settles at most `SETTLED_PER_RUN` orders: a lost webhook is recovered within
  about a minute (`PaymentIntent` retrieved, paid applied once), an abandoned payment is cancelled
  after `online.PAYMENT_WINDOW`, which frees its pickup slot.
"""

import datetime
import logging

import stripe
from procrastinate import BaseRetryStrategy, RetryDecision
from sqlalchemy import func, select, update

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.jobs.engine import defer, periodic_task, tenant_task
from omniorder.ordering.models import AWAITING_PAYMENT, Order
from omniorder.payments import online, refunds
from omniorder.payments.gateway import client_for
from omniorder.settings.document import current_settings
from omniorder.settings.payments import stripe_keys
from omniorder.tenancy.fanout import tenants_named, tenants_with_orders

log = logging.getLogger(__name__)

SETTLED_PER_RUN = 50
SETTLE_AFTER = datetime.timedelta(minutes=1)  # the webhook's turn first
FIRST_WAIT, LONGEST_WAIT = 30, 3600


class RefundBackoff(BaseRetryStrategy):
    """30 s, then doubling, at most an hour apart; the task itself gives up (marks the refund
    failed, for the back office) after `refunds.MAX_ATTEMPTS`."""

    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if job.attempts + 1 >= refunds.MAX_ATTEMPTS * 2:
            return None
        return RetryDecision(retry_in={"seconds": min(FIRST_WAIT * 2**job.attempts, LONGEST_WAIT)})


@tenant_task(name="send_refund", queue="payments", retry=RefundBackoff(), own_transactions=True)
def send_refund(refund_id: str) -> str:
    return refunds.send_refund(refund_id)


def tenants_awaiting_payment(tenants) -> list:
    """The restaurants with an order awaiting payment since before a minute ago."""
    return tenants_with_orders(
        db.engine,
        tenants,
        f"payment_status = '{AWAITING_PAYMENT}' AND status <> 'CANCELLED' "
        "AND created_at < now() - interval '1 minute'",
    )


@periodic_task(
    "payments-sweep",
    "OMNIORDER_PAYMENTS_SWEEP_CRON",
    "* * * * *",
    "settle online payments no webhook reported; cancel those unpaid after 15 minutes",
)
def payments_sweep(timestamp: int) -> int:
    waiting = tenants_awaiting_payment(tenants_named())
    for tenant in waiting:  # one waiting job per restaurant at most
        defer("settle_payments", f"settle-payments-{tenant.id}", tenant_id=str(tenant.id))
    return len(waiting)


@tenant_task(name="settle_payments", queue="payments", own_transactions=True)
def settle_payments() -> dict:
    """Settle this restaurant's oldest orders awaiting payment (module docstring)."""
    with unit_of_work():
        waiting = db.session.execute(
            select(Order.id, Order.payment_intent_id, Order.created_at)
            .where(
                Order.payment_status == AWAITING_PAYMENT,
                Order.status != "CANCELLED",
                Order.created_at < func.now() - SETTLE_AFTER,
            )
            .order_by(Order.created_at)
            .limit(SETTLED_PER_RUN)
        ).all()
        keys = stripe_keys(current_settings())
        now = db.session.scalar(select(func.now()))
    outcome = {"paid": 0, "expired": 0, "waiting": 0}
    client = client_for(keys) if keys is not None else None
    for order_id, intent_id, created_at in waiting:
        expired = now - created_at > online.PAYMENT_WINDOW
        intent = None
        if client is not None and intent_id is not None:
            try:
                intent = client.v1.payment_intents.retrieve(intent_id).to_dict()
                if intent.get("status") != "succeeded" and expired:
                    if intent.get("status") not in ("canceled", "processing"):
                        intent = client.v1.payment_intents.cancel(intent_id).to_dict()
            except stripe.InvalidRequestError as error:  # succeeded meanwhile, or gone
                log.info("payment %s: %s", intent_id, error.user_message)
                intent = _retrieve_quietly(client, intent_id)
            except stripe.StripeError as error:
                log.warning("payment %s not settled now: %s", intent_id, error.user_message)
                outcome["waiting"] += 1
                continue
        with unit_of_work():
            if intent is not None:
                order = online.apply_intent(intent)
                if order is not None and order.payment_status != AWAITING_PAYMENT:
                    outcome["paid"] += 1
                    continue
            if expired and (intent is None or intent.get("status") == "canceled"):
                outcome["expired"] += expire_order(order_id)
            else:
                outcome["waiting"] += 1
    return outcome


def _retrieve_quietly(client, intent_id):
    try:
        return client.v1.payment_intents.retrieve(intent_id).to_dict()
    except stripe.StripeError:
        return None


def expire_order(order_id) -> int:
    """Cancel an order still awaiting its payment (its PaymentIntent cancelled first): its
    slot is free again. It was never on the board nor announced, so nobody is told."""
    return db.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.payment_status == AWAITING_PAYMENT)
        .where(Order.status != "CANCELLED")
        .values(
            status="CANCELLED",
            cancel_reason=online.NOT_COMPLETED,
            status_changed_at=func.now(),
            analytics_pending=True,
        )
    ).rowcount
