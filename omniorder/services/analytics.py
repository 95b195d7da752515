"""The cross-tenant warehouse: public.analytics, one row per tenant per UTC day.

A refresh is incremental and exact. Each order carries `analytics_pending`; a tenant's refresh
flips the flags of the pending orders and recomputes (not increments) their days from the
orders table, in one transaction. An order committed while a refresh runs keeps its flag and
is picked up by the next run; recomputing a day twice gives the same figures, so nothing is
lost or counted twice, and two refreshes at once are serialised per tenant by an advisory
lock. A run first asks, in one query per 1,000 tenants, which tenants have pending orders at
all, so a run with nothing new costs almost nothing.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    Engine,
    cast,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from omniorder.errors import Invalid, NotFound
from omniorder.extensions import db
from omniorder.models import DailySales, Order, Tenant
from omniorder.services.tenants import tenants_named
from omniorder.tenancy.fanout import TenantRef, for_each_tenant
from omniorder.tenancy.names import quote_schema, validate_domain

UTC_DAY = cast(func.timezone("UTC", Order.created_at), db.Date)


# Quantities in an order's JSON snapshot; `items` is the orders row of the enclosing query.
ITEMS_IN_ORDER = literal_column(
    "(SELECT coalesce(sum((line->>'quantity')::int), 0) FROM jsonb_array_elements(items) line)"
)


def _recompute(connection: Connection, tenant: TenantRef, days_filter) -> None:
    # Cancelled orders count nowhere, yet their day is still written: a day whose only order
    # was cancelled after it had been counted goes back to 0 instead of keeping the old figure.
    sold = Order.status != "CANCELLED"
    figures = (
        select(
            UTC_DAY.label("day"),
            func.count().filter(sold).label("orders"),
            func.coalesce(func.sum(Order.total_amount).filter(sold), 0).label("revenue_cents"),
            func.coalesce(func.sum(ITEMS_IN_ORDER).filter(sold), 0).label("items_sold"),
        )
        .where(days_filter)
        .group_by(UTC_DAY)
    )
    values = [dict(row._mapping) for row in connection.execute(figures)]
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
                "updated_at": func.now(),
            },
        )
    )


def _lock(connection: Connection, tenant: TenantRef) -> None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"omniorder-analytics:{tenant.id}"},
    )


def refresh_tenant(connection: Connection, tenant: TenantRef) -> None:
    """Count the tenant's pending orders: flip their flags, recompute their days."""
    _lock(connection, tenant)
    days = set(
        connection.scalars(
            update(Order)
            .where(Order.analytics_pending)
            .values(analytics_pending=False)
            .returning(UTC_DAY)
        )
    )
    if days:
        _recompute(connection, tenant, UTC_DAY.in_(sorted(days)))


def refresh_tenant_fully(connection: Connection, tenant: TenantRef) -> None:
    """Recompute every day that still has orders in the tenant's table.

    Days whose orders were archived keep their figures: the archive counted them before it
    deleted them, and it only ever takes whole days (services/archive.py), so no day is
    recomputed from part of its orders.
    """
    _lock(connection, tenant)
    connection.execute(update(Order).where(Order.analytics_pending).values(analytics_pending=False))
    _recompute(connection, tenant, text("true"))


def tenants_with_pending_orders(engine: Engine, tenants: list[TenantRef]) -> list[TenantRef]:
    """Which tenants have uncounted orders: one query per 1,000 tenants (partial indexes)."""
    pending = set()
    with engine.connect() as connection:
        for start in range(0, len(tenants), 1000):
            chunk = tenants[start : start + 1000]
            union = " UNION ALL ".join(
                f"(SELECT %s FROM {quote_schema(t.schema_name)}.orders "  # noqa: S608
                "WHERE analytics_pending LIMIT 1)"
                for t in chunk
            )
            pending.update(
                connection.exec_driver_sql(union, tuple(t.schema_name for t in chunk)).scalars()
            )
    return [tenant for tenant in tenants if tenant.schema_name in pending]


@dataclass
class RefreshReport:
    refreshed: int
    unchanged: int
    failed: dict[str, str]


def refresh(
    *, full: bool = False, jobs: int = 1, domain: str | None = None, on_start=None, on_result=None
) -> RefreshReport:
    engine = db.engine
    tenants = tenants_named(domain)
    todo = tenants if full else tenants_with_pending_orders(engine, tenants)
    if on_start is not None:
        on_start(len(todo))
    results = for_each_tenant(
        engine,
        todo,
        refresh_tenant_fully if full else refresh_tenant,
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


def parse_day(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(field, "must be a date such as 2026-11-25") from None


@dataclass(frozen=True)
class SalesReport:
    """Totals per tenant and for the whole platform (`total.domain` is "TOTAL")."""

    rows: list[SalesRow]
    total: SalesRow


def report(date_from=None, date_to=None, domain=None) -> SalesReport:
    """Totals per tenant over [from, to] (inclusive, YYYY-MM-DD, UTC days) from the warehouse,
    and their sum; the same for `flask analytics report` and the system API."""
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


def daily_sales(tenant_id, days: int) -> list[DailySales]:
    """One tenant's last `days` UTC days from the warehouse (missing days count as zero)."""
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=days - 1)
    stored = {
        row.day: row
        for row in db.session.scalars(
            select(DailySales).where(DailySales.tenant_id == tenant_id, DailySales.day >= start)
        )
    }
    return [
        stored.get(start + dt.timedelta(days=offset))
        or DailySales(
            tenant_id=tenant_id,
            day=start + dt.timedelta(days=offset),
            orders=0,
            revenue_cents=0,
            items_sold=0,
        )
        for offset in range(days)
    ]
