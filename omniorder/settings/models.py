"""The restaurant's settings document (one row), and the platform's list of the restaurants
whose settings hold sealed secrets."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
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


class SecretHolder(db.Model):
    """public.secret_holders: one row per restaurant whose settings hold a sealed secret (its
    Stripe secret key or webhook secret), written in the transaction that saves its settings
    (settings/payments.py). Production refuses to start without OMNIORDER_ENCRYPTION_KEYS
    while any row is here, and ``flask tenants rotate-secrets`` re-seals these restaurants'
    secrets only. A dropped restaurant's row goes with its registry row (ON DELETE CASCADE)."""

    __tablename__ = "secret_holders"
    __table_args__ = {"schema": "public"}

    schema_name: Mapped[str] = mapped_column(
        String,
        ForeignKey("public.tenants.schema_name", ondelete="CASCADE"),
        primary_key=True,
    )
