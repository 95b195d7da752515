"""The analytics warehouse: exact, incremental, concurrent-safe, and private per restaurant."""

import datetime as dt
import threading

from sqlalchemy import text

from omniorder.analytics import sales as analytics
from tests.support.app import SYS_TOKEN
from tests.support.orders import cancel, insert_orders, place_fries
from tests.support.staff import signed_in
from tests.support.storefront import menu

TODAY = dt.datetime.now(dt.UTC).date()


def order(connection, tenant, days_ago=0, total=1000, quantities=(1,)):
    """An order created `days_ago` days ago (UTC noon), its lines at a unit price of 1."""
    noon = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12), dt.UTC)
    insert_orders(
        connection, tenant, total=total, unit_price=1, quantities=quantities, created_at=noon
    )


def warehouse(db_connection, tenant):
    figures = {
        row.day: (row.orders, row.revenue_cents, row.items_sold)
        for row in db_connection.execute(
            text(
                "SELECT day, orders, revenue_cents, items_sold FROM public.analytics "
                "WHERE tenant_id = :t"
            ),
            {"t": tenant.id},
        )
    }
    db_connection.rollback()  # hold no lock that would block dropping the test tenant
    return figures


def truth(db_connection, tenant):
    """What a direct GROUP BY on the tenant's orders says."""
    figures = {
        row.day: (row.orders, row.revenue, row.items)
        for row in db_connection.execute(
            text(
                "SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS orders, "
                "sum(total_amount) AS revenue, sum((SELECT sum((l->>'quantity')::int) "
                "FROM jsonb_array_elements(items) l)) AS items "
                f'FROM "{tenant.schema_name}".orders GROUP BY 1'
            )
        )
    }
    db_connection.rollback()
    return figures


def order_day(db_connection, tenant) -> dt.date:
    """The UTC day of the tenant's orders (placed just now: TODAY may have passed midnight)."""
    (day,) = db_connection.scalars(
        text(
            "SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date "  # noqa: S608
            f'FROM "{tenant.schema_name}".orders'
        )
    ).all()
    db_connection.rollback()
    return day


def refresh(app, **options):
    with app.app_context():
        return analytics.refresh(**options)


def test_refresh_matches_a_direct_group_by_and_is_incremental(app, make_tenant, db_connection):
    a, b = make_tenant(), make_tenant()
    for tenant, days in ((a, (0, 0, 1, 40)), (b, (2, 3))):
        for days_ago in days:
            order(db_connection, tenant, days_ago, total=1000 + days_ago, quantities=(1, 2))
    db_connection.commit()
    assert refresh(app).refreshed == 2
    for tenant in (a, b):
        assert warehouse(db_connection, tenant) == truth(db_connection, tenant)
    assert warehouse(db_connection, a)[TODAY] == (2, 2000, 6)

    nothing_new = refresh(app)
    assert (nothing_new.refreshed, nothing_new.unchanged) == (0, 2)
    order(db_connection, a, 1, total=500)
    db_connection.commit()
    again = refresh(app)
    assert (again.refreshed, again.unchanged) == (1, 1)
    assert warehouse(db_connection, a) == truth(db_connection, a)

    db_connection.exec_driver_sql("DELETE FROM public.analytics")
    db_connection.commit()
    assert refresh(app, full=True).refreshed == 2
    assert warehouse(db_connection, a) == truth(db_connection, a)


def test_an_order_committed_during_a_refresh_is_counted_once(app, make_tenant, database_url):
    from sqlalchemy import create_engine

    tenant = make_tenant()
    engine = create_engine(database_url)
    with engine.connect() as late, engine.connect() as checker:
        order(late, tenant, 0, total=700)  # in flight: not committed yet
        order(checker, tenant, 0, total=300)
        checker.commit()
        refresh(app)
        assert warehouse(checker, tenant)[TODAY] == (1, 300, 1)
        late.commit()  # commits after the refresh started
        refresh(app)
        refresh(app)
        assert warehouse(checker, tenant) == truth(checker, tenant)
        assert warehouse(checker, tenant)[TODAY] == (2, 1000, 2)
    engine.dispose()


