"""``flask worker`` runs background jobs; ``flask jobs status|retry`` shows and retries them.

A worker is a plain process: run as many as needed, on as many machines as reach the database
(deploy/workers.md). Without ``--queue`` it runs a pool of slots for each queue that calls the
restaurants' own machines, which may be slow or off (webhooks, direct printing), and one for
every other queue (mail, maintenance), so a receiver or a printer, however slow, never holds a
slot the mail needs. SIGTERM (or Ctrl-C) stops it gracefully: it takes no new job and waits up
to ``--graceful`` seconds for the running ones; a job it could not finish is found by the
stalled-jobs task once the worker's heartbeat is older than OMNIORDER_WORKER_STALLED_AFTER
seconds, and tried again.
"""

import asyncio
import datetime
import signal
import traceback
from concurrent.futures import ThreadPoolExecutor

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from procrastinate.worker import Worker
from sqlalchemy import text

from omniorder.core.commands import command
from omniorder.core.database import db
from omniorder.core.errors import Conflict, NotFound
from omniorder.jobs.engine import (
    SCHEDULES,
    import_task_modules,
    queue,
    schedule,
    stalled_after,
    use_flask_app,
    worker_connector,
)

KEEP_ERROR = (
    "INSERT INTO public.job_errors (job_id, task_name, error) "
    "VALUES (%(job_id)s, %(task_name)s, %(error)s) "
    "ON CONFLICT (job_id) DO UPDATE SET error = EXCLUDED.error, failed_at = EXCLUDED.failed_at"
)
FORGET_ERROR = "DELETE FROM public.job_errors WHERE job_id = %(job_id)s"


async def record_errors(call_next, context, worker):
    """Worker middleware: keep each failed job's last error (procrastinate keeps only its
    status) for `flask jobs status`; a later success clears it. Runs on the worker's own
    connections, outside the job's unit of work, so the error survives its rollback."""
    connector = context.app.connector
    try:
        result = await call_next()
    except Exception as error:
        message = "".join(traceback.format_exception_only(error)).strip()[:2000]
        await connector.execute_query_async(
            KEEP_ERROR, job_id=context.job.id, task_name=context.job.task_name, error=message
        )
        raise
    if context.job.attempts:  # only a retried job can have an error to forget
        await connector.execute_query_async(FORGET_ERROR, job_id=context.job.id)
    return result


# Queues whose jobs call the restaurants' own machines (webhook receivers, printers on
# their networks): each gets a pool of its own.
OWN_POOLS = ("webhooks", "printing")


def pools(queues: tuple[str, ...], concurrency: int, webhook_concurrency: int) -> list:
    """(queues, slots) of each pool: the queues asked for, or each of `OWN_POOLS` apart from
    the rest. Every task module is imported first: a worker runs tasks by their registered
    names."""
    import_task_modules()
    if queues:
        return [(list(queues), concurrency)]
    known = {task.queue for task in queue.tasks.values()}
    apart = [([name], webhook_concurrency) for name in OWN_POOLS if name in known]
    return [(sorted(known - set(OWN_POOLS)), concurrency), *apart]


async def run_pools(slots: list, **options) -> None:
    """One procrastinate worker per pool in this process, all stopped by SIGTERM or SIGINT.
    Our tasks are sync: each runs in a thread of the loop's executor, which gets a thread per
    slot (the default has cpu count + 4, fewer than the slots of two pools may be)."""
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=sum(n for _, n in slots)))
    workers = [
        Worker(app=queue, queues=names, concurrency=n, name=f"worker {'+'.join(names)}", **options)
        for names, n in slots
    ]
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, lambda: [worker.stop() for worker in workers])
    async with queue.open_async():
        await asyncio.gather(*(worker.run() for worker in workers))


@click.command("worker")
@click.option("--queue", "queues", multiple=True, help="Queues to take jobs from (default: all).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option(
    "--webhook-concurrency",
    type=click.IntRange(1, 64),
    help="Without --queue: slots of the webhooks pool and of the printing pool each "
    "(default: --concurrency).",
)
@click.option(
    "--graceful",
    type=click.FloatRange(0),
    default=30,
    show_default=True,
    help="Seconds a stop waits for running jobs.",
)
@with_appcontext
def worker_command(queues, concurrency, webhook_concurrency, graceful):
    """Run background jobs (notifications, webhooks, analytics refresh, archival) until
    stopped."""
    app = current_app._get_current_object()
    use_flask_app(app)
    with db.engine.connect():  # starts the embedded server when DATABASE_URL is unset
        pass
    heartbeat = max(stalled_after() / 3, 0.5)
    slots = pools(queues, concurrency, webhook_concurrency or concurrency)
    click.echo("worker: " + "; ".join(f"{', '.join(q)} ({n} at once)" for q, n in slots))
    with queue.replace_connector(worker_connector(app)):
        asyncio.run(
            run_pools(
                slots,
                shutdown_graceful_timeout=graceful,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after(),
                worker_middleware=[record_errors],
                install_signal_handlers=False,
            )
        )


jobs_cli = AppGroup(
    "jobs", help="Background jobs: what is queued, what failed and why, the periodic runs."
)


def _ago(moment) -> str:
    if moment is None:
        return "never"
    seconds = int((datetime.datetime.now(datetime.UTC) - moment).total_seconds())
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({seconds // 60} min ago)"


@jobs_cli.command("status")
@command
def status():
    """Jobs per queue and status, failed jobs with their last error, each periodic job's
    schedule and last run."""
    session = db.session
    counts = session.execute(
        text(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
    ).all()
    click.echo("queues:")
    for queue_name, job_status, count in counts:
        click.echo(f"  {queue_name}: {job_status} {count}")
    if not counts:
        click.echo("  (no jobs)")
    failed = session.execute(
        text(
            "SELECT j.id, j.task_name, j.attempts, e.error FROM procrastinate_jobs j "
            "LEFT JOIN public.job_errors e ON e.job_id = j.id "
            "WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT 20"
        )
    ).all()
    click.echo(f"failed: {len(failed)}" + (" (latest 20)" if len(failed) == 20 else ""))
    for job_id, task_name, attempts, error in failed:
        click.echo(f"  #{job_id} {task_name} after {attempts} attempts: {error or '(no message)'}")
    last_runs = dict(
        session.execute(
            text(
                "SELECT periodic_id, max(defer_timestamp) FROM procrastinate_periodic_defers "
                "GROUP BY periodic_id"
            )
        ).all()
    )
    click.echo("periodic:")
    import_task_modules()
    for periodic_id, (variable, _, purpose) in SCHEDULES.items():
        stamp = last_runs.get(periodic_id)
        last = datetime.datetime.fromtimestamp(stamp, datetime.UTC) if stamp else None
        click.echo(
            f"  {periodic_id}: '{schedule(periodic_id)}' ({variable}), last run {_ago(last)}: "
            f"{purpose}"
        )


@jobs_cli.command("retry")
@click.argument("job_id", type=click.IntRange(1))
@command
def retry(job_id):
    """Run a failed job again now (procrastinate's own retry: the event log records it)."""
    found = db.session.execute(
        text("SELECT status::text FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
    ).scalar()
    if found is None:
        raise NotFound(f"no job #{job_id}")
    if found != "failed":
        raise Conflict(f"job #{job_id} is {found}; only failed jobs are retried")
    db.session.execute(
        text(
            "SELECT procrastinate_retry_job_v2(id, now(), priority, queue_name, lock) "
            "FROM procrastinate_jobs WHERE id = :id"
        ),
        {"id": job_id},
    )
    click.echo(f"job #{job_id} queued again")
