import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from omniorder.ordering.order_input import MAX_CUSTOMER_NAME, MAX_QUANTITY


class AddToCartForm(FlaskForm):
    item_id = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(default=1, validators=[NumberRange(1, MAX_QUANTITY)])
    # Option ids from the item's radio buttons and checkboxes; ordering/cart.py checks them.
    options = SelectMultipleField(choices=[], validate_choice=False)
    note = StringField(_l("Note for the kitchen"))


class SetQuantityForm(FlaskForm):
    line = HiddenField(validators=[DataRequired()])
    quantity = IntegerField(_l("Quantity"), validators=[NumberRange(0, MAX_QUANTITY)])


class TipForm(FlaskForm):
    tip = StringField(_l("Tip"))  # "none", a preset percentage, or "custom"
    tip_amount = StringField(_l("Other amount"))


class CheckoutForm(FlaskForm):
    customer_name = StringField(
        _l("Your name"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(_l("Please tell us your name.")), Length(max=MAX_CUSTOMER_NAME)],
    )
    # Checked by ordering/order_input.py (at most 280 characters), like the API's.
    note = TextAreaField(_l("Note for the whole order"))
    # Optional; checked by ordering/order_input.clean_contact like the API's email and phone.
    email = StringField(_l("E-mail for your receipt (optional)"))
    phone = StringField(_l("Phone (optional)"))
    # "" for as soon as possible, else a slot's ISO 8601 time from the <select>; checked by
    # ordering/order_input.py and ordering/pickup.py like the API's pickup_at.
    pickup_at = StringField(_l("When?"))
    # "online" (pay now by card) or "counter" (pay at pickup), offered when the restaurant's
    # payments.online is optional; ordering/order_input.wants_online_payment checks it.
    payment = StringField(_l("Payment"))
    # One key per rendered form: a double click or a retried POST returns the same order.
    idempotency_key = HiddenField(
        default=lambda: uuid.uuid4().hex, validators=[DataRequired(), Length(max=64)]
    )
