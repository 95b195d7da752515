"""``flask db`` across tenants: real revision files, real schemas, resumable runs."""

import uuid

import pytest
from sqlalchemy import text

from omniorder.core.database import db
from omniorder.tenancy import migrate
from tests.support.app import make_app
from tests.support.migrations import add_loyalty_revision, copy_migrations


def app_with_loyalty_revision(database_url, tmp_path, edit=lambda source: source, online=False):
    """The app with a copy of migrations/ that has one more tenant revision (its source passed
    through `edit`); `app.previous_head` is the real tree's head, which that revision follows."""
    directory = copy_migrations(tmp_path / "migrations")
    app = make_app(database_url, OMNIORDER_MIGRATIONS_DIR=str(directory))
    app.previous_head = add_loyalty_revision(app, directory, online=online, edit=edit)
    return app


@pytest.fixture(params=[False, True], ids=["rendered-sql", "alembic-online"])
def loyalty_app(database_url, tmp_path, request):
    """The app with a copy of migrations/ that has one more tenant revision, replayed as
    rendered SQL (the fast path) or run by Alembic in each tenant (``online_only``)."""
    app = app_with_loyalty_revision(database_url, tmp_path, online=request.param)
    yield app
    with app.app_context():
        db.engine.dispose()


def has_loyalty_column(connection, schema_name):
    return (
        connection.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = :s "
                "AND table_name = 'orders' AND column_name = 'loyalty_points'"
            ),
            {"s": schema_name},
        ).first()
        is not None
    )


def version_of(connection, schema_name):
    return connection.exec_driver_sql(
        f'SELECT version_num FROM "{schema_name}".alembic_version'
    ).scalar()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_add_column_reaches_every_tenant_and_downgrade_removes_it(
    loyalty_app, make_tenant, db_connection, jobs
):
    tenants = [make_tenant() for _ in range(3)]
    runner = loyalty_app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade", "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert "tenants: 3 migrated to t0099_loyalty, 0 already there, 0 failed" in result.output
    for tenant in tenants:
        assert has_loyalty_column(db_connection, tenant.schema_name)
        assert version_of(db_connection, tenant.schema_name) == "t0099_loyalty"

    result = runner.invoke(args=["db", "upgrade"])
    assert "tenants: 0 migrated to t0099_loyalty, 3 already there" in result.output

    previous = loyalty_app.previous_head
    result = runner.invoke(args=["db", "downgrade", previous, "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert f"tenants: 3 migrated to {previous}" in result.output
    for tenant in tenants:
        assert not has_loyalty_column(db_connection, tenant.schema_name)
        assert version_of(db_connection, tenant.schema_name) == previous


def test_noop_upgrade_touches_no_tenant(app, make_tenant, count_statements):
    for _ in range(3):
        make_tenant()
    statements = count_statements(app)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "0 migrated" in result.output and "3 already there" in result.output
    # public: 2 version queries; tenants: 2 to list them + 2 for all their versions.
    # The count does not grow with the number of tenants, and no tenant is migrated.
    assert len(statements) == 6, statements
    assert not any("SET LOCAL" in s or "ALTER" in s for s in statements)


def test_failed_tenant_is_reported_and_a_rerun_continues(loyalty_app, make_tenant, db_connection):
    first, broken, last = (make_tenant() for _ in range(3))
    db_connection.exec_driver_sql(
        f'ALTER TABLE "{broken.schema_name}".orders ADD COLUMN loyalty_points integer'
    )
    db_connection.commit()
    runner = loyalty_app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "2 migrated to t0099_loyalty, 0 already there, 1 failed" in result.output
    assert f"failed: {broken.schema_name}: " in result.output
    assert "DuplicateColumn" in result.output
    assert version_of(db_connection, broken.schema_name) == loyalty_app.previous_head
    assert version_of(db_connection, first.schema_name) == "t0099_loyalty"

    db_connection.exec_driver_sql(
        f'ALTER TABLE "{broken.schema_name}".orders DROP COLUMN loyalty_points'
    )
    db_connection.commit()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "1 migrated to t0099_loyalty, 2 already there, 0 failed" in result.output
    assert all(has_loyalty_column(db_connection, t.schema_name) for t in (first, broken, last))


def _shape(connection, schema_name):
    columns = connection.execute(
        text(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, "
            "identity_start FROM information_schema.columns WHERE table_schema = :s "
            "ORDER BY 1, 2"
        ),
        {"s": schema_name},
    ).all()
    constraints = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = :s ORDER BY 2"
        ),
        {"s": schema_name},
    ).all()
    indexes = connection.execute(
        text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s ORDER BY 1"),
        {"s": schema_name},
    ).all()
    strip = lambda value: str(value).replace(schema_name + ".", "")  # noqa: E731
    return (
        [tuple(map(strip, row)) for row in columns],
        [tuple(map(strip, row)) for row in constraints],
        [tuple(map(strip, row)) for row in indexes],
    )


