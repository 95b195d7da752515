"""The customer's e-mails end to end, on real PostgreSQL and a real SMTP server on loopback
(aiosmtpd): the receipt, "ready" and "cancelled"; nothing for a rolled-back order; an outage
delivers later, once; a worker killed mid-send delivers exactly one message after restart;
a job never reaches another restaurant; without a server, .eml files in instance/outbox.

Mail jobs run in this process (`run_queue`: a worker that stops when the "mail" queue has
nothing due) except in the crash test, which kills a real `flask worker`.
"""

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest
from sqlalchemy import select, text

from omniorder.core.database import db
from omniorder.core.errors import Conflict
from omniorder.jobs.engine import defer_for_tenant
from omniorder.kitchen.board import advance_order, cancel_order, recall_order
from omniorder.notifications.mail import message_id, outbox_name, smtp_server
from omniorder.notifications.mail_tasks import MAX_ATTEMPTS, retry_wait
from omniorder.notifications.models import Notification
from omniorder.ordering.checkout import place_order
from omniorder.ordering.order_input import Contact, OrderLine
from tests.support.app import running_app
from tests.support.choices import add_pizza, bound, set_settings
from tests.support.jobs import flask_worker, run_queue
from tests.support.languages import translated
from tests.support.localstripe import CARD_OK
from tests.support.mail import fries_order, post_order, wait_until
from tests.support.payments import card, pay, place, take_payments
from tests.support.staff import signed_in
from tests.support.storefront import Customer, change_item, menu, order_count


@pytest.fixture
def app(database_url, inbox):
    """The app with its mail going to the test's SMTP server."""
    with running_app(database_url, OMNIORDER_SMTP_URL=inbox.url) as app:
        yield app


# --- helpers --------------------------------------------------------------------------------


def notifications_of(app, tenant, order_id=None) -> list[Notification]:
    with bound(app, tenant):
        query = select(Notification).order_by(Notification.created_at, Notification.event)
        if order_id is not None:
            query = query.where(Notification.order_id == uuid.UUID(str(order_id)))
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
    return rows


def mail_jobs(connection, tenant) -> list[tuple]:
    return connection.execute(
        text(
            "SELECT id, status::text, attempts, scheduled_at FROM procrastinate_jobs "
            "WHERE task_name = 'send_email' AND args->>'tenant_id' = :t ORDER BY id"
        ),
        {"t": str(tenant.id)},
    ).all()


def plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


# --- the messages ---------------------------------------------------------------------------


def test_an_order_with_an_email_gets_one_receipt_with_lines_totals_time_and_link(
    app, client, tenant, inbox
):
    pizza = add_pizza(app, tenant)
    set_settings(app, tenant, tax={"rate_bp": 1000, "inclusive": False}, tips={"enabled": True})
    placed = post_order(
        client,
        tenant,
        customer_name="Ada <b>Lovelace</b>",
        email="Ada@Bücher.example",
        phone="+49 30 1234567",
        items=[
            {
                "menu_item_id": str(pizza.id),
                "quantity": 2,
                "options": [str(pizza.options["Large"]), str(pizza.options["Basil"])],
                "note": "well done",
            }
        ],
        note="at the <door>",
        tip={"amount": 300},
    )
    assert placed.status_code == 201, placed.json
    order = placed.json
    assert "email" not in order and "phone" not in order  # GET by id is public
    silent = post_order(client, tenant, **fries_order(app, tenant, customer_name="Bo"))
    assert silent.status_code == 201

    run_queue(app, "mail")

    assert len(inbox.messages) == 1  # Bo gave no address: nothing for him
    receipt = inbox.messages[0]
    assert receipt["To"].addresses[0].addr_spec == "Ada@xn--bcher-kva.example"
    assert receipt["From"].addresses[0].display_name == "Test Kitchen"
    assert receipt["Subject"] == f"Your order #{order['number']} at Test Kitchen"
    key = f"{order['id']}:order.created:email"
    assert receipt["Message-ID"] == message_id(key)
    body = plain(receipt)
    for expected in (
        "Hello Ada <b>Lovelace</b>,",  # text/plain: shown as typed, never interpreted
        f"Order #{order['number']}",
        "2 × Margherita  $29.00",  # (11.00 + 3.00 + 0.50) × 2
        "Size: Large (+$3.00)",
        "Extras: Basil (+$0.50)",
        "Note: well done",
        "Order note: at the <door>",
        "Subtotal: $29.00",
        "Tax: $2.90",
        "Tip: $3.00",
        "Total: $34.90",
        "Ready around ",
        f"http://{tenant.domain}/orders/{order['id']}",
        f"Order the same again: http://{tenant.domain}/orders/{order['id']}/again",
    ):
        assert expected in body, (expected, print(body))
    page = html(receipt)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in page and "<b>Lovelace" not in page
    assert "at the &lt;door&gt;" in page
    assert f'href="http://{tenant.domain}/orders/{order["id"]}"' in page
    assert f'href="http://{tenant.domain}/orders/{order["id"]}/again"' in page
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert notification.sent_at is not None and notification.last_error is None

    run_queue(app, "mail")  # nothing left to do: still one message
    assert len(inbox.messages) == 1


