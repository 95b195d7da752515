"""The restaurant's ticket printers (admins): the printers, a test page each, the print agents
(a token shown once, revocable), and the tickets waiting. Rules in omniorder/printing/."""

from flask import make_response, render_template, request
from flask_babel import gettext as _

from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError
from omniorder.printing import configuration, devices, jobs
from omniorder.printing.printers import MAX_COPIES, direct_mode
from omniorder.settings.document import current_settings
from omniorder.staff.sessions import staff_required


def render_printers(message=None, status=200, token=None, typed=None):
    """The page; `token` only right after an agent was registered. Never cached: it may
    hold a token."""
    response = make_response(
        render_template(
            "admin/printers.html",
            printers=current_settings()["printers"],
            devices=devices.list_devices(),
            waiting=jobs.waiting_tickets(),
            direct=direct_mode(),
            max_copies=MAX_COPIES,
            message=message,
            token=token,
            typed=typed or {},
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _act(action, done: str):
    try:
        action()
    except DomainError as error:
        return render_printers(error.message, error.status_code, typed=request.form)
    return render_printers(done)


@bp.get("/printers")
@staff_required("admin")
def printers_page():
    return render_printers()


@bp.post("/printers")
@staff_required("admin")
def save_printer():
    return _act(
        lambda: configuration.save_printer(configuration.printer_from_form(request.form)),
        _("Printer saved."),
    )


@bp.post("/printers/remove")
@staff_required("admin")
def remove_printer():
    return _act(
        lambda: configuration.remove_printer(request.form.get("name")), _("Printer removed.")
    )


@bp.post("/printers/test-page")
@staff_required("admin")
def print_test_page():
    return _act(
        lambda: jobs.print_test_page(request.form.get("name")),
        _("Test page sent: it prints as soon as the printer's agent (or the server) takes it."),
    )


@bp.post("/printers/discard")
@staff_required("admin")
def discard_waiting():
    return _act(
        lambda: jobs.discard_waiting(request.form.get("name", "")), _("Waiting tickets discarded.")
    )


@bp.post("/printers/agents")
@staff_required("admin")
def add_agent():
    try:
        device, token = devices.add_device(request.form.get("name"))
    except DomainError as error:
        return render_printers(error.message, error.status_code)
    return render_printers(
        _("Print agent %(name)s registered. Copy its token now.", name=device.name), 201, token
    )


@bp.post("/printers/agents/<uuid:device_id>/revoke")
@staff_required("admin")
def revoke_agent(device_id):
    return _act(lambda: devices.revoke_device(device_id), _("Print agent revoked."))
