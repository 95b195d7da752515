"""Online payments end to end against localstripe (a real Stripe test double, its own process):
the checkout's PaymentIntent, paying by card (success, decline, 3-D Secure), the signed
webhook, a lost webhook recovered, an abandoned payment expired, refunds."""

import os
import signal
import time
import uuid

import pytest
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text

from omniorder.cache.changes import change_feed, stop_change_feed
from omniorder.core.database import db
from omniorder.kitchen.board import board
from omniorder.payments import refunds
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.jobs import flask_worker, run_queue
from tests.support.localstripe import CARD_3DS, CARD_DECLINED, CARD_OK
from tests.support.mail import wait_until
from tests.support.orders import cancel
from tests.support.payments import (
    StripeWebhooks,
    card,
    pay,
    place,
    stored_order,
    take_payments,
)


def board_numbers(app, tenant) -> list[int]:
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        shown = board()
        return [order.number for column in shown.columns.values() for order in column]


def notifications(db_connection, tenant, order_id) -> list[tuple]:
    return db_connection.execute(
        text(
            f'SELECT event, channel FROM "{tenant.schema_name}".notifications '  # noqa: S608
            "WHERE order_id = :id ORDER BY event, channel"
        ),
        {"id": order_id},
    ).all()


def backdate(db_connection, tenant, order_id, minutes: int) -> None:
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".orders '  # noqa: S608
            "SET created_at = now() - make_interval(mins => :m) WHERE id = :id"
        ),
        {"m": minutes, "id": order_id},
    )
    db_connection.commit()


def test_a_restaurant_without_online_payment_takes_orders_paid_at_the_counter(app, client, tenant):
    refused = place(client, app, tenant, payment="online")
    assert refused.status_code == 409
    assert "counter only" in refused.json["error"]

    placed = place(client, app, tenant)
    assert placed.status_code == 201
    assert placed.json["payment_status"] == "counter"
    assert "payment" not in placed.json


def test_required_online_payment_answers_the_orders_payment_intent(
    app, client, tenant, localstripe, db_connection
):
    account = take_payments(app, tenant, localstripe, online="required")
    refused = place(client, app, tenant, payment="counter")
    assert refused.status_code == 409
    assert "online only" in refused.json["error"]

    placed = place(client, app, tenant, key="checkout-1")
    assert placed.status_code == 201, placed.json
    order, payment = placed.json, placed.json["payment"]
    assert order["payment_status"] == "requires_payment"
    assert order["ready_at"] is None  # promised once paid
    assert payment["publishable_key"] == account.publishable_key
    assert (payment["amount"], payment["currency"]) == (order["total_amount"], "USD")
    intent_id = payment["client_secret"].split("_secret_")[0]
    intent = localstripe.client().v1.payment_intents.retrieve(intent_id)
    assert intent.amount == order["total_amount"]
    assert intent.metadata.to_dict() == {"schema": tenant.schema_name, "order_id": order["id"]}

    # not on the board, no receipt yet
    assert order["number"] not in board_numbers(app, tenant)
    assert notifications(db_connection, tenant, order["id"]) == []

    # a retried checkout (same Idempotency-Key) gets the same order and PaymentIntent
    again = place(client, app, tenant, key="checkout-1")
    assert again.status_code == 200
    assert again.json["id"] == order["id"]
    assert again.json["payment"]["client_secret"] == payment["client_secret"]


def test_optional_online_payment_is_the_customers_choice(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe, online="optional")
    assert place(client, app, tenant).json["payment_status"] == "counter"
    online = place(client, app, tenant, payment="online")
    assert online.status_code == 201
    assert online.json["payment_status"] == "requires_payment"
    assert place(client, app, tenant, payment="cash").status_code == 400


def test_a_card_payment_puts_the_order_on_the_board_once_with_its_receipt(
    app, client, tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant).json

    paid = pay(client, tenant, order["id"], card(localstripe, CARD_OK))
    assert paid.status_code == 200, paid.json
    assert paid.json["payment"] == {"status": "succeeded"}
    assert paid.json["payment_status"] == "paid"
    assert paid.json["status"] == "PENDING"
    assert paid.json["ready_at"] is not None
    assert board_numbers(app, tenant).count(order["number"]) == 1
    assert notifications(db_connection, tenant, order["id"]) == [("order.created", "email")]

    # paying again changes nothing and charges nothing
    again = pay(client, tenant, order["id"], card(localstripe, CARD_OK))
    assert again.status_code == 200
    assert board_numbers(app, tenant).count(order["number"]) == 1
    assert notifications(db_connection, tenant, order["id"]) == [("order.created", "email")]


