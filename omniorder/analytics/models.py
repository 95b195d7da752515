"""public.analytics: the platform's daily sales per restaurant."""

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import db
from omniorder.tenancy.models import Tenant


class DailySales(db.Model):
    """public.analytics: one row per tenant per local day (the restaurant's time zone; every
    order created that day, cancelled ones counted nowhere). See analytics/sales.py."""

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
