"""The customers' e-mails (managers and admins): the last ones, with their status and, for
one that failed or waits for a retry, why. The rules live in notifications/outbox.py."""

from flask import render_template

from omniorder.blueprints.admin.base import bp
from omniorder.notifications import outbox as notifications
from omniorder.staff.sessions import staff_required


@bp.get("/emails")
@staff_required("manager")
def emails():
    return render_template("admin/emails.html", messages=notifications.recent_messages("email"))
