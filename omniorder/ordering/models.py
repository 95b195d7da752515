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
    SmallInteger,
    String,
    Text,
    bindparam,
    cast,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import ANNOUNCE_AFTER_COMMIT, CHANGE_TOPIC, db, one_of, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

ORDER_STATUSES = ("PENDING", "COOKING", "DONE", "CANCELLED")
# The order's money, apart from the kitchen's status (omniorder/payments): paid at the counter,
# awaiting an online payment (not on the board yet), paid online, refunded in full or in part.
PAYMENT_STATUSES = ("counter", "requires_payment", "paid", "refunded", "partially_refunded")
AWAITING_PAYMENT = "requires_payment"
PAID_ONLINE = ("paid", "partially_refunded", "refunded")  # the card was charged, whatever since
BOARD_TOPIC = {CHANGE_TOPIC: "board", ANNOUNCE_AFTER_COMMIT: True}

FIRST_ORDER_NUMBER = 1001


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", ORDER_STATUSES), name="orders_status_check"),
        CheckConstraint("total_amount >= 0", name="orders_total_amount_check"),
        CheckConstraint(one_of("payment_status", PAYMENT_STATUSES), name="orders_payment_status"),
        CheckConstraint(
            "amount_refunded >= 0 AND amount_refunded <= total_amount",
            name="orders_amount_refunded_check",
        ),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": BOARD_TOPIC},
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
    payment_status: Mapped[str] = mapped_column(
        String, nullable=False, server_default=text("'counter'")
    )
    # The Stripe PaymentIntent of an order paid online (its restaurant's own Stripe account).
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount_refunded: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=text("0")
    )
    # Why the last online payment attempt failed (the card's decline), for the tracking page.
    payment_error: Mapped[str | None] = mapped_column(Text)
    # The kitchen's item-level marks: the positions in `items` of the lines their station has
    # bumped (omniorder/kitchen/board.py, `bump_station_lines`), one UPDATE of this row each.
    lines_done: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), nullable=False, server_default=text("'{}'::smallint[]")
    )
    # The language the order was placed in (its e-mails, receipt and tracking page); None for
    # orders from before languages: the restaurant's default.
    language: Mapped[str | None] = mapped_column(String(8))
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

# Orders awaiting their online payment: what the payment sweep looks for (payments/tasks.py).
Index(
    "ix_tenant_orders_awaiting_payment",
    Order.created_at,
    postgresql_where=(Order.payment_status == AWAITING_PAYMENT) & (Order.status != "CANCELLED"),
)


BOARD_STRIPES = 16


class BoardVersion(db.Model):
    """How many transactions have changed an order, the board's version: the SUM of
    `BOARD_STRIPES` counters (provisioning seeds them all). Every transaction that changes an
    order adds 1 to a stripe no other transaction holds at that moment (`board_version_bump`),
    so concurrent orders of one restaurant never queue on one row until commit.

    Kitchen tablets poll with the version they show; an unchanged sum is a 204. A sum of
    counters that only grow, not max(updated_at): a change that commits after a poll read
    the sum makes it larger, whatever order the commits came in, so no poll can miss one.
    """

    __tablename__ = "board_version"
    __table_args__ = (
        CheckConstraint(f"stripe >= 0 AND stripe < {BOARD_STRIPES}", name="board_version_stripe"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": BOARD_TOPIC},
    )

    stripe: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))


def board_version_bump(*conditions):
    """The UPDATE adding 1 to the board's version (when `conditions` hold): on the first stripe
    no other transaction holds, starting from this connection's own (``FOR UPDATE SKIP
    LOCKED``); only when all are held does it wait, on its own stripe. The own stripe is the
    parameter ``own_stripe`` (`own_stripe`), not ``pg_backend_pid()`` in the statement: Citus
    refuses a non-immutable function inside the COALESCE of an UPDATE."""
    own = bindparam("own_stripe", type_=SmallInteger)
    free = (
        select(BoardVersion.stripe)
        .order_by((BoardVersion.stripe - own + BOARD_STRIPES) % BOARD_STRIPES)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(BoardVersion)
        .where(BoardVersion.stripe == func.coalesce(free, own), *conditions)
        .values(version=BoardVersion.version + 1)
    )


BUMP_BOARD_VERSION = board_version_bump()


def own_stripe() -> int:
    """The stripe this session's connection starts from: its backend's pid, which the driver
    learnt when it connected (no round trip), modulo BOARD_STRIPES."""
    dbapi_connection = db.session.connection().connection.dbapi_connection
    return dbapi_connection.info.backend_pid % BOARD_STRIPES


def bump_board_version() -> None:
    """Call in every transaction that changes an order, before it commits."""
    db.session.execute(BUMP_BOARD_VERSION, {"own_stripe": own_stripe()})


# The board's version: the sum of its stripes (bigint, not sum()'s numeric).
BOARD_VERSION = cast(func.coalesce(func.sum(BoardVersion.version), 0), BigInteger)


def board_stripes() -> list[dict]:
    """The rows provisioning seeds."""
    return [{"stripe": stripe, "version": 0} for stripe in range(BOARD_STRIPES)]
