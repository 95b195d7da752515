"""The restaurant's staff: who may sign in, with which role, and the failed logins that
throttle guessing (staff/accounts.py)."""

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import CHANGE_TOPIC, db, one_of, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

ROLES = ("admin", "manager", "kitchen")


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="users_role_check"),
        {"schema": TENANT_SCHEMA_PLACEHOLDER, "info": {CHANGE_TOPIC: "staff"}},
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String, nullable=False, unique=True, index=True)
    hashed_password: Mapped[str] = mapped_column(String, nullable=False)
    full_name: Mapped[str | None] = mapped_column(String)
    role: Mapped[str] = mapped_column(String, nullable=False, server_default=text("'admin'"))
    # Part of every session id (auth.py): +1 ends all of this person's sessions at once.
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    # The language of this person's board and back office; None: the restaurant's default.
    language: Mapped[str | None] = mapped_column(String(8))


class LoginFailure(db.Model):
    """Failed staff logins per limit, shared by every worker (see staff/accounts.py).

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