def test_two_refreshes_at_once_stay_exact(app, make_tenant, db_connection):
    tenants = [make_tenant() for _ in range(4)]
    for tenant in tenants:
        for days_ago in range(5):
            order(db_connection, tenant, days_ago)
    db_connection.commit()
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        refresh(app, jobs=1)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for tenant in tenants:
        assert warehouse(db_connection, tenant) == truth(db_connection, tenant)


def test_storefront_orders_are_counted_with_jobs(app, client, make_tenant, db_connection):
    tenants = [make_tenant() for _ in range(3)]
    for tenant in tenants:
        item = menu(app, tenant)["Fries"]
        response = client.post(
            "/api/v1/orders",
            headers={"Host": tenant.domain},
            json={"customer_name": "Ann", "items": [{"menu_item_id": str(item.id), "quantity": 3}]},
        )
        assert response.status_code == 201
    result = app.test_cli_runner().invoke(args=["analytics", "refresh", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "3 tenants refreshed" in result.output
    for tenant in tenants:
        assert warehouse(db_connection, tenant) == {order_day(db_connection, tenant): (1, 1350, 3)}


def test_report_cli_and_system_api_agree(app, client, make_tenant, db_connection):
    a, b = make_tenant(), make_tenant()
    order(db_connection, a, 0, total=1234, quantities=(2,))
    order(db_connection, b, 5, total=100)
    db_connection.commit()
    refresh(app)
    output = app.test_cli_runner().invoke(args=["analytics", "report", "--domain", a.domain]).output
    row = next(line for line in output.splitlines() if line.startswith(a.domain))
    assert row.split()[1:3] == ["1", "1234"] and b.domain not in output  # revenue: minor units
    body = client.get(
        f"/api/v1/sys/analytics?from={(TODAY - dt.timedelta(days=1))}",
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    ).json
    figures = {t["domain"]: (t["orders"], t["revenue_cents"]) for t in body["tenants"]}
    assert figures[a.domain] == (1, 1234) and figures[b.domain] == (0, 0)  # b's is too old
    assert body["total"]["revenue_cents"] >= 1234
    bad = client.get(
        "/api/v1/sys/analytics?from=yesterday", headers={"Authorization": f"Bearer {SYS_TOKEN}"}
    )
    assert bad.status_code == 400 and "from" in bad.json["fields"]
    assert client.get("/api/v1/sys/analytics").status_code == 401


def test_sales_page_shows_only_its_own_restaurant(app, make_tenant, db_connection):
    mine, theirs = make_tenant(), make_tenant()
    order(db_connection, mine, 0, total=2500)
    order(db_connection, mine, 3, total=1500)
    order(db_connection, theirs, 0, total=987654)
    db_connection.commit()
    refresh(app)
    manager = signed_in(app, mine, "manager")
    page = manager.get("/admin/sales").text
    assert '<dd id="total-orders">2</dd>' in page
    assert '<dd id="total-revenue">$40.00</dd>' in page
    assert '<dd id="average-ticket">$20.00</dd>' in page
    assert "9,876.54" not in page and page.count("<rect") == 30
    assert manager.get("/admin/sales?days=90").text.count("<rect") == 90
    assert signed_in(app, mine, "kitchen").get("/admin/sales").status_code == 403


def test_dropping_a_tenant_drops_its_analytics(app, make_tenant, db_connection):
    tenant = make_tenant()
    order(db_connection, tenant)
    db_connection.commit()
    refresh(app)
    assert warehouse(db_connection, tenant)
    app.test_cli_runner().invoke(args=["tenants", "drop", tenant.domain, "--yes"])
    assert warehouse(db_connection, tenant) == {}


# --- cancelled orders count nowhere (issue 16) -----------------------------------------------


def reported(client, tenant, day) -> tuple[int, int]:
    body = client.get(
        f"/api/v1/sys/analytics?from={day}", headers={"Authorization": f"Bearer {SYS_TOKEN}"}
    ).json
    row = next(t for t in body["tenants"] if t["domain"] == tenant.domain)
    return row["orders"], row["revenue_cents"]


def test_an_order_cancelled_before_a_refresh_is_counted_nowhere(
    app, client, make_tenant, db_connection
):
    tenant = make_tenant()
    place_fries(app, client, tenant, quantity=3)
    cancel(app, tenant, place_fries(app, client, tenant, quantity=5))
    day = order_day(db_connection, tenant)
    refresh(app)
    assert warehouse(db_connection, tenant) == {day: (1, 1350, 3)}
    assert reported(client, tenant, day) == (1, 1350)
    refresh(app, full=True)
    assert warehouse(db_connection, tenant) == {day: (1, 1350, 3)}


def test_a_counted_order_cancelled_later_leaves_the_days_figures(
    app, client, make_tenant, db_connection
):
    tenant = make_tenant()
    order_id = place_fries(app, client, tenant)
    day = order_day(db_connection, tenant)
    refresh(app)
    assert warehouse(db_connection, tenant) == {day: (1, 1350, 3)}
    manager = signed_in(app, tenant, "manager")
    assert '<dd id="total-orders">1</dd>' in manager.get("/admin/sales").text

    cancel(app, tenant, order_id)
    assert refresh(app).refreshed == 1  # the cancel marked its day for recounting
    assert warehouse(db_connection, tenant) == {day: (0, 0, 0)}  # its only order: back to 0
    page = manager.get("/admin/sales").text
    assert '<dd id="total-orders">0</dd>' in page
    assert '<dd id="total-revenue">$0.00</dd>' in page
    assert reported(client, tenant, day) == (0, 0)  # the sys API agrees with the sales page
    output = app.test_cli_runner().invoke(args=["analytics", "report", "--domain", tenant.domain])
    row = next(line for line in output.output.splitlines() if line.startswith(tenant.domain))
    assert row.split()[1:3] == ["0", "0"]


def test_a_manager_cancelling_a_done_order_takes_it_out_of_sales(
    app, client, make_tenant, db_connection
):
    tenant = make_tenant()
    done = place_fries(app, client, tenant, quantity=2)
    place_fries(app, client, tenant, quantity=1)
    day = order_day(db_connection, tenant)
    db_connection.execute(
        text(f"UPDATE \"{tenant.schema_name}\".orders SET status = 'DONE' WHERE id = :id"),
        {"id": done},
    )
    db_connection.commit()
    refresh(app)
    assert warehouse(db_connection, tenant) == {day: (2, 1350, 3)}
    cancel(app, tenant, done, role="manager")
    refresh(app)
    assert warehouse(db_connection, tenant) == {day: (1, 450, 1)}
    assert reported(client, tenant, day) == (1, 450)


# --- local days (issue 17) ---------------------------------------------------------------------


def test_a_time_zone_change_is_put_right_by_a_full_refresh(app, make_tenant, db_connection):
    from tests.support.choices import set_settings

    tenant = make_tenant()
    day = TODAY - dt.timedelta(days=5)
    evening = dt.datetime.combine(day, dt.time(20), dt.UTC)  # the next morning in Auckland
    late = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(10), dt.UTC)  # 23:00 there
    insert_orders(db_connection, tenant, total=700, created_at=evening)
    insert_orders(db_connection, tenant, total=300, created_at=late)
    db_connection.commit()
    refresh(app)
    assert warehouse(db_connection, tenant) == {day: (1, 700, 2), late.date(): (1, 300, 2)}

    set_settings(app, tenant, timezone="Pacific/Auckland")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analytics", "refresh", "--full", "--domain", tenant.domain])
    assert result.exit_code == 0, result.output
    after = warehouse(db_connection, tenant)
    assert after[day + dt.timedelta(days=1)] == (1, 700, 2)  # re-keyed to Auckland's day
    assert after[day] == (1, 700, 2)  # the old UTC day: no order maps to it, it stays
    since = str(late.date())
    result = runner.invoke(
        args=["analytics", "refresh", "--full", "--since", since, "--domain", tenant.domain]
    )
    assert result.exit_code == 0, result.output
    assert warehouse(db_connection, tenant) == {
        day + dt.timedelta(days=1): (1, 700, 2),
        late.date(): (1, 300, 2),
    }

    alone = runner.invoke(args=["analytics", "refresh", "--since", since])
    assert alone.exit_code == 2 and "only with a full refresh" in alone.output
    bad = runner.invoke(args=["analytics", "refresh", "--full", "--since", "monday"])
    assert bad.exit_code == 2 and "must be a date" in bad.output
