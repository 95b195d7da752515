"""Background work on procrastinate: a PostgreSQL job queue, so the default needs no new service.

Why procrastinate (3.x) rather than pgqueuer: jobs are deferred with a plain SQL function call,
which we run on the *request's own connection* (`defer`), so a job exists exactly when the
order that asked for it committed: a rolled-back order enqueues nothing, a committed one can
never lose its job. It has retries with backoff, per-job locks, periodic tasks whose runs are
deduplicated in the database (two workers on two machines defer each run once), worker
heartbeats to find jobs of a worker that died, LISTEN/NOTIFY with a polling fallback (so it
also works behind pgbouncer), and sync task functions, which is what our services are.
pgqueuer is async-first and schedules its periodic jobs per process.

- Its tables live in ``public`` (``procrastinate_*``), created by the public revision
  ``p0003_job_engine`` from the SQL shipped with the pinned version, so ``flask db upgrade``
  is the one command that prepares a database.
- `queue` is the one procrastinate App; tasks are declared in each capability's tasks module
  (`TASK_MODULES`). A worker
  (``flask worker``, omniorder/jobs/cli.py) gives it a connector to the database; a web request
  needs none, because `defer` runs on the request's connection.
- `tenant_task` runs a task bound to its restaurant through the same binding as a request
  (`tenant_context`: the schema is translated into every statement, no ``search_path``), in
  one unit of work, so a job can never touch another restaurant's schema.
"""

import functools
import importlib
import logging
import os

import procrastinate
from flask import Flask
from sqlalchemy.engine import URL

from omniorder.core.database import db
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.tenancy.bind import current_tenant, tenant_context
from omniorder.tenancy.registry import tenant_registry

log = logging.getLogger(__name__)

# The modules that declare tasks, imported by procrastinate when a worker starts (by name, so
# the engine imports no capability).
TASK_MODULES = [
    "omniorder.notifications.mail_tasks",
    "omniorder.notifications.webhook_tasks",
    "omniorder.analytics.tasks",
    "omniorder.payments.tasks",
    "omniorder.menu.tasks",
    "omniorder.platform.tasks",
    "omniorder.printing.tasks",
]
# No connection arguments: a web process never opens this connector's pool (`defer` passes the
# request's connection); a worker replaces it (`worker_connector`).
queue = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=TASK_MODULES)

# Defers on the caller's own (sync) connection. Inside a worker the App's connector is the
# worker's async pool, on which procrastinate would run a sync connection's query as async.
_DEFERRING = procrastinate.manager.JobManager(procrastinate.SyncPsycopgConnector())

# The Flask app a worker's tasks run in (set by `flask worker`); tasks push its context.
_flask_app: Flask | None = None


def use_flask_app(app: Flask) -> None:
    global _flask_app
    _flask_app = app


def flask_app() -> Flask:
    if _flask_app is None:
        raise RuntimeError("no Flask app for background tasks: start them with `flask worker`")
    return _flask_app


def conninfo(url: URL) -> str:
    """A SQLAlchemy URL as libpq connection info (the embedded server's socket included)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def worker_connector(app: Flask) -> procrastinate.PsycopgConnector:
    """The worker's own pool. LISTEN needs a direct server connection, so behind a pooler in
    transaction mode set OMNIORDER_LISTEN_URL (the worker then also polls every few seconds)."""
    url = app.config.get("OMNIORDER_LISTEN_URL")
    with app.app_context():
        target = conninfo(db.engine.url) if not url else url.replace("+psycopg", "")
    return procrastinate.PsycopgConnector(conninfo=target, min_size=1, max_size=8)


def defer(task_name: str, /, queueing_lock: str | None = None, **task_kwargs) -> bool:
    """Enqueue `task_name` inside the caller's unit of work: the job row is written by the
    session's own transaction and exists only if it commits. With a `queueing_lock`, nothing
    is enqueued (False) while a job with that lock still waits; a savepoint keeps the
    refusal from aborting the caller's transaction."""
    connection = db.session.connection().connection.driver_connection
    task = queue.configure_task(task_name, connection=connection, queueing_lock=queueing_lock)
    task.job_manager = _DEFERRING  # on this sync connection, also inside a worker's job
    if queueing_lock is None:
        task.defer(**task_kwargs)
        return True
    try:
        with db.session.begin_nested():
            task.defer(**task_kwargs)
    except procrastinate.exceptions.AlreadyEnqueued:
        return False
    return True


def defer_for_tenant(task_name: str, /, **task_kwargs) -> None:
    """`defer` a `tenant_task` for the restaurant bound to this request or command."""
    defer(task_name, tenant_id=str(current_tenant().id), **task_kwargs)


