"""Periodic upkeep: the analytics warehouse, archival, expired rows.

Each schedule is a cron expression from the environment (read when the worker starts,
`periodic_schedule`), listed by `flask jobs status`. procrastinate records every periodic run
in the database before it defers it, so with any number of workers on any number of
machines each run is deferred once; a task's `lock` also keeps two runs of one task from
overlapping when one runs long.
"""

import datetime
import os

from sqlalchemy import delete, func, update

from omniorder.analytics import archive
from omniorder.analytics import sales as analytics
from omniorder.core.database import db
from omniorder.jobs.engine import periodic_task
from omniorder.ordering.models import Order
from omniorder.staff.models import LoginFailure
from omniorder.tenancy.fanout import for_each_tenant, tenants_named

IDEMPOTENCY_KEY_HOURS = 24


@periodic_task(
    "analytics-refresh",
    "OMNIORDER_ANALYTICS_CRON",
    "*/5 * * * *",
    "count new and changed orders into public.analytics",
)
def analytics_refresh(timestamp: int) -> dict:
    report = analytics.refresh()
    return {"refreshed": report.refreshed, "failed": report.failed}


@periodic_task(
    "archive",
    "OMNIORDER_ARCHIVE_CRON",
    "30 3 * * *",
    "move finished orders older than OMNIORDER_ARCHIVE_AFTER (12mo) to Parquet",
)
def archive_orders(timestamp: int) -> dict:
    """Archival as `flask orders archive` runs it, with its safety: whole days only, each
    month's file read back before its orders are deleted, open orders never moved."""
    report = archive.archive(older_than=os.environ.get("OMNIORDER_ARCHIVE_AFTER") or "12mo")
    return {"archived": sum(report.archived.values()), "failed": report.failed}


def _forget_expired(connection, tenant) -> int:
    keys = connection.execute(
        update(Order)
        .where(
            Order.idempotency_key.is_not(None),
            Order.created_at < func.now() - datetime.timedelta(hours=IDEMPOTENCY_KEY_HOURS),
        )
        .values(idempotency_key=None, request_digest=None)
    ).rowcount
    failures = connection.execute(
        delete(LoginFailure).where(LoginFailure.expires_at <= func.now())
    ).rowcount
    return keys + failures


@periodic_task(
    "cleanup",
    "OMNIORDER_CLEANUP_CRON",
    "17 * * * *",
    "forget idempotency keys after 24 h, delete expired login-failure rows",
)
def cleanup(timestamp: int) -> dict:
    """Idempotency keys are honoured for 24 hours (a retry comes within minutes; Stripe keeps
    them as long), then forgotten so the unique index stays small; expired login-failure rows
    go (a later attempt would purge them too, but a quiet restaurant has none)."""
    outcomes = for_each_tenant(db.engine, tenants_named(), _forget_expired)
    return {
        "rows": sum(o.value or 0 for o in outcomes.values()),
        "failed": {t.domain: o.error for t, o in outcomes.items() if o.error},
    }
