"""Order history and sales (managers and admins)."""

from flask import render_template, request

from omniorder.blueprints.admin import bp
from omniorder.models import ORDER_STATUSES
from omniorder.services import analytics, ordering
from omniorder.staff_sessions import staff_required
from omniorder.tenancy.bind import current_tenant


@bp.get("/sales")
@staff_required("manager")
def sales():
    """The last 30 or 90 days of this restaurant, from the warehouse (its own rows only)."""
    days = 90 if request.args.get("days") == "90" else 30
    series = analytics.daily_sales(current_tenant().id, days)
    orders = sum(day.orders for day in series)
    revenue = sum(day.revenue_cents for day in series)
    return render_template(
        "admin/sales.html",
        series=series,
        days=days,
        orders=orders,
        revenue=revenue,
        average=revenue // orders if orders else 0,
        peak=max((day.revenue_cents for day in series), default=0),
        updated=max((day.updated_at for day in series if day.updated_at), default=None),
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
