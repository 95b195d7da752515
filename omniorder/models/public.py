"""The `public` schema: the switchboard that maps a Host header to a tenant schema."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.extensions import db


class Tenant(db.Model):
    __tablename__ = "tenants"
    __table_args__ = {"schema": "public"}

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


class DailySales(db.Model):
    """public.analytics: one row per tenant per local day (the restaurant's time zone; every
    order created that day, cancelled ones counted nowhere). See services/analytics.py."""

    __tablename__ = "analytics"
    __table_args__ = {"schema": "public"}

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey(Tenant.id, ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, nullable=False)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    items_sold: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )


class JobError(db.Model):
    """The last error of each background job that failed (procrastinate keeps the status, not
    the message): what `flask jobs status` shows beside a failed job. Written by the worker's
    middleware (omniorder/cli/jobs.py); a job's row goes when the job succeeds on a retry."""

    __tablename__ = "job_errors"
    __table_args__ = {"schema": "public"}

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_name: Mapped[str] = mapped_column(String, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False)
    failed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
