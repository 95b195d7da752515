"""The job engine's printing: a direct printer's ticket, retried with backoff (the first
retries within seconds) while the printer is off, for 15 minutes (printing/direct.py); and
the hourly removal of tickets printed or discarded a week ago (their bytes are of no use)."""

import datetime

from procrastinate import BaseRetryStrategy, RetryDecision
from sqlalchemy import delete, func

from omniorder.core.database import db
from omniorder.jobs.engine import periodic_task, tenant_task
from omniorder.printing import direct
from omniorder.printing.models import PrintJob
from omniorder.tenancy.fanout import for_each_tenant, tenants_named

FIRST_WAIT_SECONDS = 2
LONGEST_WAIT_SECONDS = 30
MAX_OTHER_FAILURES = 10


class PrinterBackoff(BaseRetryStrategy):
    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if isinstance(exception, direct.PrinterUnreachable) and exception.final:
            return None  # the board shows it waiting; Reprint is at hand
        if (
            not isinstance(exception, direct.PrinterUnreachable)
            and job.attempts >= MAX_OTHER_FAILURES
        ):
            return None
        wait = min(FIRST_WAIT_SECONDS * 2 ** min(job.attempts, 5), LONGEST_WAIT_SECONDS)
        return RetryDecision(retry_in={"seconds": wait})


@tenant_task(name="send_ticket", queue="printing", retry=PrinterBackoff(), own_transactions=True)
def send_ticket(job_id: str) -> str:
    return direct.send_ticket(job_id)


KEPT = datetime.timedelta(days=7)


def _forget_old_tickets(connection, tenant) -> int:
    old = func.now() - KEPT
    return connection.execute(
        delete(PrintJob).where(
            (PrintJob.printed_at < old) | (PrintJob.discarded & (PrintJob.created_at < old))
        )
    ).rowcount


@periodic_task(
    "print-cleanup",
    "OMNIORDER_PRINT_CLEANUP_CRON",
    "43 * * * *",
    "delete tickets printed or discarded over 7 days ago",
)
def print_cleanup(timestamp: int) -> dict:
    outcomes = for_each_tenant(db.engine, tenants_named(), _forget_old_tickets)
    return {
        "rows": sum(o.value or 0 for o in outcomes.values()),
        "failed": {t.domain: o.error for t, o in outcomes.items() if o.error},
    }
