from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from omniorder.blueprints.auth.forms import LoginForm
from omniorder.core.errors import DomainError
from omniorder.staff.accounts import TooManyAttempts, authenticate, end_sessions
from omniorder.staff.sessions import safe_next, staff_member
from omniorder.web.ratelimit import request_network

bp = Blueprint("auth", __name__)


def home_for(staff) -> str:
    return url_for("kitchen.board") if staff.role == "kitchen" else url_for("admin.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    next_page = safe_next(request.args.get("next"))
    if not form.is_submitted():
        return render_template("auth/login.html", form=form, next_page=next_page)
    if not form.validate():
        return render_template(
            "auth/login.html",
            form=form,
            next_page=next_page,
            message="Please enter your email and password.",
        ), 400
    try:
        user = authenticate(form.email.data, form.password.data, request_network())
    except DomainError as error:
        headers = (
            {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts) else {}
        )
        return (
            render_template(
                "auth/login.html", form=form, next_page=next_page, message=error.message
            ),
            error.status_code,
            headers,
        )
    staff = staff_member(user)
    session.clear()  # a fresh session on login: nothing from before carries over
    login_user(staff)
    return redirect(next_page or home_for(staff), code=303)


@bp.post("/logout")
def logout():
    """Sign out everywhere: a copy of this session cookie must not outlive the logout."""
    if current_user.is_authenticated:
        end_sessions(current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)
