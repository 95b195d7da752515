"""The customer's e-mails, sent by a worker from the "mail" queue (notifications/mail.py).

A message that cannot go out yet (the mail server is down, busy or answers 4xx) is tried
again with exponential backoff: 30 s, 1, 2, 4, 8, 16, 32 minutes, then hourly, 12 attempts
over about five hours; then, or at once on a permanent refusal (5xx for the recipient or the
message, or a message that cannot be written), the notification is marked 'failed' with its
last error for the back office (/admin/emails). The job itself then ends successfully: there
is nothing left to retry. No transaction is open while the server is talked to
(notifications/outbox.py).
"""

from flask import current_app
from procrastinate import BaseRetryStrategy, RetryDecision

from omniorder.jobs.engine import tenant_task
from omniorder.notifications import outbox as notifications
from omniorder.notifications.mail import MailChannel

MAX_ATTEMPTS = 12
FIRST_WAIT = 30  # seconds before the second attempt; doubled each time
LONGEST_WAIT = 3600


def retry_wait(attempts: int) -> int:
    """Seconds to wait after `attempts` failed attempts (1 → 30 s, 2 → 60 s, … at most 1 h)."""
    return min(FIRST_WAIT * 2 ** (attempts - 1), LONGEST_WAIT)


class MailBackoff(BaseRetryStrategy):
    """procrastinate's side of the backoff: it reschedules the job after each failure (a
    `RetryLater` from `deliver`, or any other error such as a lost database connection); a
    `RetryAt` (another run of the job is still sending) at the moment it names."""

    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if isinstance(exception, notifications.RetryAt):
            return RetryDecision(retry_at=exception.at)
        failed = job.attempts + 1  # procrastinate counts the attempts before this one
        if failed >= MAX_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": retry_wait(failed)})


@tenant_task(name="send_email", queue="mail", retry=MailBackoff(), own_transactions=True)
def send_email(notification_id: str) -> str | None:
    """Send one notification's e-mail unless it went out already; its status afterwards."""
    channel = MailChannel(current_app._get_current_object(), MAX_ATTEMPTS)
    return notifications.deliver(notification_id, channel)