def test_a_declined_card_says_why_and_another_card_may_pay(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant).json

    declined = pay(client, tenant, order["id"], card(localstripe, CARD_DECLINED))
    assert declined.status_code == 402
    assert "declined" in declined.json["error"]
    page = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json
    assert page["payment_status"] == "requires_payment"
    assert "declined" in page["payment_error"]
    assert order["number"] not in board_numbers(app, tenant)

    paid = pay(client, tenant, order["id"], card(localstripe, CARD_OK))
    assert paid.status_code == 200, paid.json
    assert paid.json["payment_status"] == "paid"
    assert paid.json["payment_error"] is None


def test_a_card_asking_for_3d_secure_is_paid_once_authenticated(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant).json

    asked = pay(client, tenant, order["id"], card(localstripe, CARD_3DS))
    assert asked.status_code == 200, asked.json
    assert asked.json["payment"]["status"] == "requires_action"
    assert asked.json["payment_status"] == "requires_payment"
    secret = asked.json["payment"]["client_secret"]
    intent = localstripe.client().v1.payment_intents.retrieve(secret.split("_secret_")[0])

    localstripe.authenticate(intent, success=True)  # what Stripe.js does in the browser
    refreshed = client.post(
        f"/api/v1/orders/{order['id']}/payment/refresh", headers={"Host": tenant.domain}
    )
    assert refreshed.status_code == 200
    assert refreshed.json["payment_status"] == "paid"
    assert order["number"] in board_numbers(app, tenant)


def _paid_elsewhere(localstripe, order) -> str:
    """The customer's payment as Stripe sees it, without our server hearing of it."""
    client = localstripe.client()
    intent_id = order["payment"]["client_secret"].split("_secret_")[0]
    method = card(localstripe, CARD_OK)
    client.v1.payment_intents.update(intent_id, {"payment_method": method})
    client.v1.payment_intents.confirm(intent_id)
    return intent_id


def test_the_signed_webhook_pays_the_order_once(app, client, tenant, localstripe, db_connection):
    account = take_payments(app, tenant, localstripe)
    hooks = StripeWebhooks(localstripe, account)
    try:
        order = place(client, app, tenant).json
        intent_id = _paid_elsewhere(localstripe, order)
        [delivery] = hooks.wait_for(intent_id)

        first = StripeWebhooks.relay(client, tenant.domain, delivery)
        assert first.status_code == 200, first.json
        assert first.json == {"received": "applied"}
        assert stored_order(app, tenant, order["id"]).payment_status == "paid"

        replayed = StripeWebhooks.relay(client, tenant.domain, delivery)
        assert replayed.json == {"received": "duplicate"}
        assert board_numbers(app, tenant).count(order["number"]) == 1
        assert notifications(db_connection, tenant, order["id"]) == [("order.created", "email")]
    finally:
        hooks.stop()


def test_forged_tampered_and_foreign_webhooks_change_nothing(
    app, client, tenant, make_tenant, localstripe
):
    account = take_payments(app, tenant, localstripe)
    other = make_tenant("Other Kitchen")
    other_account = take_payments(app, other, localstripe)
    hooks, other_hooks = (
        StripeWebhooks(localstripe, account),
        StripeWebhooks(localstripe, other_account),
    )
    try:
        order = place(client, app, tenant).json
        intent_id = _paid_elsewhere(localstripe, order)
        [delivery] = hooks.wait_for(intent_id)
        [foreign] = other_hooks.wait_for(intent_id)  # every event goes to every endpoint

        tampered = delivery["body"].replace(b'"succeeded"', b'"succeeded" ', 1)
        assert StripeWebhooks.relay(client, tenant.domain, delivery, tampered).status_code == 400
        unsigned = {**delivery, "headers": {"Stripe-Signature": "t=1,v1=00"}}
        assert StripeWebhooks.relay(client, tenant.domain, unsigned).status_code == 400
        # signed for this restaurant, sent to the other one's host: its signature fails there
        assert StripeWebhooks.relay(client, other.domain, delivery).status_code == 400
        # signed for the other restaurant, about this one's payment: no order of its own
        ignored = StripeWebhooks.relay(client, other.domain, foreign)
        assert ignored.status_code == 200
        assert ignored.json == {"received": "ignored"}
        assert stored_order(app, tenant, order["id"]).payment_status == "requires_payment"
    finally:
        hooks.stop()
        other_hooks.stop()