def test_receipt_speaks_the_restaurants_locale_and_a_pickup_time(app, client, tenant, inbox):
    set_settings(app, tenant, locale="de_DE", currency="EUR", timezone="Europe/Berlin")
    slots = client.get("/api/v1/pickup-slots", headers={"Host": tenant.domain}).json["slots"]
    placed = post_order(
        client, tenant, **fries_order(app, tenant, email="kai@example.de", pickup_at=slots[0])
    )
    assert placed.status_code == 201, placed.json
    run_queue(app, "mail")
    [receipt] = inbox.to("kai@example.de")
    body = plain(receipt)
    total = re.escape(translated("de", "Total: %(amount)s", amount="@"))  # "Gesamt: 4,50 €"
    assert re.search("\n" + total.replace("@", r"[0-9]+,[0-9]{2}\s€") + "\n", body), body
    number = placed.json["number"]
    placed_at = re.escape(
        translated("de", "Order #%(number)s, placed %(time)s", number=number, time="@")
    )
    # 14:05: today, 24 hours
    assert re.search(placed_at.replace("@", "[0-9]{2}:[0-9]{2}") + "\n", body), body
    assert translated("de", "Pickup %(time)s", time="") in body
    assert translated("de", "Ready around %(time)s", time="").strip() not in body
    assert "Ready around" not in body


def test_the_mails_carry_the_restaurants_address_phone_and_tax_per_rate(app, client, tenant, inbox):
    set_settings(
        app,
        tenant,
        locale="de_DE",
        languages=["en"],  # English words, German money and numbers
        currency="EUR",
        tax={"rate_bp": 1900, "inclusive": True},
        profile={
            "address": {"lines": ["Hauptstraße 1"], "postal_code": "10115", "city": "Berlin"},
            "phone": "+49 30 1234567",
            "legal_name": "Test Kitchen <GmbH>",
            "vat_id": "DE123456789",
        },
    )
    placed = post_order(client, tenant, **fries_order(app, tenant, email="kai@example.de"))
    assert placed.status_code == 201, placed.json
    with bound(app, tenant):
        advance_order(uuid.UUID(placed.json["id"]), "PENDING")
        advance_order(uuid.UUID(placed.json["id"]), "COOKING")
    run_queue(app, "mail")
    receipt, ready = inbox.to("kai@example.de")
    for message in (receipt, ready):
        body = plain(message)
        # no country set: the number is shown internationally
        assert "\nHauptstraße 1\n10115 Berlin\nPhone: +49 30 1234567\nVAT ID: DE123456789" in body
        page = html(message)
        assert "Test Kitchen &lt;GmbH&gt;<br>Hauptstraße 1<br>10115 Berlin" in page
        assert '<a href="tel:+49301234567"' in page
    tax = placed.json["tax"]
    net = placed.json["subtotal"] - tax
    written = [f"{cents // 100},{cents % 100:02d}\xa0€" for cents in (net, tax)]
    assert f"VAT 19\xa0% on {written[0]} net: {written[1]}" in plain(receipt)


