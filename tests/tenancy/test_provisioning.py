"""Provisioning: one transaction that leaves everything or nothing."""

import threading
from contextlib import contextmanager

import bcrypt
import pytest
from sqlalchemy import event, select, text

from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid
from omniorder.core.unit_of_work import unit_of_work
from omniorder.menu.models import Category, MenuItem
from omniorder.platform.tenants import drop_tenant, provision_tenant
from omniorder.staff.models import User
from omniorder.tenancy import migrate, schema
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from omniorder.tenancy.schema import on_citus, tenant_tables
from tests.support.app import schema_exists


def registry_row(connection, domain):
    return connection.execute(
        text("SELECT schema_name, name, theme_config FROM public.tenants WHERE domain = :d"),
        {"d": domain},
    ).first()


def test_provisioned_tenant_has_tables_admin_menu_and_head_version(app, make_tenant, db_connection):
    tenant = make_tenant(name="Pizza Hut", theme_config={"primary_color": "#d62300"})

    assert registry_row(db_connection, tenant.domain) == (
        tenant.schema_name,
        "Pizza Hut",
        {"primary_color": "#d62300"},
    )
    tables = set(
        db_connection.scalars(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": tenant.schema_name},
        )
    )
    assert tables == {
        "users",
        "categories",
        "menu_items",
        "orders",
        "board_version",
        "menu_version",
        "login_failures",
        "alembic_version",
        "option_groups",
        "item_option_groups",
        "options",
        "settings",
        "notifications",
        "webhook_endpoint",
        "payment_events",
        "refunds",
        "print_jobs",
        "print_devices",
        "menu_trash",
    }
    with app.app_context():
        versions = migrate.schema_versions(db.engine, [tenant.schema_name])
        assert versions[tenant.schema_name] == migrate.tenant_head_revision()
        with tenant_context(tenant_registry().lookup(tenant.domain)):
            admin = db.session.scalars(select(User)).one()
            assert (admin.email, admin.role) == (tenant.admin_email, "admin")
            assert bcrypt.checkpw(b"correct horse battery", admin.hashed_password.encode())
            assert db.session.scalar(select(db.func.count()).select_from(Category)) == 3
            assert db.session.scalar(select(db.func.count()).select_from(MenuItem)) == 10


def test_generated_password_is_returned_once_and_works(app, make_tenant):
    tenant = make_tenant(admin_password=None)
    assert tenant.generated_password and len(tenant.generated_password) >= 12
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        stored = db.session.scalars(select(User.hashed_password)).one()
    assert bcrypt.checkpw(tenant.generated_password.encode(), stored.encode())


# Where each provisioning step begins, as the statements it sends show it.
STEP_STATEMENTS = {
    "registry": "INSERT INTO public.tenants",
    "schema": "CREATE SCHEMA",
    "tables": "CREATE TABLE",
    "version": "alembic_version (version_num) VALUES",
    "seed": ".menu_items (",
}


