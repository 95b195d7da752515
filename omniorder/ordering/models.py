"""Orders, and the board version the kitchen polls against."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, db, one_of, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

ORDER_STATUSES = ("PENDING", "COOKING", "DONE", "CANCELLED")

FIRST_ORDER_NUMBER = 1001


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATUSES), name="orders_status_check"),
        CheckConstraint("total_amount >= 0", name="orders_total_amount_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "board"}},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[int] = mapped_column(
        Integer, Identity(start=FIRST_ORDER_NUMBER), nullable=False, unique=True
    )
    customer_name: Mapped[str] = mapped_column(String, nullable=False)
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=text("'PENDING'"))
    # What the customer pays: subtotal (+ tax when prices exclude it) + tip, all snapshots.
    total_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    subtotal: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tax: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    tax_inclusive: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    tip: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    currency: Mapped[str] = mapped_column(
        String(3), nullable=False, server_default=text("'USD'::character varying")
    )
    note: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()"), index=True
    )
    # Set by the checkout form and by the API's Idempotency-Key header: one order per key.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # SHA-256 of the canonical request behind the key: the same key with another body is a 422.
    request_digest: Mapped[str | None] = mapped_column(String(64))
    # When the status last changed: the board shows DONE orders for 30 minutes after this.
    status_changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    # When the order should be ready: the pickup slot chosen, or the ASAP estimate at placing
    # (ordering/pickup.py). NULL for orders from before estimates existed.
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    pickup_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: ASAP
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Optional contact: the e-mail gets the receipt and status messages (notifications/
    # outbox.py); the phone is for the restaurant only (no SMS provider is reachable).
    customer_email: Mapped[str | None] = mapped_column(String)
    customer_phone: Mapped[str | None] = mapped_column(String)
    # Not yet counted by the analytics warehouse (analytics/sales.py).
    analytics_pending: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("true")
    )


Index("ix_tenant_orders_status_created_at", Order.status, Order.created_at)

# The board's DONE column: the latest done orders, without reading a year of them.
Index("ix_tenant_orders_status_changed_at", Order.status, Order.status_changed_at)

Index(
    "ix_tenant_orders_analytics_pending", Order.created_at, postgresql_where=Order.analytics_pending
)


class BoardVersion(db.Model):
    """One row; +1 in every transaction that changes an order (ordering and kitchen services).

    Kitchen tablets poll with the version they show; an unchanged version is a 204 after one
    primary-key read. A counter row, not max(updated_at): a row lock orders the bumps by commit,
    so a poll can never miss a change committed after a later timestamp was already seen.
    """

    __tablename__ = "board_version"
    __table_args__ = (
        CheckConstraint("singleton", name="board_version_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "board"}},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
