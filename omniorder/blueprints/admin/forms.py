"""The back office's forms (flask-wtf: CSRF on each)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    FormField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from omniorder.menu.catalog import ALLERGEN_LABELS
from omniorder.settings.document import DAYS, MAX_RANGES_PER_DAY
from omniorder.settings.theme import FONT_STACKS, PRESETS
from omniorder.staff.models import ROLES

# What the file inputs offer; the server decides by decoding the file (media/images.py).
IMAGE_TYPES = "image/jpeg,image/png,image/webp"


class ItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Length(max=1000)])
    price = StringField(_l("Price"), validators=[DataRequired()])
    image_url = StringField(_l("Image URL (http or https)"), validators=[Length(max=2000)])
    category_id = SelectField(_l("Category"), choices=[], validate_choice=False)
    is_available = BooleanField(_l("Available"), default=True)
    # One checkbox per EU allergen; the service checks the names (menu/catalog.py).
    allergens = SelectMultipleField(
        _l("Allergens"),
        choices=[SelectChoice(name, label) for name, label in ALLERGEN_LABELS.items()],
        validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    photo = FileField(
        _l("Photo (JPEG, PNG or WebP, up to 10 MB)"), render_kw={"accept": IMAGE_TYPES}
    )
    photo_alt = StringField(
        _l("Photo description for screen readers (empty: the item's name)"),
        validators=[Length(max=200)],
    )
    remove_photo = BooleanField(_l("Remove photo"))


class BrandImageForm(FlaskForm):
    """The logo's or the banner's upload on the Branding page."""

    image = FileField("Image (JPEG, PNG or WebP, up to 10 MB)", render_kw={"accept": IMAGE_TYPES})


class StaffForm(FlaskForm):
    """An invitation: the service checks each value (staff/accounts.py), so its message can
    stand beside its field."""

    email = EmailField("Email")
    full_name = StringField("Name (optional)")
    role = SelectField("Role", choices=list(ROLES), default="kitchen", validate_choice=False)


class ThemeForm(FlaskForm):
    preset = SelectField("Preset", choices=list(PRESETS))
    primary_color = StringField("Primary colour (#rrggbb)", validators=[DataRequired()])
    font_family = SelectField("Font", choices=list(FONT_STACKS))


# The settings page: one subform per part of the settings document, each a fieldset. The
# service checks every value; the fields only carry the text.
class RegionForm(Form):
    timezone = SelectField("Time zone", validate_choice=False)
    currency = SelectField("Currency", validate_choice=False)
    locale = SelectField("Language and number format", validate_choice=False)


class TaxForm(Form):
    rate_percent = StringField("Tax rate (%)")
    inclusive = RadioField(
        "Menu prices",
        choices=[
            SelectChoice("included", "include tax (VAT, as in most of Europe)"),
            SelectChoice("added", "exclude tax: it is added at checkout (sales tax, as in the US)"),
        ],
        validate_choice=False,
    )


class TipsForm(Form):
    enabled = BooleanField("Ask for a tip at checkout")
    presets_percent = StringField("Suggested tips (%)")


# Opening hours: a row per weekday, each with up to MAX_RANGES_PER_DAY (the settings limit)
# "opens"/"closes" pairs named mon_0_opens, mon_0_closes, …; the page shows as many pairs as
# the busiest day needs (at least 3), so saving never drops a range set through the API, and a
# "Closed" box per day (mon_closed, …).
class HoursForm(Form):
    pass


for _day in DAYS:
    # ticked: the day is closed whatever times its row still holds
    setattr(HoursForm, f"{_day}_closed", BooleanField("Closed"))
    for _index in range(MAX_RANGES_PER_DAY):
        for _end in ("opens", "closes"):
            setattr(
                HoursForm,
                f"{_day}_{_index}_{_end}",
                StringField(f"{_day} range {_index + 1} {_end}", widget=widgets.TimeInput()),
            )


class ClosuresForm(Form):
    closed_dates = TextAreaField("Closed dates")


class PickupForm(Form):
    prep_minutes = StringField("Preparation time (minutes)", widget=widgets.NumberInput(min=0))
    slot_minutes = StringField("Pickup slot length (minutes)", widget=widgets.NumberInput(min=5))
    max_orders_per_slot = StringField(
        "Most orders per pickup slot (0 = no cap)", widget=widgets.NumberInput(min=0)
    )


# A secret key is never shown again: the input is empty on every render (PasswordField does not
# render its data), and an empty one keeps the stored key.
_SECRET_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


class PaymentsForm(Form):
    online = SelectField(
        "Online payment",
        choices=[
            SelectChoice("off", "Off: customers pay at pickup"),
            SelectChoice("optional", "Optional: customers choose to pay now or at pickup"),
            SelectChoice("required", "Required: every order is paid online"),
        ],
        validate_choice=False,
    )
    publishable_key = StringField(
        "Stripe publishable key (pk_…)", render_kw={"autocomplete": "off", "spellcheck": "false"}
    )
    secret_key = PasswordField("Stripe secret key (sk_… or rk_…)", render_kw=_SECRET_INPUT)
    remove_secret_key = BooleanField("Remove the stored secret key")
    webhook_secret = PasswordField(
        "Stripe webhook signing secret (whsec_…)", render_kw=_SECRET_INPUT
    )
    remove_webhook_secret = BooleanField("Remove the stored webhook signing secret")


class KitchenForm(Form):
    expo = BooleanField("An expo checks and bumps every order")
    pickup_screen_names = BooleanField("Show first names on the pickup screen")


class SettingsForm(FlaskForm):
    region = FormField(RegionForm)
    tax = FormField(TaxForm)
    tips = FormField(TipsForm)
    hours = FormField(HoursForm)
    closures = FormField(ClosuresForm)
    pickup = FormField(PickupForm)
    payments = FormField(PaymentsForm)
    kitchen = FormField(KitchenForm)


class ProfileForm(FlaskForm):
    """The restaurant's profile as people type it; the page trims it and the settings check
    reads it (omniorder/settings/profile.py), so the limits live there, not here."""

    description = TextAreaField("About the restaurant")
    address_line1 = StringField("Street and number", render_kw={"autocomplete": "address-line1"})
    address_line2 = StringField("Address line 2", render_kw={"autocomplete": "address-line2"})
    address_line3 = StringField("Address line 3", render_kw={"autocomplete": "address-line3"})
    postal_code = StringField("Postal code", render_kw={"autocomplete": "postal-code"})
    city = StringField("City", render_kw={"autocomplete": "address-level2"})
    country = SelectField("Country", validate_choice=False)
    phone = StringField("Phone", widget=widgets.TelInput(), render_kw={"autocomplete": "tel"})
    email = EmailField("E-mail", render_kw={"autocomplete": "email"})
    website = StringField("Website", widget=widgets.URLInput(), render_kw={"autocomplete": "url"})
    instagram = StringField("Instagram", widget=widgets.URLInput())
    facebook = StringField("Facebook", widget=widgets.URLInput())
    tiktok = StringField("TikTok", widget=widgets.URLInput())
    x = StringField("X (Twitter)", widget=widgets.URLInput())
    legal_name = StringField("Legal name (on receipts)", render_kw={"autocomplete": "organization"})
    vat_id = StringField("VAT ID")
