"""The app behind a real pgbouncer in transaction-pooling mode (Debian's pgbouncer 1.18).

pgbouncer multiplexes many client connections over 2 server connections here, so a server
connection serves a different client transaction after every commit: anything a request left
in session state (a search_path, a prepared statement) would reach another request. These
tests prove nothing does. They need a PostgreSQL server on TCP (TEST_DATABASE_URL); with the
embedded server (Unix socket only) they are not selected: `-m "not pgbouncer"`.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from omniorder.core.database import db
from omniorder.tenancy import migrate
from tests.support.app import add_failing_write_route, make_app
from tests.support.migrations import add_loyalty_revision, copy_migrations
from tests.support.storefront import menu_names, rename_menu

pytestmark = pytest.mark.pgbouncer


@pytest.fixture
def bounced_app(pgbouncer_url):
    app = make_app(
        pgbouncer_url,
        OMNIORDER_PGBOUNCER=True,
        PROPAGATE_EXCEPTIONS=False,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 8, "max_overflow": 0},
    )
    add_failing_write_route(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("pgbouncer_setting, expect_errors", [(False, True), (True, False)])
def test_prepared_statements_must_be_off_behind_pgbouncer_1_18(
    pgbouncer_url, pgbouncer_setting, expect_errors
):
    """Why OMNIORDER_PGBOUNCER exists: psycopg's automatic prepares break on pgbouncer 1.18
    (a statement prepared on one server connection is missing, or taken, on the next)."""
    app = make_app(pgbouncer_url, OMNIORDER_PGBOUNCER=pgbouncer_setting)
    errors = 0
    with app.app_context():
        connections = [
            db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") for _ in range(4)
        ]
        for round_ in range(20):
            for offset, connection in enumerate(connections):
                try:
                    value = connection.execute(
                        text(f"SELECT CAST(:n AS int) + {offset}"), {"n": round_}
                    ).scalar()
                    assert value == round_ + offset
                except Exception:  # noqa: BLE001 - counting what pgbouncer does to prepares
                    errors += 1
                    connection.rollback()
        for connection in connections:
            connection.close()
        db.engine.dispose()
    assert (errors > 0) is expect_errors


def test_no_tenant_ever_sees_another_under_load(bounced_app, make_tenant):
    tenants = [make_tenant() for _ in range(10)]
    for index, tenant in enumerate(tenants):
        rename_menu(bounced_app, tenant, f"T{index}:")
    client = bounced_app.test_client()
    start = threading.Barrier(6)

    def hammer(worker):
        start.wait()
        leaks = failures = 0
        for round_ in range(200):
            index = (worker * 7 + round_) % len(tenants)
            host = {"Host": tenants[index].domain}
            if round_ % 5 == 0:
                failures += client.post("/explode", headers=host).status_code == 500
                continue
            names = menu_names(client, tenants[index].domain)
            leaks += sum(not name.startswith(f"T{index}:") for name in names)
        return leaks, failures

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(hammer, range(6)))
    assert sum(leaks for leaks, _ in outcomes) == 0
    assert sum(failures for _, failures in outcomes) == 6 * 40  # every injected failure failed


def test_provisioning_migrations_and_checkout_through_pgbouncer(
    pgbouncer_url, make_tenant, tmp_path, db_connection
):
    directory = copy_migrations(tmp_path / "migrations")
    app = make_app(pgbouncer_url, OMNIORDER_PGBOUNCER=True, OMNIORDER_MIGRATIONS_DIR=str(directory))
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=["tenants", "create", "--name", "Bounced Bistro", "--domain", "bounced.localhost"]
    )
    assert created.exit_code == 0, created.output
    try:
        others = [make_tenant() for _ in range(3)]
        head = add_loyalty_revision(app, directory)
        for jobs in ("1", "2"):
            upgraded = runner.invoke(args=["db", "upgrade", "--jobs", jobs])
            assert upgraded.exit_code == 0, upgraded.output
            assert "0 failed" in upgraded.output
            columns = db_connection.scalar(
                text(
                    "SELECT count(*) FROM information_schema.columns WHERE column_name = "
                    "'loyalty_points' AND table_schema = ANY(:schemas)"
                ),
                {"schemas": ["tenant_bouncedbistro"] + [t.schema_name for t in others]},
            )
            assert columns == 4
            downgraded = runner.invoke(args=["db", "downgrade", head, "--jobs", jobs])
            assert downgraded.exit_code == 0, downgraded.output

        client = app.test_client()
        menu = client.get("/api/v1/menu", headers={"Host": "bounced.localhost"}).json["items"]
        order = client.post(
            "/api/v1/orders",
            headers={"Host": "bounced.localhost"},
            json={
                "customer_name": "Pat",
                "items": [{"menu_item_id": menu[0]["id"], "quantity": 2}],
            },
        )
        assert order.status_code == 201 and order.json["number"] == 1001
    finally:
        runner.invoke(args=["tenants", "drop", "bounced.localhost", "--yes"])
        migrate.forget_revision_files()
        with app.app_context():
            db.engine.dispose()
