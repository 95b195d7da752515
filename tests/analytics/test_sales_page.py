"""The restaurant's sales page: live for today and uncounted days, the warehouse for the rest,
in the restaurant's local days and currency, agreeing with the platform report."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from omniorder.analytics import sales as analytics
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN, make_app
from tests.support.choices import set_settings
from tests.support.orders import cancel, insert_orders, place_fries
from tests.support.staff import signed_in

AUCKLAND = ZoneInfo("Pacific/Auckland")


def local_today(zone) -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(zone).date()


def at(day: dt.date, hour: int, minute: int, zone) -> dt.datetime:
    """A moment of a local day, in UTC as it is stored."""
    return dt.datetime.combine(day, dt.time(hour, minute), zone).astimezone(dt.UTC)


def refresh(app, **options):
    with app.app_context():
        return analytics.refresh(**options)


def totals(page: str) -> tuple[str, str]:
    orders = re.search(r'<dd id="total-orders">([^<]*)</dd>', page).group(1)
    revenue = re.search(r'<dd id="total-revenue">([^<]*)</dd>', page).group(1)
    return orders, revenue


def bar(page: str, day: dt.date) -> str:
    """The chart's tooltip for `day`: 'YYYY-MM-DD: N orders, $X' (+ ' (live)')."""
    return re.search(rf"<title>({day.isoformat()}:[^<]*)</title>", page).group(1)


def freshness(page: str) -> str:
    line = re.search(r'<p class="muted" id="freshness">(.*?)</p>', page, re.S).group(1)
    return " ".join(line.split())


def warehouse(db_connection, tenant) -> dict:
    rows = db_connection.execute(
        text("SELECT day, orders, revenue_cents FROM public.analytics WHERE tenant_id = :t"),
        {"t": tenant.id},
    )
    figures = {row.day: (row.orders, row.revenue_cents) for row in rows}
    db_connection.rollback()
    return figures


def reported(client, tenant, first: dt.date, last: dt.date) -> tuple[int, int]:
    body = client.get(
        f"/api/v1/sys/analytics?from={first}&to={last}&domain={tenant.domain}",
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    ).json
    (row,) = body["tenants"]
    return row["orders"], row["revenue_cents"]


def cli_reported(app, tenant, first: dt.date, last: dt.date) -> tuple[int, int]:
    output = (
        app.test_cli_runner()
        .invoke(
            args=[
                "analytics",
                "report",
                "--domain",
                tenant.domain,
                "--from",
                str(first),
                "--to",
                str(last),
            ]
        )
        .output
    )
    row = next(line for line in output.splitlines() if line.startswith(tenant.domain))
    orders, revenue = row.split()[1:3]
    return int(orders), int(revenue)


def test_an_order_placed_now_is_on_the_sales_page_at_once(app, client, make_tenant, db_connection):
    tenant = make_tenant()
    manager = signed_in(app, tenant, "manager")
    assert totals(manager.get("/admin/sales").text) == ("0", "$0.00")
    place_fries(app, client, tenant, quantity=3)
    cancel(app, tenant, place_fries(app, client, tenant, quantity=5))

    page = manager.get("/admin/sales").text  # no refresh has run
    assert warehouse(db_connection, tenant) == {}
    assert totals(page) == ("1", "$13.50")
    assert bar(page, local_today(dt.UTC)) == f"{local_today(dt.UTC)}: 1 order, $13.50 (live)"
    assert "not refreshed yet" in freshness(page)


def test_money_is_in_the_restaurants_currency(app, make_tenant, db_connection):
    tenant = make_tenant()
    set_settings(app, tenant, currency="EUR", locale="de_DE")
    insert_orders(db_connection, tenant, total=123456)
    db_connection.commit()
    page = signed_in(app, tenant, "manager").get("/admin/sales").text
    assert totals(page) == ("1", "1.234,56\xa0€")


