"""A restaurant's settings: one document in its schema, validated as a whole.

```json
{"timezone": "Europe/Berlin", "currency": "EUR", "locale": "de_DE",
 "tax": {"rate_bp": 1900, "inclusive": true},
 "tips": {"enabled": true, "presets_percent": [5, 10, 15]}}
```

Each top-level key has a default and one check (`SETTINGS`); a key joins the document by joining
that table (opening hours and pickup rules come next). The stored document is always complete
and valid: a change is merged into the current document (objects at every depth, so
``{"tax": {"rate_bp": 700}}`` keeps ``inclusive`` and ``{"payments": {"stripe":
{"publishable_key": …}}}`` keeps the stored secrets), the result is checked whole, and either
all of it is saved or nothing is, with a message per bad key. The admin page, ``flask tenants
settings`` and ``PATCH /api/v1/sys/tenants/<domain>/settings`` all call `update_settings`.

``payments`` holds sealed secrets (settings/payments.py): internal code reads them sealed
(`current_settings`); every outward read (a page, the CLI, an API answer, a log line) shows
`public_settings`, where they are masked.
"""

import copy
import datetime
import re
import zoneinfo
from collections.abc import Callable
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.localedata import locale_identifiers
from babel.numbers import (
    format_decimal,
    get_currency_name,
    get_decimal_symbol,
    get_territory_currencies,
    is_currency,
)
from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from omniorder.cache.changes import cached_for_request
from omniorder.core.database import db
from omniorder.core.errors import BrokenRule, Invalid
from omniorder.languages import SHIPPED
from omniorder.media.reference import check_reference
from omniorder.printing.printers import check_printers
from omniorder.settings import payments, profile
from omniorder.settings.models import RestaurantSettings
from omniorder.tenancy.bind import current_tenant

MAX_TIP_PRESETS = 5
IMAGE_KINDS = ("logo", "banner")


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
        raise Invalid("timezone", _("must be an IANA time zone such as Europe/Berlin"))
    return value


@cache
def _tender(since: datetime.date | None) -> frozenset[str]:
    """The ISO 4217 currencies that were legal tender in some territory at any time from
    `since` (None: only today) to today, as CLDR records them."""
    today = datetime.date.today()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, since or today, today, non_tender=False)
        if is_currency(code)
    )


def current_currencies() -> frozenset[str]:
    """The currencies a restaurant may choose: legal tender somewhere today (153 with Babel
    2.19), computed once per process. ``list_currencies()`` names 307: withdrawn ones too (the
    Andorran peseta, the Deutsche Mark, the Croatian kuna), funds, metals and test codes."""
    return _tender(None)


def _currency_problem(value) -> str:
    if not isinstance(value, str) or not is_currency(value):
        return _("must be an ISO 4217 currency code such as EUR")
    named = f"{value} ({get_currency_name(value, locale='en')})"
    if value in _tender(datetime.date(1800, 1, 1)):
        return _(
            "%(currency)s is no longer in use: choose a currency in use today, such as EUR",
            currency=named,
        )
    return _(
        "%(currency)s is not money a restaurant charges in: choose a currency such as EUR",
        currency=named,
    )


def _currency(value) -> str:
    if not (isinstance(value, str) and value in current_currencies()):
        raise Invalid("currency", _currency_problem(value))
    return value


def _locale(value) -> str:
    try:
        return str(Locale.parse(value)) if isinstance(value, str) and value else _no_locale()
    except (UnknownLocaleError, ValueError, TypeError):
        return _no_locale()


def _no_locale():
    raise Invalid("locale", _("must be a locale such as de_DE or en_US"))


def _object(key: str, value, known: tuple[str, ...]) -> dict:
    """The problems of a settings object's keys: `Invalid` when it is not an object at all,
    else a message per unknown key (``tax.rate``), so its known keys are checked as well."""
    if not isinstance(value, dict):
        raise Invalid(key, _("must be an object with %(keys)s", keys=" and ".join(known)))
    return {
        f"{key}.{_key_name(name)}": _(
            "is not a %(object)s setting (%(keys)s)", object=key, keys=", ".join(known)
        )
        for name in value.keys() - set(known)
    }


