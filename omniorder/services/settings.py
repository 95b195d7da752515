"""A restaurant's settings: one document in its schema, validated as a whole.

```json
{"timezone": "Europe/Berlin", "currency": "EUR", "locale": "de_DE",
 "tax": {"rate_bp": 1900, "inclusive": true},
 "tips": {"enabled": true, "presets_percent": [5, 10, 15]}}
```

Each top-level key has a default and one check (`SETTINGS`); a key joins the document by joining
that table (opening hours and pickup rules come next). The stored document is always complete
and valid: a change is merged into the current document (objects one level deep, so
``{"tax": {"rate_bp": 700}}`` keeps ``inclusive``), the result is checked whole, and either
all of it is saved or nothing is, with a message per bad key. The admin page, ``flask tenants
settings`` and ``PATCH /api/v1/sys/tenants/<domain>/settings`` all call `update_settings`.
"""

import copy
import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, get_decimal_symbol, list_currencies
from flask import g
from sqlalchemy import select, update

from omniorder.errors import Invalid
from omniorder.extensions import db
from omniorder.models import RestaurantSettings

MAX_TIP_PRESETS = 5


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_names() -> list[str]:
    """Every IANA time zone the `timezone` setting accepts, sorted (the settings page's list)."""
    return sorted(_time_zones())


def _key_name(key) -> str:
    """A given key as a message may name it: short, and printable even when it holds a control
    character or a lone surrogate (JSON's "\\ud800", a command line's undecodable bytes)."""
    return repr(str(key)[:40])[1:-1]