def test_ready_and_cancelled_mails_once_each_with_the_reason(app, client, tenant, inbox):
    ready = post_order(client, tenant, **fries_order(app, tenant, email="ready@example.com"))
    gone = post_order(client, tenant, **fries_order(app, tenant, email="gone@example.com"))
    with bound(app, tenant):
        advance_order(ready.json["id"], "PENDING")
        advance_order(ready.json["id"], "COOKING")
    with bound(app, tenant):  # recalled, then done again: the customer hears it once
        recall_order(ready.json["id"], "DONE")
        advance_order(ready.json["id"], "COOKING")
    with bound(app, tenant):
        cancel_order(gone.json["id"], "The fryer broke down", "kitchen")
    run_queue(app, "mail")

    subjects = sorted(m["Subject"] for m in inbox.to("ready@example.com"))
    number = ready.json["number"]
    assert subjects == [
        f"Your order #{number} at Test Kitchen",
        f"Your order #{number} is ready for pickup",
    ]
    [ready_mail] = [m for m in inbox.to("ready@example.com") if "ready" in m["Subject"]]
    assert "is ready for pickup" in plain(ready_mail)
    cancelled = [m for m in inbox.to("gone@example.com") if "cancelled" in m["Subject"]]
    assert len(cancelled) == 1
    assert "Reason: The fryer broke down" in plain(cancelled[0])
    assert "The fryer broke down" in html(cancelled[0])
    assert "There is nothing to pay." in plain(cancelled[0])  # paid at the counter, if at all
    assert "refunded" not in plain(cancelled[0])
    [receipt] = [m for m in inbox.to("gone@example.com") if "cancelled" not in m["Subject"]]
    assert "Pay at pickup: you pay at the counter" in plain(receipt)
    assert "Pay at pickup:" in html(receipt) and "Paid online" not in plain(receipt)
    assert "To pay at the counter: $4.50" in plain(ready_mail)
    events = {(n.event, n.status) for n in notifications_of(app, tenant)}
    assert events == {
        ("order.created", "sent"),
        ("order.ready", "sent"),
        ("order.cancelled", "sent"),
    }


def test_an_order_paid_online_is_said_paid_and_its_cancel_says_refunded(
    app, client, tenant, inbox, localstripe
):
    take_payments(app, tenant, localstripe)
    order = place(client, app, tenant, email="card@example.com").json
    assert pay(client, tenant, order["id"], card(localstripe, CARD_OK)).status_code == 200
    with bound(app, tenant):
        advance_order(order["id"], "PENDING")
        advance_order(order["id"], "COOKING")
    manager = signed_in(app, tenant, "manager")  # the manager cancels it from its page
    cancelled = manager.post(f"/admin/orders/{order['id']}/cancel", {"reason": "Never came"})
    assert cancelled.status_code == 303
    run_queue(app, "mail")

    by_subject = {m["Subject"]: m for m in inbox.to("card@example.com")}
    number = order["number"]
    receipt = by_subject[f"Your order #{number} at Test Kitchen"]
    assert "Paid online: $9.00 by card." in plain(receipt)
    assert "Paid online:" in html(receipt) and "Pay at pickup" not in plain(receipt)
    ready = by_subject[f"Your order #{number} is ready for pickup"]
    assert "Paid online: nothing to pay at the counter." in plain(ready)
    assert "To pay at the counter" not in plain(ready) + html(ready)
    gone = by_subject[f"Your order #{number} was cancelled"]
    assert "Reason: Never came" in plain(gone)
    assert "Your payment of $9.00 is refunded to your card." in plain(gone)
    assert "$9.00</strong> is refunded to your card." in html(gone)
    assert "nothing to pay" not in plain(gone)


# --- nothing for an order that did not happen ----------------------------------------------


def test_a_rolled_back_or_refused_order_leaves_no_notification_and_no_job(
    app, client, tenant, inbox, db_connection
):
    fries = menu(app, tenant)["Fries"]
    with pytest.raises(Conflict), bound(app, tenant):
        place_order(
            "Ada",
            [OrderLine(fries.id, 1)],
            contact=Contact(email="rolled@example.com"),
        )
        raise Conflict("the card reader fell over after the order was written")
    change_item(app, tenant, fries.id, is_available=False)
    sold_out = post_order(client, tenant, **fries_order(app, tenant, email="out@example.com"))
    assert sold_out.status_code == 409, sold_out.json
    assert order_count(app, tenant) == 0
    assert notifications_of(app, tenant) == []
    assert mail_jobs(db_connection, tenant) == []
    run_queue(app, "mail")
    assert inbox.messages == []