class RetryLater(Exception):
    """Raised by a task whose writes so far must be kept (an attempt counted, its error noted)
    while the job is tried again later: `tenant_task` commits, then fails the job, and
    procrastinate retries it as the task's `retry` strategy says."""


def tenant_task(**task_options):
    """Declare a task that runs bound to one restaurant: deferred with ``tenant_id``, run in an
    app context bound to that tenant, as one unit of work (commits at its end, rolls back on
    an exception, which procrastinate then retries as the task's `retry` says; `RetryLater`
    commits first). A job of a restaurant dropped since it was deferred ends quietly.

    ``own_transactions=True``: the task runs its own units of work instead, for one that must
    commit before it talks to another server and record the outcome after (notifications)."""
    own_transactions = task_options.pop("own_transactions", False)

    def decorate(function):
        @queue.task(name=task_options.pop("name", function.__name__), **task_options)
        @functools.wraps(function)
        def run(tenant_id: str, **kwargs):
            with flask_app().app_context():
                tenant = tenant_registry().by_id(tenant_id)
                if tenant is None:
                    log.info("skipped %s: tenant %s no longer exists", function.__name__, tenant_id)
                    return None
                with tenant_context(tenant):
                    if own_transactions:
                        return function(**kwargs)
                    return _in_unit_of_work(function, kwargs)

        return run

    return decorate


def _in_unit_of_work(function, kwargs):
    retry = None
    with unit_of_work():
        try:
            return function(**kwargs)
        except RetryLater as later:
            retry = later  # leave the block normally: what the task wrote is committed
    raise retry


def platform_task(**task_options):
    """A task over the whole platform (periodic maintenance, the sign-up's mail): an app
    context, one unit of work for what it does outside the tenant fan-out
    (``own_transactions=True``: its own units of work, as `tenant_task`'s)."""
    own_transactions = task_options.pop("own_transactions", False)

    def decorate(function):
        @queue.task(name=task_options.pop("name", function.__name__), **task_options)
        @functools.wraps(function)
        def run(*args, **kwargs):
            if own_transactions:
                with flask_app().app_context():
                    return function(*args, **kwargs)
            with flask_app().app_context(), unit_of_work():
                try:
                    return function(*args, **kwargs)
                except NotFound as error:
                    log.warning("%s: %s", function.__name__, error.message)
                    return None

        return run

    return decorate


# periodic id → (environment variable, default cron, what it does): each task module records
# its own with `periodic_schedule`; `flask jobs status` lists them.
SCHEDULES: dict[str, tuple[str, str, str]] = {}


def periodic_schedule(periodic_id: str, variable: str, default: str, purpose: str) -> str:
    """Record a periodic task's schedule and return its cron: the environment's, else
    `default` (read when the worker starts)."""
    SCHEDULES[periodic_id] = (variable, default, purpose)
    return schedule(periodic_id)


def periodic_task(periodic_id: str, variable: str, default: str, purpose: str):
    """A `platform_task` the worker defers on a schedule (`periodic_schedule`): the task is
    named after its function; one runs at a time and one waits at most (both locked on
    `periodic_id`), so a slow run is never overtaken by the next."""

    def decorate(function):
        task = platform_task(name=function.__name__, lock=periodic_id, queueing_lock=periodic_id)
        cron = periodic_schedule(periodic_id, variable, default, purpose)
        return queue.periodic(cron=cron, periodic_id=periodic_id)(task(function))

    return decorate


def schedule(periodic_id: str) -> str:
    variable, default, _ = SCHEDULES[periodic_id]
    return os.environ.get(variable) or default


def import_task_modules() -> None:
    """Import every task module (`TASK_MODULES`), so their tasks and schedules are known."""
    for name in TASK_MODULES:
        importlib.import_module(name)


def stalled_after() -> float:
    """Seconds without a heartbeat after which a worker counts as dead (its jobs retried)."""
    return float(os.environ.get("OMNIORDER_WORKER_STALLED_AFTER") or 30)


@queue.periodic(
    cron=periodic_schedule(
        "retry-stalled-jobs",
        "OMNIORDER_STALLED_CRON",
        "* * * * *",
        "retry the jobs of a worker that stopped sending heartbeats",
    ),
    periodic_id="retry-stalled-jobs",
)
@queue.task(name="retry_stalled_jobs", queueing_lock="retry-stalled-jobs")
async def retry_stalled_jobs(timestamp: int) -> int:
    """A worker killed mid-job leaves its job 'doing'; once the worker's heartbeat is older
    than the stalled timeout, the job is tried again (its task's idempotency makes that safe)."""
    stalled = list(
        await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after())
    )
    for job in stalled:
        await queue.job_manager.retry_job(job)
    return len(stalled)
