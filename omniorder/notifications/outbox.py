"""What a customer and a restaurant hear about an order, sent once per message, never lost.

An order change that others must hear of (`order_event`: created, ready, cancelled) writes one
`Notification` row per channel (the customer's e-mail when they gave one, the restaurant's
webhook when it set one) in the same transaction as the change, and defers the job that
sends it on that transaction's connection (omniorder/jobs/engine.py). So a rolled-back order sends
nothing, and a committed one always has its rows and jobs.

Each row has a unique key (order, event, channel): an event that happens twice (an order
recalled and marked done again) makes no second message, and a job that runs twice (a
worker killed after sending, before its commit) finds the row sent and stops. The one gap
left is a crash between the receiving server's "accepted" and our commit, which resends;
every message carries its key (the e-mail's Message-ID, the webhook's X-OmniOrder-Delivery)
so the receiver can drop the copy.

A sender (services/mail.py, services/webhooks.py) raises `DeliveryError` for a failure worth
retrying (a refused or unreachable server, a non-2xx answer); `deliver` counts the attempt,
keeps the error for the back office, and has the job retried (`RetryLater`) until the
channel's `give_up` says the message failed for good.
"""

import uuid
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from omniorder.core.database import db
from omniorder.jobs.engine import RetryLater, defer_for_tenant
from omniorder.notifications.models import Notification, WebhookEndpoint
from omniorder.ordering.models import Order

EVENTS = ("order.created", "order.ready", "order.cancelled")
# channel → the task that sends its messages (omniorder/tasks/)
SENDERS = {"email": "send_email", "webhook": "post_webhook"}


class DeliveryError(Exception):
    """A failure worth trying again; `response_status`: the HTTP status a webhook got."""

    def __init__(self, message: str, response_status: int | None = None):
        super().__init__(message)
        self.response_status = response_status


def order_event(order: Order, event: str) -> None:
    """Queue the messages `event` causes for `order`, in the caller's unit of work."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    recipients = {}
    if order.customer_email:
        recipients["email"] = order.customer_email
    webhook = db.session.scalar(select(WebhookEndpoint.url))
    if webhook:
        recipients["webhook"] = webhook
    for channel, recipient in recipients.items():
        created = db.session.scalar(
            insert(Notification)
            .values(
                key=f"{order.id}:{event}:{channel}",
                channel=channel,
                event=event,
                order_id=order.id,
                recipient=recipient,
            )
            .on_conflict_do_nothing(index_elements=[Notification.key])
            .returning(Notification.id)
        )
        if created is not None:
            defer_for_tenant(SENDERS[channel], notification_id=str(created))


def deliver(
    notification_id, send: Callable[[Notification], int | None], give_up: Callable
) -> Notification | None:
    """Send one message unless it was sent already: the row is locked for the attempt (two
    runs of its job take turns), `send(notification)` does the sending (returning a webhook's
    HTTP status, or None), and the outcome is recorded. A `DeliveryError` is kept on the row
    and retried later, unless `give_up(notification)` says it has failed for good."""
    notification = db.session.scalar(
        select(Notification)
        .where(Notification.id == uuid.UUID(str(notification_id)))
        .with_for_update()
    )
    if notification is None or notification.status != "pending":
        return notification
    notification.attempts += 1
    try:
        notification.response_status = send(notification)
    except DeliveryError as error:
        notification.last_error = str(error)[:1000]
        notification.response_status = error.response_status
        if give_up(notification):
            notification.status = "failed"
            return notification
        raise RetryLater(str(error)) from error
    notification.status, notification.sent_at, notification.last_error = "sent", func.now(), None
    return notification


def recent_notifications(channel: str, limit: int = 50) -> list[Notification]:
    """The latest messages of a channel, newest first: what the back office lists."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.channel == channel)
            .order_by(Notification.created_at.desc())
            .limit(limit)
        )
    )
