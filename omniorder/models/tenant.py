"""Tables replicated in every tenant schema.

They are declared in the placeholder schema ``tenant``. No schema of that name ever exists
(schema names must start with ``tenant_``): a query runs against a real restaurant only when
`omniorder.tenancy.bind` translates the placeholder, and fails loudly otherwise.
"""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.extensions import db
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

ROLES = ("admin", "manager", "kitchen")
ORDER_STATUSES = ("PENDING", "COOKING", "DONE", "CANCELLED")
FIRST_ORDER_NUMBER = 1001


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="users_role_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    email: Mapped[str] = mapped_column(String, nullable=False, unique=True, index=True)
    hashed_password: Mapped[str] = mapped_column(String, nullable=False)
    full_name: Mapped[str | None] = mapped_column(String)
    role: Mapped[str] = mapped_column(String, nullable=False, server_default=text("'admin'"))
    # Part of every session id (auth.py): +1 ends all of this person's sessions at once.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = {"schema": TENANT_SCHEMA_PLACEHOLDER}

    id: Mapped[uuid.UUID] = _uuid_pk()
    name: Mapped[str] = mapped_column(String, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # The kitchen station that prepares this category's items (Grill, Cold, Bar…), or None.
    station: Mapped[str | None] = mapped_column(String)


class MenuItem(db.Model):
    __tablename__ = "menu_items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="menu_items_price_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(Category.id), index=True
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int] = mapped_column(Integer, nullable=False)
    image_url: Mapped[str | None] = mapped_column(String)
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    # Allergens from the EU list of 14 (services/menu.py ALLERGENS), shown as text.
    allergens: Mapped[list[str]] = mapped_column(
        ARRAY(String), nullable=False, server_default=text("'{}'::character varying[]")
    )


class OptionGroup(db.Model):
    """A choice on an item: Size (min 1, max 1: required, one) or Extras (min 0, max N)."""

    __tablename__ = "option_groups"
    __table_args__ = (
        CheckConstraint(
            "min_choices >= 0 AND max_choices >= 1 AND max_choices >= min_choices",
            name="option_groups_choices_check",
        ),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    menu_item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(MenuItem.id, ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    min_choices: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    max_choices: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Option(db.Model):
    """One choice of a group, with what it adds to the price (minor units, ≥ 0)."""

    __tablename__ = "options"
    __table_args__ = (
        CheckConstraint("price_delta >= 0", name="options_price_delta_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(OptionGroup.id, ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    price_delta: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="orders_status_check"),
        CheckConstraint("total_amount >= 0", name="orders_total_amount_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    # (services/pickup.py). NULL for orders from before estimates existed.
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    pickup_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: ASAP
    picked_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Optional contact: the e-mail gets the receipt and status messages (services/
    # notifications.py); the phone is for the restaurant only (no SMS provider is reachable).
    customer_email: Mapped[str | None] = mapped_column(String)
    customer_phone: Mapped[str | None] = mapped_column(String)
    # Not yet counted by the analytics warehouse (services/analytics.py).
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
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))


class RestaurantSettings(db.Model):
    """One row: the restaurant's settings document (services/settings.py validates it as a
    whole and fills in the defaults; time zone, currency, locale, tax, tips, and more to come).
    """

    __tablename__ = "settings"
    __table_args__ = (
        CheckConstraint("singleton", name="settings_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    document: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )


class LoginFailure(db.Model):
    """Failed staff logins per limit, shared by every worker (see services/staff.py).

    One row per limit that counts: ``scope`` names it ('email+address', 'address' or
    'email'), and the key columns it does not use are ''. A row's window ends at
    ``expires_at``; expired rows are purged.
    """

    __tablename__ = "login_failures"
    __table_args__ = {"schema": TENANT_SCHEMA_PLACEHOLDER}

    scope: Mapped[str] = mapped_column(String, primary_key=True)
    email: Mapped[str] = mapped_column(String, primary_key=True)
    address: Mapped[str] = mapped_column(String, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, index=True
    )


NOTIFICATION_CHANNELS = ("email", "webhook")
NOTIFICATION_STATUSES = ("pending", "sent", "failed")


class Notification(db.Model):
    """One message to send, written with the order change that causes it (the outbox): its
    `key` (order, event, channel) is unique, so it is sent once however often its job runs."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("channel", NOTIFICATION_CHANNELS), name="notifications_channel_check"),
        CheckConstraint(_in("status", NOTIFICATION_STATUSES), name="notifications_status_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
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
    their HMAC-SHA256 signature is made with (services/webhooks.py)."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        CheckConstraint("singleton", name="webhook_endpoint_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    url: Mapped[str] = mapped_column(String, nullable=False)
    secret: Mapped[str] = mapped_column(String, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


TENANT_TABLES = [
    User.__table__,
    Category.__table__,
    MenuItem.__table__,
    OptionGroup.__table__,
    Option.__table__,
    Order.__table__,
    RestaurantSettings.__table__,
    BoardVersion.__table__,
    LoginFailure.__table__,
    Notification.__table__,
    WebhookEndpoint.__table__,
]
