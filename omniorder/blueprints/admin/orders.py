"""Order history and sales (managers and admins)."""

import datetime as dt

from babel.dates import format_timedelta
from flask import render_template, request

from omniorder.analytics import sales as analytics
from omniorder.blueprints.admin.base import bp
from omniorder.ordering import checkout as ordering
from omniorder.ordering.models import ORDER_STATUSES
from omniorder.settings.document import current_settings
from omniorder.staff.sessions import staff_required
from omniorder.tenancy.bind import current_tenant


@bp.get("/sales")
@staff_required("manager")
def sales():
    """The last 30 or 90 local days of this restaurant: today (and any day with orders the
    warehouse has not counted yet) live from its orders, the rest from the warehouse."""
    days = 90 if request.args.get("days") == "90" else 30
    settings = current_settings()
    figures = analytics.sales_days(current_tenant().id, days, settings["timezone"])
    series = figures.series
    orders = sum(day.orders for day in series)
    revenue = sum(day.revenue_cents for day in series)
    refreshed = figures.refreshed_at
    return render_template(
        "admin/sales.html",
        figures=figures,
        series=series,
        days=days,
        orders=orders,
        revenue=revenue,
        average=revenue // orders if orders else 0,
        peak=max((day.revenue_cents for day in series), default=0),
        earlier_live=[day for day in figures.live_days if day != figures.today],
        time_zone=settings["timezone"],
        refreshed_ago=refreshed
        and format_timedelta(
            # never "in 2 seconds" when the database's clock is a little ahead of ours
            min(refreshed - dt.datetime.now(dt.UTC), dt.timedelta(seconds=-1)),
            add_direction=True,
            locale=settings["locale"],
        ),
    )


@bp.get("/orders")
@staff_required("manager")
def orders():
    """Find an order: by number or customer, by status, newest first, 50 a page."""
    search, status = request.args.get("q", ""), request.args.get("status", "")
    found, more = ordering.find_orders(search, status, request.args.get("before", ""))
    return render_template(
        "admin/orders.html",
        orders=found,
        more=more,
        search=search,
        status=status,
        statuses=ORDER_STATUSES,
    )
