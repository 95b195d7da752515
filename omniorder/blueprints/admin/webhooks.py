"""The restaurant's webhook (admins): its URL, its signing secret (shown once), the last
deliveries. The rules live in notifications/webhooks.py."""

from flask import make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError
from omniorder.notifications import webhooks
from omniorder.staff.sessions import staff_required


def render_webhooks(message=None, status=200, secret=None, url_value=None):
    """The page; `secret` only right after it was made. Never cached: it may hold a secret."""
    current = webhooks.endpoint()
    response = make_response(
        render_template(
            "admin/webhooks.html",
            endpoint=current,
            url_value=url_value if url_value is not None else (current.url if current else ""),
            deliveries=webhooks.recent_deliveries(),
            message=message,
            secret=secret,
            max_url_length=webhooks.MAX_URL_LENGTH,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/webhooks")
@staff_required("admin")
def webhooks_page():
    return render_webhooks()


@bp.post("/webhooks")
@staff_required("admin")
def set_webhook():
    raw = request.form.get("url", "")
    try:
        secret = webhooks.set_url(raw)
    except DomainError as error:
        return render_webhooks(error.message, error.status_code, url_value=raw)
    if secret:
        return render_webhooks(_("Webhook saved. Copy its signing secret now."), 201, secret)
    return render_webhooks(_("Webhook URL changed; its signing secret is unchanged."))


@bp.post("/webhooks/secret")
@staff_required("admin")
def regenerate_webhook_secret():
    try:
        secret = webhooks.regenerate_secret()
    except DomainError as error:
        return render_webhooks(error.message, error.status_code)
    return render_webhooks(_("New signing secret: the old one no longer works."), secret=secret)


@bp.post("/webhooks/delete")
@staff_required("admin")
def remove_webhook():
    try:
        webhooks.remove_endpoint()
    except DomainError as error:
        return render_webhooks(error.message, error.status_code)
    return redirect(url_for("admin.webhooks_page"), code=303)
