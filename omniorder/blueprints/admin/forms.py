"""The back office's forms (flask-wtf: CSRF on each)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from omniorder.models import ROLES
from omniorder.services.theme import FONT_STACKS, PRESETS


class ItemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    description = TextAreaField("Description", validators=[Length(max=1000)])
    price = StringField("Price (e.g. 12.50)", validators=[DataRequired()])
    image_url = StringField("Image URL (http or https)", validators=[Length(max=2000)])
    category_id = SelectField("Category", choices=[], validate_choice=False)
    is_available = BooleanField("Available", default=True)


class StaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    full_name = StringField("Name", validators=[Length(max=100)])
    role = SelectField("Role", choices=list(ROLES), default="kitchen")


class ThemeForm(FlaskForm):
    preset = SelectField("Preset", choices=list(PRESETS))
    primary_color = StringField("Primary colour (#rrggbb)", validators=[DataRequired()])
    font_family = SelectField("Font", choices=list(FONT_STACKS))
