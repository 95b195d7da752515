"""public.job_errors: the last error of each failed background job."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omniorder.core.database import db


class JobError(db.Model):
    """The last error of each background job that failed (procrastinate keeps the status, not
    the message): what `flask jobs status` shows beside a failed job. Written by the worker's
    middleware (omniorder/jobs/cli.py); a job's row goes when the job succeeds on a retry."""

    __tablename__ = "job_errors"
    __table_args__ = {"schema": "public"}

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    task_name: Mapped[str] = mapped_column(String, nullable=False)
    error: Mapped[str] = mapped_column(Text, nullable=False)
    failed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=text("now()")
    )
