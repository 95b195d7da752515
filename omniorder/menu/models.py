"""The menu: categories, items, and the option groups and options an item offers."""

import datetime
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, VERSION_OF_TOPIC, db, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}}

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String, nullable=False)
    # The name in the restaurant's other languages ({"de": "Vorspeisen"}); `name` is the default's.
    name_i18n: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # The kitchen station that prepares this category's items (Grill, Cold, Bar…), or None.
    station: Mapped[str | None] = mapped_column(String)


class MenuItem(db.Model):
    __tablename__ = "menu_items"
    __table_args__ = (
        CheckConstraint("price >= 0", name="menu_items_price_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey(Category.id), index=True
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    # Name and description in the restaurant's other languages (as `Category.name_i18n`).
    name_i18n: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    description_i18n: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    price: Mapped[int] = mapped_column(Integer, nullable=False)
    image_url: Mapped[str | None] = mapped_column(String)  # an outside address (API, import)
    # An uploaded photo's reference (omniorder/media/reference.py), and its alt text (shown:
    # this, else the item's name).
    photo: Mapped[dict | None] = mapped_column(JSONB)
    photo_alt: Mapped[str | None] = mapped_column(Text)
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    # Allergens from the EU list of 14 (menu/catalog.py ALLERGENS), shown as text.
    allergens: Mapped[list[str]] = mapped_column(
        ARRAY(String), nullable=False, server_default=text("'{}'::character varying[]")
    )
    # Its place within its category (the back office's Items page, the storefront, the API).
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class OptionGroup(db.Model):
    """A choice of the menu: Size (min 1, max 1: required, one) or Extras (min 0, max N),
    attached to any number of items (`ItemOptionGroup`); its options and their prices are the
    same on every one of them. Its name is unique in the menu, ignoring case (documents and
    the back office name it)."""

    __tablename__ = "option_groups"
    __table_args__ = (
        CheckConstraint(
            "min_choices >= 0 AND max_choices >= 1 AND max_choices >= min_choices",
            name="option_groups_choices_check",
        ),
        Index("option_groups_name_key", func.lower(text("name")), unique=True),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String, nullable=False)
    name_i18n: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    min_choices: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    max_choices: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))


class ItemOptionGroup(db.Model):
    """A group offered on an item, at its place (`rank`) among the item's groups."""

    __tablename__ = "item_option_groups"
    __table_args__ = {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}}

    menu_item_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(MenuItem.id, ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(OptionGroup.id, ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Option(db.Model):
    """One choice of a group, with what it adds to the price (minor units, ≥ 0)."""

    __tablename__ = "options"
    __table_args__ = (
        CheckConstraint("price_delta >= 0", name="options_price_delta_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    group_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(OptionGroup.id, ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    name_i18n: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    price_delta: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    rank: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class MenuTrash(db.Model):
    """A deleted category (with its items) or item (with its option groups and options),
    kept 30 days so it can be restored with the SAME ids (menu/trash.py). A table of its own
    rather than soft-delete columns: no read of the menu has to learn to skip deleted rows."""

    __tablename__ = "menu_trash"
    __table_args__ = (
        CheckConstraint("kind IN ('item', 'category')", name="menu_trash_kind_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String, nullable=False)
    label: Mapped[str] = mapped_column(String, nullable=False)
    payload: Mapped[dict] = mapped_column(JSONB, nullable=False)
    deleted_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()"), index=True
    )


class MenuVersion(db.Model):
    """One row: how many transactions have changed the menu topic (categories, items, option
    groups, their links to items, options, the settings, the webhook endpoint). The change
    feed adds 1 as each of
    them commits (cache/changes.py); a checkout priced from a worker's memory inserts its
    order only while the version is still the one it read (ordering/checkout.py).

    Only menu edits write it, so it is never a hot row for orders: they read it."""

    __tablename__ = "menu_version"
    __table_args__ = (
        CheckConstraint("singleton", name="menu_version_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {VERSION_OF_TOPIC: "menu"}},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
