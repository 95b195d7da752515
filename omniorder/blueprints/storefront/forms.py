import uuid

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from omniorder.services.ordering import MAX_CUSTOMER_NAME, MAX_QUANTITY


class AddToCartForm(FlaskForm):
    item_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(default=1, validators=[NumberRange(1, MAX_QUANTITY)])


class SetQuantityForm(FlaskForm):
    item_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField("Quantity", validators=[NumberRange(0, MAX_QUANTITY)])


class CheckoutForm(FlaskForm):
    customer_name = StringField(
        "Your name",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired("Please tell us your name."), Length(max=MAX_CUSTOMER_NAME)],
    )
    # One key per rendered form: a double click or a retried POST returns the same order.
    idempotency_key = HiddenField(
        default=lambda: uuid.uuid4().hex, validators=[DataRequired(), Length(max=64)]
    )
