"""A restaurant's sales report for a range of its local days, and its CSV files.

What counts as a sale: an order that was not cancelled and whose money is not still awaited
online, i.e. paid at the counter or paid online (refunded in part or in full since or not).
An online order whose payment is awaited or failed (`requires_payment`) is intent, not money:
it counts nowhere. Cancelled orders are reported apart (their number and amount) and are not
sales; their refunds are not sales refunds either. This is the warehouse's own rule
(analytics/sales.py `_figures`), so the report's orders and net agree with it.

The figures per order: gross is what the customer was charged (`total_amount`: subtotal, plus
tax when prices exclude it, plus tip); tax and tip are the order's snapshots; refunds are the
succeeded refunds of the order (`amount_refunded`, raised only when Stripe confirms one,
payments/refunds.py), counted on the day of the order they refund, as the warehouse does; net
is gross minus refunds.

Where the figures come from: each day's orders, net and items from the warehouse where it is
exact, live from the orders table for today and for days with uncounted orders
(`sales.sales_range`). The warehouse keeps no gross, tax, tip, hour, rate or item, so those
breakdowns are one SQL statement each over the tenant's orders table (`created_at` ranges of
the range's local days, index `ix_tenant_orders_created_at`; days and hours are the
restaurant's, through `timezone(zone, created_at)`). A day whose orders were archived
(analytics/archive.py) is in the warehouse only: its orders and net are shown, its breakdown
is not known (None), and the totals say so.

Tax by rate: an order keeps its tax, not its rate (ordering/pricing.tax_at_rate); an order is
put under the restaurant's current rate when that rate gives exactly its stored tax, else
under "other rate" (orders taxed before a change of rate), as its receipt does.
"""

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import get_currency_precision
from flask_babel import gettext as _
from sqlalchemy import BigInteger, Integer, and_, case, cast, column, func, literal, select, true
from sqlalchemy.dialects.postgresql import JSONB

from omniorder.analytics.sales import day_start, local_day, parse_day, sales_range
from omniorder.core.database import db
from omniorder.core.errors import Invalid
from omniorder.ordering.models import AWAITING_PAYMENT, Order

DEFAULT_DAYS = 7
MAX_DAYS = 366
BASIS_POINTS = 10_000

SOLD = and_(Order.status != "CANCELLED", Order.payment_status != AWAITING_PAYMENT)
CANCELLED = Order.status == "CANCELLED"


@dataclass(frozen=True)
class DateRange:
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def date_range(first_text, last_text, today: dt.date) -> DateRange:
    """The local days a manager asked for (YYYY-MM-DD, both inclusive), or `Invalid`. Blank
    or missing: the last 7 days up to today (or a week up to `to`, or from `from`)."""
    first = parse_day(first_text or None, "from")
    last = parse_day(last_text or None, "to")
    if last is None:
        last = today if first is None else min(first + dt.timedelta(days=DEFAULT_DAYS - 1), today)
        last = max(last, first or last)
    if first is None:
        first = last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid("from", _("must be on or before the end date (to)"))
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(
            "to",
            _("a report covers at most %(limit)s days; choose a shorter range", limit=MAX_DAYS),
        )
    return DateRange(first, last)


def in_range(time_zone: str, period: DateRange):
    """Orders created on the range's local days, as a created_at range an index can serve."""
    return and_(
        Order.created_at >= day_start(time_zone, period.first),
        Order.created_at < day_start(time_zone, period.last + dt.timedelta(days=1)),
    )


def _sum(value, condition):
    return cast(func.coalesce(func.sum(value).filter(condition), 0), BigInteger)


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    orders: int
    items_sold: int
    net: int
    live: bool
    # None: the day's orders were archived; the warehouse has its orders and net only.
    gross: int | None
    tax: int | None
    tips: int | None
    refunds: int | None
    cancelled_orders: int | None
    cancelled_amount: int | None


@dataclass(frozen=True)
class HourReport:
    hour: int  # 0-23, the restaurant's clock
    orders: int
    gross: int
    net: int


@dataclass(frozen=True)
class TaxRateReport:
    rate_bp: int | None  # None: another rate than today's (see the module docstring)
    inclusive: bool
    orders: int
    net: int  # the amount the tax was taken on
    tax: int


@dataclass(frozen=True)
class ItemReport:
    item: str
    group: str | None  # None: the item's own line; else the option's group
    option: str | None
    quantity: int
    revenue: int  # the item's lines (options included), or the option's price deltas


@dataclass(frozen=True)
class SalesReport:
    period: DateRange
    currency: str
    time_zone: str
    today: dt.date
    days: list[DayReport]
    hours: list[HourReport]
    tax_rates: list[TaxRateReport]
    items: list[ItemReport]

    def total(self, name: str) -> int | None:
        """A column's total over the days; None when an archived day does not know it."""
        values = [getattr(day, name) for day in self.days]
        return None if None in values else sum(values)

    @property
    def archived_days(self) -> list[dt.date]:
        return [day.day for day in self.days if day.gross is None]