def _tax(value) -> dict:
    problems = _object("tax", value, ("rate_bp", "inclusive"))
    if not _whole_number(value.get("rate_bp"), 0, 10_000):
        problems["tax.rate_bp"] = _("must be a whole number of basis points, 0 to 10000")
    if not isinstance(value.get("inclusive"), bool):
        problems["tax.inclusive"] = _("must be true (prices include tax) or false")
    if problems:
        raise Invalid(fields=problems)
    return {"rate_bp": value["rate_bp"], "inclusive": value["inclusive"]}


def _tips(value) -> dict:
    problems = _object("tips", value, ("enabled", "presets_percent"))
    if not isinstance(value.get("enabled"), bool):
        problems["tips.enabled"] = _("must be true or false")
    presets = value.get("presets_percent")
    if (
        not isinstance(presets, list)
        or len(presets) > MAX_TIP_PRESETS
        or not all(_whole_number(p, 1, 100) for p in presets)
        or len(set(presets)) < len(presets)
    ):
        problems["tips.presets_percent"] = _(
            "must be a list of at most %(limit)s different whole percentages, 1 to 100",
            limit=MAX_TIP_PRESETS,
        )
    if problems:
        raise Invalid(fields=problems)
    return {"enabled": value["enabled"], "presets_percent": sorted(presets)}


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_RANGES_PER_DAY = 6
MAX_CLOSED_DATES = 400
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")


def minutes_of(time: str) -> int:
    """ "17:30" → 1050; "24:00" → 1440 (a range's end: midnight after its day)."""
    hours, minutes = time.split(":")
    return int(hours) * 60 + int(minutes)


def _range_problem(value) -> str | None:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(t, str) for t in value)):
        return _('must be a pair of times such as ["11:30", "14:30"]')
    start, end = value
    if not _TIME.fullmatch(start) or start == "24:00":
        return _(
            "starts at a time that is not HH:MM from 00:00 to 23:59 (%(time)s)",
            time=_key_name(start),
        )
    if not _TIME.fullmatch(end):
        return _(
            "ends at a time that is not HH:MM from 00:01 to 24:00 (%(time)s)", time=_key_name(end)
        )
    return None


SAME_TIME = _l("opens and closes at the same time")
OVERLAP = _l("overlaps another opening range")


def _span(opening: list[str]) -> tuple[int, int]:
    """A range as minutes from its day's midnight; one that crosses midnight ends after 1440."""
    start, end = minutes_of(opening[0]), minutes_of(opening[1])
    return start, end if end > start else end + MINUTES_PER_DAY


def _hours(value) -> dict:
    problems = _object("hours", value, DAYS)
    if problems:
        problems = {
            path: _("is not a day (mon, tue, wed, thu, fri, sat, sun)") for path in problems
        }
    clean = {}
    for day in DAYS:
        ranges = value.get(day, [])
        if not isinstance(ranges, list) or len(ranges) > MAX_RANGES_PER_DAY:
            problems[f"hours.{day}"] = _(
                "must be a list of at most %(limit)s opening ranges [start, end]",
                limit=MAX_RANGES_PER_DAY,
            )
            continue
        bad = {f"hours.{day}[{i}]": _range_problem(r) for i, r in enumerate(ranges)}
        bad = {path: message for path, message in bad.items() if message}
        problems.update(bad)
        if not bad:
            clean[day] = sorted(([start, end] for start, end in ranges), key=_span)
    if problems:
        raise Invalid(fields=problems)
    broken = _broken_hours_rules(value, clean)
    if broken:
        raise BrokenRule(fields=broken)
    return {day: clean[day] for day in DAYS if day in clean}


def _broken_hours_rules(value: dict, clean: dict) -> dict[str, str]:
    """The rules across well-formed ranges, which JSON Schema cannot state: a range opens
    and closes at different times, and no two ranges overlap (across midnight too)."""
    broken = {
        f"hours.{day}[{index}]": str(SAME_TIME)
        for day in DAYS
        for index, (start, end) in enumerate(value.get(day, []))
        if start == end
    }
    for index, day in enumerate(DAYS):
        before = DAYS[index - 1]  # Monday's "before" is Sunday: the week wraps
        if day not in clean or before not in clean:
            continue
        spill = [(0, end - MINUTES_PER_DAY) for _, end in map(_span, clean[before])]
        # (span, position in the given list); -1: the day before's range running past midnight
        spans = sorted(
            [(span, -1) for span in spill if span[1] > 0]
            + [(_span(r), i) for i, r in enumerate(value.get(day, []))]
        )
        for (earlier, _earlier_position), (later, position) in zip(spans, spans[1:], strict=False):
            if later[0] < earlier[1]:
                path = f"hours.{day}" if position < 0 else f"hours.{day}[{position}]"
                broken.setdefault(path, str(OVERLAP))
    return broken


