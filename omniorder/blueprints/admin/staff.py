"""Staff accounts and their sessions (admins; ending one's own sessions: anyone).

Nobody's password is ever shown here: a new member is invited by e-mail and chooses their
own, and "Send a reset link" e-mails a member a link to choose a new one
(staff/invitations.py)."""

import uuid

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from omniorder.blueprints.admin.base import bp, change_then_return
from omniorder.blueprints.admin.forms import ROLE_NAMES, StaffForm
from omniorder.blueprints.auth.forms import beside_fields
from omniorder.core.errors import DomainError, Invalid
from omniorder.languages import NATIVE_NAMES
from omniorder.settings.document import current_settings
from omniorder.staff import accounts as staff_service
from omniorder.staff import invitations
from omniorder.staff.links import INVITE, LIFETIME
from omniorder.staff.models import ROLES
from omniorder.staff.sessions import staff_required


def render_staff(message=None, status=200, form=None, problems=None, done=None):
    return render_template(
        "admin/staff.html",
        staff=staff_service.list_staff(),
        invited=staff_service.pending_invitations(),
        invite_hours=int(LIFETIME[INVITE].total_seconds() // 3600),
        form=form or StaffForm(formdata=None),
        roles=ROLES,
        role_names=ROLE_NAMES,
        languages=NATIVE_NAMES,
        default_language=NATIVE_NAMES[current_settings()["languages"][0]],
        message=message,
        problems=problems or {},
        done=done,
    ), status


@bp.get("/staff")
@staff_required("admin")
def staff():
    return render_staff()


@bp.post("/staff")
@staff_required("admin")
def invite_staff():
    form = StaffForm()
    if not form.validate():  # the CSRF token; the service checks the values
        return render_staff(_("The form expired; please try again."), 400, form)
    try:
        user = invitations.invite_staff(form.email.data, form.role.data, form.full_name.data)
    except Invalid as error:
        return render_staff(None, 400, form, problems=beside_fields(form, error.fields))
    except DomainError as error:
        taken = {form.email.id: (form.email.label.text, error.message)}
        return render_staff(None, error.status_code, form, problems=taken)
    return render_staff(
        None,
        201,
        done=_("Invitation sent to %(email)s: they choose their own password.", email=user.email),
    )


def staff_action(change):
    return change_then_return(change, render_staff, "admin.staff")


@bp.post("/staff/<uuid:user_id>/role")
@staff_required("admin")
def change_role(user_id):
    return staff_action(lambda: staff_service.change_role(user_id, request.form.get("role")))


@bp.post("/staff/<uuid:user_id>/language")
@staff_required("admin")
def change_language(user_id):
    return staff_action(
        lambda: staff_service.change_language(user_id, request.form.get("language", ""))
    )


@bp.post("/staff/<uuid:user_id>/reset-password")
@staff_required("admin")
def send_reset_link(user_id):
    try:
        user = invitations.send_reset_link(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    return render_staff(
        done=_("A link to choose a new password is on its way to %(email)s.", email=user.email)
    )


@bp.post("/staff/<uuid:user_id>/resend")
@staff_required("admin")
def resend_invitation(user_id):
    try:
        user = invitations.resend_invitation(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    return render_staff(
        done=_(
            "Invitation sent to %(email)s again; earlier links no longer work.", email=user.email
        )
    )


@bp.post("/staff/<uuid:user_id>/cancel")
@staff_required("admin")
def cancel_invitation(user_id):
    return staff_action(lambda: invitations.cancel_invitation(user_id))


@bp.post("/staff/<uuid:user_id>/delete")
@staff_required("admin")
def remove_staff(user_id: uuid.UUID):
    if user_id == current_user.id:
        return render_staff(_("You cannot remove yourself."), 409)
    return staff_action(lambda: staff_service.remove_staff(user_id))


@bp.post("/staff/<uuid:user_id>/logout-everywhere")
@staff_required("kitchen")
def logout_everywhere(user_id: uuid.UUID):
    """End every session of a staff member: anyone's for an admin, one's own for anyone."""
    own = user_id == current_user.id
    if not own and not current_user.may("admin"):
        abort(403, description=_("Only an admin may end someone else's sessions."))
    try:
        user = staff_service.end_sessions(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    if own:
        logout_user()
        session.clear()
        return redirect(url_for("auth.login"), code=303)
    return render_staff(_("Every session of %(email)s has ended.", email=user.email))