# --- an outage, a permanent refusal ---------------------------------------------------------


def due_now(connection, tenant) -> None:
    """Move the restaurant's waiting mail jobs to now (the backoff's wait, elapsed)."""
    connection.execute(
        text(
            "UPDATE procrastinate_jobs SET scheduled_at = now() "
            "WHERE task_name = 'send_email' AND args->>'tenant_id' = :t AND status = 'todo'"
        ),
        {"t": str(tenant.id)},
    )
    connection.commit()


def test_an_smtp_outage_delivers_later_exactly_once(app, client, tenant, inbox, db_connection):
    inbox.refuse_next = 2  # "451 try again later", twice
    placed = post_order(client, tenant, **fries_order(app, tenant, email="later@example.com"))

    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert "451" in notification.last_error
    [(_, status, attempts, scheduled_at)] = mail_jobs(db_connection, tenant)
    assert status == "todo" and attempts == 1
    wait = (scheduled_at - db_connection.execute(text("SELECT now()")).scalar()).total_seconds()
    assert retry_wait(1) - 5 < wait <= retry_wait(1)  # backoff: not before its time
    run_queue(app, "mail")  # not due yet: nothing happens
    assert notifications_of(app, tenant)[0].attempts == 1

    due_now(db_connection, tenant)
    run_queue(app, "mail")
    assert notifications_of(app, tenant)[0].attempts == 2
    assert inbox.messages == []
    due_now(db_connection, tenant)
    run_queue(app, "mail")

    assert inbox.refusals == 2
    [delivered] = inbox.messages
    assert delivered["Message-ID"] == message_id(f"{placed.json['id']}:order.created:email")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert notification.last_error is None
    [(_, status, attempts, _)] = mail_jobs(db_connection, tenant)
    assert (status, attempts) == ("succeeded", 3)
    due_now(db_connection, tenant)
    run_queue(app, "mail")
    assert len(inbox.messages) == 1


