"""The job engine (omniorder/jobs/engine.py, procrastinate) on real PostgreSQL: transactional
enqueue, tenant-bound tasks, failures kept with their error and retried, periodic runs deduplicated
across two real worker processes.

Tasks declared here run in this process (tests/support/jobs.run_queue: a worker that stops
when its queue is empty); each test uses a queue of its own so it never takes another test's
jobs.
"""

import signal
import subprocess
import time
import uuid

import pytest
from sqlalchemy import select, text

from omniorder.core.database import db
from omniorder.core.errors import Conflict
from omniorder.jobs.engine import defer_for_tenant, tenant_task
from omniorder.ordering.models import Order
from tests.support.choices import bound
from tests.support.jobs import flask_worker, run_queue
from tests.support.orders import insert_orders

SEEN: dict[str, list] = {}  # what the test tasks saw, by run id


@tenant_task(name="test_orders_seen", queue="test-isolation")
def orders_seen(run_id: str) -> None:
    SEEN.setdefault(run_id, []).extend(db.session.scalars(select(Order.customer_name)))


FAILURES_LEFT: dict[str, int] = {}


@tenant_task(name="test_fails_first", queue="test-failures")
def fails_first(run_id: str) -> None:
    if FAILURES_LEFT.get(run_id, 0) > 0:
        FAILURES_LEFT[run_id] -= 1
        raise Conflict(f"the kitchen printer is out of paper ({run_id})")
    SEEN.setdefault(run_id, []).append("done")


def jobs_in(connection, queue_name: str) -> list[tuple]:
    return connection.execute(
        text(
            "SELECT task_name, status::text, args FROM procrastinate_jobs "
            "WHERE queue_name = :q ORDER BY id"
        ),
        {"q": queue_name},
    ).all()


def test_a_job_of_a_rolled_back_unit_of_work_never_exists(app, tenant, db_connection):
    run_id = uuid.uuid4().hex
    with pytest.raises(RuntimeError), bound(app, tenant):
        defer_for_tenant("test_orders_seen", run_id=run_id)
        raise RuntimeError("the order failed after its job was deferred")
    assert [job for job in jobs_in(db_connection, "test-isolation") if run_id in str(job)] == []
    with bound(app, tenant):
        defer_for_tenant("test_orders_seen", run_id=run_id)
    queued = [job for job in jobs_in(db_connection, "test-isolation") if run_id in str(job)]
    assert [(name, status) for name, status, _ in queued] == [("test_orders_seen", "todo")]


def test_a_tenant_task_sees_its_own_restaurant_only(app, make_tenant, db_connection):
    run_id = uuid.uuid4().hex
    alpine, bistro = make_tenant(name="Alpine"), make_tenant(name="Bistro")
    insert_orders(db_connection, alpine, ["Alpine guest"] * 3)
    insert_orders(db_connection, bistro, ["Bistro guest"] * 2)
    db_connection.commit()
    for tenant in (alpine, bistro):
        with bound(app, tenant):
            defer_for_tenant("test_orders_seen", run_id=f"{run_id}-{tenant.domain}")
    run_queue(app, "test-isolation")
    assert SEEN[f"{run_id}-{alpine.domain}"] == ["Alpine guest"] * 3
    assert SEEN[f"{run_id}-{bistro.domain}"] == ["Bistro guest"] * 2


def test_a_job_of_a_dropped_restaurant_ends_quietly(app, make_tenant, runner):
    run_id = uuid.uuid4().hex
    doomed = make_tenant(name="Doomed")
    with bound(app, doomed):
        defer_for_tenant("test_orders_seen", run_id=run_id)
    result = runner.invoke(args=["tenants", "drop", doomed.domain, "--yes"])
    assert result.exit_code == 0, result.output
    run_queue(app, "test-isolation")
    assert run_id not in SEEN