def _daily_breakdown(time_zone: str, period: DateRange) -> dict:
    day = local_day(time_zone)
    statement = (
        select(
            day.label("day"),
            _sum(Order.total_amount, SOLD).label("gross"),
            _sum(Order.tax, SOLD).label("tax"),
            _sum(Order.tip, SOLD).label("tips"),
            _sum(Order.amount_refunded, SOLD).label("refunds"),
            func.count().filter(CANCELLED).label("cancelled_orders"),
            _sum(Order.total_amount, CANCELLED).label("cancelled_amount"),
        )
        .where(in_range(time_zone, period))
        .group_by(day)
    )
    return {row.day: row for row in db.session.execute(statement)}


def _hours(time_zone: str, period: DateRange) -> list[HourReport]:
    hour = cast(func.extract("hour", func.timezone(time_zone, Order.created_at)), Integer)
    statement = (
        select(
            hour.label("hour"),
            func.count().label("orders"),
            _sum(Order.total_amount, true()).label("gross"),
            _sum(Order.total_amount - Order.amount_refunded, true()).label("net"),
        )
        .where(in_range(time_zone, period), SOLD)
        .group_by(hour)
    )
    found = {row.hour: row for row in db.session.execute(statement)}
    return [
        HourReport(h, found[h].orders, found[h].gross, found[h].net)
        if h in found
        else HourReport(h, 0, 0, 0)
        for h in range(24)
    ]


def _tax_rates(time_zone: str, period: DateRange, rate_bp: int) -> list[TaxRateReport]:
    rate = literal(rate_bp, BigInteger)
    # ordering/pricing.tax_on in SQL: half-up integer division, contained or added.
    base = case((Order.tax_inclusive, BASIS_POINTS + rate), else_=literal(BASIS_POINTS))
    at_rate = (2 * Order.subtotal * rate + base) // (2 * base)
    known = case((Order.tax == at_rate, rate), else_=None).label("rate_bp")
    net = case((Order.tax_inclusive, Order.subtotal - Order.tax), else_=Order.subtotal)
    statement = (
        select(
            known,
            Order.tax_inclusive,
            func.count().label("orders"),
            _sum(net, true()).label("net"),
            _sum(Order.tax, true()).label("tax"),
        )
        .where(in_range(time_zone, period), SOLD)
        .group_by(known, Order.tax_inclusive)
        .order_by(known.desc().nulls_last(), Order.tax_inclusive)
    )
    return [
        TaxRateReport(row.rate_bp, row.tax_inclusive, row.orders, row.net, row.tax)
        for row in db.session.execute(statement)
    ]


def _lines():
    return (
        func.jsonb_array_elements(Order.items).table_valued(column("value", JSONB)).lateral("line")
    )


def _items(time_zone: str, period: DateRange) -> list[ItemReport]:
    """The item mix: one statement for the items, one for their options (each option counted
    once per unit of the line it was chosen on, priced at its price difference)."""
    line = _lines()
    name = line.c.value["name"].astext
    quantity = cast(line.c.value["quantity"].astext, Integer)
    items = (
        select(
            name.label("item"),
            _sum(quantity, true()).label("quantity"),
            _sum(cast(line.c.value["line_total"].astext, BigInteger), true()).label("revenue"),
        )
        .select_from(Order)
        .join(line, true())
        .where(in_range(time_zone, period), SOLD)
        .group_by(name)
    )
    option = (
        # lines from before options existed have none (ordering/checkout.order_lines_of)
        func.jsonb_array_elements(
            case(
                (func.jsonb_typeof(line.c.value["options"]) == "array", line.c.value["options"]),
                else_=func.jsonb_build_array(),
            )
        )
        .table_valued(column("value", JSONB))
        .lateral("option")
    )
    group, option_name = option.c.value["group"].astext, option.c.value["name"].astext
    delta = cast(option.c.value["price_delta"].astext, BigInteger)
    options = (
        select(
            name.label("item"),
            group.label("group"),
            option_name.label("option"),
            _sum(quantity, true()).label("quantity"),
            _sum(delta * quantity, true()).label("revenue"),
        )
        .select_from(Order)
        .join(line, true())
        .join(option, true())
        .where(in_range(time_zone, period), SOLD)
        .group_by(name, group, option_name)
        .order_by(name, group, option_name)
    )
    by_item: dict[str, list[ItemReport]] = {}
    for row in db.session.execute(options):
        by_item.setdefault(row.item, []).append(
            ItemReport(row.item, row.group, row.option, row.quantity, row.revenue)
        )
    report = []
    for row in sorted(db.session.execute(items), key=lambda row: (-row.revenue, row.item)):
        report.append(ItemReport(row.item, None, None, row.quantity, row.revenue))
        report.extend(by_item.get(row.item, []))
    return report


ALL_PARTS = frozenset({"days", "hours", "tax_rates", "items"})


