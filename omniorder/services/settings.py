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
import zoneinfo
from collections.abc import Callable
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from flask import g
from sqlalchemy import select, update

from omniorder.errors import Invalid
from omniorder.extensions import db
from omniorder.models import RestaurantSettings

MAX_TIP_PRESETS = 5


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


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


def _tax(value) -> dict:
    problems = {}
    if not isinstance(value, dict) or value.keys() - {"rate_bp", "inclusive"}:
        raise Invalid("tax", "must be an object with rate_bp and inclusive")
    if not _whole_number(value.get("rate_bp"), 0, 10_000):
        problems["tax.rate_bp"] = "must be a whole number of basis points, 0 to 10000"
    if not isinstance(value.get("inclusive"), bool):
        problems["tax.inclusive"] = "must be true (prices include tax) or false"
    if problems:
        raise Invalid(fields=problems)
    return {"rate_bp": value["rate_bp"], "inclusive": value["inclusive"]}


def _tips(value) -> dict:
    problems = {}
    if not isinstance(value, dict) or value.keys() - {"enabled", "presets_percent"}:
        raise Invalid("tips", "must be an object with enabled and presets_percent")
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
    problems = {str(key)[:40]: "is not a setting" for key in document.keys() - SETTINGS.keys()}
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
    """Merge `change` into the bound restaurant's settings and save the whole, or nothing."""
    document = validate_settings(merged(current_settings(), change))
    db.session.execute(update(RestaurantSettings).values(document=document))
    g.restaurant_settings = document
    return document
