"""Webhook deliveries: one job per notification, retried when its POST failed.

A failed POST ends the job with `RetryAt` (notifications/webhooks.py), which says when to try
next (30 s, then doubling, at most an hour apart, the last at 24 hours after the event), as
does a delivery waiting for its restaurant's slot (a second or so); `WebhookBackoff`
schedules exactly that. The "webhooks" queue has worker slots of its own (`flask worker`), so
receivers, slow or not, never hold the mail's. Any other failure (the database away for a while)
is retried on the same doubling waits, up to `MAX_OTHER_FAILURES` times, so a bug cannot
keep a job alive forever.
"""

from procrastinate import BaseRetryStrategy, RetryDecision

from omniorder.jobs.engine import tenant_task
from omniorder.notifications import outbox as notifications
from omniorder.notifications import webhooks

MAX_OTHER_FAILURES = 40


class WebhookBackoff(BaseRetryStrategy):
    def get_retry_decision(self, *, exception, job) -> RetryDecision | None:
        if isinstance(exception, notifications.RetryAt):
            return RetryDecision(retry_at=exception.at)
        if job.attempts >= MAX_OTHER_FAILURES:
            return None
        wait = min(
            webhooks.FIRST_WAIT_SECONDS * 2 ** min(job.attempts, 10),
            webhooks.LONGEST_WAIT_SECONDS,
        )
        return RetryDecision(retry_in={"seconds": wait})


@tenant_task(name="post_webhook", queue="webhooks", retry=WebhookBackoff(), own_transactions=True)
def post_webhook(notification_id: str) -> str | None:
    return webhooks.deliver_webhook(notification_id)