def _closed_dates(value) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_CLOSED_DATES:
        raise Invalid(
            "closed_dates",
            _("must be a list of at most %(limit)s dates (YYYY-MM-DD)", limit=MAX_CLOSED_DATES),
        )
    problems = {}
    for index, text in enumerate(value):
        try:
            if not isinstance(text, str) or len(text) != 10:
                raise ValueError
            datetime.date.fromisoformat(text)
        except ValueError:
            problems[f"closed_dates[{index}]"] = _("must be a date such as 2026-12-25")
    if problems:
        raise Invalid(fields=problems)
    return sorted(set(value))


def _minutes_check(key: str, low: int, high: int) -> Callable:
    def check(value) -> int:
        if not _whole_number(value, low, high):
            raise Invalid(
                key, _("must be a whole number of minutes, %(low)s to %(high)s", low=low, high=high)
            )
        return value

    return check


def _max_orders_per_slot(value) -> int:
    if not _whole_number(value, 0, 10_000):
        raise Invalid("max_orders_per_slot", _("must be a whole number, 0 (no cap) to 10000"))
    return value


def parse_moment(value, field: str) -> datetime.datetime:
    """An ISO 8601 moment with its offset ("2026-11-27T12:15:00+01:00") → aware UTC datetime;
    `Invalid` on anything else, a moment without an offset included (whose clock would it be?)."""
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            field,
            _("must be a time in ISO 8601 with its offset, such as 2026-11-27T12:15:00+01:00"),
        ) from None
    if moment.utcoffset() is None:
        raise Invalid(field, _("must include its UTC offset, such as +01:00 or Z"))
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is before year 1 in UTC: well-formed
        raise BrokenRule(field, _("is out of range")) from None


# A timed pause ends at most a week ahead ("until resumed" is the longer pause) and not before
# 2000: every moment kept in the document is one every time zone can show (9999-12-31T23:59Z is
# year 10000 in Berlin, and formatting it failed on every page). The minute of slack is for
# clocks that differ: a 7-day pause set by one worker stays valid when another re-checks it.
PAUSE_DAYS = 7
_PAUSE_SLACK = datetime.timedelta(minutes=1)
_EARLIEST_PAUSE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def _pause(value) -> dict | None:
    """Online ordering paused from the board: None (taking orders), or ``{"until": ISO}``
    (resumes by itself then, at most `PAUSE_DAYS` ahead: nothing needs to run) or
    ``{"until": null}`` (until resumed)."""
    if value is None:
        return None
    problems = _object("pause", value, ("until",))
    if problems:
        raise Invalid(fields=problems)
    until = value.get("until")
    if until is None:
        return {"until": None}
    moment = parse_moment(until, "pause.until")
    latest = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=PAUSE_DAYS)
    if not _EARLIEST_PAUSE <= moment <= latest + _PAUSE_SLACK:
        raise BrokenRule(  # a well-formed moment: no schema can state "within 7 days of now"
            "pause.until",
            _(
                "must be at most %(days)s days ahead; "
                'for a longer pause use {"until": null} (until resumed)',
                days=PAUSE_DAYS,
            ),
        )
    return {"until": moment.isoformat()}


def _images(value) -> dict:
    """The restaurant's uploaded logo and banner: a photo reference each, or null
    (omniorder/media/reference.py; uploaded on the back office's Branding page)."""
    problems = _object("images", value, IMAGE_KINDS)
    clean = {}
    for kind in IMAGE_KINDS:
        try:
            clean[kind] = check_reference(value.get(kind), f"images.{kind}")
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    return clean


def _languages(value) -> list[str]:
    """The restaurant's languages, its default first: distinct shipped language codes."""
    if (
        not isinstance(value, list)
        or not value
        or any(code not in SHIPPED for code in value)
        or len(set(value)) != len(value)
    ):
        raise Invalid(
            "languages",
            _(
                "must be a list of distinct languages, the default first, from %(languages)s",
                languages=", ".join(SHIPPED),
            ),
        )
    return list(value)


def language_of_locale(locale: str) -> list[str]:
    """The `languages` a restaurant has until it sets them: its locale's language when
    OmniOrder ships it (de_AT → ["de"]), else English."""
    language = str(locale).split("_")[0].lower()
    return [language if language in SHIPPED else "en"]


