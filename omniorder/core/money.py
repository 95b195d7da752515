"""Money is an int of the currency's minor unit everywhere; this is where it meets text, and
where a moment in UTC becomes the restaurant's local time. All of it through Babel (CLDR):
``11,00 €`` for de_DE/EUR, ``$11.00`` for en_US/USD, ``￥1,200`` for ja_JP/JPY.

Amounts typed by staff are read in the restaurant's locale with Babel (`parse_amount`): in
en_US ``1,250.00`` is 1250.00 and ``2,50`` is refused as ambiguous (it reads as 250 by the
grouping rules and as 2.50 to a European hand), in de_DE ``2,50`` and ``1.250,00`` are read as
written. A plain machine amount (``2.50``) is accepted in every locale where it cannot mean
anything else. Callers pass the restaurant's settings (settings/document.py).
"""

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_datetime_format
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_group_symbol,
    parse_decimal,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from omniorder.core.errors import Invalid

DEFAULT_LOCALE = "en_US"
DEFAULT_CURRENCY = "USD"
_MACHINE_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")


def format_money(
    minor_units: int, currency: str = DEFAULT_CURRENCY, locale: str = DEFAULT_LOCALE
) -> str:
    """1100 → "$11.00" (en_US, USD), "11,00 €" (de_DE, EUR); 1200 → "￥1,200" (ja_JP, JPY)."""
    precision = get_currency_precision(currency)
    return format_currency(Decimal(int(minor_units)).scaleb(-precision), currency, locale=locale)


def format_local_time(
    moment: datetime,
    timezone: str = "UTC",
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> str:
    """A stored UTC moment as the restaurant's clock shows it, the one way every page, e-mail
    and ticket writes a time: on the restaurant's today (its time zone) the time alone, on
    another day with the weekday and date, and the year when it is not this year. The locale
    decides the words and whether the clock has 12 or 24 hours (CLDR's short time: "1:15 PM"
    in en_US, "13:15" in de_DE), so "Mon, Dec 14, 1:15 PM" and "Mo., 14. Dez., 13:15"."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    time = format_time(local, "short", locale=locale)
    if local.date() == today:
        return time
    date = format_skeleton("MMMEd" if local.year == today.year else "yMMMEd", local, locale=locale)
    return get_datetime_format("short", locale=locale).format(time, date)


def format_local_day(moment: datetime, timezone: str = "UTC", locale: str = DEFAULT_LOCALE) -> str:
    """The restaurant's local date of `moment` with its weekday: "Mon, Dec 14" (en_US)."""
    return format_skeleton("MMMEd", moment.astimezone(ZoneInfo(timezone)), locale=locale)


def _decimal_pattern(precision: int) -> str:
    return "#,##0" + ("." + "0" * precision if precision else "")


def amount_for_input(
    minor_units: int, locale: str = DEFAULT_LOCALE, currency: str = DEFAULT_CURRENCY
) -> str:
    """1250 → "12.50" (en_US) or "12,50" (de_DE): what `parse_amount` reads back."""
    precision = get_currency_precision(currency)
    return format_decimal(
        Decimal(minor_units).scaleb(-precision), format=_decimal_pattern(precision), locale=locale
    )


def parse_amount(
    text, field: str, maximum: int, locale: str = DEFAULT_LOCALE, currency: str = DEFAULT_CURRENCY
) -> int:
    """A typed amount → minor units, or `Invalid(field, …)` saying what to write instead."""
    precision = get_currency_precision(currency)
    example = amount_for_input(1250 * 10**precision // 100, locale, currency)
    such_as = _("must be an amount such as %(example)s", example=example)
    if not isinstance(text, str) or not text.strip():
        raise Invalid(field, such_as)
    text = text.strip().removeprefix(get_currency_symbol(currency, locale)).strip()
    group = get_group_symbol(locale=locale)
    if group.isspace():  # fr_FR groups with a narrow no-break space; people type a space
        text = re.sub(r"\s", group, text)
    try:
        value = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError as error:
        if not _MACHINE_AMOUNT.fullmatch(text):
            raise Invalid(field, _suggesting(such_as, error.suggestions or [])) from None
        value = Decimal(text)
    if not value.is_finite() or value < 0:
        raise Invalid(field, such_as)
    at_most = _("must be at most %(amount)s", amount=amount_for_input(maximum, locale, currency))
    if value.adjusted() > len(str(maximum)):  # 1e999999999: far above, before any arithmetic
        raise Invalid(field, at_most)
    if value.as_tuple().exponent < -precision:
        raise Invalid(
            field,
            ngettext(
                "must have at most %(num)d decimal", "must have at most %(num)d decimals", precision
            )
            if precision
            else _("must be a whole amount (this currency has no minor unit)"),
        )
    minor_units = int(value.scaleb(precision))
    if minor_units > maximum:
        raise Invalid(field, at_most)
    return minor_units


def _suggesting(message: str, suggestions: list[str]) -> str:
    """`message` with what Babel guessed was meant: "… (did you mean 12.50 or 1,250?)"."""
    if not suggestions:
        return message
    if len(suggestions) == 1:
        hint = suggestions[0]
    else:
        hint = _("%(first)s or %(second)s", first=suggestions[0], second=suggestions[1])
    return _("%(message)s (did you mean %(hint)s?)", message=message, hint=hint)
