"""Archival of old orders to Parquet: local and S3 (moto), exactly one copy, restorable."""

import datetime as dt

import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from omniorder.analytics import archive
from tests.support.app import make_app
from tests.support.orders import insert_orders
from tests.support.s3 import moto_server

NOW = dt.datetime.now(dt.UTC)


def old_order(db_connection, tenant, months_ago, **fields) -> str:
    """An order (DONE unless `status` says otherwise) from `months_ago` months of 31 days ago."""
    created = NOW - dt.timedelta(days=31 * months_ago)
    return insert_orders(db_connection, tenant, created_at=created, **fields)[0]


def order_ids(db_connection, tenant):
    ids = set(db_connection.scalars(text(f'SELECT id::text FROM "{tenant.schema_name}".orders')))
    db_connection.rollback()
    return ids


def files(root, tenant):
    return sorted(str(p) for p in (root / f"tenant={tenant.schema_name}").rglob("*.parquet"))


@pytest.fixture
def archive_app(database_url, tmp_path):
    return make_app(database_url, OMNIORDER_ARCHIVE_URI=str(tmp_path / "archive"))


def test_old_finished_orders_move_to_parquet_and_come_back(
    archive_app, make_tenant, db_connection, tmp_path
):
    tenant = make_tenant()
    moved = [
        old_order(db_connection, tenant, 14),
        old_order(db_connection, tenant, 14),
        old_order(db_connection, tenant, 20),
    ]
    stuck = old_order(db_connection, tenant, 15, status="COOKING")
    recent = old_order(db_connection, tenant, 2)
    db_connection.commit()
    runner = archive_app.test_cli_runner()

    dry = runner.invoke(args=["orders", "archive", "--dry-run"])
    assert "would move 3 orders" in dry.output and order_ids(db_connection, tenant) >= set(moved)
    result = runner.invoke(args=["orders", "archive", "--older-than", "12mo"])
    assert result.exit_code == 0, result.output
    assert "moved 3 orders from 1 tenants" in result.output
    assert (
        f"not moved: {tenant.domain}: 1 old orders are still open (PENDING or COOKING)"
        in result.output
    )
    assert order_ids(db_connection, tenant) == {stuck, recent}

    root = tmp_path / "archive"
    paths = files(root, tenant)
    assert len(paths) == 2 and all("/year=" in p and "/month=" in p for p in paths)
    table = pq.read_table(paths[0])
    assert table.schema.field("created_at").type.tz == "UTC"
    assert table.schema.field("total_amount").type == "int64"
    archived = set()
    for path in paths:
        archived.update(pq.read_table(path).column("id").to_pylist())
    assert archived == set(moved)

    again = runner.invoke(args=["orders", "archive"])
    assert "moved 0 orders" in again.output and len(files(root, tenant)) == 2

    month = (NOW - dt.timedelta(days=31 * 14)).strftime("%Y-%m")
    restored = runner.invoke(
        args=["orders", "restore", "--domain", tenant.domain, "--month", month]
    )
    assert restored.exit_code == 0, restored.output
    assert "restored 2 orders" in restored.output
    assert order_ids(db_connection, tenant) == {stuck, recent, moved[0], moved[1]}
    twice = runner.invoke(args=["orders", "restore", "--domain", tenant.domain, "--month", month])
    assert "restored 0 orders" in twice.output  # no duplicates


