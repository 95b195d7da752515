"""What a restaurant's Stripe account told us (events handled once) and the refunds asked of it."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import db, one_of, uuid_pk
from omniorder.ordering.models import Order
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

REFUND_STATUSES = ("pending", "succeeded", "failed")


class PaymentEvent(db.Model):
    """A Stripe event this restaurant handled: its id is the key, so a webhook delivered twice
    (Stripe retries, an attacker replays a signed one) changes nothing the second time."""

    __tablename__ = "payment_events"
    __table_args__ = ({"schema": TENANT_SCHEMA_PLACEHOLDER},)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_…
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


class Refund(db.Model):
    """Money given back on an order paid online: in full when it is cancelled, in part from the
    back office. Written with the decision (the cancel, the manager's form); the job engine
    asks Stripe (payments/refunds.py), keyed by this row's id, so a job run twice refunds once.
    Its status and last error are the order's history in the back office."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="refunds_amount_check"),
        CheckConstraint(one_of("status", REFUND_STATUSES), name="refunds_status_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(Order.id, ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    requested_by: Mapped[str | None] = mapped_column(String)  # the staff member, None: a rule
    status: Mapped[str] = mapped_column(String, nullable=False, server_default=text("'pending'"))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
