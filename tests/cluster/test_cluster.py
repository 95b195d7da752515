"""Operating a Citus cluster: where restaurants live, moving them online, evening them out.

Tests marked `citus` need the test server to be a Citus coordinator (CI's third pass:
``TEST_DATABASE_URL=$(scripts/citus up | tail -1) ./scripts/test``); on one PostgreSQL server
they are deselected (`-m "not citus"`). The refusal on plain PostgreSQL is tested on every
server, in a database without the citus extension.
"""

import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from omniorder.cluster import nodes as cluster
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import provision_tenant
from omniorder.tenancy import migrate
from tests.support.app import citus_workers, drop_database, make_app, make_citus_database
from tests.support.orders import insert_orders
from tests.support.staff import signed_in


@pytest.fixture
def plain_database(database_url):
    """A new empty database without the citus extension, on the test server."""
    server = make_url(database_url)
    name = f"omniorder_plain_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        drop_database(connection, name, citus_workers(connection))
    admin.dispose()


@pytest.mark.parametrize(
    "arguments",
    [
        ["tenants", "placement"],
        ["tenants", "move", "pizza.example.com", "--to", "10.0.0.5:5432"],
        ["cluster", "nodes"],
        ["cluster", "rebalance"],
        ["cluster", "distribute"],
    ],
)
def test_cluster_commands_on_plain_postgresql_say_they_need_citus(plain_database, arguments):
    app = make_app(plain_database)
    result = app.test_cli_runner().invoke(args=arguments)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "Error: this command needs a Citus coordinator: DATABASE_URL points at plain "
        "PostgreSQL without the citus extension (see deploy/citus.md)"
    ]
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def workers(database_url):
    """The cluster's worker nodes as HOST:PORT; skipped (deselected in CI) without Citus."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        nodes = citus_workers(connection)
    engine.dispose()
    if nodes is None:
        pytest.skip("needs a Citus coordinator: TEST_DATABASE_URL=$(scripts/citus up | tail -1)")
    return [f"{host}:{port}" for host, port in nodes]


def placement_of(app, domain) -> cluster.Placement:
    with app.app_context():
        return next(p for p in cluster.placements() if p.domain == domain)


def other_worker(workers, node) -> str:
    return next(worker for worker in workers if worker != node)


@pytest.mark.citus
def test_placement_lists_each_restaurant_on_its_worker(app, runner, make_tenant, workers):
    tenants = [make_tenant() for _ in range(3)]
    result = runner.invoke(args=["tenants", "placement"])
    assert result.exit_code == 0, result.output
    lines = {line.split("\t")[0]: line.split("\t") for line in result.output.splitlines()}
    for tenant in tenants:
        domain, schema_name, node, size = lines[tenant.domain]
        assert schema_name == tenant.schema_name
        assert node in workers
        assert re.fullmatch(r"\d+(\.\d)? (B|kB|MB)", size) and not size.startswith("0 ")

    nodes = runner.invoke(args=["cluster", "nodes"])
    assert nodes.exit_code == 0, nodes.output
    held = {}
    for line in nodes.output.splitlines():
        address, role, state, tenants_held, _size = line.split("\t")
        assert state.startswith("active")
        held[address] = (role, int(tenants_held.split()[0]))
    assert {address for address, (role, _) in held.items() if role == "worker"} == set(workers)
    placed = Counter(lines[domain][2] for domain in lines)
    for worker in workers:
        assert held[worker][1] == placed[worker]


@pytest.mark.citus
def test_move_puts_a_restaurant_on_the_other_worker_and_keeps_its_data(
    app, runner, make_tenant, workers, client, db_connection
):
    tenant = make_tenant()
    source = placement_of(app, tenant.domain).node
    target = other_worker(workers, source)
    insert_orders(db_connection, tenant, names=["Ann", "Bob"])
    db_connection.commit()

    result = runner.invoke(args=["tenants", "move", tenant.domain, "--to", target])
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[0].startswith(f"moving {tenant.domain} ({tenant.schema_name}, ")
        and f"from {source} to {target}, online (logical replication" in result.output
    )
    assert result.output.splitlines()[-1] == f"moved {tenant.domain} to {target}"
    assert placement_of(app, tenant.domain).node == target

    menu = client.get("/api/v1/menu", headers={"Host": tenant.domain})
    assert menu.status_code == 200 and menu.get_json()["items"]
    names = db_connection.execute(
        text(f'SELECT customer_name FROM "{tenant.schema_name}".orders ORDER BY 1')  # noqa: S608
    ).scalars()
    assert list(names) == ["Ann", "Bob"]

    again = runner.invoke(args=["tenants", "move", tenant.domain, "--to", target])
    assert again.exit_code == 0
    assert again.output.strip() == f"{tenant.domain} is already on {target}; nothing moved"


@pytest.mark.citus
def test_move_refuses_unknown_restaurants_and_nodes(runner, make_tenant, workers):
    tenant = make_tenant()
    unknown = runner.invoke(args=["tenants", "move", "nowhere.localhost", "--to", workers[0]])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "Error: no restaurant has the domain 'nowhere.localhost'"
    for bad, exit_code, message in [
        ("127.0.0.1:1", 2, "to: 127.0.0.1:1 is not an active node"),
        ("worker-without-port", 2, "to: 'worker-without-port' must be HOST:PORT"),
        ("host:99999", 2, "to: 'host:99999' must be HOST:PORT"),
    ]:
        result = runner.invoke(args=["tenants", "move", tenant.domain, "--to", bad])
        assert result.exit_code == exit_code, result.output
        assert message in result.output and "Traceback" not in result.output


@pytest.mark.citus
def test_rebalance_evens_restaurants_across_workers(app, runner, make_tenant, workers):
    tenants = [make_tenant() for _ in range(4)]
    crowded = workers[0]
    for tenant in tenants:
        moved = runner.invoke(args=["tenants", "move", tenant.domain, "--to", crowded])
        assert moved.exit_code == 0, moved.output

    def ours_per_worker():
        with app.app_context():
            nodes = {p.domain: p.node for p in cluster.placements()}
        return Counter(nodes[tenant.domain] for tenant in tenants)

    assert ours_per_worker() == {crowded: 4}
    plan = runner.invoke(args=["cluster", "rebalance", "--dry-run"])
    assert plan.exit_code == 0, plan.output
    assert "would move tenant_test_" in plan.output
    assert ours_per_worker() == {crowded: 4}  # a dry run moves nothing

    result = runner.invoke(args=["cluster", "rebalance"])
    assert result.exit_code == 0, result.output
    assert "moved" in result.output.splitlines()[-1]
    with app.app_context():
        held = {node.address: node.tenants for node in cluster.nodes() if node.role == "worker"}
    assert max(held.values()) - min(held.values()) <= 1, held
    assert set(ours_per_worker()) == set(workers)  # ours are spread, not all left on one
    again = runner.invoke(args=["cluster", "rebalance"])
    assert again.output.strip() == "balanced already; nothing to move"


@pytest.mark.citus
def test_distribute_places_restaurants_from_before_citus(plain_database, workers):
    """A database that became a Citus coordinator after its restaurants were provisioned:
    they live on the coordinator until `flask cluster distribute` puts each on a worker."""
    app = make_app(plain_database)
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        assert not migrate.migrate(engine, scope="public", direction="upgrade").failed
        with unit_of_work():
            tenant = provision_tenant(
                name="Before Citus", domain="before.localhost", admin_password="long password"
            )
        engine.dispose()
    server = make_url(plain_database)
    make_citus_database(plain_database, server, [w.rsplit(":", 1) for w in workers])
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["tenants", "placement"])
    assert listed.exit_code == 0, listed.output
    assert f"before.localhost\t{tenant.schema_name}\tcoordinator (not distributed)" in (
        listed.output
    )
    nodes = runner.invoke(args=["cluster", "nodes"]).output.splitlines()
    assert [line.split("\t")[3] for line in nodes] == ["1 tenants", "0 tenants", "0 tenants"]

    result = runner.invoke(args=["cluster", "distribute"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"distributing {tenant.schema_name}",
        "distributed 1 tenant schema(s)",
    ]
    assert placement_of(app, "before.localhost").node in workers
    assert runner.invoke(args=["cluster", "distribute"]).output == (
        "distributed 0 tenant schema(s)\n"
    )
    menu = app.test_client().get("/api/v1/menu", headers={"Host": "before.localhost"})
    assert menu.status_code == 200 and menu.get_json()["items"]
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.mark.citus
def test_a_restaurant_keeps_taking_orders_while_it_moves(database_url, make_tenant, workers):
    """Customers order (retrying with their Idempotency-Key on 503) and the kitchen polls its
    board while `flask tenants move` takes the restaurant to the other worker: every
    acknowledged order is there exactly once, nothing is a 500, the tenant is on the new node."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)
    tenant = make_tenant()
    with create_engine(database_url).begin() as connection:  # some history to copy
        insert_orders(connection, tenant, names=[f"old {n}" for n in range(3000)])
    client = app.test_client()
    host = {"Host": tenant.domain}
    item = client.get("/api/v1/menu", headers=host).get_json()["items"][0]
    cook = signed_in(app, tenant, "kitchen")
    statuses, board_statuses, acknowledged = Counter(), Counter(), {}
    lock = threading.Lock()
    moved = threading.Event()

    def place(key):
        for _ in range(200):
            response = client.post(
                "/api/v1/orders",
                headers={**host, "Idempotency-Key": key},
                json={"customer_name": key, "items": [{"menu_item_id": item["id"], "quantity": 1}]},
            )
            with lock:
                statuses[response.status_code] += 1
            if response.status_code == 201:
                assert response.headers.get("Retry-After") is None
                with lock:
                    acknowledged[key] = (response.get_json()["id"], response.get_json()["number"])
                return
            assert response.status_code == 503 and response.headers["Retry-After"]
            time.sleep(0.05)

    def customers(prefix):
        count = 0
        while not moved.is_set() or count < 5:
            place(f"{prefix}-{count}")
            count += 1

    def kitchen():
        while not moved.is_set():
            response = cook.get("/kitchen/board?since=0-0", htmx=True)
            with lock:
                board_statuses[response.status_code] += 1
            time.sleep(0.02)

    source = placement_of(app, tenant.domain).node
    target = other_worker(workers, source)
    with ThreadPoolExecutor(4) as pool:
        loads = [pool.submit(customers, f"c{n}") for n in range(3)] + [pool.submit(kitchen)]
        time.sleep(0.3)
        result = app.test_cli_runner().invoke(
            args=["tenants", "move", tenant.domain, "--to", target]
        )
        moved.set()
        for load in loads:
            load.result()

    assert result.exit_code == 0, result.output
    assert placement_of(app, tenant.domain).node == target
    assert 500 not in statuses and set(statuses) <= {201, 503}, statuses
    assert set(board_statuses) <= {200, 503} and board_statuses[200], board_statuses
    assert len(acknowledged) >= 15, statuses
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text(
                f'SELECT idempotency_key, id::text, number FROM "{tenant.schema_name}".orders '  # noqa: S608
                "WHERE idempotency_key IS NOT NULL"
            )
        ).all()
    engine.dispose()
    keys = [row.idempotency_key for row in stored]
    assert sorted(keys) == sorted(acknowledged)  # each acknowledged order once, nothing else
    assert {row.idempotency_key: (row.id, row.number) for row in stored} == acknowledged
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def image_like_database(database_url, workers):
    """A new database set up as the official Citus container image sets up its `postgres`
    database, and the app's own superuser role to run the app in it.

    The image creates the citus extension as the bootstrap superuser (`postgres`) on every
    node before anything else, and its membership manager registers each worker with
    `citus_add_node` alone. The app then connects as its own superuser, so the citus
    extension's owner is not the role that runs `flask db upgrade`."""
    server = make_url(database_url)
    suffix = uuid.uuid4().hex[:8]
    name, role = f"omniorder_image_{suffix}", f"omniorder_app_{suffix}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # a Citus database: both propagate to the workers
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name)
    bootstrap = create_engine(url, isolation_level="AUTOCOMMIT")
    with bootstrap.connect() as connection:
        connection.exec_driver_sql("CREATE EXTENSION citus")
        hosts = [worker.rsplit(":", 1) for worker in workers]
        connection.execute(
            text("SELECT * FROM master_run_on_worker(:hosts, :ports, :commands, true)"),
            {
                "hosts": [host for host, _ in hosts],
                "ports": [int(port) for _, port in hosts],
                "commands": ["CREATE EXTENSION IF NOT EXISTS citus"] * len(hosts),
            },
        )
        for host, port in hosts:
            connection.execute(text("SELECT citus_add_node(:h, :p)"), {"h": host, "p": int(port)})
    bootstrap.dispose()
    yield url.set(username=role).render_as_string(hide_password=False)
    with admin.connect() as connection:
        drop_database(connection, name, citus_workers(connection))
        connection.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()


@pytest.mark.citus
def test_upgrade_prepares_a_database_set_up_like_the_citus_image(image_like_database, workers):
    """`flask db upgrade` in a database like the Citus image's `postgres` database, as a role
    that does not own the citus extension, then a restaurant provisioned and its menu served:
    the database works as one made as deploy/citus.md says."""
    app = make_app(image_like_database)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        head = migrate.head_revision("public")
    assert result.output.splitlines()[0] == f"public: migrated at {head}"
    created = runner.invoke(
        args=["tenants", "create", "--name", "Image Pizza", "--domain", "image.localhost"]
    )
    assert created.exit_code == 0, created.output
    assert placement_of(app, "image.localhost").node in workers
    menu = app.test_client().get("/api/v1/menu", headers={"Host": "image.localhost"})
    assert menu.status_code == 200 and menu.get_json()["items"]
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
