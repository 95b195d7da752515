"""The sign-up form (flask-wtf: CSRF). The fields only carry text: platform/signup.py checks
them, so the form and its rules cannot disagree."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField


class SignupForm(FlaskForm):
    restaurant_name = StringField("Restaurant name")
    subdomain = StringField("Subdomain")
    email = EmailField("Your e-mail")
    password = PasswordField("Password")
    invite_code = StringField("Invite code")
    timezone = StringField("Time zone")
    currency = StringField("Currency")
    locale = StringField("Language and formats")
    sample_menu = BooleanField("Start with a sample menu (you can delete it later)")


class ConfirmForm(FlaskForm):
    """The button the e-mailed link's page shows: pressing it opens the restaurant."""

    go = HiddenField(default="1")
