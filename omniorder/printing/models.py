"""Print jobs (one ticket for one printer) and the print agents allowed to fetch them."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import ANNOUNCE_AFTER_COMMIT, CHANGE_TOPIC, db, uuid_pk
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER

# Jobs are written with every order that enters the kitchen: a hot topic (announced after
# commit, like the board's), so the agents' poll is answered from memory (printing/jobs.py).
PRINT_TOPIC = {CHANGE_TOPIC: "print", ANNOUNCE_AFTER_COMMIT: True}
DEVICES_TOPIC = {CHANGE_TOPIC: "print_devices"}


class PrintJob(db.Model):
    """One ticket's ESC/POS bytes for one printer (one row per copy). Offered to an agent
    for `LEASE_SECONDS` at a time (``leased_until``) until acknowledged (``printed_at``); a
    direct printer's job is claimed by the job engine before it is sent."""

    __tablename__ = "print_jobs"
    __table_args__ = ({"schema": TENANT_SCHEMA_PLACEHOLDER, "info": PRINT_TOPIC},)

    id: Mapped[uuid.UUID] = uuid_pk()
    printer: Mapped[str] = mapped_column(String, nullable=False)
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: test page
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # Sent by the job engine over TCP (the printer had a host), not fetched by an agent.
    direct: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(String)
    discarded: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))


# What is still to print: the agents' poll and the board's warning read only these rows.
Index(
    "ix_tenant_print_jobs_waiting",
    PrintJob.printer,
    PrintJob.created_at,
    postgresql_where=PrintJob.printed_at.is_(None) & ~PrintJob.discarded,
)


class PrintDevice(db.Model):
    """A print agent: its token is shown once; only its SHA-256 is kept."""

    __tablename__ = "print_devices"
    __table_args__ = ({"schema": TENANT_SCHEMA_PLACEHOLDER, "info": DEVICES_TOPIC},)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String, nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
