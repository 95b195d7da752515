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

A channel (`mail.py`, `webhooks.py` beside this module) sends in three steps, so no transaction or
row lock is ever held while another server is waited on: `deliver` *claims* the row in a short
transaction (counts the attempt, sets a lease, `prepare`s the message from the database) and
commits; the channel `send`s it within one wall-clock deadline (core/deadline.py); a new
transaction records the outcome. The lease (`claimed_until`, the deadline and a margin) keeps
a second run of the same job from sending while the first may still be talking; once it has
passed (the worker died mid-send) the message may be claimed again, so delivery stays at least
once. A channel may also cap how many of one restaurant's messages are on the wire at once
(`slots_per_restaurant`): a restaurant with a slow receiver then holds that many worker slots
at most, and its other messages wait their turn (`RetryAt`) instead of taking everyone's.

What a failure means: `DeliveryError` is worth trying again (a refused or unreachable server,
a 4xx, a non-2xx answer) until the channel says it is `out_of_time`; `Undeliverable` can never
succeed (no such mailbox, a message that cannot be written, an address not allowed) and fails
the notification at once. Either way the error is on the row for the back office.
"""

import datetime
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.jobs.engine import RetryLater, defer_for_tenant
from omniorder.notifications.models import Notification, WebhookEndpoint
from omniorder.ordering.models import Order
from omniorder.tenancy.bind import current_tenant

EVENTS = ("order.created", "order.ready", "order.cancelled")
# Staff e-mails (staff/invitations.py): the link in them is made when the mail is written
STAFF_EVENTS = ("staff.invite", "staff.reset")
# channel → the task that sends its messages (`mail_tasks`, `webhook_tasks`)
SENDERS = {"email": "send_email", "webhook": "post_webhook"}


class DeliveryError(Exception):
    """A failure worth trying again; `response_status`: the HTTP status a webhook got."""

    def __init__(self, message: str, response_status: int | None = None):
        super().__init__(message)
        self.response_status = response_status


class Undeliverable(DeliveryError):
    """A failure that trying again cannot mend: the notification fails at once."""


class RetryAt(RetryLater):
    """`RetryLater` at a given moment (the tasks' retry strategies schedule it)."""

    def __init__(self, message: str, at: datetime.datetime):
        super().__init__(message)
        self.at = at


LEASE_MARGIN = datetime.timedelta(seconds=10)  # beyond the send's deadline: recording it
SHORTEST_TURN = datetime.timedelta(seconds=1)  # a restaurant's message waiting for its slot


@dataclass(frozen=True)
class Claim:
    """One attempt at one notification, as claimed: all the send needs, read before the
    claim committed (nothing of the session is touched while the network is)."""

    id: uuid.UUID
    key: str
    attempt: int  # the row's attempts after this claim: the outcome is recorded only if
    created_at: datetime.datetime  # nobody claimed it since
    message: Any  # what the channel prepared


class Channel(Protocol):
    name: str  # "email" or "webhook"
    slots_per_restaurant: int | None  # of this channel's messages on the wire at once

    def deadline_seconds(self) -> float: ...
    def prepare(self, notification: Notification) -> Any: ...
    def send(self, message: Any) -> int | None: ...
    def out_of_time(self, claim: Claim) -> bool: ...
    def next_try(self, claim: Claim) -> datetime.datetime | None: ...


READ = object()  # order_event's webhook_url: read the endpoint now


def order_event(order: Order, event: str, webhook_url: str | None | object = READ) -> None:
    """Queue the messages `event` causes for `order`, in the caller's unit of work. A caller
    that holds the webhook endpoint's URL already (a checkout's price list) passes it."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    recipients = {}
    if order.customer_email:
        recipients["email"] = order.customer_email
    webhook = db.session.scalar(select(WebhookEndpoint.url)) if webhook_url is READ else webhook_url
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


def staff_email(event: str, user_id, recipient: str) -> None:
    """Queue a staff e-mail (an invitation, a password reset) in the caller's unit of work.
    Each call is a message of its own (a Resend is a new e-mail): its key ends in a random
    part. The link is minted by the job, when the message is written, and never stored."""
    if event not in STAFF_EVENTS:
        raise ValueError(f"unknown event {event}")
    created = db.session.scalar(
        insert(Notification)
        .values(
            key=f"{event}:{user_id}:{uuid.uuid4().hex}",
            channel="email",
            event=event,
            recipient=recipient,
        )
        .returning(Notification.id)
    )
    defer_for_tenant(SENDERS["email"], notification_id=str(created))


def deliver(notification_id, channel: Channel) -> str | None:
    """Send one message unless it was sent already (the module docstring tells how); the
    notification's status afterwards. Raises `RetryLater` (or `RetryAt`) when the message is
    to be tried again: its attempt and error are committed by then."""
    notification_id = uuid.UUID(str(notification_id))
    with unit_of_work():
        claimed = _claim(notification_id, channel)
    if not isinstance(claimed, Claim):
        return _after(claimed)
    try:
        outcome = channel.send(claimed.message)
    except DeliveryError as error:
        outcome = error
    with unit_of_work():
        notification = db.session.scalar(
            select(Notification).where(Notification.id == claimed.id).with_for_update()
        )
        if notification.status != "pending" or notification.attempts != claimed.attempt:
            return notification.status  # another run has taken it over since
        result = _settle(notification, claimed, channel, outcome)
    return _after(result)


def _after(result):
    """A status to return, or the retry to raise now that the transaction has committed."""
    if isinstance(result, RetryLater):
        raise result
    return result


def _claim(notification_id: uuid.UUID, channel: Channel):
    """The claimed attempt, or the outcome when there is nothing to send (a status, None) or
    the message cannot be prepared (its status, or the retry to raise)."""
    if channel.slots_per_restaurant:
        _wait_for_a_slot(notification_id, channel)
    notification, now = db.session.execute(
        select(Notification, func.now()).where(Notification.id == notification_id).with_for_update()
    ).one_or_none() or (None, None)
    if notification is None or notification.status != "pending":
        return notification.status if notification is not None else None
    if notification.claimed_until is not None and notification.claimed_until > now:
        return RetryAt("another attempt is under way", notification.claimed_until)
    notification.attempts += 1
    notification.claimed_until = (
        now + datetime.timedelta(seconds=channel.deadline_seconds()) + LEASE_MARGIN
    )
    claim = Claim(
        notification.id, notification.key, notification.attempts, notification.created_at, None
    )
    try:
        message = channel.prepare(notification)
    except DeliveryError as error:
        return _settle(notification, claim, channel, error)
    return Claim(claim.id, claim.key, claim.attempt, claim.created_at, message)


def _wait_for_a_slot(notification_id: uuid.UUID, channel: Channel) -> None:
    """`RetryAt` when the restaurant has `slots_per_restaurant` messages of this channel on
    the wire already: the turn comes when the longest-running one has run as long again (at
    least a second), or when its lease ends, if sooner. Claims of one restaurant and channel
    take turns on a transaction-scoped advisory lock (released at the claim's commit)."""
    slot_key = f"omniorder:slots:{current_tenant().id}:{channel.name}"
    db.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(slot_key, 0))))
    lease = datetime.timedelta(seconds=channel.deadline_seconds()) + LEASE_MARGIN
    busy, first_ends, now = db.session.execute(
        select(func.count(), func.min(Notification.claimed_until), func.now()).where(
            Notification.channel == channel.name,
            Notification.status == "pending",
            Notification.claimed_until > func.now(),
            Notification.id != notification_id,
        )
    ).one()
    if busy >= channel.slots_per_restaurant:
        running = now - (first_ends - lease)
        turn = min(max(running, SHORTEST_TURN), first_ends - now)
        raise RetryAt(
            f"waiting for one of this restaurant's {busy} {channel.name} deliveries to end",
            now + turn,
        )


def _settle(notification: Notification, claim: Claim, channel: Channel, outcome):
    """Record an attempt's outcome on its (locked) row: its status, or the retry to raise."""
    notification.claimed_until = None
    if not isinstance(outcome, DeliveryError):
        notification.status, notification.sent_at = "sent", func.now()
        notification.response_status, notification.last_error = outcome, None
        return "sent"
    notification.last_error = str(outcome)[:1000]
    notification.response_status = outcome.response_status
    if isinstance(outcome, Undeliverable) or channel.out_of_time(claim):
        notification.status = "failed"
        return "failed"
    at = channel.next_try(claim)
    return RetryAt(str(outcome), at) if at is not None else RetryLater(str(outcome))


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


@dataclass(frozen=True)
class Message:
    notification: Notification
    order_number: int | None  # None once the order is archived


def recent_messages(channel: str, limit: int = 50) -> list[Message]:
    """The latest messages of a channel with their orders' numbers, newest first."""
    rows = recent_notifications(channel, limit)
    order_ids = {row.order_id for row in rows if row.order_id}
    numbers = dict(
        db.session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all()
        if order_ids
        else []
    )
    return [Message(row, numbers.get(row.order_id)) for row in rows]