def _published(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid("published", _("must be true (taking orders) or false (opening soon)"))
    return value


# The setup checklist's items whose default may be right for a restaurant (UTC, open around
# the clock, no tax added): the owner can say so instead of changing them
# (omniorder/platform/setup.py).
CONFIRMABLE_SETUP_ITEMS = ("region", "hours", "tax")


def _setup_confirmed(value) -> list:
    if not isinstance(value, list) or not all(
        isinstance(key, str) and key in CONFIRMABLE_SETUP_ITEMS for key in value
    ):
        raise Invalid(
            "setup_confirmed",
            _(
                "must be a list of checklist items among %(items)s",
                items=", ".join(CONFIRMABLE_SETUP_ITEMS),
            ),
        )
    return sorted(set(value))


def _flag(key: str, meaning: str) -> Callable:
    def check(value) -> bool:
        if not isinstance(value, bool):
            raise Invalid(key, _("must be true (%(meaning)s) or false", meaning=meaning))
        return value

    return check


# The kitchen board's keys (a bump bar sends them as a keyboard): action → one key, as a
# browser names it (KeyboardEvent.key). Digits 1–9 always select the nth ticket of the focused
# column, so no action may take one.
KITCHEN_KEY_ACTIONS = {
    "bump": "Enter",
    "recall": "r",
    "undo": "u",
    "sold_out": "s",
    "help": "?",
    "previous_ticket": "ArrowUp",
    "next_ticket": "ArrowDown",
    "previous_column": "ArrowLeft",
    "next_column": "ArrowRight",
}
NAMED_KEYS = frozenset(
    ["Enter", "Backspace", "Delete", "Insert", "Home", "End", "PageUp", "PageDown", " "]
    + ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]
    + [f"F{number}" for number in range(1, 13)]
)
# One character a key can type: not a digit 1-9 (they select tickets), NUL (which no JSONB
# document holds) or half a surrogate pair, as the OpenAPI document's KitchenKey states.
_TYPED_KEY = re.compile("[^1-9\x00\ud800-\udfff]")


def _kitchen_key(value) -> str | None:
    """One key as stored (a letter in lower case: the board matches letters in either case),
    or None when it is not a single key the board can take."""
    if not isinstance(value, str):
        return None
    if value in NAMED_KEYS:
        return value
    if _TYPED_KEY.fullmatch(value):
        lower = value.lower()
        return lower if len(lower) == 1 else value  # "İ" lowers to two characters
    return None


def _kitchen_keys(value) -> dict:
    """One key per action; a key given to two actions (each well-formed) is a `BrokenRule`."""
    problems = _object("kitchen_keys", value, tuple(KITCHEN_KEY_ACTIONS))
    clean, taken, twice = {}, {}, {}
    for action in KITCHEN_KEY_ACTIONS:
        key = _kitchen_key(value.get(action))
        if key is None:
            problems[f"kitchen_keys.{action}"] = _(
                "must be one key: a character other than the digits 1-9 (they select tickets), "
                "or one of Enter, the arrows, Home, End, PageUp, PageDown, Insert, Delete, "
                "Backspace, F1-F12"
            )
        elif key in taken:
            twice[f"kitchen_keys.{action}"] = _(
                "is already the key of %(action)s", action=taken[key]
            )
        else:
            clean[action], taken[key] = key, action
    if problems:
        raise Invalid(fields={**problems, **twice})
    if twice:
        raise BrokenRule(fields=twice)
    return clean


def _readable(stored: dict) -> dict:
    """The stored document with the defaults filled in. A timed pause the check now refuses
    (stored before the pause had its bound) is read as what it meant: one that has ended
    (before 2000) as none, one far ahead ("until 9999-12-31") as paused until resumed, which
    every page can show and the board's Resume (or the API's ``"pause": null``) ends."""
    document = {**default_settings(), **stored}
    if "languages" not in stored:
        document["languages"] = language_of_locale(document["locale"])
    pause = document["pause"]
    if pause is not None and not _pause_in_bounds(pause):
        moment = _moment(pause.get("until")) if isinstance(pause, dict) else None
        ended = moment is not None and moment < _EARLIEST_PAUSE
        document["pause"] = None if ended else {"until": None}
    return document


