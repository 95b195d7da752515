"""Shared fixtures: a throwaway database on real PostgreSQL, the app, a tenant factory and the
test's tenant.

The server is the one in TEST_DATABASE_URL (or DATABASE_URL); without either, the embedded
PostgreSQL of `omniorder.core.embedded_postgres` is started under instance/test-postgres. Each test
session gets its own database, dropped at the end; each tenant a test makes is dropped after
that test.
"""

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import make_server

from omniorder import create_app
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant, provision_tenant
from omniorder.tenancy import migrate
from tests.support import REPOSITORY

SYS_TOKEN = "test-system-token-" + "x" * 20


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from omniorder.core.embedded_postgres import start_embedded_postgres

    return start_embedded_postgres(REPOSITORY / "instance" / "test-postgres", "postgres")


@pytest.fixture(scope="session")
def database_url():
    server = make_url(_server_url())
    name = f"omniorder_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        workers = citus_workers(connection)
    url = server.set(database=name).render_as_string(hide_password=False)
    if workers is not None:
        make_citus_database(url, server, workers)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        report = migrate.migrate(
            app.extensions["sqlalchemy"].engine, scope="public", direction="upgrade"
        )
        assert not report.failed, report.failed
        app.extensions["sqlalchemy"].engine.dispose()
    yield url
    with admin.connect() as connection:
        drop_database(connection, name, workers)
    admin.dispose()


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
        "BCRYPT_ROUNDS": 4,
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_REGISTRY_CHECK_INTERVAL": 0.0,
        "WTF_CSRF_ENABLED": True,
        # Tests place many orders from one address; tests/test_rate_limit.py turns it on.
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        # Many tests write straight into the database, which no change feed hears of; the
        # feed's own tests (tests/test_change_feed.py, the gunicorn ones) turn it on.
        "OMNIORDER_PUSH_INVALIDATION": False,
    }
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_tenant(app):
    """Factory: make_tenant(name=…) provisions a tenant with a unique domain and schema."""
    made = []

    def make(name="Test Kitchen", **fields):
        suffix = uuid.uuid4().hex[:8]
        fields.setdefault("domain", f"t{suffix}.test.localhost")
        fields.setdefault("schema_name", f"tenant_test_{suffix}")
        fields.setdefault("admin_email", f"admin@{fields['domain']}")
        fields.setdefault("admin_password", "correct horse battery")
        with app.app_context(), unit_of_work():
            tenant = provision_tenant(name=name, **fields)
        made.append(tenant.domain)
        return tenant

    yield make
    for domain in made:
        try:
            with app.app_context(), unit_of_work():
                drop_tenant(domain)
        except NotFound:  # the test dropped it already
            pass


@pytest.fixture
def tenant(request, make_tenant):
    """The test's tenant. Its fields come from the closest `@pytest.mark.tenant(name=…, …)`
    (e.g. a module's `pytestmark`), else make_tenant's defaults."""
    marker = request.node.get_closest_marker("tenant")
    return make_tenant(*marker.args, **marker.kwargs) if marker else make_tenant()


@pytest.fixture
def live_server(app):
    """The test app on a free loopback port; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join()


@pytest.fixture
def db_connection(database_url):
    """A plain SQLAlchemy connection for checking what really is in the database."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.fixture
def count_statements():
    """count_statements(app) → a list collecting every SQL statement the app runs from now."""
    listening = []

    def listen(app):
        statements = []
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
        listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        listening.append((engine, listener))
        return statements

    yield listen
    for engine, listener in listening:
        event.remove(engine, "before_cursor_execute", listener)


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


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tenant(name=…, **fields): what the `tenant` fixture provisions"
    )


def pytest_sessionfinish(session, exitstatus):
    """In CI a skipped test is a failure: every required part (PostgreSQL, …) must run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI") == "true" and skipped and session.exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"CI: {skipped} test(s) skipped; every test must run here.", red=True
            )
