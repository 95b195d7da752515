"""The sign-up form (flask-wtf: CSRF). The fields only carry text: platform/signup.py checks
them, so the form and its rules cannot disagree."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField


class SignupForm(FlaskForm):
    restaurant_name = StringField(_l("Restaurant name"))
    subdomain = StringField(_l("Subdomain"))
    email = EmailField(_l("Your e-mail"))
    password = PasswordField(_l("Password"))
    invite_code = StringField(_l("Invite code"))
    timezone = StringField(_l("Time zone"))
    currency = StringField(_l("Currency"))
    locale = StringField(_l("Language and formats"))
    sample_menu = BooleanField(_l("Start with a sample menu (you can delete it later)"))


class ConfirmForm(FlaskForm):
    """The button the e-mailed link's page shows: pressing it opens the restaurant."""

    go = HiddenField(default="1")
