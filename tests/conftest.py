"""Shared fixtures: a throwaway database on real PostgreSQL, the app, a tenant factory and the
test's tenant.

The server is the one in TEST_DATABASE_URL (or DATABASE_URL); without either, the embedded
PostgreSQL of `omniorder.core.embedded_postgres` is started under instance/test-postgres. Each test
session gets its own database, dropped at the end; each tenant a test makes is dropped after
that test.
"""

import os
import threading
import uuid

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from harness.processes import PGBOUNCER, on_tcp, pgbouncer
from omniorder import create_app
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant, provision_tenant
from omniorder.tenancy import migrate
from tests.support.app import (
    citus_workers,
    drop_database,
    make_app,
    make_citus_database,
    server_url,
)
from tests.support.localstripe import localstripe, localstripe_server  # noqa: F401 (fixtures)
from tests.support.mail import running_inbox


@pytest.fixture(scope="session")
def database_url():
    server = make_url(server_url())
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


@pytest.fixture(scope="module")
def pgbouncer_url(database_url):
    """A pgbouncer (transaction mode, 2 server connections) in front of the test database."""
    if not on_tcp(database_url):
        pytest.skip("pgbouncer tests need PostgreSQL on TCP (set TEST_DATABASE_URL)")
    if not os.path.exists(PGBOUNCER):
        pytest.skip("Debian's pgbouncer is not installed (apt-get install pgbouncer)")
    with pgbouncer(database_url, pool_size=2) as url:
        yield url


@pytest.fixture
def inbox():
    """A real SMTP server on loopback whose `Inbox` keeps what it accepts (``inbox.port``)."""
    with running_inbox() as handler:
        yield handler
