"""Order history, an order's page (its payment, refunds, cancel) and sales (managers and
admins)."""

import datetime as dt
import zoneinfo

from flask import (
    Response,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from omniorder.analytics import reports
from omniorder.analytics import sales as analytics
from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError, Invalid
from omniorder.core.money import amount_for_input, format_money
from omniorder.kitchen import board as kitchen
from omniorder.ordering import checkout as ordering
from omniorder.ordering.models import ORDER_STATUSES
from omniorder.payments import refunds
from omniorder.printing.jobs import reprint
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
        ),
    )


def _restaurant_today(settings) -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone(zoneinfo.ZoneInfo(settings["timezone"])).date()


def _asked_range(settings) -> reports.DateRange:
    """The from/to of the query string (Invalid → the 400 page naming the field)."""
    return reports.date_range(
        request.args.get("from"), request.args.get("to"), _restaurant_today(settings)
    )


@bp.get("/sales/report")
@staff_required("manager")
def sales_report():
    """Sales for a range of local days (default: the last 7): totals, days, hours, tax per
    rate, the item mix, with the CSV links; a bad range is the form again with its message."""
    settings = current_settings()
    try:
        period = _asked_range(settings)
    except Invalid as error:
        page = render_template(
            "admin/sales_report.html",
            report=None,
            error=error,
            typed={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
            max_days=reports.MAX_DAYS,
        )
        return page, 400
    report = reports.sales_report(current_tenant().id, period, settings)
    return render_template(
        "admin/sales_report.html",
        report=report,
        error=None,
        typed={"from": period.first.isoformat(), "to": period.last.isoformat()},
        max_days=reports.MAX_DAYS,
        peak_hour=max((hour.gross for hour in report.hours), default=0),
    )


def _csv_download(lines, filename: str) -> Response:
    return Response(
        lines,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


# A report's CSV files: its part, the rows of that part, and the file's name.
REPORT_FILES = {
    "daily": ("days", reports.daily_rows, "sales"),
    "items": ("items", reports.item_rows, "item-mix"),
}


@bp.get("/sales/report/<any(daily, items):name>.csv")
@staff_required("manager")
def sales_report_csv(name):
    part, rows, prefix = REPORT_FILES[name]
    settings = current_settings()
    period = _asked_range(settings)
    report = reports.sales_report(current_tenant().id, period, settings, parts={part})
    lines = "".join(reports.csv_lines(rows(report)))
    return _csv_download(lines, f"{prefix}-{period.first}-to-{period.last}.csv")


@bp.get("/orders/export.csv")
@staff_required("manager")
def orders_csv():
    """Every order of a range of local days, one row each, streamed a batch at a time (the
    request's read session stays open while the answer is written: `stream_with_context`)."""
    settings = current_settings()
    period = _asked_range(settings)
    rows = reports.order_rows(settings["timezone"], period)
    return _csv_download(
        stream_with_context(reports.csv_lines(rows)),
        f"orders-{period.first}-to-{period.last}.csv",
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
        export=_asked_range(current_settings()),
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
    flash(
        _("Refund of %(amount)s asked; Stripe's answer shows in the history below.", amount=shown),
        DONE_MESSAGE,
    )
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
        _("Order cancelled; what was paid is being refunded.")
        if refunded
        else _("Order cancelled."),
        DONE_MESSAGE,
    )
    return redirect(url_for("admin.order_page", order_id=order_id), code=303)


@bp.post("/orders/<uuid:order_id>/reprint")
@staff_required("manager")
def reprint_order(order_id):
    """The order's kitchen tickets again, on every printer that prints its lines."""
    try:
        reprint(ordering.order_by_id(order_id))
    except DomainError as error:
        return render_order(order_id, error.message, error.status_code)
    flash(_("Tickets sent to the printers again."), DONE_MESSAGE)
    return redirect(url_for("admin.order_page", order_id=order_id), code=303)
