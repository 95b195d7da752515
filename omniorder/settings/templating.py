"""What every template may use: the bound restaurant with its theme, and the two filters that
turn stored values into what a person reads in that restaurant, `money` (minor units → its
currency in its locale) and `local_time` (UTC → its time zone and locale: the time alone on
its today, with the weekday and date on another day; money.format_local_time).

And what pages and e-mails show of the restaurant's profile, from the settings in memory (no
statement): `restaurant_contact()` (address, map link, phone, links, legal name, VAT ID),
`opening_status_now()` (the storefront header's "Open now · closes 10:00 PM") and
`tax_per_rate(order)` (a receipt's "VAT 19 % on €x net: €y")."""

import datetime
from decimal import Decimal

from babel.numbers import format_percent
from flask import Flask, g
from flask_babel import gettext as _

from omniorder.core.money import format_local_time, format_money
from omniorder.languages.serving import display_locale, served_language, time_locale
from omniorder.ordering.pricing import tax_at_rate
from omniorder.settings.document import current_settings, default_settings
from omniorder.settings.hours import opening_status
from omniorder.settings.profile import restaurant_contact
from omniorder.settings.theme import page_theme


def _settings() -> dict:
    return current_settings() if g.get("tenant") is not None else default_settings()


def money(minor_units, currency: str | None = None) -> str:
    """`currency`: an order's own (its snapshot); else the restaurant's."""
    settings = _settings()
    return format_money(minor_units, currency or settings["currency"], settings["locale"])


def local_time(moment) -> str:
    """In the restaurant's time zone, with the words of the served language for its region
    (languages/serving.py `display_locale`: a French customer of a Berlin café reads "lun. 14
    déc., 13:15")."""
    settings = _settings()
    now = datetime.datetime.now(datetime.UTC)
    locale = display_locale(served_language(), settings["locale"])
    return format_local_time(moment, settings["timezone"], locale, now)


def contact() -> dict:
    return restaurant_contact(_settings())


def opening_status_now() -> tuple[bool, str]:
    settings = _settings()
    return opening_status(settings, datetime.datetime.now(datetime.UTC), time_locale(settings))


def published() -> bool:
    """Whether the restaurant takes orders yet (the staff pages' "not published" banner)."""
    return _settings()["published"]


def tax_per_rate(order) -> dict | None:
    """The order's tax line for a receipt (None without tax): "VAT" when the restaurant has a
    VAT ID, else "Tax"; the rate as its locale writes a percentage ("19 %" in de_DE), or None
    when it is not known (pricing.tax_at_rate); the net and the tax in minor units."""
    if not order.tax:
        return None
    settings = _settings()
    taxed = tax_at_rate(order.subtotal, order.tax, order.tax_inclusive, settings["tax"]["rate_bp"])
    rate = None
    if taxed.rate_bp is not None:
        share = Decimal(taxed.rate_bp).scaleb(-4)
        rate = format_percent(share, locale=settings["locale"], decimal_quantization=False)
    label = _("VAT") if restaurant_contact(settings)["vat_id"] else _("Tax")
    return {"label": label, "rate": rate, "net": taxed.net, "tax": taxed.tax}


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)
    app.add_template_global(contact, "restaurant_contact")
    app.add_template_global(opening_status_now)
    app.add_template_global(tax_per_rate)
    app.add_template_global(published, "restaurant_published")

    @app.context_processor
    def tenant_and_theme():
        return page_theme(g.get("tenant"))
