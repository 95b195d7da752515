"""Staff login and logout, "Forgot your password?" and the pages the e-mailed links open
(an invitation, a password reset: staff/invitations.py, staff/links.py)."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from omniorder.blueprints.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    SetPasswordForm,
    beside_fields,
)
from omniorder.core.errors import DomainError, Invalid
from omniorder.staff import invitations, links
from omniorder.staff.accounts import (
    MIN_PASSWORD_LENGTH,
    TooManyAttempts,
    authenticate,
    end_sessions,
    validate_email,
    validate_password,
)
from omniorder.staff.sessions import safe_next, staff_member
from omniorder.web.ratelimit import (
    request_network,
    reset_limit_per_address,
    reset_limit_per_client,
)

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
            message=_("Please enter your email and password."),
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


# --- "Forgot your password?" --------------------------------------------------------------


@bp.route("/login/forgot", methods=["GET", "POST"])
@reset_limit_per_client
@reset_limit_per_address
def forgot_password():
    """The same answer (status and page) whether the address has an account or not; only
    then is a mail queued (in this request's transaction, sent by a worker)."""
    form = ForgotPasswordForm()
    if not form.is_submitted():
        return render_template("auth/forgot.html", form=form, problems={})
    try:
        email = validate_email(form.email.data)
    except Invalid as error:
        problems = beside_fields(form, error.fields)
        return render_template("auth/forgot.html", form=form, problems=problems), 400
    invitations.request_password_reset(email)
    return render_template("auth/forgot_sent.html", email=email, hours=reset_hours())


def reset_hours() -> int:
    return int(links.LIFETIME[links.RESET].total_seconds() // 3600)


# --- the pages an e-mailed link opens ------------------------------------------------------


@bp.route("/login/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return choose_password(links.INVITE, token)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return choose_password(links.RESET, token)


def choose_password(purpose: str, token: str):
    """GET: the password form while the link works (opening it changes nothing, so a mail
    scanner's visit does not spend it). POST: set the password, end every other session of
    the member, and sign them in here."""
    form = SetPasswordForm()
    try:
        user = invitations.open_link(purpose, token)
    except DomainError as error:
        return link_refused(purpose, error)
    page = {
        "form": form,
        "purpose": purpose,
        "email": user.email,
        "min_length": MIN_PASSWORD_LENGTH,
    }
    if not form.is_submitted():
        return no_store(render_template("auth/set_password.html", problems={}, **page))
    problems = {}
    try:
        validate_password(form.password.data)
    except Invalid as error:
        problems.update(error.fields)
    if (form.password.data or "") != (form.confirm.data or ""):
        problems["confirm"] = _("does not match the password above")
    try:
        if not problems:
            user = invitations.set_password_from_link(purpose, token, form.password.data)
    except DomainError as error:  # used meanwhile (the row was locked first)
        return link_refused(purpose, error)
    if problems:
        shown = beside_fields(form, problems)
        return no_store(render_template("auth/set_password.html", problems=shown, **page), 400)
    staff = staff_member(user)
    session.clear()
    login_user(staff)
    return redirect(home_for(staff), code=303)


def link_refused(purpose: str, error: DomainError):
    """Why a link does not work (used, expired, not ours, another restaurant's), with the
    way on: the login, or a new reset link."""
    page = render_template("auth/link_refused.html", purpose=purpose, message=error.message)
    return no_store(page, error.status_code)


def no_store(page: str, status: int = 200):
    """The pages behind a link are nobody's to keep: not in a cache, not in history."""
    return page, status, {"Cache-Control": "no-store"}
