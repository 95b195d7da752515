"""The app and the databases tests run on: the app factory with test settings, a database
on a Citus coordinator, and small checks. The fixtures in conftest build on these."""

import contextlib
import os
import time

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from omniorder import create_app
from tests.support import REPOSITORY

SYS_TOKEN = "test-system-token-" + "x" * 20
# The Fernet key that seals restaurants' payment secrets in tests (OMNIORDER_ENCRYPTION_KEYS).
ENCRYPTION_KEY = "n4bFXoJqWa5UgjQRGD6_aPjT0QQv6GlG6VmW1OsgU2E="


def server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from omniorder.core.embedded_postgres import start_embedded_postgres

    return start_embedded_postgres(REPOSITORY / "instance" / "test-postgres", "postgres")


def citus_workers(admin_connection) -> list[tuple[str, int]] | None:
    """The worker nodes when the test server is a Citus coordinator (scripts/citus up), else
    None: the tests then run on one PostgreSQL server."""
    citus = "SELECT 1 FROM pg_extension WHERE extname = 'citus'"
    if admin_connection.exec_driver_sql(citus).first() is None:
        return None
    nodes = "SELECT node_name, node_port FROM citus_get_active_worker_nodes() ORDER BY 2"
    return [tuple(row) for row in admin_connection.exec_driver_sql(nodes)]


def make_citus_database(url: str, server, workers) -> None:
    """A fresh database on a Citus coordinator is plain PostgreSQL (its CREATE DATABASE reaches
    the workers, the extension does not): add the extension on every node and register them."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE EXTENSION citus")
        _on_workers(connection, workers, "CREATE EXTENSION IF NOT EXISTS citus")
        connection.execute(
            text("SELECT citus_set_coordinator_host(:host, :port)"),
            {"host": server.host or "127.0.0.1", "port": server.port or 5432},
        )
        for host, port in workers:
            connection.execute(text("SELECT citus_add_node(:h, :p)"), {"h": host, "p": port})
    engine.dispose()


def _on_workers(connection, workers, command: str) -> None:
    connection.execute(
        text("SELECT * FROM master_run_on_worker(:hosts, :ports, :commands, true)"),
        {
            "hosts": [host for host, _ in workers],
            "ports": [port for _, port in workers],
            "commands": [command] * len(workers),
        },
    )


def drop_database(admin_connection, name: str, workers) -> None:
    """DROP DATABASE … WITH (FORCE); on Citus a worker may still hold a session of a backend
    FORCE just ended, so its sessions are ended first, the drop retried, and any copy left on
    a worker dropped there."""
    for attempt in range(5):
        if workers:
            admin_connection.execute(
                text(
                    "SELECT run_command_on_workers(format('SELECT pg_terminate_backend(pid) "
                    "FROM pg_stat_activity WHERE datname = %L', CAST(:name AS text)))"
                ),
                {"name": name},
            )
        try:
            admin_connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            break
        except DBAPIError:
            if attempt == 4:
                raise
            time.sleep(1)
    if workers:
        _on_workers(admin_connection, workers, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url, **config):
    settings = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "OMNIORDER_ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "BCRYPT_ROUNDS": 4,
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_REGISTRY_CHECK_INTERVAL": 0.0,
        "WTF_CSRF_ENABLED": True,
        # Tests place many orders from one address; tests/web/test_rate_limit.py turns it on.
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        # Many tests write straight into the database, which no change feed hears of; the
        # feed's own tests (tests/cache/test_change_feed.py, the gunicorn ones) turn it on.
        "OMNIORDER_PUSH_INVALIDATION": False,
    }
    settings.update(config)
    return create_app(settings)


@contextlib.contextmanager
def running_app(database_url, **config):
    """`make_app` for a fixture: its connections are closed when the test ends."""
    app = make_app(database_url, **config)
    try:
        yield app
    finally:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def add_failing_write_route(app) -> None:
    """POST /explode: writes a menu item, then fails mid-transaction (a raised exception).
    Nothing of it may ever be seen, by the next request or by anyone else."""
    from sqlalchemy import insert

    from omniorder.core.database import db
    from omniorder.menu.models import MenuItem
    from omniorder.web.extensions import csrf

    @app.post("/explode")
    @csrf.exempt
    def explode():
        db.session.execute(insert(MenuItem).values(name="LEAKED half-written", price=1))
        db.session.execute(text("DO $$ BEGIN RAISE EXCEPTION 'boom'; END $$"))
        return "unreachable"


def schema_exists(connection, schema_name: str) -> bool:
    return (
        connection.execute(
            text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema_name}
        ).first()
        is not None
    )
