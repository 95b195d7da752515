"""The outbox of messages to customers and webhooks, and the restaurant's webhook endpoint."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, db, one_of, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

NOTIFICATION_CHANNELS = ("email", "webhook")

NOTIFICATION_STATUSES = ("pending", "sent", "failed")


class Notification(db.Model):
    """One message to send, written with the order change that causes it (the outbox): its
    `key` (order, event, channel) is unique, so it is sent once however often its job runs."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            one_of("channel", NOTIFICATION_CHANNELS), name="notifications_channel_check"
        ),
        CheckConstraint(one_of("status", NOTIFICATION_STATUSES), name="notifications_status_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    key: Mapped[str] = mapped_column(String, nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String, nullable=False)
    event: Mapped[str] = mapped_column(String, nullable=False)  # order.created|ready|cancelled
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    recipient: Mapped[str] = mapped_column(String, nullable=False)  # an address or a URL
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)  # a webhook's HTTP status
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()"), index=True
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # while an attempt is on the wire: another run of its job keeps off until then
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookEndpoint(db.Model):
    """At most one row: where the restaurant wants its order events POSTed, and the secret
    their HMAC-SHA256 signature is made with (notifications/webhooks.py). In the menu's
    change topic: a checkout takes the endpoint from the same memory as the prices."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        CheckConstraint("singleton", name="webhook_endpoint_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    url: Mapped[str] = mapped_column(String, nullable=False)
    secret: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
