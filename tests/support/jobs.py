"""Background jobs in tests: run a queue in this process until nothing in it is due, or
start a real ``flask worker`` process."""

import os
import subprocess
import sys
import threading

from omniorder.jobs.cli import record_errors
from omniorder.jobs.engine import queue, use_flask_app, worker_connector
from tests.support import REPOSITORY

# Periodic jobs far away (the first of January), so only what a test turns on runs.
QUIET_SCHEDULES = {
    "OMNIORDER_ANALYTICS_CRON": "0 0 1 1 *",
    "OMNIORDER_ARCHIVE_CRON": "0 0 1 1 *",
    "OMNIORDER_CLEANUP_CRON": "0 0 1 1 *",
    "OMNIORDER_SIGNUP_CLEANUP_CRON": "0 0 1 1 *",
    "OMNIORDER_PRINT_CLEANUP_CRON": "0 0 1 1 *",
}


def flask_worker(database_url: str, arguments: list[str], **environment: str) -> subprocess.Popen:
    """A `flask worker` process (own session, so a test can signal it alone) with `arguments`
    and `environment` on top of quiet schedules; its output is piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", *arguments],
        cwd=REPOSITORY,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "FLASK_APP": "omniorder",
            "OMNIORDER_DEV": "1",
            **QUIET_SCHEDULES,
            **environment,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def run_queue(app, name: str) -> None:
    """Work through queue `name` with a worker of this process until nothing in it is due, as
    `flask worker` would (same middleware). In a thread of its own: the worker's asyncio.run()
    needs a thread without a running event loop, and the browser tests' Playwright keeps one
    running in the main thread for the whole session."""
    failures = []

    def work():
        try:
            with queue.replace_connector(worker_connector(app)):
                queue.run_worker(
                    queues=[name],
                    wait=False,
                    install_signal_handlers=False,
                    worker_middleware=[record_errors],
                )
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            failures.append(error)

    use_flask_app(app)
    worker = threading.Thread(target=work)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), f"the {name} queue did not drain within 2 minutes"
    if failures:
        raise failures[0]
