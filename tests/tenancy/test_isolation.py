"""Tenant isolation: the Host header decides everything, and no binding outlives its request."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, text

from omniorder.core.database import db
from omniorder.menu.models import MenuItem
from omniorder.ordering.models import Order
from omniorder.staff.models import User
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import add_failing_write_route, make_app
from tests.support.storefront import menu_names, rename_menu


def place_order(app, tenant, customer):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        order = Order(customer_name=customer, total_amount=100, subtotal=100, items=[])
        db.session.add(order)
        db.session.commit()
        return order.number


def test_same_admin_email_and_order_1001_in_two_tenants(app, make_tenant):
    a = make_tenant(admin_email="admin@shared.example")
    b = make_tenant(admin_email="admin@shared.example")

    assert place_order(app, a, "Ann") == 1001
    assert place_order(app, b, "Bob") == 1001
    assert place_order(app, a, "Ann again") == 1002
    for tenant, customers in ((a, ["Ann", "Ann again"]), (b, ["Bob"])):
        with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
            assert db.session.scalars(select(User.email)).all() == ["admin@shared.example"]
            names = db.session.scalars(select(Order.customer_name).order_by(Order.number))
            assert names.all() == customers


def test_host_decides_which_tenant_answers(app, client, make_tenant):
    a, b = make_tenant(), make_tenant()
    rename_menu(app, a, "A:")
    rename_menu(app, b, "B:")

    names_a = menu_names(client, a.domain)
    names_b = menu_names(client, b.domain)
    assert names_a and all(name.startswith("A:") for name in names_a)
    assert names_b and all(name.startswith("B:") for name in names_b)
    assert menu_names(client, a.domain.upper() + ":8080") == names_a  # case and port ignored


def test_unknown_host_is_404_never_a_default_tenant(client, make_tenant):
    make_tenant()
    response = client.get("/api/v1/menu", headers={"Host": "nobody.localhost"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "No restaurant is served at this address."}
    page = client.get("/", headers={"Host": "nobody.localhost"})
    assert page.status_code == 404 and b"No restaurant is served" in page.data


def test_unbound_queries_fail_instead_of_reading_a_tenant(app, make_tenant):
    make_tenant()
    with app.app_context():
        try:
            db.session.scalars(select(MenuItem)).all()
        except Exception as error:  # noqa: BLE001
            assert 'relation "tenant.menu_items" does not exist' in str(error)
        else:
            raise AssertionError("an unbound query must not succeed")


def test_request_failing_mid_transaction_does_not_affect_the_next(database_url, make_tenant):
    """One pooled connection: a request dies mid-transaction, the next one is clean."""
    app = make_app(
        database_url,
        PROPAGATE_EXCEPTIONS=False,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0},
    )
    a, b = make_tenant(), make_tenant()

    add_failing_write_route(app)

    client = app.test_client()
    assert client.post("/explode", headers={"Host": a.domain}).status_code == 500
    assert "LEAKED half-written" not in menu_names(client, a.domain)
    assert "LEAKED half-written" not in menu_names(client, b.domain)
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'
        db.engine.dispose()


def test_threads_on_many_hosts_only_ever_see_their_own_rows(app, make_tenant):
    tenants = [make_tenant() for _ in range(4)]
    for index, tenant in enumerate(tenants):
        rename_menu(app, tenant, f"T{index}:")
    client = app.test_client()
    start = threading.Barrier(8)

    def hammer(worker):
        start.wait()
        leaks = 0
        for round_ in range(25):
            index = (worker + round_) % len(tenants)
            names = menu_names(client, tenants[index].domain)
            leaks += sum(not name.startswith(f"T{index}:") for name in names)
        return leaks

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(hammer, range(8))) == 0


def test_warm_menu_request_without_a_change_feed_is_one_statement(
    database_url, make_tenant, count_statements
):
    """Push invalidation off (or its listener down): the menu is read afresh, in one
    statement naming the tenant's schema. With the feed listening it is none
    (tests/cache/test_change_feed.py)."""
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    tenant = make_tenant()
    client = app.test_client()
    assert menu_names(client, tenant.domain)  # warms the registry cache
    statements = count_statements(app)
    menu_names(client, tenant.domain)
    assert len(statements) == 1, statements
    assert f"FROM {tenant.schema_name}.menu_items" in statements[0]
    with app.app_context():
        db.engine.dispose()


def test_dropped_tenant_answers_404_not_500_even_from_a_stale_cache(
    database_url, make_tenant, db_connection
):
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    tenant = make_tenant()
    client = app.test_client()
    assert menu_names(client, tenant.domain)
    # Another process erases the tenant; this worker's cache still lists it.
    db_connection.exec_driver_sql(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
    db_connection.execute(
        text("DELETE FROM public.tenants WHERE domain = :d"), {"d": tenant.domain}
    )
    db_connection.commit()
    response = client.get("/api/v1/menu", headers={"Host": tenant.domain})
    assert response.status_code == 404
    with app.app_context():
        db.engine.dispose()


def test_tenant_created_elsewhere_is_seen_within_the_check_interval(database_url, make_tenant):
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=0.2)
    client = app.test_client()
    assert client.get("/api/v1/menu", headers={"Host": "late.localhost"}).status_code == 404
    make_tenant(domain="late.localhost")  # provisioned by another app (process)
    time.sleep(0.25)
    assert client.get("/api/v1/menu", headers={"Host": "late.localhost"}).status_code == 200
    with app.app_context():
        db.engine.dispose()