def test_a_lost_webhook_is_recovered_when_the_customer_comes_back(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant).json
    _paid_elsewhere(localstripe, order)

    refreshed = client.post(
        f"/api/v1/orders/{order['id']}/payment/refresh", headers={"Host": tenant.domain}
    )
    assert refreshed.status_code == 200
    assert refreshed.json["payment_status"] == "paid"
    assert board_numbers(app, tenant).count(order["number"]) == 1


def _sweep(app) -> None:
    """The periodic sweep as a worker runs it, then the per-restaurant jobs it deferred."""
    from omniorder.jobs.engine import queue, use_flask_app

    use_flask_app(app)
    with app.app_context():
        connection = db.session.connection().connection.driver_connection
        try:
            queue.configure_task("payments_sweep", connection=connection).defer(timestamp=0)
        except AlreadyEnqueued:  # a periodic run waits already: it does the same
            db.session.rollback()
        db.session.commit()
    run_queue(app, "default")
    run_queue(app, "payments")


def test_the_sweep_recovers_a_lost_webhook_and_expires_an_abandoned_payment(
    app, client, tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe)
    paid = place(client, app, tenant).json
    abandoned = place(client, app, tenant).json
    fresh = place(client, app, tenant).json
    _paid_elsewhere(localstripe, paid)
    backdate(db_connection, tenant, paid["id"], 2)
    backdate(db_connection, tenant, abandoned["id"], 16)

    _sweep(app)

    assert stored_order(app, tenant, paid["id"]).payment_status == "paid"
    expired = stored_order(app, tenant, abandoned["id"])
    assert (expired.status, expired.cancel_reason) == ("CANCELLED", "payment not completed")
    intent = localstripe.client().v1.payment_intents.retrieve(expired.payment_intent_id)
    assert intent.status == "canceled"
    waiting = stored_order(app, tenant, fresh["id"])  # its customer is still paying
    assert (waiting.status, waiting.payment_status) == ("PENDING", "requires_payment")
    assert pay(client, tenant, abandoned["id"], card(localstripe, CARD_OK)).status_code == 409


def _paid_order(app, client, tenant, localstripe) -> dict:
    order = place(client, app, tenant).json
    assert pay(client, tenant, order["id"], card(localstripe, CARD_OK)).status_code == 200
    return order


def test_a_cancelled_paid_order_is_refunded_in_full_once_across_a_killed_worker(
    app, client, tenant, localstripe, db_connection, database_url
):
    take_payments(app, tenant, localstripe)
    order = _paid_order(app, client, tenant, localstripe)
    cancel(app, tenant, order["id"])
    [refund_id] = db_connection.execute(
        text(f'SELECT id FROM "{tenant.schema_name}".refunds WHERE order_id = :o'),  # noqa: S608
        {"o": order["id"]},
    ).scalars()
    intent_id = stored_order(app, tenant, order["id"]).payment_intent_id

    # The worker refunds at Stripe, then waits for the order's row to record it: killed there.
    db_connection.execute(
        text(f'SELECT 1 FROM "{tenant.schema_name}".orders WHERE id = :o FOR UPDATE'),  # noqa: S608
        {"o": order["id"]},
    )
    worker = flask_worker(
        database_url,
        ["--queue", "payments"],
        OMNIORDER_STRIPE_API_BASE=localstripe.base,
        OMNIORDER_ENCRYPTION_KEYS=app.config["OMNIORDER_ENCRYPTION_KEYS"],
        SECRET_KEY=app.config["SECRET_KEY"],
    )

    def stripe_refunds():
        return localstripe.client().v1.refunds.list({"payment_intent": intent_id}).data

    try:
        assert wait_until(lambda: len(stripe_refunds()) == 1, 30), "the worker did not refund"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        db_connection.rollback()
    assert stored_order(app, tenant, order["id"]).payment_status == "paid"  # not recorded

    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        assert refunds.send_refund(refund_id) == "succeeded"  # the job, run again
        assert refunds.send_refund(refund_id) == "succeeded"  # and once more: nothing new

    assert len(stripe_refunds()) == 1
    stored = stored_order(app, tenant, order["id"])
    assert (stored.payment_status, stored.amount_refunded) == ("refunded", order["total_amount"])