def _moment(value) -> datetime.datetime | None:
    """`parse_moment` without its messages, None for what it refuses: `_readable` runs while
    the request's language is being chosen from these very settings, so it may not translate."""
    try:
        if not isinstance(value, str) or len(value) > 40:
            return None
        moment = datetime.datetime.fromisoformat(value)
        return moment.astimezone(datetime.UTC) if moment.utcoffset() is not None else None
    except (ValueError, OverflowError):
        return None


def _pause_in_bounds(pause) -> bool:
    """Whether `_pause` accepts a stored, non-null pause (asked without building a message)."""
    if not isinstance(pause, dict) or pause.keys() - {"until"}:
        return False
    if pause.get("until") is None:
        return True
    moment = _moment(pause["until"])
    latest = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=PAUSE_DAYS)
    return moment is not None and _EARLIEST_PAUSE <= moment <= latest + _PAUSE_SLACK


# Every setting: its default for a new restaurant and the check that cleans a given value.
SETTINGS: dict[str, tuple[object, Callable]] = {
    "timezone": ("UTC", _timezone),
    "currency": ("USD", _currency),
    "locale": ("en_US", _locale),
    # The languages the storefront offers, the default first; until set, the locale's language.
    "languages": (["en"], _languages),
    "tax": ({"rate_bp": 0, "inclusive": False}, _tax),
    "tips": ({"enabled": False, "presets_percent": [10, 15, 20]}, _tips),
    # Open all day, every day: restaurants from before opening hours keep taking orders.
    "hours": ({day: [["00:00", "24:00"]] for day in DAYS}, _hours),
    "closed_dates": ([], _closed_dates),
    "prep_minutes": (15, _minutes_check("prep_minutes", 0, 24 * 60)),
    "slot_minutes": (15, _minutes_check("slot_minutes", 5, 24 * 60)),
    "max_orders_per_slot": (0, _max_orders_per_slot),
    "pause": (None, _pause),
    # Online card payments (off: pay at the counter) and the restaurant's Stripe keys.
    "payments": (payments.DEFAULT_PAYMENTS, payments.check_payments),
    "images": ({kind: None for kind in IMAGE_KINDS}, _images),
    # Who the restaurant is: description, address, phone, links, legal name and VAT ID.
    "profile": (profile.DEFAULT_PROFILE, profile.check_profile),
    # Taking orders (true) or "Opening soon" while its setup checklist is not done
    # (omniorder/platform/setup.py). True by default: restaurants from before it, and those an
    # operator provisions, are open; a self-service sign-up stores false.
    "published": (True, _published),
    # Checklist items the owner confirmed as right although they hold the default.
    "setup_confirmed": ([], _setup_confirmed),
    # Kitchen ticket printers (omniorder/printing/printers.py): none until the restaurant adds one.
    "printers": ([], check_printers),
    # The board's keys and bump bar (omniorder/kitchen/board.py, static/app.js).
    "kitchen_keys": (KITCHEN_KEY_ACTIONS, _kitchen_keys),
    # An expo bumps every order (true); false: an order whose lines every station has done is
    # done by itself.
    "expo": (True, _flag("expo", _l("an expo bumps each order"))),
    # The pickup screen shows first names beside the numbers (false: numbers only).
    "pickup_screen_names": (False, _flag("pickup_screen_names", _l("first names are shown"))),
}

# Settings whose check also reads the stored value (`check(value, stored_value)`): a stored
# secret may be kept as it is, but no client may send a sealed form of its own.
CHECKED_AGAINST_STORED = frozenset({"payments"})

# Paths a change replaces whole, never merges into: a sealed secret is one value, and so is
# a photo reference.
_REPLACED_WHOLE = frozenset(
    [("payments", "stripe", name) for name in payments.SECRET_FIELDS]
    + [("images", kind) for kind in IMAGE_KINDS]
)


# Settings whose allowed values shrink with time (ISO 4217 withdraws currencies): the value a
# restaurant holds already stays until it is changed, so its pages render and its other
# settings save; only a new value must be allowed today.
KEPT_WHILE_UNCHANGED = frozenset({"currency"})


def accepted_values() -> dict[str, list[str]]:
    """What the `timezone`, `currency`, `locale` and `profile.address.country` settings accept
    as a new value, sorted:
    the enums the OpenAPI document states. A locale is also accepted in another letter case
    (``de_de``) or as Babel can parse it (``zh_TW``), and stored as Babel writes it; a
    restaurant's currency withdrawn after it was chosen stays until it is changed."""
    return {
        "timezone": time_zone_names(),
        "currency": sorted(current_currencies()),
        "locale": sorted(locale_identifiers()),
        "country": ["", *profile.country_codes()],  # "": no country set
    }


