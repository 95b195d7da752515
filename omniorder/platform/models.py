"""The self-service sign-up's public tables (public revision p0006_signups)."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import db


class Signup(db.Model):
    """A restaurant asked for on /signup, waiting for its owner to open the e-mailed link; it
    reserves its subdomain while unconfirmed and younger than `signup.RESERVED_FOR`."""

    __tablename__ = "signups"
    __table_args__ = (
        Index(
            "signups_pending_subdomain",
            "subdomain",
            unique=True,
            postgresql_where=text("confirmed_at IS NULL"),
        ),
        {"schema": "public"},
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    subdomain: Mapped[str] = mapped_column(String, nullable=False)
    restaurant_name: Mapped[str] = mapped_column(String, nullable=False)
    email: Mapped[str] = mapped_column(String, nullable=False)
    hashed_password: Mapped[str] = mapped_column(String, nullable=False)  # bcrypt, as staff's
    settings: Mapped[dict] = mapped_column(JSONB, nullable=False)  # time zone, currency, locale
    sample_menu: Mapped[bool] = mapped_column(Boolean, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class SignupInvite(db.Model):
    """One invite code of ``flask platform invite``, by its SHA-256 only; used once."""

    __tablename__ = "signup_invites"
    __table_args__ = {"schema": "public"}

    code_hash: Mapped[str] = mapped_column(String, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