def test_a_manager_refunds_part_of_an_order_never_more_than_is_left(
    app, client, tenant, localstripe
):
    from omniorder.core.errors import BrokenRule
    from omniorder.core.unit_of_work import unit_of_work

    take_payments(app, tenant, localstripe)
    order = _paid_order(app, client, tenant, localstripe)
    total = order["total_amount"]
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            refund = refunds.refund_part(order["id"], "1.00", "cold fries", "manager@example.com")
            assert (refund.amount, refund.status) == (100, "pending")
        with pytest.raises(BrokenRule, match="at most"), unit_of_work():
            refunds.refund_part(order["id"], f"{total / 100:.2f}", "all of it", "m@example.com")
    run_queue(app, "payments")
    stored = stored_order(app, tenant, order["id"])
    assert (stored.payment_status, stored.amount_refunded) == ("partially_refunded", 100)

    # cancelling it now refunds what is left, not the whole charge again
    cancel(app, tenant, order["id"])
    run_queue(app, "payments")
    stored = stored_order(app, tenant, order["id"])
    assert (stored.payment_status, stored.amount_refunded) == ("refunded", total)
    intent_refunds = (
        localstripe.client().v1.refunds.list({"payment_intent": stored.payment_intent_id}).data
    )
    assert sorted(r.amount for r in intent_refunds) == sorted([100, total - 100])


def test_payment_calls_for_unknown_or_counter_orders_are_clear_errors(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe, online="optional")
    counter = place(client, app, tenant).json
    host = {"Host": tenant.domain}
    assert (
        client.post(f"/api/v1/orders/{uuid.uuid4()}/payment/refresh", headers=host).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/orders/{counter['id']}/payment/refresh", headers=host).status_code
        == 409
    )
    online = place(client, app, tenant, payment="online").json
    for bad in (None, 12, "4242424242424242", "pm_" + "x" * 300, "pm_<script>"):
        answer = pay(client, tenant, online["id"], bad)
        assert answer.status_code == 400, bad
        assert "payment_method" in answer.json["error"]


def test_a_warm_online_order_costs_one_payment_intent_call_and_nothing_else(
    database_url, tenant, localstripe
):
    """The same work as a counter order (BEGIN, the one INSERT, COMMIT) plus the PaymentIntent
    asked before the transaction began: the order is inserted with it."""
    from tests.ordering.test_write_path import order_json, post
    from tests.support.app import make_app
    from tests.support.wire import traced

    app = make_app(database_url, OMNIORDER_PUSH_INVALIDATION=True)
    try:
        assert wait_until(lambda: change_feed(app).healthy, 5)
        take_payments(app, tenant, localstripe, online="optional")
        time.sleep(0.1)  # the settings' change heard before the price list is filled
        client = app.test_client()
        body = order_json(app, tenant)
        assert post(client, tenant, body).status_code == 201  # fills the worker's price list
        with traced(app) as counter_wire:
            assert post(client, tenant, {**body, "customer_name": "Bea"}).status_code == 201
        calls_before = _stripe_calls(localstripe)
        with traced(app) as online_wire:
            placed = post(client, tenant, {**body, "customer_name": "Cy", "payment": "online"})
        assert placed.status_code == 201, placed.json
        assert _stripe_calls(localstripe)[len(calls_before) :] == ["POST /v1/payment_intents"]
        assert len(online_wire.statements) == len(counter_wire.statements) == 1
        assert online_wire.sent == ["BEGIN", online_wire.sent[1], "COMMIT"]
        assert "payment_intent_id" in online_wire.statements[0]
    finally:
        stop_change_feed(app)
        with app.app_context():
            db.engine.dispose()


def _stripe_calls(localstripe) -> list[str]:
    """The API calls localstripe has logged (its access log), oldest first."""
    with open(localstripe.log) as log:
        return [
            " ".join(line.split('"')[1].split()[:2]).split("?")[0]
            for line in log
            if '"' in line and " /v1/" in line
        ]