def default_settings() -> dict:
    return {key: copy.deepcopy(default) for key, (default, _) in SETTINGS.items()}


def validate_settings(document, stored: dict | None = None) -> dict:
    """The complete, clean document, or `Invalid` naming every bad key (dotted paths): a
    `BrokenRule` (422) when every value is well-formed and only a rule across them is broken
    (opening ranges that overlap). `stored`: the restaurant's current document, whose values
    of `KEPT_WHILE_UNCHANGED` are accepted as they are."""
    if not isinstance(document, dict):
        raise Invalid("settings", _("must be an object"))
    problems = {_key_name(key): _("is not a setting") for key in document.keys() - SETTINGS.keys()}
    malformed = bool(problems)
    clean = {}
    for key, (default, check) in SETTINGS.items():
        value = document.get(key, copy.deepcopy(default))
        if key == "languages" and key not in document:
            value = language_of_locale(document.get("locale", "en_US"))
        if key in KEPT_WHILE_UNCHANGED and stored is not None and value == stored.get(key):
            clean[key] = value
            continue
        try:
            if key in CHECKED_AGAINST_STORED:
                clean[key] = check(value, (stored or {}).get(key))
            else:
                clean[key] = check(value)
        except Invalid as error:
            problems.update(error.fields)
            malformed = malformed or not isinstance(error, BrokenRule)
    if problems:
        raise (Invalid if malformed else BrokenRule)(fields=problems)
    return clean


def merged(current: dict, change) -> dict:
    """`change` over `current`: an object merged into an object at any depth (but a sealed
    secret, `_REPLACED_WHOLE`), anything else replaced."""
    if not isinstance(change, dict):
        raise Invalid("settings", _("must be an object"))
    result = _merged(current, change, ())
    if (
        "locale" in change
        and "languages" not in change
        and current.get("languages") == language_of_locale(current.get("locale", "en_US"))
    ):  # languages never chosen follow the locale (en_US → de_DE: ["de"])
        result["languages"] = language_of_locale(result["locale"])
    return result


def _merged(current: dict, change: dict, path: tuple) -> dict:
    result = copy.deepcopy(current)
    for key, value in change.items():
        inner = (*path, key)
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            if inner not in _REPLACED_WHOLE:
                value = _merged(result[key], value, inner)
        result[key] = value
    return result


def public_settings(document: dict) -> dict:
    """The settings as every outward read shows them (the admin page, ``flask tenants
    settings``, the system API, an export, a log line): the payment secrets masked as
    ``{"set": true, "last4": "abcd"}``. Internal code keeps reading `current_settings`."""
    return {**document, "payments": payments.public_payments(document.get("payments"))}


def current_settings() -> dict:
    """The bound restaurant's settings (defaults filled in), read once per request (from this
    worker's memory on a read while its change feed listens: tenancy/changes.py)."""
    if "restaurant_settings" not in g:
        g.restaurant_settings = cached_for_request(
            current_tenant().schema_name,
            "menu",
            "settings",
            read_settings,
            lambda document: len(repr(document)) + 200,
        )
    return g.restaurant_settings


def read_settings() -> dict:
    """The bound restaurant's settings from the database (defaults filled in)."""
    return _readable(db.session.scalar(select(RestaurantSettings.document)) or {})


def use_settings(document: dict) -> None:
    """Make `document` the request's settings: a checkout has read them with the prices and
    checked their version in its INSERT, so the rest of the request needs no second read."""
    g.restaurant_settings = document


def update_settings(change) -> dict:
    """Merge `change` into the bound restaurant's settings and save the whole, or nothing.

    The row is read afresh and locked (``FOR UPDATE``): two changes at the same moment (an
    operator's PATCH of ``tax``, an admin's save of ``tips``) are merged one after the other,
    so neither is lost."""
    stored = _readable(
        db.session.scalar(select(RestaurantSettings.document).with_for_update()) or {}
    )
    document = validate_settings(merged(stored, change), stored)
    db.session.execute(update(RestaurantSettings).values(document=document))
    if document["payments"] != stored["payments"]:
        payments.mark_secret_holder(
            current_tenant().schema_name, payments.holds_secrets(document["payments"])
        )
    g.restaurant_settings = document
    return document