def test_a_failed_job_keeps_its_error_and_runs_again_on_retry(app, tenant, runner, db_connection):
    run_id = uuid.uuid4().hex
    FAILURES_LEFT[run_id] = 1
    with bound(app, tenant):
        defer_for_tenant("test_fails_first", run_id=run_id)
    run_queue(app, "test-failures")
    job_id = db_connection.execute(
        text(
            "SELECT id FROM procrastinate_jobs WHERE task_name = 'test_fails_first' "
            "AND args->>'run_id' = :r"
        ),
        {"r": run_id},
    ).scalar()
    status = runner.invoke(args=["jobs", "status"])
    assert status.exit_code == 0, status.output
    assert f"#{job_id} test_fails_first after 1 attempts: " in status.output
    assert f"the kitchen printer is out of paper ({run_id})" in status.output

    retried = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert retried.exit_code == 0 and f"job #{job_id} queued again" in retried.output
    run_queue(app, "test-failures")
    assert SEEN[run_id] == ["done"]
    assert f"#{job_id} test_fails_first" not in runner.invoke(args=["jobs", "status"]).output
    again = runner.invoke(args=["jobs", "retry", str(job_id)])
    assert again.exit_code == 1 and "only failed jobs are retried" in again.output
    assert runner.invoke(args=["jobs", "retry", "999999999"]).exit_code == 1


def test_jobs_status_lists_every_periodic_job_with_its_schedule(runner):
    output = runner.invoke(args=["jobs", "status"]).output
    for periodic_id in (
        "analytics-refresh",
        "archive",
        "cleanup",
        "retry-stalled-jobs",
        "signup-cleanup",
    ):
        assert f"  {periodic_id}: '" in output
    assert "OMNIORDER_ANALYTICS_CRON" in output and "*/5 * * * *" in output


# --- two real worker processes --------------------------------------------------------------


def start_worker(database_url: str, cron: str) -> subprocess.Popen:
    return flask_worker(
        database_url, ["--queue", "default", "--concurrency", "2"], OMNIORDER_STALLED_CRON=cron
    )


def stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=60)
    return output.decode(errors="replace")


def test_two_workers_defer_each_periodic_run_once(database_url, db_connection):
    """Both workers schedule the every-second task; the database takes each second's run
    once (procrastinate_periodic_defers is unique per task and timestamp), so each second is
    one job, done once."""
    since = int(time.time())
    query = text(
        "SELECT (args->>'timestamp')::bigint, count(*), min(status::text), max(attempts) "
        "FROM procrastinate_jobs WHERE task_name = 'retry_stalled_jobs' "
        "AND (args->>'timestamp')::bigint >= :since GROUP BY 1 ORDER BY 1"
    )

    def runs():
        rows = db_connection.execute(query, {"since": since}).all()
        db_connection.rollback()
        return rows

    workers = [start_worker(database_url, "* * * * * *") for _ in range(2)]
    try:
        # at least 5 seconds of both running; longer on a loaded machine (workers start slowly)
        time.sleep(5)
        deadline = time.monotonic() + 30
        while len(runs()) < 5 and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        outputs = [stop(worker) for worker in workers]
    rows = runs()
    assert len(rows) >= 3, outputs
    assert all(jobs == 1 for _, jobs, _, _ in rows), rows  # each second's run: one job
    assert all(s == "succeeded" and a == 1 for _, _, s, a in rows[:-2]), rows  # run once
    assert all(worker.returncode == 0 for worker in workers), outputs


def test_a_worker_keeps_webhooks_and_printers_out_of_the_mails_slots():
    """A receiver or a printer that is slow or off holds slots of its own pool only."""
    from omniorder.jobs.cli import pools

    (others, slots), *apart = pools((), concurrency=4, webhook_concurrency=2)
    assert slots == 4 and {"mail", "default"} <= set(others)
    assert not {"webhooks", "printing"} & set(others)
    assert apart == [(["webhooks"], 2), (["printing"], 2)]
    assert pools(("printing",), concurrency=3, webhook_concurrency=2) == [(["printing"], 3)]