def test_a_crash_between_writing_and_deleting_leaves_one_copy(
    archive_app, make_tenant, db_connection, tmp_path
):
    tenant = make_tenant()
    first = old_order(db_connection, tenant, 14)
    db_connection.commit()
    with archive_app.app_context():
        fs, root = archive.destination()
        created = NOW - dt.timedelta(days=31 * 14)
        directory = archive.month_dir(root, tenant.schema_name, created.year, created.month)
        row = dict(
            db_connection.execute(
                text(f'SELECT * FROM "{tenant.schema_name}".orders WHERE id = :id'), {"id": first}
            )
            .mappings()
            .one()
        )
        db_connection.rollback()
        archive.write_month(fs, directory, [row])  # the file is written, then the "crash"
    second = old_order(db_connection, tenant, 14)  # and another old order arrives meanwhile
    db_connection.commit()

    result = archive_app.test_cli_runner().invoke(args=["orders", "archive"])
    assert result.exit_code == 0, result.output
    assert order_ids(db_connection, tenant) == set()
    ids = []
    for path in files(tmp_path / "archive", tenant):
        ids += pq.read_table(path).column("id").to_pylist()
    assert sorted(ids) == sorted([first, second])  # each exactly once


def test_archived_orders_stay_in_the_analytics(archive_app, make_tenant, db_connection):
    tenant = make_tenant()
    old_order(db_connection, tenant, 14, total=4200)
    db_connection.commit()
    runner = archive_app.test_cli_runner()
    runner.invoke(args=["orders", "archive"])
    for refresh in (["analytics", "refresh"], ["analytics", "refresh", "--full"]):
        assert runner.invoke(args=refresh).exit_code == 0
        revenue = db_connection.scalar(
            text("SELECT sum(revenue_cents) FROM public.analytics WHERE tenant_id = :t"),
            {"t": tenant.id},
        )
        db_connection.rollback()
        assert revenue == 4200


def test_a_day_with_an_unfinished_order_is_archived_whole_later(
    archive_app, make_tenant, db_connection
):
    """No day is ever partly archived, so the analytics, which recompute a day from the table,
    never undercount it: its DONE orders wait for the stuck one."""
    tenant = make_tenant()
    stuck = old_order(db_connection, tenant, 15, status="COOKING", total=100)
    same_day = old_order(db_connection, tenant, 15, total=200)
    other_day = old_order(db_connection, tenant, 14, total=400)
    db_connection.commit()
    runner = archive_app.test_cli_runner()

    def day_revenue():
        revenue = db_connection.scalar(
            text("SELECT revenue_cents FROM public.analytics WHERE tenant_id = :t AND day = :d"),
            {"t": tenant.id, "d": (NOW - dt.timedelta(days=31 * 15)).date()},
        )
        db_connection.rollback()
        return revenue

    result = runner.invoke(args=["orders", "archive"])
    assert "moved 1 orders" in result.output, result.output
    assert order_ids(db_connection, tenant) == {stuck, same_day}
    assert other_day not in order_ids(db_connection, tenant)

    db_connection.exec_driver_sql(  # the kitchen finally closes the order
        f"UPDATE \"{tenant.schema_name}\".orders SET status = 'DONE', analytics_pending = true "
        f"WHERE id = '{stuck}'"
    )
    db_connection.commit()
    assert "moved 2 orders" in runner.invoke(args=["orders", "archive"]).output
    for refresh in (["analytics", "refresh"], ["analytics", "refresh", "--full"]):
        assert runner.invoke(args=refresh).exit_code == 0
        assert day_revenue() == 300


def test_dropping_a_tenant_erases_its_archive(archive_app, make_tenant, db_connection, tmp_path):
    tenant = make_tenant()
    old_order(db_connection, tenant, 14)
    db_connection.commit()
    runner = archive_app.test_cli_runner()
    runner.invoke(args=["orders", "archive"])
    assert files(tmp_path / "archive", tenant)
    runner.invoke(args=["tenants", "drop", tenant.domain, "--yes"])
    assert not (tmp_path / "archive" / f"tenant={tenant.schema_name}").exists()


@pytest.mark.parametrize("age", ["12", "twelve months", "-1mo", ""])
def test_bad_cutoff_is_a_usage_error(archive_app, age):
    result = archive_app.test_cli_runner().invoke(args=["orders", "archive", "--older-than", age])
    assert result.exit_code == 2 and "older_than" in result.output