def sales_report(
    tenant_id,
    period: DateRange,
    settings: dict,
    now: dt.datetime | None = None,
    parts=ALL_PARTS,
) -> SalesReport:
    """The bound restaurant's sales over `period` (its local days): the breakdowns named in
    `parts` (a CSV file needs one; the others are left empty and cost no statement)."""
    time_zone = settings["timezone"]
    now = now or dt.datetime.now(dt.UTC)
    days = _days(tenant_id, period, time_zone, now) if "days" in parts else []
    return SalesReport(
        period=period,
        currency=settings["currency"],
        time_zone=time_zone,
        today=now.astimezone(zoneinfo.ZoneInfo(time_zone)).date(),
        days=days,
        hours=_hours(time_zone, period) if "hours" in parts else [],
        tax_rates=(
            _tax_rates(time_zone, period, settings["tax"]["rate_bp"])
            if "tax_rates" in parts
            else []
        ),
        items=_items(time_zone, period) if "items" in parts else [],
    )


def _days(tenant_id, period: DateRange, time_zone: str, now: dt.datetime) -> list[DayReport]:
    """Each day's orders, items and net from the warehouse or live, the rest from the table."""
    figures = sales_range(tenant_id, period.first, period.last, time_zone, now)
    breakdown = _daily_breakdown(time_zone, period)
    days = []
    for day in figures.series:
        row = breakdown.get(day.day)
        archived = row is None and day.orders > 0
        days.append(
            DayReport(
                day=day.day,
                orders=day.orders,
                items_sold=day.items_sold,
                net=day.revenue_cents,
                live=day.live,
                gross=None if archived else (row.gross if row else 0),
                tax=None if archived else (row.tax if row else 0),
                tips=None if archived else (row.tips if row else 0),
                refunds=None if archived else (row.refunds if row else 0),
                cancelled_orders=None if archived else (row.cancelled_orders if row else 0),
                cancelled_amount=None if archived else (row.cancelled_amount if row else 0),
            )
        )
    return days


# CSV ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading
    apostrophe (OWASP's CSV injection advice). Amounts are written by `major` and never start
    with one of these (refunds are positive amounts)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def major(minor_units: int | None, currency: str) -> str:
    """1250 → "12.50" (USD), 1200 → "1200" (JPY): a dot, no grouping, what spreadsheets read."""
    if minor_units is None:
        return ""
    precision = get_currency_precision(currency)
    return f"{Decimal(int(minor_units)).scaleb(-precision):.{precision}f}"


def csv_lines(rows) -> Iterator[str]:
    """Each row as one CSV line (text cells made safe by the caller), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


DAILY_HEADER = (
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
)


def daily_rows(report: SalesReport):
    """The daily summary: a header, one row per local day, a TOTAL row."""
    money = report.currency
    yield DAILY_HEADER
    for day in report.days:
        yield (
            day.day.isoformat(),
            day.orders,
            day.items_sold,
            major(day.gross, money),
            major(day.tax, money),
            major(day.tips, money),
            major(day.refunds, money),
            major(day.net, money),
            "" if day.cancelled_orders is None else day.cancelled_orders,
            major(day.cancelled_amount, money),
            money,
        )
    yield (
        "TOTAL",
        report.total("orders"),
        report.total("items_sold"),
        *(major(report.total(name), money) for name in ("gross", "tax", "tips", "refunds", "net")),
        "" if report.total("cancelled_orders") is None else report.total("cancelled_orders"),
        major(report.total("cancelled_amount"), money),
        money,
    )


ITEMS_HEADER = ("item", "option group", "option", "quantity", "revenue", "currency")


def item_rows(report: SalesReport):
    """The item mix: a header, each item then its options (their group and name)."""
    yield ITEMS_HEADER
    for row in report.items:
        yield (
            safe_cell(row.item),
            safe_cell(row.group),
            safe_cell(row.option),
            row.quantity,
            major(row.revenue, report.currency),
            report.currency,
        )


ORDERS_HEADER = (
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
)
ORDERS_BATCH = 1000


def _local(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """A moment on the restaurant's clock, with its offset (2026-12-07T00:30:00+01:00)."""
    return "" if moment is None else moment.astimezone(zone).isoformat(timespec="seconds")


def order_rows(time_zone: str, period: DateRange):
    """Every order placed on the range's local days, oldest number first, read a batch at a
    time (keyset on the number), so a year's orders never sit in memory at once. Every order
    is listed, cancelled and unpaid ones too, with its status and payment status."""
    zone = zoneinfo.ZoneInfo(time_zone)
    yield ORDERS_HEADER
    after = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Order)
                .where(in_range(time_zone, period), Order.number > after)
                .order_by(Order.number)
                .limit(ORDERS_BATCH)
            )
        )
        for order in batch:
            status = "PICKED UP" if order.picked_up_at is not None else order.status
            yield (
                order.number,
                _local(order.created_at, zone),
                _local(order.pickup_at, zone) or "ASAP",
                status,
                order.payment_status,
                safe_cell(order.customer_name),
                major(order.subtotal, order.currency),
                major(order.tax, order.currency),
                major(order.tip, order.currency),
                major(order.total_amount, order.currency),
                major(order.amount_refunded, order.currency),
                order.currency,
            )
        if len(batch) < ORDERS_BATCH:
            return
        after = batch[-1].number
        db.session.expunge_all()  # a batch read is forgotten before the next
