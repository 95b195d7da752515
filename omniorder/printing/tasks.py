"""The job engine's printing: a direct printer's ticket, retried with backoff (the first
retries within seconds) while the printer is off, for 15 minutes (printing/direct.py)."""

from procrastinate import BaseRetryStrategy, RetryDecision

from omniorder.jobs.engine import tenant_task
from omniorder.printing import direct

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
