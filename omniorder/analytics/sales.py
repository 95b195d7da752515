"""The cross-tenant warehouse: public.analytics, one row per tenant per LOCAL day.

A day is the restaurant's own: the calendar day of `created_at` in the time zone of its settings
(an order at 23:30 in Auckland counts on that Auckland day, not on the UTC day before). The zone
is read from the tenant's settings row in the refresh's own transaction, held with FOR SHARE
until it ends, so every day of one run (and of one archival, analytics/archive.py) uses one zone.

A refresh is incremental and exact. Each order carries `analytics_pending`; a tenant's refresh
flips the flags of the pending orders and recomputes (not increments) their days from the
orders table, in one transaction. An order committed while a refresh runs keeps its flag and
is picked up by the next run; recomputing a day twice gives the same figures, so nothing is
lost or counted twice, and two refreshes at once are serialised per tenant by an advisory
lock. A run first asks, in one query per 1,000 tenants, which tenants have pending orders at
all, so a run with nothing new costs almost nothing.

A day with no pending order is exact in the warehouse; a day with one is exact in the orders
table (archival takes whole local days, after counting them). The restaurant's sales page
(`sales_days`) relies on that: it reads each day from exactly one of the two.

When a restaurant changes its time zone, the days already counted stay keyed by the old zone
until ``flask analytics refresh --full --domain DOMAIN`` (the documented remedy, README): a
full refresh recomputes every day that still has orders in the table, in the new zone. It
cannot re-key what it cannot see: archived days keep their old-zone figures, and an old-zone
day left with no order at all in the new zone (a quiet day whose few late orders moved to the
next day) keeps its old row, because the warehouse cannot tell it from an archived day; such a
row is put right by ``--full --since DAY`` (rows from DAY on are deleted first; DAY must be
after the last archived day).
Zones are chosen when a restaurant opens and seldom change, so the warehouse does not record
the zone it counted in (that would take another public table and a check of every tenant's
zone on every run, to catch a change nobody re-keyed).
"""

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    and_,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from omniorder.analytics.models import DailySales
from omniorder.core.database import db
from omniorder.core.errors import Invalid, NotFound
from omniorder.ordering.models import AWAITING_PAYMENT, Order
from omniorder.settings.models import RestaurantSettings
from omniorder.tenancy.fanout import (
    TenantRef,
    for_each_tenant,
    tenants_named,
    tenants_with_orders,
)
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.names import validate_domain


def local_day(time_zone: str):
    """An order's day in the restaurant's zone: `timezone(zone, created_at)::date`."""
    return cast(func.timezone(time_zone, Order.created_at), db.Date)


def day_start(time_zone: str, day: dt.date):
    """The instant (timestamptz, computed by PostgreSQL) at which `day` starts in the zone."""
    return func.timezone(time_zone, cast(literal(day), DateTime))


def time_zone_of(connection: Connection) -> str:
    """The bound tenant's time zone, held (FOR SHARE) until the caller's transaction ends, so a
    settings change waits instead of switching zones halfway through a refresh or archival."""
    zone = connection.scalar(
        select(RestaurantSettings.document["timezone"].astext).with_for_update(read=True)
    )
    return zone or "UTC"


# Quantities in an order's JSON snapshot; `items` is the orders row of the enclosing query.
ITEMS_IN_ORDER = literal_column(
    "(SELECT coalesce(sum((line->>'quantity')::int), 0) FROM jsonb_array_elements(items) line)"
)


def _figures(day, where):
    """Orders, revenue and items per day of the orders matching `where`.

    Cancelled orders, and orders still awaiting their online payment, count nowhere (revenue is
    net of refunds), yet their day is still returned: a day whose only order was cancelled
    after it had been counted goes back to 0 instead of keeping the old figure."""
    sold = and_(Order.status != "CANCELLED", Order.payment_status != AWAITING_PAYMENT)
    kept = Order.total_amount - Order.amount_refunded  # money net of refunds
    return (
        select(
            day.label("day"),
            func.count().filter(sold).label("orders"),
            func.coalesce(func.sum(kept).filter(sold), 0).label("revenue_cents"),
            func.coalesce(func.sum(ITEMS_IN_ORDER).filter(sold), 0).label("items_sold"),
        )
        .where(where)
        .group_by(day)
    )


def _recompute(connection: Connection, tenant: TenantRef, day, days_filter) -> None:
    values = [dict(row._mapping) for row in connection.execute(_figures(day, days_filter))]
    if not values:
        return
    statement = insert(DailySales).values([{"tenant_id": tenant.id, **value} for value in values])
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[DailySales.tenant_id, DailySales.day],
            set_={
                "orders": statement.excluded.orders,
                "revenue_cents": statement.excluded.revenue_cents,
                "items_sold": statement.excluded.items_sold,
                "updated_at": statement.excluded.updated_at,  # its default, now(): Citus-safe
            },
        )
    )


