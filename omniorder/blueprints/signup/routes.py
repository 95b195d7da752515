"""``/signup``: tenant-exempt, answered only on ``OMNIORDER_PLATFORM_HOST`` while
``OMNIORDER_SIGNUP`` is on (404 anywhere else, as if the page did not exist).

The app-wide CSRF check runs before any blueprint's hook, so it would answer a POST with 400
where sign-up does not exist; these views are exempt from it and check the token with their
form instead (`FlaskForm.validate`), after the 404."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask_babel import gettext as _

from omniorder.blueprints.auth.forms import beside_fields
from omniorder.blueprints.auth.routes import no_store
from omniorder.blueprints.signup.forms import ConfirmForm, SignupForm
from omniorder.core.errors import Conflict, DomainError, Invalid
from omniorder.notifications.mail import storefront_url
from omniorder.platform import signup
from omniorder.settings.document import SETTINGS
from omniorder.staff.accounts import MIN_PASSWORD_LENGTH
from omniorder.web.extensions import csrf
from omniorder.web.headers import allow_sources
from omniorder.web.hosts import tenant_exempt
from omniorder.web.ratelimit import signup_limit

bp = Blueprint("signup", __name__)


@bp.before_request
def only_on_the_platform_host():
    if not signup.serves_signup(request.host):
        abort(404)


def _page(form, problems=None, status=200, message=None):
    page = render_template(
        "signup/form.html",
        form=form,
        problems=problems or {},
        message=message,
        invite=signup.signup_mode() == signup.INVITE,
        suffix=signup.tenant_domain_suffix(),
        min_length=MIN_PASSWORD_LENGTH,
        defaults={key: SETTINGS[key][0] for key in signup.REGION},
    )
    return page, status


@bp.route("/signup", methods=["GET", "POST"])
@tenant_exempt
@csrf.exempt
@signup_limit
def start():
    """GET: the form. POST: a pending sign-up and its e-mail, then "check your e-mail"."""
    form = SignupForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():  # the CSRF token: the only check the form itself makes
        return _page(form, status=400, message=_("The form expired; please send it again."))
    try:
        pending = signup.start_signup(
            restaurant_name=form.restaurant_name.data,
            subdomain=form.subdomain.data,
            email=form.email.data,
            password=form.password.data,
            invite_code=form.invite_code.data,
            timezone=form.timezone.data,
            currency=form.currency.data,
            locale=form.locale.data,
            sample_menu=form.sample_menu.data,
        )
    except Invalid as error:
        return _page(form, beside_fields(form, error.fields), 400)
    except Conflict as error:
        problems = beside_fields(form, {"subdomain": _("is taken")})
        return _page(form, problems, 409, message=error.message)
    hours = int(signup.RESERVED_FOR.total_seconds() // 3600)
    page = render_template("signup/sent.html", email=pending.email, hours=hours)
    return page, 202


@bp.get("/signup/availability")
@tenant_exempt
def availability():
    """The form's live check: ``{"available": …, "message": …}`` for ``?subdomain=``."""
    return (
        signup.availability(request.args.get("subdomain", "")),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@tenant_exempt
@csrf.exempt
def confirm(token: str):
    """GET: what the link will open, and one button (a GET changes nothing, so a mail
    scanner's visit spends nothing). POST: the restaurant, then its login, headed for the
    setup checklist."""
    form = ConfirmForm()
    try:
        pending = signup.open_signup(token)
        if not form.is_submitted():
            # The button's answer redirects to the restaurant's own host: a form may go
            # there (CSP form-action also governs where a form's redirects lead).
            allow_sources({"form-action": (origin_of(login_url(pending.subdomain)),)})
            page = render_template(
                "signup/confirm.html",
                form=form,
                pending=pending,
                domain=signup.domain_for(pending.subdomain),
            )
            return no_store(page)
        if not form.validate():
            abort(400, description=_("The form expired; open the link from the e-mail again."))
        signup.confirm_signup(token)
    except DomainError as error:
        return refused(error)
    return redirect(login_url(pending.subdomain), code=303)


def login_url(subdomain: str) -> str:
    """The new restaurant's login, headed for its setup checklist."""
    domain = signup.domain_for(subdomain)
    return storefront_url(current_app, domain, "auth.login", next="/admin/setup")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def refused(error: DomainError):
    domain = getattr(error, "domain", None)
    login = storefront_url(current_app, domain, "auth.login") if domain else None
    page = render_template("signup/link_refused.html", message=error.message, login=login)
    return no_store(page, error.status_code)