@contextmanager
def failing_when(app, refused, what: str):
    """Make the database connection refuse the first statement for which
    `refused(statement, parameters)` holds (test-side: the service has no hooks for tests)."""

    def refuse(connection, cursor, statement, parameters, *rest):
        if refused(statement, parameters):
            raise RuntimeError(f"injected failure at {what}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def failing_at(app, step: str):
    return failing_when(app, lambda statement, _: STEP_STATEMENTS[step] in statement, step)


@pytest.mark.parametrize("failing_step", list(STEP_STATEMENTS))
def test_failure_at_any_step_leaves_nothing(app, db_connection, failing_step):
    with (
        failing_at(app, failing_step),
        app.app_context(),
        pytest.raises(RuntimeError, match="injected"),
        unit_of_work(),
    ):
        provision_tenant(
            name="Doomed",
            domain="doomed.localhost",
            schema_name="tenant_doomed",
            admin_email="a@doomed.localhost",
        )

    assert registry_row(db_connection, "doomed.localhost") is None
    assert not schema_exists(db_connection, "tenant_doomed")


def test_flask_demo_is_one_unit_of_work(app, runner, db_connection):
    """A crash while the kitchen login is written leaves no restaurant at all (it used to
    leave one without its tablet login, which a re-run did not repair), so a re-run makes
    both whole, kitchen logins included."""
    kitchen_login = lambda statement, parameters: "kitchen@pizza.localhost" in str(parameters)  # noqa: E731
    with failing_when(app, kitchen_login, "the kitchen login"):
        result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert registry_row(db_connection, "pizza.localhost") is None
    assert not schema_exists(db_connection, "tenant_pizzahut")
    try:
        assert runner.invoke(args=["demo"]).exit_code == 0
        for schema in ("tenant_pizzahut", "tenant_sushizen"):
            roles = db_connection.scalars(
                text(f"SELECT role FROM {schema}.users ORDER BY role")
            ).all()
            assert roles == ["admin", "kitchen"]
        db_connection.rollback()  # end the read, so the drop below need not wait for it
    finally:
        for domain in ("pizza.localhost", "sushi.localhost"):
            with app.app_context(), unit_of_work():
                drop_tenant(domain)


def test_concurrent_provisioning_of_one_domain_succeeds_once(app, db_connection):
    barrier = threading.Barrier(2)
    outcomes = []

    def provision(schema_name):
        with app.app_context():
            barrier.wait()
            try:
                with unit_of_work():
                    provision_tenant(
                        name="Twin",
                        domain="twin.localhost",
                        schema_name=schema_name,
                        admin_email="a@twin.localhost",
                        admin_password="password123",
                    )
                outcomes.append("created")
            except Conflict as error:
                outcomes.append(error.message)

    threads = [threading.Thread(target=provision, args=(f"tenant_twin_{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes) == ["created", "domain twin.localhost is already taken"]
        winner = registry_row(db_connection, "twin.localhost").schema_name
        loser = ({"tenant_twin_1", "tenant_twin_2"} - {winner}).pop()
        assert schema_exists(db_connection, winner)
        assert not schema_exists(db_connection, loser)
    finally:
        with app.app_context(), unit_of_work():
            drop_tenant("twin.localhost")


def test_taken_domain_and_schema_are_conflicts(app, make_tenant):
    tenant = make_tenant()
    with app.app_context():
        with pytest.raises(Conflict, match="domain"):
            provision_tenant(name="Other", domain=tenant.domain, admin_email="a@b.example")
        with pytest.raises(Conflict, match="schema"):
            provision_tenant(
                name="Other",
                domain="other.localhost",
                schema_name=tenant.schema_name,
                admin_email="a@b.example",
            )


def test_orphan_schema_is_a_conflict_not_reused(app, db_connection):
    db_connection.exec_driver_sql("CREATE SCHEMA tenant_orphan")
    db_connection.commit()
    try:
        with app.app_context(), pytest.raises(Conflict, match="already exists"):
            provision_tenant(
                name="Orphan",
                domain="orphan.localhost",
                schema_name="tenant_orphan",
                admin_email="a@orphan.localhost",
            )
        assert registry_row(db_connection, "orphan.localhost") is None
    finally:
        db_connection.exec_driver_sql("DROP SCHEMA tenant_orphan CASCADE")
        db_connection.commit()


@pytest.mark.parametrize(
    "schema_name",
    [
        'tenant_x"; DROP SCHEMA public CASCADE; --',
        "tenant_x; drop table public.tenants",
        "public",
        "pg_catalog",
        "tenant",
        "tenant_",
        "Tenant_Upper",
        "tenant_ünï",
        "tenant_" + "a" * 57,
        "tenant_x.orders",
        "",
    ],
)
def test_schema_name_injection_is_rejected(app, db_connection, schema_name):
    with app.app_context(), pytest.raises(Invalid) as caught:
        provision_tenant(
            name="Evil",
            domain="evil.localhost",
            schema_name=schema_name,
            admin_email="a@evil.localhost",
        )
    assert "schema_name" in caught.value.fields
    assert registry_row(db_connection, "evil.localhost") is None
    assert db_connection.scalar(text("SELECT to_regclass('public.tenants')")) is not None


def test_every_bad_field_is_reported_at_once(app):
    with app.app_context(), pytest.raises(Invalid) as caught:
        provision_tenant(
            name=" ",
            domain="bad domain:80",
            admin_email="nope",
            admin_password="short",
            theme_config={"primary_color": "red;}"},
        )
    assert set(caught.value.fields) >= {
        "name",
        "domain",
        "admin_email",
        "admin_password",
        "theme_config.primary_color",
    }


def test_schema_name_is_derived_from_the_name(app, make_tenant):
    tenant = make_tenant(name="Café Ünïcode 42", schema_name=None)
    assert tenant.schema_name == "tenant_cafeunicode42"


def test_drop_erases_schema_and_registry_row(app, make_tenant, db_connection):
    tenant = make_tenant()
    with app.app_context(), unit_of_work():
        drop_tenant(tenant.domain)
    assert registry_row(db_connection, tenant.domain) is None
    assert not schema_exists(db_connection, tenant.schema_name)


def test_a_new_restaurant_lives_on_one_node(make_tenant, db_connection):
    """On a Citus coordinator a new restaurant's schema is a distributed schema, every table of
    it on one worker (queries naming it are routed there); on one PostgreSQL server it is a
    plain schema of that server."""
    tenant = make_tenant()
    citus = "SELECT 1 FROM pg_extension WHERE extname = 'citus'"
    if db_connection.exec_driver_sql(citus).first() is None:
        assert schema_exists(db_connection, tenant.schema_name)
        return
    distributed = db_connection.exec_driver_sql("SELECT schema_name::text FROM citus_schemas")
    assert tenant.schema_name in distributed.scalars().all()
    placements = db_connection.execute(
        text(
            "SELECT count(DISTINCT table_name), count(DISTINCT (nodename, nodeport)) "
            "FROM citus_shards WHERE table_name::text LIKE :tables"
        ),
        {"tables": f"{tenant.schema_name}.%"},
    ).one()
    assert placements == (len(tenant_tables()) + 1, 1)  # + alembic_version; one node


def test_the_schema_ddl_is_one_round_trip_on_one_server(app, make_tenant, count_statements):
    """On one PostgreSQL server the schema and its tables go as one script; on Citus, which
    refuses several DDL commands in one string, one statement each."""
    make_tenant()  # the pooled connection has met the database
    sent = count_statements(app)
    make_tenant()
    ddl = [statement for statement in sent if "CREATE TABLE" in statement]
    with app.app_context(), db.engine.connect() as connection:
        citus = on_citus(connection)
    if citus:
        assert len(ddl) == len(tenant_tables()) + 1  # + alembic_version
    else:
        assert len(ddl) == 1 and ddl[0].startswith("CREATE SCHEMA")
        assert ddl[0].count("CREATE TABLE") == len(tenant_tables()) + 1
    assert not any("pg_extension" in statement for statement in sent)  # asked once per connection


def test_a_connection_retires_after_creating_many_schemas(app, make_tenant, monkeypatch):
    """A backend that has created many schemas keeps a plan per foreign key it checked and
    walks them on every catalog change: the pool replaces the connection after a few."""
    monkeypatch.setattr(schema, "RETIRE_AFTER_SCHEMAS", 2)

    def backend():
        with app.app_context(), db.engine.connect() as connection:
            return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    with app.app_context():
        db.engine.dispose()  # one pooled connection, used by everything below in turn
    first = backend()
    make_tenant()
    assert backend() == first
    make_tenant()
    assert backend() != first
