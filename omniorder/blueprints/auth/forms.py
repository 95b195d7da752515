"""The staff's own forms: login, "Forgot your password?" and choosing a password (flask-wtf:
CSRF on each)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from omniorder.core.errors import labelled


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"))


class SetPasswordForm(FlaskForm):
    """The password an invitee or a member with a reset link chooses; the service checks it
    (staff/accounts.py `validate_password`), the view that both fields agree."""

    password = PasswordField(_l("New password"))
    confirm = PasswordField(_l("New password again"))


def beside_fields(form, problems: dict[str, str]) -> dict[str, tuple[str, str]]:
    """A service's `Invalid.fields` (name → "must be …") as the `field` macro shows them
    (_forms.html): field id → (label, "Email must be …")."""
    shown = {}
    for name, message in problems.items():
        control = form[name] if name in form else None
        label = control.label.text if control is not None else name
        shown[control.id if control is not None else name] = (label, labelled(label, message))
    return shown