def test_backoff_doubles_up_to_an_hour_over_a_few_hours():
    waits = [retry_wait(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert waits[:3] == [30, 60, 120] and max(waits) == 3600
    assert 3 * 3600 < sum(waits) < 8 * 3600


def test_a_refused_recipient_is_given_up_at_once(app, client, tenant, inbox, db_connection):
    inbox.refuse_rcpt = "550 5.1.1 No such mailbox"
    post_order(client, tenant, **fries_order(app, tenant, email="nobody@example.com"))
    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert "550" in notification.last_error and "No such mailbox" in notification.last_error
    assert [status for _, status, _, _ in mail_jobs(db_connection, tenant)] == ["succeeded"]
    assert inbox.messages == []


def test_a_message_that_can_never_be_written_fails_at_once_and_the_back_office_says_why(
    app, client, tenant, inbox, db_connection
):
    """A restaurant name with a line break (kept from before names were checked) cannot go
    into a header: every attempt would fail the same way, so the first one is the last."""
    db_connection.execute(
        text("UPDATE public.tenants SET name = :name WHERE id = :id"),
        {"name": "Evil\r\nBcc: x@example.com", "id": tenant.id},
    )
    db_connection.commit()
    placed = post_order(client, tenant, **fries_order(app, tenant, email="guest@example.com"))
    assert placed.status_code == 201, placed.text
    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("failed", 1)
    assert notification.last_error.startswith("the message cannot be written")
    assert [status for _, status, _, _ in mail_jobs(db_connection, tenant)] == ["succeeded"]
    assert inbox.messages == []

    manager = signed_in(app, tenant, "manager")
    page = manager.get("/admin/emails")
    assert page.status_code == 200
    row = re.search(rf'<tr data-notification="{notification.id}">(.*?)</tr>', page.text, re.S)
    assert '<td class="status">failed</td>' in row.group(1)
    assert "the message cannot be written" in row.group(1)
    assert f"<td>{placed.json['number']}</td>" in row.group(1)
    assert signed_in(app, tenant, "kitchen").get("/admin/emails").status_code == 403


def test_a_refused_recipient_is_listed_as_failed_in_the_back_office(app, client, tenant, inbox):
    inbox.refuse_rcpt = "550 5.1.1 No such mailbox"
    post_order(client, tenant, **fries_order(app, tenant, email="nobody@example.com"))
    run_queue(app, "mail")
    page = signed_in(app, tenant, "manager").get("/admin/emails").text
    assert '<td class="status">failed</td>' in page and "No such mailbox" in page
    assert "nobody@example.com" in page


def test_a_message_still_refused_after_the_last_attempt_is_given_up(
    app, client, tenant, inbox, db_connection
):
    inbox.refuse_next = 99
    post_order(client, tenant, **fries_order(app, tenant, email="late@example.com"))
    with bound(app, tenant):  # as if it had been tried all afternoon
        db.session.execute(Notification.__table__.update().values(attempts=MAX_ATTEMPTS - 1))
    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("failed", MAX_ATTEMPTS)
    assert "451" in notification.last_error


def test_smtp_urls_are_read_with_their_tls_port_and_timeout():
    server = smtp_server("smtp://ann%40x.com:p%3Ass@mail.example.com:587?starttls=1&timeout=5")
    assert (server.host, server.port, server.security) == ("mail.example.com", 587, "starttls")
    assert (server.username, server.password, server.timeout) == ("ann@x.com", "p:ss", 5.0)
    assert smtp_server("smtps://mail.example.com").port == 465
    assert smtp_server("smtp://localhost").port == 25
    for bad in (
        "http://mail.example.com",
        "smtp://",
        "smtp://host?tls=1",
        "smtps://host?starttls=1",
        "smtp://host?timeout=soon",
        "smtp://host:notaport",
    ):
        with pytest.raises(ValueError):
            smtp_server(bad)


def test_a_broken_smtp_url_is_kept_as_the_error_and_retried(
    app, client, tenant, inbox, db_connection
):
    app.config["OMNIORDER_SMTP_URL"] = "smtp://127.0.0.1?starttls=maybe&tls=1"
    post_order(client, tenant, **fries_order(app, tenant, email="cfg@example.com"))
    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert notification.status == "pending"
    assert "OMNIORDER_SMTP_URL unknown parameter 'tls'" in notification.last_error
    app.config["OMNIORDER_SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    due_now(db_connection, tenant)
    run_queue(app, "mail")
    assert len(inbox.to("cfg@example.com")) == 1


def test_a_silent_server_or_one_without_starttls_is_a_retried_failure(
    app, client, tenant, inbox, db_connection
):
    """A server that takes the connection and never greets times out; one that cannot
    STARTTLS when asked to is not sent the message in clear: both are kept and retried."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    try:
        app.config["OMNIORDER_SMTP_URL"] = f"smtp://127.0.0.1:{silent.getsockname()[1]}?timeout=1"
        post_order(client, tenant, **fries_order(app, tenant, email="slow@example.com"))
        run_queue(app, "mail")
    finally:
        silent.close()
    [notification] = notifications_of(app, tenant)
    assert notification.status == "pending"
    assert notification.last_error == "127.0.0.1 sent no complete answer within 1 s"

    app.config["OMNIORDER_SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}?starttls=1"
    due_now(db_connection, tenant)
    run_queue(app, "mail")
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.attempts) == ("pending", 2)
    assert "STARTTLS" in notification.last_error
    assert inbox.messages == []


# --- a worker killed mid-send ---------------------------------------------------------------


def start_worker(database_url: str, smtp_url: str) -> subprocess.Popen:
    return flask_worker(
        database_url,
        ["--queue", "mail", "--queue", "default"],
        OMNIORDER_SMTP_URL=smtp_url,
        OMNIORDER_WORKER_STALLED_AFTER="2",
        OMNIORDER_STALLED_CRON="* * * * * *",
    )


def test_a_worker_killed_mid_send_delivers_exactly_one_message_after_restart(
    app, client, tenant, inbox, database_url
):
    release = inbox.hold_next()  # the server takes the message and keeps the worker waiting
    placed = post_order(client, tenant, **fries_order(app, tenant, email="crash@example.com"))
    key = f"{placed.json['id']}:order.created:email"
    smtp_url = f"smtp://127.0.0.1:{inbox.port}?timeout=5"  # its claim lasts 5 s + 10 s
    first = start_worker(database_url, smtp_url)
    second = None
    try:
        assert inbox.holding.wait(30), "the worker never reached DATA"
        os.killpg(first.pid, signal.SIGKILL)  # mid-send: after DATA, before any reply
        first.wait(10)
        release.set()  # the server then refuses it (421): the first copy is lost, not sent
        assert notifications_of(app, tenant)[0].status == "pending"
        second = start_worker(database_url, smtp_url)
        assert wait_until(lambda: inbox.to("crash@example.com"), 60), "never delivered"
        assert wait_until(lambda: notifications_of(app, tenant)[0].status == "sent", 10)
        time.sleep(2)  # time for a second copy, should one be on its way
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(60)
    [message] = inbox.to("crash@example.com")
    assert message["Message-ID"] == message_id(key)
    [notification] = notifications_of(app, tenant)
    assert (notification.status, notification.key) == ("sent", key)
    assert notification.attempts == 2  # the killed attempt was claimed (committed) first


# --- one restaurant's job never reaches another ---------------------------------------------


def test_a_mail_job_for_one_restaurant_cannot_send_anothers_notification(
    app, client, make_tenant, inbox
):
    alpine, bistro = make_tenant(name="Alpine"), make_tenant(name="Bistro")
    app.config["OMNIORDER_SMTP_URL"] = "smtp://127.0.0.1:1"  # Bistro's own job waits
    post_order(client, bistro, **fries_order(app, bistro, email="bistro@example.com"))
    run_queue(app, "mail")
    [theirs] = notifications_of(app, bistro)
    assert (theirs.status, theirs.attempts) == ("pending", 1)
    app.config["OMNIORDER_SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"

    with bound(app, alpine):  # Alpine's job, naming Bistro's notification
        defer_for_tenant("send_email", notification_id=str(theirs.id))
    run_queue(app, "mail")

    [after] = notifications_of(app, bistro)
    assert (after.status, after.attempts, after.sent_at) == ("pending", 1, None)
    assert inbox.messages == []
    assert notifications_of(app, alpine) == []


# --- no SMTP server: the outbox -------------------------------------------------------------


def test_without_an_smtp_url_each_message_is_one_eml_file_in_the_outbox(
    app, client, tenant, tmp_path, db_connection, inbox
):
    app.config["OMNIORDER_SMTP_URL"] = None
    app.instance_path = str(tmp_path)
    placed = post_order(client, tenant, **fries_order(app, tenant, email="file@example.com"))
    run_queue(app, "mail")
    key = f"{placed.json['id']}:order.created:email"
    outbox = tmp_path / "outbox"
    assert [path.name for path in outbox.iterdir()] == [outbox_name(key)]
    written = email.message_from_bytes(
        (outbox / outbox_name(key)).read_bytes(), policy=email.policy.default
    )
    assert written["To"].addresses[0].addr_spec == "file@example.com"
    assert written["Message-ID"] == message_id(key)
    assert f"Order #{placed.json['number']}" in plain(written)
    assert notifications_of(app, tenant)[0].status == "sent"

    [notification] = notifications_of(app, tenant)
    with bound(app, tenant):  # a rerun (a crash before the commit) replaces its file
        db.session.execute(Notification.__table__.update().values(status="pending"))
        defer_for_tenant("send_email", notification_id=str(notification.id))
    run_queue(app, "mail")
    assert [path.name for path in outbox.iterdir()] == [outbox_name(key)]
    assert notifications_of(app, tenant)[0].status == "sent"
    assert inbox.messages == []


# --- hostile contact input ------------------------------------------------------------------

HOSTILE_CONTACTS = [
    ("email", "not-an-address"),
    ("email", "ada@localhost"),
    ("email", "a,b@example.com"),
    ("email", "victim(x)@example.com"),
    ("email", "<ada@example.com>"),
    ("email", "ada@example.com\r\nBcc: all@example.com"),
    ("email", "ada\x00@example.com"),
    ("email", "jörg@example.com"),
    ("email", "a" * 65 + "@example.com"),
    ("email", "ada@" + "x" * 250 + ".com"),
    ("email", "ada@exa mple.com"),
    ("email", "ada@-bad-.com"),
    ("email", 12),
    ("email", ["ada@example.com"]),
    ("email", {"address": "ada@example.com"}),
    ("email", True),
    ("phone", "call me"),
    ("phone", "+49 30\n1234567"),
    ("phone", "1" * 40),
    ("phone", "12"),
    ("phone", 4930123456),
    ("phone", ["+49 30 1234567"]),
    ("phone", "+49\u202e30 1234567"),
]


@pytest.mark.parametrize(
    "field, value", HOSTILE_CONTACTS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(HOSTILE_CONTACTS)]
)
def test_hostile_contact_on_the_api_is_400_naming_the_field_and_stores_nothing(
    app, client, tenant, db_connection, field, value
):
    response = post_order(client, tenant, **fries_order(app, tenant, **{field: value}))
    assert response.status_code == 400, response.json
    assert field in response.json["fields"], response.json
    assert order_count(app, tenant) == 0
    assert notifications_of(app, tenant) == []


def test_a_lone_surrogate_in_the_email_is_refused_at_the_boundary(app, client, tenant):
    body = (
        '{"customer_name": "Ada", "email": "ada\\ud800@example.com", "items": [{"menu_item_id": '
        f'"{menu(app, tenant)["Fries"].id}", "quantity": 1}}]}}'
    )
    response = client.post(
        "/api/v1/orders",
        data=body,
        content_type="application/json",
        headers={"Host": tenant.domain},
    )
    assert response.status_code == 400
    assert order_count(app, tenant) == 0


def test_checkout_takes_an_email_and_a_phone_and_mails_the_receipt(app, client, tenant, inbox):
    customer = Customer(client, tenant.domain)
    page = customer.get("/").text
    customer.add(menu(app, tenant)["Fries"].id)
    page = customer.get("/").text
    assert 'name="email"' in page and 'name="phone"' in page
    assert "Only the restaurant sees your phone number" in page
    data = {
        "csrf_token": customer.csrf_token(),
        "idempotency_key": customer.checkout_key(),
        "customer_name": "Cy",
        "email": "cy@example.com",
        "phone": "030 1234567",
    }
    placed = customer.post("/checkout", data)
    assert placed.status_code == 303
    run_queue(app, "mail")
    [receipt] = inbox.to("cy@example.com")
    assert receipt["Subject"].startswith("Your order #")
    with bound(app, tenant):
        from omniorder.ordering.models import Order

        order = db.session.scalars(select(Order)).one()
        assert (order.customer_email, order.customer_phone) == ("cy@example.com", "030 1234567")


@pytest.mark.parametrize(
    "field, value, shown",
    [
        ("email", "cy at example.com", "E-mail must be an e-mail address"),
        ("email", "cy@example.com\nBcc: x@example.com", "E-mail must be"),
        ("email", "x" * 300 + "@example.com", "E-mail must be"),
        ("phone", "ring ring", "Phone must be a phone number"),
        ("phone", "+1 555\x00 0100", "Phone must be"),
    ],
)
def test_hostile_contact_at_checkout_is_400_with_the_message_and_stores_nothing(
    app, client, tenant, field, value, shown
):
    customer = Customer(client, tenant.domain)
    customer.add(menu(app, tenant)["Fries"].id)
    data = {
        "csrf_token": customer.csrf_token(),
        "idempotency_key": customer.checkout_key(),
        "customer_name": "Cy",
        field: value,
    }
    refused = customer.post("/checkout", data, htmx=True)
    assert refused.status_code == 400
    assert shown in refused.text
    assert order_count(app, tenant) == 0
    assert notifications_of(app, tenant) == []


def test_the_restaurant_sees_the_phone_and_email_in_its_order_history(app, client, tenant):
    from tests.support.staff import signed_in

    post_order(
        client,
        tenant,
        **fries_order(app, tenant, email="pat@example.com", phone="+44 20 7946 0958"),
    )
    history = signed_in(app, tenant, "manager").get("/admin/orders").text
    assert 'href="tel:+442079460958"' in history and "+44 20 7946 0958" in history
    assert "pat@example.com" in history