def test_a_late_order_in_auckland_counts_on_its_local_day(app, client, make_tenant, db_connection):
    tenant = make_tenant()
    set_settings(app, tenant, timezone="Pacific/Auckland")
    today = local_today(AUCKLAND)
    day = today - dt.timedelta(days=3)
    insert_orders(db_connection, tenant, total=1000, created_at=at(day, 23, 30, AUCKLAND))
    insert_orders(
        db_connection, tenant, total=200, created_at=at(day + dt.timedelta(days=1), 0, 30, AUCKLAND)
    )
    insert_orders(db_connection, tenant, total=50, created_at=at(today, 0, 1, AUCKLAND))
    db_connection.commit()
    manager = signed_in(app, tenant, "manager")

    page = manager.get("/admin/sales").text  # before any refresh: live, on local days
    assert bar(page, day) == f"{day}: 1 order, $10.00 (live)"
    assert (
        bar(page, day + dt.timedelta(days=1))
        == f"{day + dt.timedelta(days=1)}: 1 order, $2.00 (live)"
    )
    assert bar(page, today) == f"{today}: 1 order, $0.50 (live)"
    assert "Days are local days (Pacific/Auckland)" in freshness(page)

    refresh(app)
    assert warehouse(db_connection, tenant) == {
        day: (1, 1000),
        day + dt.timedelta(days=1): (1, 200),
        today: (1, 50),
    }
    page = manager.get("/admin/sales").text
    assert bar(page, day) == f"{day}: 1 order, $10.00"  # from the warehouse now
    assert bar(page, today) == f"{today}: 1 order, $0.50 (live)"  # today is always live
    assert totals(page) == ("3", "$12.50")
    assert reported(client, tenant, day, day) == (1, 1000)
    assert cli_reported(app, tenant, day, day) == (1, 1000)
    start = today - dt.timedelta(days=29)
    assert (
        reported(client, tenant, start, today)
        == cli_reported(app, tenant, start, today)
        == (3, 1250)
    )


def test_history_and_live_never_count_a_day_twice_or_miss_one(
    app, client, make_tenant, db_connection
):
    tenant = make_tenant()
    today = local_today(dt.UTC)
    yesterday, before = today - dt.timedelta(days=1), today - dt.timedelta(days=2)
    for day, total in ((before, 100), (yesterday, 200), (today, 400)):
        insert_orders(db_connection, tenant, total=total, created_at=at(day, 10, 0, dt.UTC))
    db_connection.commit()
    refresh(app)
    manager = signed_in(app, tenant, "manager")
    page = manager.get("/admin/sales").text
    assert totals(page) == ("3", "$7.00")
    assert f"History up to {yesterday}" in freshness(page)

    # After the refresh: an order on the last refreshed day, and one today.
    late = insert_orders(db_connection, tenant, total=1000, created_at=at(yesterday, 23, 0, dt.UTC))
    insert_orders(db_connection, tenant, total=2000, created_at=at(today, 0, 5, dt.UTC))
    db_connection.commit()
    page = manager.get("/admin/sales").text
    assert totals(page) == ("5", "$37.00")  # each order once: none missed, none doubled
    assert bar(page, yesterday) == f"{yesterday}: 2 orders, $12.00 (live)"
    assert bar(page, before) == f"{before}: 1 order, $1.00"
    assert f"and {yesterday} (orders not yet in the warehouse)" in freshness(page)
    assert f"History up to {before}" in freshness(page)

    cancel(
        app, tenant, late[0], role="manager"
    )  # a counted day loses an order: live again, at once
    assert totals(manager.get("/admin/sales").text) == ("4", "$27.00")
    refresh(app)
    page = manager.get("/admin/sales").text
    assert totals(page) == ("4", "$27.00")
    assert bar(page, yesterday) == f"{yesterday}: 1 order, $2.00"
    assert f"History up to {yesterday}" in freshness(page)
    # The platform report, after the refresh, says what the page says.
    start = today - dt.timedelta(days=29)
    assert (
        reported(client, tenant, start, today)
        == cli_reported(app, tenant, start, today)
        == (4, 2700)
    )


def test_the_page_says_when_the_warehouse_was_refreshed(app, make_tenant, db_connection):
    tenant = make_tenant()
    insert_orders(
        db_connection, tenant, total=100, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    )
    db_connection.commit()
    manager = signed_in(app, tenant, "manager")
    assert "not refreshed yet" in freshness(manager.get("/admin/sales").text)
    refresh(app)
    db_connection.execute(
        text(
            "UPDATE public.analytics SET updated_at = now() - interval '5 minutes' "
            "WHERE tenant_id = :t"
        ),
        {"t": tenant.id},
    )
    db_connection.commit()
    line = freshness(manager.get("/admin/sales").text)
    yesterday = local_today(dt.UTC) - dt.timedelta(days=1)
    assert f"History up to {yesterday}, refreshed 5 minutes ago" in line


