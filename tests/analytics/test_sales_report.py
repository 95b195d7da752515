"""The sales report for a range of local days and its CSV files: orders placed through the API
(priced by the real checkout: options, tax, tip), some cancelled, one refunded in part, one
still awaiting its online payment, on two Berlin days around midnight UTC."""

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from omniorder.analytics import sales as analytics
from tests.support.choices import add_dish, add_pizza, set_settings
from tests.support.orders import cancel, insert_orders
from tests.support.staff import signed_in

BERLIN = ZoneInfo("Europe/Berlin")


def berlin_today() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(BERLIN).date()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN).astimezone(dt.UTC)


def place(client, tenant, lines, tip=0, name="Ann") -> dict:
    """An order through the API, as a customer's app places it: lines = [(dish, quantity,
    [option names])]."""
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": name,
            "items": [
                {
                    "menu_item_id": str(dish.id),
                    "quantity": quantity,
                    "options": [str(dish.options[option]) for option in options],
                }
                for dish, quantity, options in lines
            ],
            **({"tip": {"amount": tip}} if tip else {}),
        },
    )
    assert response.status_code == 201, response.text
    return response.json


def change(db_connection, tenant, order_id, **columns) -> None:
    """What other steps would have written: the moment it was placed (orders go in "now"),
    a refund Stripe confirmed, a payment still awaited."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    db_connection.execute(
        text(f'UPDATE "{tenant.schema_name}".orders SET {assignments} WHERE id = :id'),  # noqa: S608
        {**columns, "id": order_id},
    )
    db_connection.commit()


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.text)))


@pytest.fixture
def two_days(app, client, make_tenant, db_connection):
    """Berlin, EUR, 19 % added to prices, tips; five orders over day D and D+1:
    A (D 23:30 local, 22:30 UTC): 2 × Margherita Large + Basil, tip 2.00 = 29.00 + 5.51 + 2.00
    B (D+1 00:30 local, still D in UTC): 1 × Margherita Regular = 11.00 + 2.09
    C (D+1 12:00): 1 × Regular + Olives, cancelled
    E (D+1 13:00): 3 × Regular, tip 1.00 = 33.00 + 6.27 + 1.00, 10.00 refunded
    F (D+1 14:00): 1 × Large, its online payment still awaited"""
    tenant = make_tenant()
    set_settings(
        app,
        tenant,
        timezone="Europe/Berlin",
        currency="EUR",
        tax={"rate_bp": 1900, "inclusive": False},
        tips={"enabled": True},
    )
    pizza = add_pizza(app, tenant)
    day = berlin_today() - dt.timedelta(days=2)
    after = day + dt.timedelta(days=1)
    placed = {
        "A": place(client, tenant, [(pizza, 2, ["Large", "Basil"])], tip=200),
        "B": place(client, tenant, [(pizza, 1, ["Regular"])]),
        "C": place(client, tenant, [(pizza, 1, ["Regular", "Olives"])]),
        "E": place(client, tenant, [(pizza, 3, ["Regular"])], tip=100),
        "F": place(client, tenant, [(pizza, 1, ["Large"])]),
    }
    cancel(app, tenant, placed["C"]["id"])
    moments = {"A": at(day, 23, 30), "B": at(after, 0, 30), "C": at(after, 12)}
    moments |= {"E": at(after, 13), "F": at(after, 14)}
    for key, moment in moments.items():
        change(db_connection, tenant, placed[key]["id"], created_at=moment)
    change(
        db_connection,
        tenant,
        placed["E"]["id"],
        payment_status="partially_refunded",
        amount_refunded=1000,
    )
    change(db_connection, tenant, placed["F"]["id"], payment_status="requires_payment")
    assert moments["B"].date() == day  # the UTC day is still D
    return tenant, day, placed


def report_page(manager, first, last):
    return manager.get(f"/admin/sales/report?from={first}&to={last}")


def shown(page: str, name: str) -> str:
    return re.search(rf'<dd id="total-{name}">([^<]*)</dd>', page).group(1)


def test_the_daily_csv_totals_equal_the_orders_placed(app, two_days):
    tenant, day, placed = two_days
    after = day + dt.timedelta(days=1)
    counted = [placed[key] for key in ("A", "B", "E")]
    assert sum(order["total_amount"] for order in counted) == 8987  # what customers were charged
    manager = signed_in(app, tenant, "manager")

    rows = csv_rows(manager.get(f"/admin/sales/report/daily.csv?from={day}&to={after}"))
    assert rows[0] == [
        "day",
        "orders",
        "items sold",
        "gross",
        "tax",
        "tips",
        "refunds",
        "net",
        "cancelled orders",
        "cancelled amount",
        "currency",
    ]
    assert rows[1:] == [
        [str(day), "1", "2", "36.51", "5.51", "2.00", "0.00", "36.51", "0", "0.00", "EUR"],
        [str(after), "2", "4", "53.36", "8.36", "1.00", "10.00", "43.36", "1", "14.04", "EUR"],
        ["TOTAL", "3", "6", "89.87", "13.87", "3.00", "10.00", "79.87", "1", "14.04", "EUR"],
    ]

    page = report_page(manager, day, after).text
    assert (shown(page, "orders"), shown(page, "gross"), shown(page, "net")) == (
        "3",
        "€89.87",
        "€79.87",
    )
    assert (shown(page, "tax"), shown(page, "tips"), shown(page, "refunds")) == (
        "€13.87",
        "€3.00",
        "€10.00",
    )
    assert "Cancelled, not counted: 1 order, €14.04." in page


def test_the_warehouse_and_the_live_count_agree(app, two_days):
    """Once the warehouse has counted the two days, they are read from it (not live) and the
    CSV is the same."""
    tenant, day, _ = two_days
    after = day + dt.timedelta(days=1)
    manager = signed_in(app, tenant, "manager")
    url = f"/admin/sales/report/daily.csv?from={day}&to={after}"
    live = csv_rows(manager.get(url))
    with app.app_context():
        analytics.refresh()
    assert csv_rows(manager.get(url)) == live
    page = report_page(manager, day, after).text
    assert "(live)" not in re.search(r'<tr data-day="[^"]+">.*?</tr>', page, re.S).group(0)


def test_hours_are_the_restaurants_local_hours(app, two_days):
    tenant, day, _ = two_days
    page = report_page(signed_in(app, tenant, "manager"), day, day + dt.timedelta(days=1)).text
    hours = dict(re.findall(r'<tr data-hour="([0-9]+)">.*?<td>([0-9]+)</td>', page, re.S))
    # A at 23:30 and B at 00:30 Berlin (22:30 and 23:30 UTC), E at 13:00; C cancelled and F
    # unpaid are not sales.
    assert hours == {"0": "1", "13": "1", "23": "1"}


def test_the_item_mix_counts_items_and_options(app, two_days):
    tenant, day, _ = two_days
    manager = signed_in(app, tenant, "manager")
    rows = csv_rows(
        manager.get(f"/admin/sales/report/items.csv?from={day}&to={day + dt.timedelta(days=1)}")
    )
    assert rows == [
        ["item", "option group", "option", "quantity", "revenue", "currency"],
        ["Margherita", "", "", "6", "73.00", "EUR"],
        ["Margherita", "Extras", "Basil", "2", "1.00", "EUR"],
        ["Margherita", "Size", "Large", "2", "6.00", "EUR"],
        ["Margherita", "Size", "Regular", "4", "0.00", "EUR"],
    ]
    page = report_page(manager, day, day + dt.timedelta(days=1)).text
    assert "Size: Large" in page
    rate = re.search(r'<h3 id="by-rate">.*?</table>', page, re.S).group(0)
    assert re.search(r"19 %</th>\s*<td>exclude tax</td><td>3</td><td>€73.00</td><td>€13.87", rate)


def test_the_orders_csv_lists_every_order_of_the_range(app, two_days):
    tenant, day, placed = two_days
    after = day + dt.timedelta(days=1)
    manager = signed_in(app, tenant, "manager")
    rows = csv_rows(manager.get(f"/admin/orders/export.csv?from={day}&to={after}"))
    assert rows[0] == [
        "number",
        "placed at",
        "pickup at",
        "status",
        "payment status",
        "customer name",
        "subtotal",
        "tax",
        "tip",
        "total",
        "refunded",
        "currency",
    ]
    by_number = {row[0]: row[1:] for row in rows[1:]}
    assert len(by_number) == 5
    a, b = by_number[str(placed["A"]["number"])], by_number[str(placed["B"]["number"])]
    assert a[0] == f"{day}T23:30:00+01:00" or a[0] == f"{day}T23:30:00+02:00"
    assert b[0].startswith(f"{after}T00:30:00")
    assert a[1:] == [
        "ASAP",
        "PENDING",
        "counter",
        "Ann",
        "29.00",
        "5.51",
        "2.00",
        "36.51",
        "0.00",
        "EUR",
    ]
    assert by_number[str(placed["C"]["number"])][2] == "CANCELLED"
    assert by_number[str(placed["E"]["number"])][9] == "10.00"
    assert by_number[str(placed["F"]["number"])][3] == "requires_payment"
    # a day before: none of them
    before = day - dt.timedelta(days=1)
    assert csv_rows(manager.get(f"/admin/orders/export.csv?from={before}&to={before}")) == [rows[0]]
    assert "Export orders as CSV" in manager.get("/admin/orders").text


def test_cells_that_a_spreadsheet_would_run_are_quoted(app, client, make_tenant):
    tenant = make_tenant()
    formula = add_dish(app, tenant, '=HYPERLINK("http://x")', 300)
    plus = add_dish(app, tenant, "+Spicy", 200, [("@Sauce", 0, 1, [("-Hot", 10)])])
    for name in ("=1+2", "@SUM(A1)", "Bob"):
        place(client, tenant, [(formula, 1, []), (plus, 1, ["-Hot"])], name=name)
    manager = signed_in(app, tenant, "manager")
    today = dt.datetime.now(dt.UTC).date()
    items = csv_rows(manager.get(f"/admin/sales/report/items.csv?from={today}&to={today}"))
    assert ["'+Spicy", "", "", "3", "6.30", "USD"]  # options included in items
    assert ["'+Spicy", "'@Sauce", "'-Hot", "3", "0.30", "USD"] in items
    assert ['\'=HYPERLINK("http://x")', "", "", "3", "9.00", "USD"] in items
    orders = csv_rows(manager.get(f"/admin/orders/export.csv?from={today}&to={today}"))
    assert sorted(row[5] for row in orders[1:]) == ["'=1+2", "'@SUM(A1)", "Bob"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-12-05&to=2026-12-01", "from: must be on or before the end date (to)"),
        ("from=2025-01-01&to=2026-12-01", "to: a report covers at most 366 days"),
        ("from=2026-13-01&to=2026-12-01", "from: must be a date such as 2026-11-25"),
        ("from=yesterday", "from: must be a date such as 2026-11-25"),
    ],
)
def test_a_bad_range_is_a_400_saying_why(app, make_tenant, query, message):
    tenant = make_tenant()
    manager = signed_in(app, tenant, "manager")
    page = manager.get(f"/admin/sales/report?{query}")
    assert page.status_code == 400
    assert message in page.text
    assert 'role="alert"' in page.text
    for path in ("/admin/sales/report/daily.csv", "/admin/orders/export.csv"):
        answer = manager.get(f"{path}?{query}")
        assert answer.status_code == 400
        assert message in answer.text


def test_the_default_is_the_last_seven_local_days_and_only_managers_see_it(app, make_tenant):
    tenant = make_tenant()
    set_settings(app, tenant, timezone="Europe/Berlin")
    today = berlin_today()
    page = signed_in(app, tenant, "manager").get("/admin/sales/report")
    assert page.status_code == 200
    assert f"{today - dt.timedelta(days=6)} to {today}" in page.text
    assert len(re.findall(r'<tr data-day="', page.text)) == 7
    kitchen = signed_in(app, tenant, "kitchen")
    for path in (
        "/admin/sales/report",
        "/admin/sales/report/daily.csv",
        "/admin/orders/export.csv",
    ):
        assert kitchen.get(path).status_code == kitchen.get("/admin/sales").status_code != 200


def test_a_big_range_is_streamed_a_batch_at_a_time_with_every_order_once(
    app, make_tenant, db_connection
):
    """More orders than one batch (1,000): every one is in the file once, in number order."""
    tenant = make_tenant()
    insert_orders(db_connection, tenant, [f"Guest {n}" for n in range(2_050)])
    db_connection.commit()
    today = dt.datetime.now(dt.UTC).date()
    response = signed_in(app, tenant, "manager").get(
        f"/admin/orders/export.csv?from={today - dt.timedelta(days=365)}&to={today}"
    )
    assert response.is_streamed
    numbers = [int(row[0]) for row in csv_rows(response)[1:]]
    assert numbers == sorted(set(numbers)) and len(numbers) == 2_050


def test_lines_from_before_options_existed_are_in_the_item_mix(app, make_tenant, db_connection):
    tenant = make_tenant()
    insert_orders(db_connection, tenant, ["Ann", "Bob"], item="Pie", quantities=(2, 1))
    db_connection.commit()
    today = dt.datetime.now(dt.UTC).date()
    manager = signed_in(app, tenant, "manager")
    rows = csv_rows(manager.get(f"/admin/sales/report/items.csv?from={today}&to={today}"))
    assert rows[1:] == [["Pie", "", "", "6", "30.00", "USD"]]
    assert manager.get("/admin/sales/report").status_code == 200


def test_a_years_report_costs_the_statements_of_a_weeks(
    app, make_tenant, db_connection, count_statements
):
    """One statement per breakdown, whatever the number of days and orders (no query per
    day, per hour or per item)."""
    tenant = make_tenant()
    today = dt.datetime.now(dt.UTC).date()
    for back in (0, 40, 200):
        moment = at(today - dt.timedelta(days=back), 12)
        insert_orders(db_connection, tenant, ["Ann", "Bob"], created_at=moment)
    db_connection.commit()
    manager = signed_in(app, tenant, "manager")
    manager.get("/admin/sales/report")  # warm: the tenant's caches, the session
    statements = count_statements(app)
    assert manager.get("/admin/sales/report").status_code == 200
    week = len(statements)
    statements.clear()
    year = f"/admin/sales/report?from={today - dt.timedelta(days=365)}&to={today}"
    assert manager.get(year).status_code == 200
    assert len(statements) == week