def _whole_number(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _timezone(value) -> str:
    if not isinstance(value, str) or value not in _time_zones():
        raise Invalid("timezone", "must be an IANA time zone such as Europe/Berlin")
    return value


def _currency(value) -> str:
    if not isinstance(value, str) or value not in list_currencies():
        raise Invalid("currency", "must be an ISO 4217 currency code such as EUR")
    return value


def _locale(value) -> str:
    try:
        return str(Locale.parse(value)) if isinstance(value, str) and value else _no_locale()
    except (UnknownLocaleError, ValueError, TypeError):
        return _no_locale()


def _no_locale():
    raise Invalid("locale", "must be a locale such as de_DE or en_US")


def _object(key: str, value, known: tuple[str, ...]) -> dict:
    """The problems of a settings object's keys: `Invalid` when it is not an object at all,
    else a message per unknown key (``tax.rate``), so its known keys are checked as well."""
    if not isinstance(value, dict):
        raise Invalid(key, f"must be an object with {' and '.join(known)}")
    return {
        f"{key}.{_key_name(name)}": f"is not a {key} setting ({', '.join(known)})"
        for name in value.keys() - set(known)
    }


def _tax(value) -> dict:
    problems = _object("tax", value, ("rate_bp", "inclusive"))
    if not _whole_number(value.get("rate_bp"), 0, 10_000):
        problems["tax.rate_bp"] = "must be a whole number of basis points, 0 to 10000"
    if not isinstance(value.get("inclusive"), bool):
        problems["tax.inclusive"] = "must be true (prices include tax) or false"
    if problems:
        raise Invalid(fields=problems)
    return {"rate_bp": value["rate_bp"], "inclusive": value["inclusive"]}


def _tips(value) -> dict:
    problems = _object("tips", value, ("enabled", "presets_percent"))
    if not isinstance(value.get("enabled"), bool):
        problems["tips.enabled"] = "must be true or false"
    presets = value.get("presets_percent")
    if (
        not isinstance(presets, list)
        or len(presets) > MAX_TIP_PRESETS
        or not all(_whole_number(p, 1, 100) for p in presets)
        or len(set(presets)) < len(presets)
    ):
        problems["tips.presets_percent"] = (
            f"must be a list of at most {MAX_TIP_PRESETS} different whole percentages, 1 to 100"
        )
    if problems:
        raise Invalid(fields=problems)
    return {"enabled": value["enabled"], "presets_percent": sorted(presets)}


# Every setting: its default for a new restaurant and the check that cleans a given value.
SETTINGS: dict[str, tuple[object, Callable]] = {
    "timezone": ("UTC", _timezone),
    "currency": ("USD", _currency),
    "locale": ("en_US", _locale),
    "tax": ({"rate_bp": 0, "inclusive": False}, _tax),
    "tips": ({"enabled": False, "presets_percent": [10, 15, 20]}, _tips),
}


def default_settings() -> dict:
    return {key: copy.deepcopy(default) for key, (default, _) in SETTINGS.items()}


def validate_settings(document) -> dict:
    """The complete, clean document, or `Invalid` naming every bad key (dotted paths)."""
    if not isinstance(document, dict):
        raise Invalid("settings", "must be an object")
    problems = {_key_name(key): "is not a setting" for key in document.keys() - SETTINGS.keys()}
    clean = {}
    for key, (default, check) in SETTINGS.items():
        try:
            clean[key] = check(document.get(key, copy.deepcopy(default)))
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    return clean


def merged(current: dict, change) -> dict:
    """`change` over `current`: top-level keys replaced, objects merged one level deep."""
    if not isinstance(change, dict):
        raise Invalid("settings", "must be an object")
    result = copy.deepcopy(current)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result


def current_settings() -> dict:
    """The bound restaurant's settings (defaults filled in), read once per request."""
    if "restaurant_settings" not in g:
        stored = db.session.scalar(select(RestaurantSettings.document)) or {}
        g.restaurant_settings = {**default_settings(), **stored}
    return g.restaurant_settings


def update_settings(change) -> dict:
    """Merge `change` into the bound restaurant's settings and save the whole, or nothing.

    The row is read afresh and locked (``FOR UPDATE``): two changes at the same moment (an
    operator's PATCH of ``tax``, an admin's save of ``tips``) are merged one after the other,
    so neither is lost."""
    stored = db.session.scalar(select(RestaurantSettings.document).with_for_update()) or {}
    document = validate_settings(merged({**default_settings(), **stored}, change))
    db.session.execute(update(RestaurantSettings).values(document=document))
    g.restaurant_settings = document
    return document


# What people type on the settings page. The document keeps the tax rate as whole basis points
# (hundredths of a percent: 19 % is 1900, 8.25 % is 825), so a rate typed as a percentage has
# at most 2 decimals; a finer one (New York City's 8.875 %) cannot be stored exactly and is
# refused rather than rounded behind the admin's back.
_PRESET = re.compile(r"(\d{1,3})\s*%?")


def percent_for_input(rate_bp: int, locale: str) -> str:
    """1900 → "19", 825 → "8.25" (en_US) or "8,25" (de_DE): what `rate_bp_from_percent` reads."""
    return format_decimal(Decimal(rate_bp).scaleb(-2), format="0.##", locale=locale)


def rate_bp_from_percent(text, locale: str) -> int:
    """A percentage as typed ("19", "8.25", "8,25 %" in de_DE) → basis points, or `Invalid` on
    ``tax.rate_bp``. The decimal separator is the locale's, or a dot (a machine's), as for
    amounts; "1,000" in en_US is refused, not read as 1 %."""
    example = percent_for_input(825, locale)
    separators = re.escape("." + get_decimal_symbol(locale))
    pattern = rf"(\d{{1,3}})(?:[{separators}](\d*))?\s*%?"
    found = re.fullmatch(pattern, text.strip()) if isinstance(text, str) else None
    if found is None:
        raise Invalid("tax.rate_bp", f"must be a percentage from 0 to 100, such as 19 or {example}")
    whole, decimals = found.group(1), (found.group(2) or "").rstrip("0")
    if len(decimals) > 2:
        raise Invalid(
            "tax.rate_bp",
            "can have at most 2 decimals: the rate is stored in hundredths of a percent "
            f"(basis points), so {found.group(0).strip()} cannot be kept exactly",
        )
    rate_bp = int(whole) * 100 + int(decimals.ljust(2, "0"))
    if rate_bp > 10_000:
        raise Invalid("tax.rate_bp", "must be at most 100 %")
    return rate_bp


def presets_from_text(text) -> list[int]:
    """ "10, 15, 20" (separated by commas, semicolons or spaces; % signs allowed) → [10, 15,
    20]; nothing typed → []. The settings check then decides whether they are allowed."""
    typed = text.strip() if isinstance(text, str) else ""
    found = [_PRESET.fullmatch(part) for part in re.split(r"[,;\s]+", typed)] if typed else []
    if not all(found):
        raise Invalid(
            "tips.presets_percent",
            "must be whole percentages separated by commas, such as 10, 15, 20",
        )
    return [int(preset.group(1)) for preset in found]