def test_models_and_migrations_build_the_same_schema(app, make_tenant, db_connection):
    """Provisioning builds tables from the models; upgrades replay the revisions: same result."""
    provisioned = make_tenant()
    schema = f"tenant_replayed_{uuid.uuid4().hex[:8]}"
    db_connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    db_connection.execute(
        text("INSERT INTO public.tenants (name, schema_name, domain) VALUES ('Replayed', :s, :d)"),
        {"s": schema, "d": f"{schema}.localhost".replace("_", "-")},
    )
    db_connection.commit()
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert "1 migrated" in result.output, result.output
        assert _shape(db_connection, schema) == _shape(db_connection, provisioned.schema_name)
    finally:
        db_connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        db_connection.execute(
            text("DELETE FROM public.tenants WHERE schema_name = :s"), {"s": schema}
        )
        db_connection.commit()


def test_a_schema_at_an_unknown_revision_is_reported_not_guessed(app, make_tenant, db_connection):
    make_tenant()
    odd = make_tenant()
    db_connection.exec_driver_sql(
        f"UPDATE \"{odd.schema_name}\".alembic_version SET version_num = 'nonsense'"
    )
    db_connection.commit()
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert f"failed: {odd.schema_name}: UnknownRevision: nonsense" in result.output
    assert "1 already there" in result.output  # the fine tenant is untouched


@pytest.mark.parametrize(
    "spelling",
    [
        'revision: str = "t0099_loyalty"',  # Alembic's own template annotates it
        'revision = "t0099_" + "loyalty"',  # not a literal: planning asks Alembic
    ],
)
def test_revision_ids_are_found_however_the_file_spells_them(
    database_url, tmp_path, make_tenant, db_connection, spelling
):
    app = app_with_loyalty_revision(
        database_url,
        tmp_path,
        lambda source: source.replace('revision = "t0099_loyalty"', spelling),
    )
    tenants = [make_tenant() for _ in range(2)]
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["db", "upgrade"])
        assert "tenants: 2 migrated to t0099_loyalty, 0 already there, 0 failed" in result.output, (
            result.output
        )
        result = runner.invoke(args=["db", "upgrade"])
        assert "tenants: 0 migrated to t0099_loyalty, 2 already there" in result.output

        # Schemas at t0099_loyalty are known to be there, not reported at an unknown revision.
        result = runner.invoke(args=["db", "downgrade", app.previous_head])
        assert result.exit_code == 0, result.output
        assert (
            f"tenants: 2 migrated to {app.previous_head}, 0 already there, 0 failed"
            in result.output
        )
        assert not any(has_loyalty_column(db_connection, t.schema_name) for t in tenants)
    finally:
        migrate.forget_revision_files()
        with app.app_context():
            db.engine.dispose()


def test_a_migration_script_is_split_at_its_top_level_semicolons_only():
    """Each statement is sent alone (Citus refuses several DDL commands in one string), so the
    split must keep semicolons inside strings, quoted names, dollar-quoted bodies and comments."""
    from omniorder.tenancy.migrate import sql_statements

    script = (
        "-- Running upgrade a -> b\n\nALTER TABLE orders ADD COLUMN x TEXT;\n\n"
        "CREATE INDEX ix ON orders (x);\n\n"
        "INSERT INTO t VALUES ('a;b', 'it''s; fine', \"odd;name\");\n"
        "CREATE FUNCTION f() RETURNS void AS $body$ BEGIN PERFORM 1; END; $body$ "
        "LANGUAGE plpgsql;\n"
        "/* c; */ UPDATE alembic_version SET version_num='b';\n-- done;\n"
    )
    assert sql_statements(script) == [
        "-- Running upgrade a -> b\n\nALTER TABLE orders ADD COLUMN x TEXT",
        "CREATE INDEX ix ON orders (x)",
        "INSERT INTO t VALUES ('a;b', 'it''s; fine', \"odd;name\")",
        "CREATE FUNCTION f() RETURNS void AS $body$ BEGIN PERFORM 1; END; $body$ LANGUAGE plpgsql",
        "/* c; */ UPDATE alembic_version SET version_num='b'",
    ]
