"""Background jobs in tests: run a queue in this process until nothing in it is due."""

import threading

from omniorder.cli.jobs import record_errors
from omniorder.jobs import queue, use_flask_app, worker_connector


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