def _lock(connection: Connection, tenant: TenantRef) -> None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"omniorder-analytics:{tenant.id}"},
    )


def refresh_tenant(connection: Connection, tenant: TenantRef) -> None:
    """Count the tenant's pending orders: flip their flags, recompute their local days."""
    _lock(connection, tenant)
    day = local_day(time_zone_of(connection))
    days = set(
        connection.scalars(
            update(Order)
            .where(Order.analytics_pending)
            .values(analytics_pending=False)
            .returning(day)
        )
    )
    if days:
        _recompute(connection, tenant, day, day.in_(sorted(days)))


def refresh_tenant_fully(
    connection: Connection, tenant: TenantRef, since: dt.date | None = None
) -> None:
    """Recompute every local day that still has orders in the tenant's table.

    Days whose orders were archived keep their figures: the archive counted them before it
    deleted them, and it only ever takes whole local days (analytics/archive.py), so no day is
    recomputed from part of its orders. Rows are deleted only from `since` on (the operator
    vouches that nothing from that day on was archived), because a row whose day has no orders
    left in the table may be an archived day: the warehouse cannot tell the two apart.
    """
    _lock(connection, tenant)
    day = local_day(time_zone_of(connection))
    connection.execute(update(Order).where(Order.analytics_pending).values(analytics_pending=False))
    if since is not None:
        connection.execute(
            delete(DailySales).where(DailySales.tenant_id == tenant.id, DailySales.day >= since)
        )
    _recompute(connection, tenant, day, text("true"))


def tenants_with_pending_orders(engine: Engine, tenants: list[TenantRef]) -> list[TenantRef]:
    """Which tenants have uncounted orders (a partial index on analytics_pending)."""
    return tenants_with_orders(engine, tenants, "analytics_pending")


@dataclass
class RefreshReport:
    refreshed: int
    unchanged: int
    failed: dict[str, str]


def refresh(
    *,
    full: bool = False,
    since=None,
    jobs: int = 1,
    domain: str | None = None,
    on_start=None,
    on_result=None,
) -> RefreshReport:
    """Count new orders (all orders still in the tables with `full`; `since`, only with
    `full`: first forget the rows from that local day on, e.g. after a time-zone change)."""
    since = parse_day(since, "since")
    if since is not None and not full:
        raise Invalid("since", "only with a full refresh (--full)")
    engine = db.engine
    tenants = tenants_named(domain)
    todo = tenants if full else tenants_with_pending_orders(engine, tenants)
    if on_start is not None:
        on_start(len(todo))
    results = for_each_tenant(
        engine,
        todo,
        functools.partial(refresh_tenant_fully, since=since) if full else refresh_tenant,
        jobs=jobs,
        on_result=on_result,
    )
    failed = {tenant.domain: outcome.error for tenant, outcome in results.items() if outcome.error}
    return RefreshReport(
        refreshed=len(todo) - len(failed), unchanged=len(tenants) - len(todo), failed=failed
    )


@dataclass(frozen=True)
class SalesRow:
    domain: str
    name: str
    orders: int
    revenue_cents: int
    items_sold: int


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # what the OpenAPI document states


def parse_day(value, field: str) -> dt.date | None:
    """A YYYY-MM-DD date, or None when not given (fromisoformat alone would also take
    "20261125" and "2026-W48-3", which the document does not promise)."""
    if value is None:
        return None
    try:
        if not DAY.fullmatch(str(value)):
            raise ValueError
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(field, "must be a date such as 2026-11-25") from None


@dataclass(frozen=True)
class SalesReport:
    """Totals per tenant and for the whole platform (`total.domain` is "TOTAL")."""

    rows: list[SalesRow]
    total: SalesRow


def report(date_from=None, date_to=None, domain=None) -> SalesReport:
    """Totals per tenant over [from, to] from the warehouse, and their sum; the same for
    `flask analytics report` and the system API.

    The bounds are inclusive YYYY-MM-DD dates, and a day is each restaurant's own local day (its
    settings' time zone), as on its sales page: "2026-11-25" is Auckland's 25th for a restaurant
    in Auckland and Berlin's for one in Berlin. Orders not yet refreshed are not included."""
    date_from, date_to = parse_day(date_from, "from"), parse_day(date_to, "to")
    domain = validate_domain(domain) if domain is not None else None
    statement = (
        select(
            Tenant.domain,
            Tenant.name,
            func.coalesce(func.sum(DailySales.orders), 0),
            func.coalesce(func.sum(DailySales.revenue_cents), 0),
            func.coalesce(func.sum(DailySales.items_sold), 0),
        )
        .select_from(Tenant)
        .outerjoin(DailySales, _window(date_from, date_to))
        .group_by(Tenant.domain, Tenant.name)
        .order_by(Tenant.domain)
    )
    if domain is not None:
        statement = statement.where(Tenant.domain == domain)
    with db.engine.connect() as connection:
        rows = [
            SalesRow(domain, name, int(orders), int(revenue), int(items))  # sums: numeric
            for domain, name, orders, revenue, items in connection.execute(statement)
        ]
    if domain is not None and not rows:
        raise NotFound(f"no tenant with domain {domain}")
    total = SalesRow(
        "TOTAL",
        "All restaurants",
        sum(row.orders for row in rows),
        sum(row.revenue_cents for row in rows),
        sum(row.items_sold for row in rows),
    )
    return SalesReport(rows, total)


