"""Order history, an order's page (its payment, refunds, cancel) and sales (managers and
admins)."""

import datetime as dt

from babel.dates import format_timedelta
from flask import flash, get_flashed_messages, redirect, render_template, request, url_for
from flask_login import current_user

from omniorder.analytics import sales as analytics
from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError
from omniorder.core.money import amount_for_input, format_money
from omniorder.kitchen import board as kitchen
from omniorder.ordering import checkout as ordering
from omniorder.ordering.models import ORDER_STATUSES
from omniorder.payments import refunds
from omniorder.settings.document import current_settings
from omniorder.staff.sessions import staff_required
from omniorder.tenancy.bind import current_tenant

DONE_MESSAGE = "order-page"  # the flash category of the order page's "done" line


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


def render_order(order_id, message=None, status=200, typed=None):
    """An order's page: the order, its payment and refunds, the refund and cancel forms;
    `message` (with the error's `status`) and what was `typed` after a refused form."""
    order = ordering.order_by_id(order_id)
    settings = current_settings()
    refundable = order.payment_status in refunds.REFUNDABLE and order.payment_intent_id
    left = refunds.refundable_left(order) if refundable else 0
    page = render_template(
        "admin/order.html",
        order=order,
        lines=ordering.order_lines_of(order),
        refunds=refunds.refunds_of(order),
        left=left,
        left_text=amount_for_input(left, settings["locale"], order.currency),
        may_cancel=order.status != "CANCELLED" and order.picked_up_at is None,
        message=message,
        done=get_flashed_messages(category_filter=[DONE_MESSAGE]),
        typed=typed or {},
        max_reason=refunds.MAX_REASON,
        max_cancel_reason=kitchen.MAX_CANCEL_REASON,
    )
    return page, status


@bp.get("/orders/<uuid:order_id>")
@staff_required("manager")
def order_page(order_id):
    return render_order(order_id)


@bp.post("/orders/<uuid:order_id>/refund")
@staff_required("manager")
def refund_order(order_id):
    """Part of an order paid online given back (payments/refunds.py); the job asks Stripe."""
    typed = {"amount": request.form.get("amount", ""), "reason": request.form.get("reason", "")}
    try:
        refund = refunds.refund_part(order_id, typed["amount"], typed["reason"], current_user.email)
    except DomainError as error:
        return render_order(order_id, error.message, error.status_code, typed)
    currency = ordering.order_by_id(order_id).currency  # the locked order, already loaded
    shown = format_money(refund.amount, currency, current_settings()["locale"])
    flash(f"Refund of {shown} asked; Stripe's answer shows in the history below.", DONE_MESSAGE)
    return redirect(url_for("admin.order_page", order_id=order_id), code=303)


@bp.post("/orders/<uuid:order_id>/cancel")
@staff_required("manager")
def cancel_order(order_id):
    """The board's cancel (a manager may cancel a DONE order not picked up); an order paid
    online is refunded what is left, through the job engine."""
    reason = request.form.get("reason", "")
    try:
        order = kitchen.cancel_order(order_id, reason, current_user.role, current_user.email)
    except DomainError as error:
        return render_order(order_id, error.message, error.status_code, {"cancel_reason": reason})
    refunded = order.payment_status in refunds.REFUNDABLE
    flash(
        "Order cancelled; what was paid is being refunded." if refunded else "Order cancelled.",
        DONE_MESSAGE,
    )
    return redirect(url_for("admin.order_page", order_id=order_id), code=303)
