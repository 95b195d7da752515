"""The restaurant's settings document (one row)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, db
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER


class RestaurantSettings(db.Model):
    """One row: the restaurant's settings document (settings/document.py validates it as a
    whole and fills in the defaults; time zone, currency, locale, tax, tips, and more to come).
    """

    __tablename__ = "settings"
    __table_args__ = (
        CheckConstraint("singleton", name="settings_singleton"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "menu"}},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    document: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