@pytest.fixture
def s3_endpoint(monkeypatch):
    """moto's S3 server on a free loopback port (no real S3 is reachable here)."""
    with moto_server(monkeypatch) as endpoint:
        monkeypatch.setenv("OMNIORDER_ARCHIVE_S3_ENDPOINT", endpoint)
        archive.pafs.S3FileSystem(
            endpoint_override=endpoint.removeprefix("http://"),
            scheme="http",
            region="us-east-1",
            allow_bucket_creation=True,
        ).create_dir("orders-archive")
        fs, _ = archive.filesystem("s3://orders-archive")
        yield fs


def test_archive_to_s3_and_restore(database_url, make_tenant, db_connection, s3_endpoint):
    app = make_app(database_url, OMNIORDER_ARCHIVE_URI="s3://orders-archive/prod")
    tenant = make_tenant()
    moved = old_order(db_connection, tenant, 13)
    db_connection.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["orders", "archive", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    listing = s3_endpoint.get_file_info(
        archive.pafs.FileSelector(
            f"orders-archive/prod/tenant={tenant.schema_name}", recursive=True
        )
    )
    parquet = [info.path for info in listing if info.path.endswith(".parquet")]
    assert len(parquet) == 1 and "/year=" in parquet[0]
    assert pq.read_table(parquet[0], filesystem=s3_endpoint).column("id").to_pylist() == [moved]
    month = (NOW - dt.timedelta(days=31 * 13)).strftime("%Y-%m")
    restored = runner.invoke(
        args=["orders", "restore", "--domain", tenant.domain, "--month", month]
    )
    assert "restored 1 orders" in restored.output
    assert order_ids(db_connection, tenant) == {moved}


def test_cancelled_orders_are_finished_archived_and_restored_with_their_reason(
    archive_app, make_tenant, db_connection
):
    tenant = make_tenant()
    cancelled = old_order(db_connection, tenant, 14, status="CANCELLED", total=900)
    collected = old_order(db_connection, tenant, 14, total=1500)
    picked_up_at = NOW - dt.timedelta(days=31 * 14) + dt.timedelta(minutes=20)
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".orders SET cancel_reason = :reason '  # noqa: S608
            "WHERE id = :id"
        ),
        {"reason": "Oven broke — sorry!", "id": cancelled},
    )
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".orders SET picked_up_at = :at '  # noqa: S608
            "WHERE id = :id"
        ),
        {"at": picked_up_at, "id": collected},
    )
    db_connection.commit()
    runner = archive_app.test_cli_runner()
    assert runner.invoke(args=["analytics", "refresh"]).exit_code == 0

    result = runner.invoke(args=["orders", "archive"])
    assert result.exit_code == 0, result.output
    assert "moved 2 orders" in result.output and "not moved" not in result.output  # not stuck
    assert order_ids(db_connection, tenant) == set()

    month = (NOW - dt.timedelta(days=31 * 14)).strftime("%Y-%m")
    restored = runner.invoke(
        args=["orders", "restore", "--domain", tenant.domain, "--month", month]
    )
    assert restored.exit_code == 0 and "restored 2 orders" in restored.output
    rows = {
        row.id: row
        for row in db_connection.execute(
            text(
                "SELECT id::text, status, cancel_reason, picked_up_at "  # noqa: S608
                f'FROM "{tenant.schema_name}".orders'
            )
        )
    }
    db_connection.rollback()
    assert (rows[cancelled].status, rows[cancelled].cancel_reason) == (
        "CANCELLED",
        "Oven broke — sorry!",
    )
    assert rows[collected].status == "DONE" and rows[collected].picked_up_at == picked_up_at
    # The cancelled order counted nowhere before the archive, and still does not.
    assert runner.invoke(args=["analytics", "refresh", "--full"]).exit_code == 0
    revenue = db_connection.scalar(
        text("SELECT sum(revenue_cents) FROM public.analytics WHERE tenant_id = :t"),
        {"t": tenant.id},
    )
    db_connection.rollback()
    assert revenue == 1500