def test_the_sales_page_costs_a_few_statements_whatever_the_history(
    app, make_tenant, db_connection, count_statements
):
    tenant = make_tenant()
    for days_ago in range(0, 60, 3):
        insert_orders(
            db_connection, tenant, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        )
    db_connection.commit()
    manager = signed_in(app, tenant, "manager")
    manager.get("/admin/sales")
    statements = count_statements(app)
    assert manager.get("/admin/sales?days=90").status_code == 200
    sales = [s for s in statements if "analytics" in s or ".orders" in s]
    assert len(sales) == 4, sales  # pending days, live figures, history, last refresh


# --- archival takes whole local days ------------------------------------------------------------


@pytest.fixture
def archive_app(database_url, tmp_path):
    return make_app(database_url, OMNIORDER_ARCHIVE_URI=str(tmp_path / "archive"))


def order_ids(db_connection, tenant) -> set[str]:
    ids = set(db_connection.scalars(text(f'SELECT id::text FROM "{tenant.schema_name}".orders')))
    db_connection.rollback()
    return ids


def test_archival_never_takes_part_of_a_local_day(archive_app, make_tenant, db_connection):
    tenant = make_tenant()
    set_settings(archive_app, tenant, timezone="Pacific/Auckland")
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    cutoff_day = cutoff.astimezone(AUCKLAND).date()
    if at(cutoff_day, 0, 1, AUCKLAND) >= cutoff:
        pytest.skip("the cutoff is in the first minute of its local day")
    (same_day,) = insert_orders(db_connection, tenant, created_at=at(cutoff_day, 0, 1, AUCKLAND))
    (day_before,) = insert_orders(
        db_connection, tenant, created_at=at(cutoff_day - dt.timedelta(days=1), 23, 30, AUCKLAND)
    )
    # A stuck order at 00:10 and a finished one at 23:50 of one Auckland day: two UTC days.
    stuck_day = cutoff_day - dt.timedelta(days=10)
    (stuck,) = insert_orders(
        db_connection, tenant, status="COOKING", created_at=at(stuck_day, 0, 10, AUCKLAND)
    )
    (waits,) = insert_orders(db_connection, tenant, created_at=at(stuck_day, 23, 50, AUCKLAND))
    db_connection.commit()

    result = archive_app.test_cli_runner().invoke(
        args=["orders", "archive", "--older-than", "400d"]
    )
    assert result.exit_code == 0, result.output
    assert "moved 1 orders" in result.output
    assert order_ids(db_connection, tenant) == {same_day, stuck, waits}
    assert day_before not in order_ids(db_connection, tenant)
    figures = warehouse(db_connection, tenant)
    assert figures[cutoff_day - dt.timedelta(days=1)] == (1, 1000)
    assert figures[stuck_day] == (2, 2000)

    refresh(archive_app, full=True)  # recomputes only the days still in the table
    assert warehouse(db_connection, tenant) == figures


def test_a_daylight_saving_day_is_one_local_day(app, make_tenant, db_connection):
    """Los Angeles left daylight saving time on 2026-11-01: a 25-hour day, all of it one day."""
    los_angeles = ZoneInfo("America/Los_Angeles")
    tenant = make_tenant()
    set_settings(app, tenant, timezone="America/Los_Angeles")
    sunday, monday = dt.date(2026, 11, 1), dt.date(2026, 11, 2)
    for moment, total in (
        (at(sunday, 0, 30, los_angeles), 100),  # 07:30 UTC (PDT)
        (at(sunday, 23, 30, los_angeles), 200),  # 07:30 UTC on the 2nd (PST)
        (at(monday, 0, 30, los_angeles), 400),
    ):
        insert_orders(db_connection, tenant, total=total, created_at=moment)
    db_connection.commit()
    now = at(dt.date(2026, 11, 3), 12, 0, los_angeles)

    def shown() -> dict:
        with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
            days = analytics.sales_days(tenant.id, 30, "America/Los_Angeles", now=now)
        return {d.day: (d.orders, d.revenue_cents, d.live) for d in days.series if d.orders}

    assert shown() == {sunday: (2, 300, True), monday: (1, 400, True)}  # live, not refreshed
    refresh(app)
    assert warehouse(db_connection, tenant) == {sunday: (2, 300), monday: (1, 400)}
    assert shown() == {sunday: (2, 300, False), monday: (1, 400, False)}  # from the warehouse