def _window(date_from, date_to):
    condition = DailySales.tenant_id == Tenant.id
    if date_from is not None:
        condition &= DailySales.day >= date_from
    if date_to is not None:
        condition &= DailySales.day <= date_to
    return condition


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    orders: int
    revenue_cents: int
    items_sold: int
    live: bool  # from the orders table just now, not from the warehouse


@dataclass(frozen=True)
class SalesDays:
    """A restaurant's last days for its sales page, each day from exactly one source."""

    series: list[DayFigures]  # oldest first, one per day, missing days as zeros
    today: dt.date
    live_days: list[dt.date]  # today, and any day of the window with orders not yet counted
    history_through: dt.date | None  # the last day read from the warehouse
    refreshed_at: dt.datetime | None  # the warehouse's last write for this restaurant


def sales_days(tenant_id, days: int, time_zone: str, now: dt.datetime | None = None) -> SalesDays:
    """The bound restaurant's last `days` local days: live where the warehouse is behind.

    A day is live (counted from the orders table now) when it is today or has an order the
    warehouse has not counted (`analytics_pending`); every other day is read from
    public.analytics. Each day comes from one source, so none is counted twice or missed: a
    day without a pending order is exact in the warehouse (its last refresh recomputed it whole
    and nothing changed since), a day with one is exact in the table (archival refreshes first
    and takes whole days). An order placed a moment ago is on the page at once, with no refresh.

    Cheap whatever the history: the pending days come from the partial index on pending orders
    (only orders since the last refresh), the live figures from created_at ranges of the live
    days (index `ix_tenant_orders_created_at`), the rest from the warehouse's primary key.
    "refreshed_at" is the latest `updated_at` of the restaurant's rows: when a refresh last
    counted something for it (a refresh that finds nothing new writes nothing).
    """
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    return sales_range(tenant_id, today - dt.timedelta(days=days - 1), today, time_zone, now)


def sales_range(
    tenant_id, start: dt.date, end: dt.date, time_zone: str, now: dt.datetime | None = None
) -> SalesDays:
    """The bound restaurant's local days `start`..`end` (inclusive), each from one source as in
    `sales_days`: live (the orders table) for today and days with uncounted orders, the
    warehouse for the rest. Days after today are zeros."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    days = (end - start).days + 1
    day = local_day(time_zone)
    pending = db.session.scalars(
        select(day)
        .distinct()
        .where(Order.analytics_pending, Order.created_at >= day_start(time_zone, start))
    )
    live_days = sorted(
        {*([today] if start <= today <= end else []), *(d for d in pending if start <= d <= end)}
    )
    live = (
        {row.day: row for row in db.session.execute(_figures(day, _on_days(time_zone, live_days)))}
        if live_days
        else {}
    )
    stored = {
        row.day: row
        for row in db.session.scalars(
            select(DailySales).where(
                DailySales.tenant_id == tenant_id,
                DailySales.day >= start,
                DailySales.day <= end,
                DailySales.day.not_in(live_days),
            )
        )
    }
    series = [
        _day_figures(start + dt.timedelta(days=n), live_days, live, stored) for n in range(days)
    ]
    history = [figures.day for figures in series if not figures.live]
    return SalesDays(
        series=series,
        today=today,
        live_days=live_days,
        history_through=max(history, default=None),
        refreshed_at=db.session.scalar(
            select(func.max(DailySales.updated_at)).where(DailySales.tenant_id == tenant_id)
        ),
    )


def _on_days(time_zone: str, days: list[dt.date]):
    """Orders created on any of `days` (local), as created_at ranges an index can serve."""
    return or_(
        *(
            and_(
                Order.created_at >= day_start(time_zone, day),
                Order.created_at < day_start(time_zone, day + dt.timedelta(days=1)),
            )
            for day in days
        )
    )


def _day_figures(day: dt.date, live_days: list, live: dict, stored: dict) -> DayFigures:
    is_live = day in live_days
    row = live.get(day) if is_live else stored.get(day)
    return DayFigures(
        day=day,
        orders=int(row.orders) if row else 0,
        revenue_cents=int(row.revenue_cents) if row else 0,
        items_sold=int(row.items_sold) if row else 0,
        live=is_live,
    )
