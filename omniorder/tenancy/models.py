"""The `public` schema's switchboard: the tenant registry that maps a Host to a schema."""

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, db


class Tenant(db.Model):
    __tablename__ = "tenants"
    __table_args__ = {"schema": "public", "info": {CHANGE_TOPIC: "registry"}}

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    name: Mapped[str] = mapped_column(String, nullable=False)
    schema_name: Mapped[str] = mapped_column(String, unique=True, nullable=False)
    domain: Mapped[str] = mapped_column(String, unique=True, nullable=False)
    theme_config: Mapped[dict] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    # Set by an operator's `flask tenants suspend` (omniorder/platform/suspension.py).
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_reason: Mapped[str | None] = mapped_column(String)


class RegistryVersion(db.Model):
    """One row, bumped by a trigger on every change to `tenants`.

    Workers poll this single row to learn cheaply whether their cached registry is stale.
    """

    __tablename__ = "registry_version"
    __table_args__ = (
        CheckConstraint("singleton", name="registry_version_singleton"),
        {"schema": "public"},
    )

    singleton: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(nullable=False, server_default=text("0"))
