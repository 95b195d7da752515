"""An order's back-office page (issue 27): the order, its payment and its refunds, a manager's
partial refund and cancel, against localstripe and the real job engine."""

import re
import uuid

from sqlalchemy import text

from omniorder.settings.document import update_settings
from tests.support.choices import bound
from tests.support.jobs import run_queue
from tests.support.localstripe import CARD_DECLINED, CARD_OK
from tests.support.orders import cancel, insert_orders, place_fries
from tests.support.payments import card, pay, place, stored_order, take_payments
from tests.support.staff import signed_in


def paid_order(app, client, tenant, localstripe, **fields) -> dict:
    order = place(client, app, tenant, **fields).json
    assert pay(client, tenant, order["id"], card(localstripe, CARD_OK)).status_code == 200
    return order


def refund_rows(page: str) -> list[list[str]]:
    """The refund history's rows, each its cells' text."""
    rows = re.findall(r"<tr data-refund=[^>]*>(.*?)</tr>", page, re.S)
    return [
        [
            re.sub(r"<[^>]+>|\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def refund_count(db_connection, tenant) -> int:
    count = db_connection.scalar(text(f'SELECT count(*) FROM "{tenant.schema_name}".refunds'))  # noqa: S608
    db_connection.rollback()
    return count


def page_of(staff, order):
    return staff.get(f"/admin/orders/{order['id']}")


def test_the_page_shows_the_order_and_a_partial_refund_through_the_job(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe)
    order = paid_order(app, client, tenant, localstripe, phone="+1 555 0100", note="no salt")
    manager = signed_in(app, tenant, "manager")

    history = manager.get("/admin/orders").text
    assert f'href="/admin/orders/{order["id"]}"' in history
    row = history.split(f'data-number="{order["number"]}"')[1].split("</tr>")[0]
    assert "Paid online" in row

    page = page_of(manager, order)
    assert page.status_code == 200
    assert re.search(r"<td>2×</td>\s*<td>Fries", page.text)
    for shown in (
        f"Order #{order['number']}",
        "Ann",
        "ann@example.com",
        "+1 555 0100",
        "Order note: no salt",
        'Total</th><td id="order-total">$9.00',
        "Paid online",
        "$9.00 paid online by card.",
        "Amount (at most 9.00, what is left)",
        "Cancel and refund $9.00",
    ):
        assert shown in page.text, shown
    assert refund_rows(page.text) == []

    asked = manager.post(
        f"/admin/orders/{order['id']}/refund", {"amount": "2.50", "reason": "cold fries"}
    )
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith(f"/admin/orders/{order['id']}")
    page = manager.get(asked.headers["Location"]).text
    assert "Refund of $2.50 asked" in page
    [row] = refund_rows(page)
    assert row[1:5] == ["$2.50", "cold fries", manager_email(page), "Pending"]

    run_queue(app, "payments")

    page = page_of(manager, order).text
    [row] = refund_rows(page)
    assert row[1:4] == ["$2.50", "cold fries", manager_email(page)]
    assert row[4].startswith("Refunded") and row[5] == ""
    assert "Partly refunded" in page and 'id="amount-refunded">$2.50' in page
    assert "Amount (at most 6.50, what is left)" in page
    assert "Partly refunded" in manager.get("/admin/orders").text
    stored = stored_order(app, tenant, order["id"])
    assert (stored.payment_status, stored.amount_refunded) == ("partially_refunded", 250)
    stripe_refunds = localstripe.client().v1.refunds.list(
        {"payment_intent": stored.payment_intent_id}
    )
    assert [refund.amount for refund in stripe_refunds.data] == [250]


def manager_email(page: str) -> str:
    """The signed-in staff member's address, from the navigation's "Log out …" button."""
    return re.search(r"Log out ([^<\s]+)", page).group(1)


def test_a_refund_over_what_is_left_is_422_with_the_message_and_writes_nothing(
    app, client, tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe)
    order = paid_order(app, client, tenant, localstripe)
    manager = signed_in(app, tenant, "manager")
    assert (
        manager.post(
            f"/admin/orders/{order['id']}/refund", {"amount": "5.00", "reason": "late"}
        ).status_code
        == 303
    )

    for amount in ("4.01", "9.00", "1,000,000.00"):
        refused = manager.post(
            f"/admin/orders/{order['id']}/refund", {"amount": amount, "reason": "again"}
        )
        assert refused.status_code == 422, amount
        assert "at most 4.00 (what is left)" in refused.text
        assert f'value="{amount}"' in refused.text  # what was typed, to correct
        assert refund_count(db_connection, tenant) == 1

    for fields, status, says in (
        ({"amount": "1.00", "reason": " "}, 400, "reason: is required"),
        ({"amount": "1.00", "reason": "Nul\x00led"}, 400, "control characters"),
        ({"amount": "1.00", "reason": "x" * 201}, 400, "at most 200 characters"),
        ({"amount": "abc", "reason": "late"}, 400, "must be an amount such as 12.50"),
        ({"amount": "0", "reason": "late"}, 422, "more than 0"),
        ({"amount": "1.005", "reason": "late"}, 400, "at most 2 decimals"),
        ({"amount": "1e999999999", "reason": "late"}, 400, "amount: must be at most"),
        ({"amount": "9" * 40, "reason": "late"}, 400, "amount: must be at most"),
    ):
        refused = manager.post(f"/admin/orders/{order['id']}/refund", fields)
        assert refused.status_code == status, fields
        assert says in refused.text, fields
        assert refund_count(db_connection, tenant) == 1

    without_token = manager.post(
        f"/admin/orders/{order['id']}/refund", {"amount": "1.00", "reason": "x"}, csrf=False
    )
    assert without_token.status_code == 400
    assert refund_count(db_connection, tenant) == 1


def test_the_kitchen_gets_403_and_another_restaurants_order_is_404(
    app, client, tenant, make_tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe)
    order = paid_order(app, client, tenant, localstripe)
    cook = signed_in(app, tenant, "kitchen")
    assert page_of(cook, order).status_code == 403
    for action, fields in (
        ("refund", {"amount": "1.00", "reason": "x"}),
        ("cancel", {"reason": "x"}),
    ):
        assert cook.post(f"/admin/orders/{order['id']}/{action}", fields).status_code == 403

    other = make_tenant(name="Other Kitchen")
    elsewhere = signed_in(app, other, "admin")
    assert page_of(elsewhere, order).status_code == 404
    assert elsewhere.get(f"/admin/orders/{uuid.uuid4()}").status_code == 404
    assert elsewhere.get("/admin/orders/not-a-uuid").status_code == 404
    for action, fields in (
        ("refund", {"amount": "1.00", "reason": "x"}),
        ("cancel", {"reason": "x"}),
    ):
        answer = elsewhere.post(f"/admin/orders/{order['id']}/{action}", fields)
        assert answer.status_code == 404, action
    assert refund_count(db_connection, tenant) == 0
    assert stored_order(app, tenant, order["id"]).status == "PENDING"


def test_the_cancel_from_the_page_refunds_what_is_left(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe)
    order = paid_order(app, client, tenant, localstripe)
    manager = signed_in(app, tenant, "manager")
    manager.post(f"/admin/orders/{order['id']}/refund", {"amount": "1.00", "reason": "no sauce"})
    run_queue(app, "payments")

    missing = manager.post(f"/admin/orders/{order['id']}/cancel", {"reason": ""})
    assert missing.status_code == 400 and "reason: is required" in missing.text
    assert stored_order(app, tenant, order["id"]).status == "PENDING"

    page = page_of(manager, order).text
    assert "Cancel and refund $8.00" in page
    cancelled = manager.post(f"/admin/orders/{order['id']}/cancel", {"reason": "Fryer broke"})
    assert cancelled.status_code == 303
    page = manager.get(cancelled.headers["Location"]).text
    assert "Order cancelled; what was paid is being refunded." in page
    assert 'id="cancel-form"' not in page and 'id="refund-form"' not in page
    rows = refund_rows(page)
    assert [row[1:5] for row in rows][1] == [
        "$8.00",
        "order cancelled: Fryer broke",
        manager_email(page),
        "Pending",
    ]

    run_queue(app, "payments")
    page = page_of(manager, order).text
    assert [row[4].split()[0] for row in refund_rows(page)] == ["Refunded", "Refunded"]
    assert "Reason: Fryer broke" in page and 'id="amount-refunded">$9.00' in page
    history = manager.get("/admin/orders").text
    row = history.split(f'data-number="{order["number"]}"')[1].split("</tr>")[0]
    assert "Refunded" in row and "Cancelled" in row
    stored = stored_order(app, tenant, order["id"])
    assert (stored.status, stored.payment_status, stored.amount_refunded) == (
        "CANCELLED",
        "refunded",
        900,
    )
    intent_refunds = localstripe.client().v1.refunds.list(
        {"payment_intent": stored.payment_intent_id}
    )
    assert sorted(refund.amount for refund in intent_refunds.data) == [100, 800]

    again = manager.post(f"/admin/orders/{order['id']}/cancel", {"reason": "twice"})
    assert again.status_code == 409 and "This order was cancelled." in again.text


def test_a_manager_cancels_a_done_order_from_the_page(app, client, tenant, db_connection):
    [order_id] = insert_orders(db_connection, tenant, ["Dora"], status="DONE")
    db_connection.commit()
    manager = signed_in(app, tenant, "manager")
    cancelled = manager.post(f"/admin/orders/{order_id}/cancel", {"reason": "Never came"})
    assert cancelled.status_code == 303
    page = manager.get(f"/admin/orders/{order_id}").text
    assert "Order cancelled." in page and "Reason: Never came" in page
    assert refund_rows(page) == []


def test_a_counter_order_has_no_refund_form_and_cannot_be_refunded(
    app, client, tenant, localstripe, db_connection
):
    take_payments(app, tenant, localstripe, online="optional")
    order_id = place_fries(app, client, tenant)
    manager = signed_in(app, tenant, "manager")
    page = manager.get(f"/admin/orders/{order_id}").text
    assert "At counter" in page and "The customer pays $13.50 at pickup." in page
    assert 'id="refund-form"' not in page
    assert "Cancel order" in page and 'id="cancel-form"' in page
    refused = manager.post(f"/admin/orders/{order_id}/refund", {"amount": "1.00", "reason": "x"})
    assert refused.status_code == 409 and "Only an order paid online" in refused.text
    assert refund_count(db_connection, tenant) == 0
    assert "At counter" in manager.get("/admin/orders").text


def test_an_order_awaiting_payment_shows_the_last_decline(app, client, tenant, localstripe):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant).json
    declined = pay(client, tenant, order["id"], card(localstripe, CARD_DECLINED))
    assert declined.status_code == 402
    manager = signed_in(app, tenant, "manager")
    page = page_of(manager, order).text
    assert "Awaiting payment" in page
    assert re.search(r'id="payment-error">Last attempt declined: \w', page)
    assert 'id="refund-form"' not in page
    assert "Awaiting payment" in manager.get("/admin/orders").text
    cancel(app, tenant, order["id"], role="manager")  # nothing was paid: nothing to refund
    page = page_of(manager, order).text
    assert "Not paid" in page and refund_rows(page) == []


def test_a_failed_refund_shows_why_and_its_amount_may_be_asked_again(
    app, client, tenant, localstripe
):
    take_payments(app, tenant, localstripe)
    order = paid_order(app, client, tenant, localstripe)
    manager = signed_in(app, tenant, "manager")
    manager.post(f"/admin/orders/{order['id']}/refund", {"amount": "3.00", "reason": "late"})
    # the restaurant switches online payment off and removes its secret key before the job runs
    with bound(app, tenant):
        update_settings({"payments": {"online": "off", "stripe": {"secret_key": None}}})
    run_queue(app, "payments")

    page = page_of(manager, order).text
    [row] = refund_rows(page)
    assert row[1:5] == ["$3.00", "late", manager_email(page), "Failed"]
    assert "refund by hand" in row[5]
    assert "Paid online" in page and 'id="amount-refunded"' not in page
    assert "Amount (at most 9.00, what is left)" in page  # a failed refund gave nothing back
