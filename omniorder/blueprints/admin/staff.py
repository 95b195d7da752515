"""Staff accounts and their sessions (admins; ending one's own sessions: anyone)."""

import uuid

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from omniorder.blueprints.admin.base import bp, change_then_return
from omniorder.blueprints.admin.forms import StaffForm
from omniorder.core.errors import DomainError
from omniorder.staff import accounts as staff_service
from omniorder.staff.models import ROLES
from omniorder.staff.sessions import staff_required


def render_staff(message=None, status=200, form=None, password_for=None):
    return render_template(
        "admin/staff.html",
        staff=staff_service.list_staff(),
        form=form or StaffForm(formdata=None),
        roles=ROLES,
        message=message,
        password_for=password_for,
    ), status


@bp.get("/staff")
@staff_required("admin")
def staff():
    return render_staff()


@bp.post("/staff")
@staff_required("admin")
def create_staff():
    form = StaffForm()
    if not form.validate():
        return render_staff("Please give an email address and a role.", 400, form)
    try:
        user, password = staff_service.create_staff(
            form.email.data, form.role.data, form.full_name.data
        )
    except DomainError as error:
        return render_staff(error.message, error.status_code, form)
    return render_staff(f"{user.email} can now log in.", 201, password_for=(user.email, password))


def staff_action(change):
    return change_then_return(change, render_staff, "admin.staff")


@bp.post("/staff/<uuid:user_id>/role")
@staff_required("admin")
def change_role(user_id):
    return staff_action(lambda: staff_service.change_role(user_id, request.form.get("role")))


@bp.post("/staff/<uuid:user_id>/reset-password")
@staff_required("admin")
def reset_password(user_id):
    try:
        user, password = staff_service.reset_password(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    return render_staff(f"New password for {user.email}.", password_for=(user.email, password))


@bp.post("/staff/<uuid:user_id>/delete")
@staff_required("admin")
def remove_staff(user_id: uuid.UUID):
    if user_id == current_user.id:
        return render_staff("You cannot remove yourself.", 409)
    return staff_action(lambda: staff_service.remove_staff(user_id))


@bp.post("/staff/<uuid:user_id>/logout-everywhere")
@staff_required("kitchen")
def logout_everywhere(user_id: uuid.UUID):
    """End every session of a staff member: anyone's for an admin, one's own for anyone."""
    own = user_id == current_user.id
    if not own and not current_user.may("admin"):
        abort(403, description="Only an admin may end someone else's sessions.")
    try:
        user = staff_service.end_sessions(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    if own:
        logout_user()
        session.clear()
        return redirect(url_for("auth.login"), code=303)
    return render_staff(f"Every session of {user.email} has ended.")