def reseal_secrets() -> int:
    """Seal the bound restaurant's secrets again with the first key of
    OMNIORDER_ENCRYPTION_KEYS (``flask tenants rotate-secrets``), in the caller's transaction;
    how many. `SecretUnreadable` when one cannot be read with any key (nothing is saved)."""
    tenant = current_tenant()
    stored = _readable(
        db.session.scalar(select(RestaurantSettings.document).with_for_update()) or {}
    )
    resealed, count = payments.resealed(stored["payments"], tenant.domain)
    if count:
        db.session.execute(
            update(RestaurantSettings).values(document={**stored, "payments": resealed})
        )
        g.restaurant_settings = {**stored, "payments": resealed}
    payments.mark_secret_holder(tenant.schema_name, count > 0)
    return count


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
        raise Invalid(
            "tax.rate_bp",
            _("must be a percentage from 0 to 100, such as 19 or %(example)s", example=example),
        )
    whole, decimals = found.group(1), (found.group(2) or "").rstrip("0")
    if len(decimals) > 2:
        raise Invalid(
            "tax.rate_bp",
            _(
                "can have at most 2 decimals: the rate is stored in hundredths of a percent "
                "(basis points), so %(rate)s cannot be kept exactly",
                rate=found.group(0).strip(),
            ),
        )
    rate_bp = int(whole) * 100 + int(decimals.ljust(2, "0"))
    if rate_bp > 10_000:
        raise Invalid("tax.rate_bp", _("must be at most 100 %"))
    return rate_bp


def presets_from_text(text) -> list[int]:
    """ "10, 15, 20" (separated by commas, semicolons or spaces; % signs allowed) → [10, 15,
    20]; nothing typed → []. The settings check then decides whether they are allowed."""
    typed = text.strip() if isinstance(text, str) else ""
    found = [_PRESET.fullmatch(part) for part in re.split(r"[,;\s]+", typed)] if typed else []
    if not all(found):
        raise Invalid(
            "tips.presets_percent",
            _("must be whole percentages separated by commas, such as 10, 15, 20"),
        )
    return [int(preset.group(1)) for preset in found]


# Opening hours as the settings page's weekly table types them. A browser's time input says
# "00:00" to "23:59" and cannot say "24:00", so a range CLOSING at 00:00 means midnight at the
# end of its day ("24:00"): 17:00–00:00 is the evening until midnight, 00:00–00:00 the whole day.
_TYPED_TIME = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_TYPED_NUMBER = re.compile(r"[0-9]{1,9}")


def time_for_input(time: str) -> str:
    """A stored opening time as a time input shows it: "24:00" → "00:00"."""
    return "00:00" if time == "24:00" else time


def range_from_inputs(opens, closes) -> list[str] | None:
    """One row of the weekly table → ``["17:00", "24:00"]``; None when both are empty (no
    range); `Invalid` (no field: the caller knows the row's path) when only one is given or
    a value is not a time. Seconds a browser may add ("17:00:00") are dropped."""
    opens = opens.strip() if isinstance(opens, str) else ""
    closes = closes.strip() if isinstance(closes, str) else ""
    if not opens and not closes:
        return None
    if not opens or not closes:
        raise Invalid("", _("needs both an opening and a closing time"))
    if not (_TYPED_TIME.fullmatch(opens) and _TYPED_TIME.fullmatch(closes)):
        raise Invalid("", _("must be times such as 11:30 (HH:MM)"))
    opens, closes = opens[:5], closes[:5]
    return [opens, "24:00" if closes == "00:00" else closes]


def dates_from_text(text) -> list[str]:
    """Closed dates typed one per line or separated by commas → ["2026-12-25", …] as typed;
    the settings check then reads each one (and sorts them)."""
    typed = text.strip() if isinstance(text, str) else ""
    return [part for part in re.split(r"[,;\s]+", typed) if part] if typed else []


def minutes_from_text(text, key: str) -> int:
    """A whole number typed on the page ("15") → 15; `Invalid` on `key` for anything else
    (the settings check then decides whether the number is allowed)."""
    typed = text.strip() if isinstance(text, str) else ""
    if not _TYPED_NUMBER.fullmatch(typed):
        raise Invalid(key, _("must be a whole number, such as 15"))
    return int(typed)
