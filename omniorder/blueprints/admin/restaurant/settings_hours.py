"""The service-control part of the settings page: the weekly opening-hours table, closed
dates and the pickup rules (preparation time, slot length, cap per slot).

The table has one row per weekday and a few "opens"/"closes" pairs per row; a row's filled
pairs become that day's ranges, in the table's order, so the settings check's messages about
``hours.mon[1]`` (the day's second range) are shown at the pair that range came from. A
browser's time input cannot say 24:00: a closing time of 00:00 means midnight at the end of
the day (settings/document.py, `range_from_inputs`).

A row's "Closed" box closes the day whatever times it still holds (so closing a day for a
while keeps its times on the page until they are cleared); a row with no times is closed too.
"Copy Monday to all weekdays" (`copy_monday`), "Add a range" and a range's "Remove"
(`remove_range`) change only what the page shows:
nothing is saved until "Save settings", through the same settings check.
"""

import re

from babel import Locale
from flask_babel import gettext as _

from omniorder.core.errors import Invalid
from omniorder.settings.document import (
    DAYS,
    MAX_RANGES_PER_DAY,
    dates_from_text,
    minutes_from_text,
    range_from_inputs,
    time_for_input,
    validate_settings,
)

MIN_COLUMNS = 3  # pairs shown per day; more when a day already has more ranges
WEEKDAYS = DAYS[1:5]  # what "Copy Monday to all weekdays" fills: Tuesday to Friday
PICKUP_KEYS = ("prep_minutes", "slot_minutes", "max_orders_per_slot")
_DAY_PATH = re.compile(rf"hours\.({'|'.join(DAYS)})(?:\[(\d+)\])?")


def weekday_names(locale: str) -> dict[str, str]:
    """mon → "Monday" ("Montag" in de_DE): Babel's wide weekday names, Monday first."""
    wide = Locale.parse(locale).days["format"]["wide"]
    return {day: wide[index] for index, day in enumerate(DAYS)}


def field_name(day: str, row: int, end: str = "opens") -> str:
    return f"{day}_{row}_{end}"


def closed_field(day: str) -> str:
    return f"{day}_closed"


def load_hours(document: dict) -> dict:
    data = {closed_field(day): not document["hours"].get(day) for day in DAYS}
    for day, ranges in document["hours"].items():
        for row, (opens, closes) in enumerate(ranges):
            data[field_name(day, row)] = opens
            data[field_name(day, row, "closes")] = time_for_input(closes)
    return data


def _typed(form, day: str, row: int) -> tuple:
    return form[field_name(day, row)].data, form[field_name(day, row, "closes")].data


def change_hours(form, locale: str) -> dict:
    """The days' ranges, from each row's filled pairs. Which pair each range came from is kept
    on the form (`rows`) for `locate_hours`."""
    form.rows = {}
    hours, problems = {}, {}
    for day in DAYS:
        filled = [row for row in range(MAX_RANGES_PER_DAY) if any(_typed(form, day, row))]
        if form[closed_field(day)].data:
            filled = []
        form.rows[day] = filled
        hours[day] = []
        for position, row in enumerate(filled):
            try:
                hours[day].append(range_from_inputs(*_typed(form, day, row)))
            except Invalid as error:
                problems[f"hours.{day}[{position}]"] = "; ".join(error.fields.values())
    if problems:  # the days typed well are still checked, so every problem shows at once
        raise Invalid(fields={**_problems_of(hours, problems), **problems})
    return {"hours": hours}


def _problems_of(hours: dict, bad: dict[str, str]) -> dict[str, str]:
    """The settings check's problems with the days whose every pair could be read."""
    readable = {
        day: ranges
        for day, ranges in hours.items()
        if not any(path.startswith(f"hours.{day}[") for path in bad)
    }
    try:
        validate_settings({"hours": readable})
    except Invalid as error:
        return error.fields
    return {}


def locate_hours(form, path: str) -> str | None:
    """The field that shows the message about `path` (``hours.tue[1]`` → the opening time of
    the pair Tuesday's second range came from; ``hours.tue`` → Tuesday's first pair)."""
    if path == "hours":
        return field_name(DAYS[0], 0)
    found = _DAY_PATH.fullmatch(path)
    if found is None:
        return None
    day, position = found.group(1), found.group(2)
    rows = getattr(form, "rows", {}).get(day, [])
    row = 0 if position is None else int(position)
    return field_name(day, rows[row] if row < len(rows) else 0)


def _show(field, value) -> None:
    """Set what a field shows (its posted text too, which an input prefers to `data`)."""
    field.data = value
    field.raw_data = [value] if isinstance(value, str) else (["y"] if value else [])


def copy_monday(form) -> None:
    """Tuesday to Friday show Monday's row as typed: its times and its "Closed" box."""
    for day in WEEKDAYS:
        _show(form[closed_field(day)], bool(form[closed_field(DAYS[0])].data))
        for row in range(MAX_RANGES_PER_DAY):
            for end in ("opens", "closes"):
                _show(form[field_name(day, row, end)], form[field_name(DAYS[0], row, end)].data)


def remove_range(form, action: str) -> str | None:
    """Empty the pair a "Remove" button names (``remove:tue:1``); the day's name of it, or
    None when the button names no pair of the table."""
    _, _, where = action.partition(":")
    day, _, row = where.partition(":")
    if day not in DAYS or row not in {str(n) for n in range(MAX_RANGES_PER_DAY)}:
        return None
    for end in ("opens", "closes"):
        _show(form[field_name(day, int(row), end)], "")
    return day


def columns(form, more: int = 0) -> int:
    """Pairs to show per day: at least `MIN_COLUMNS`, every pair that holds a time, and `more`
    empty ones asked for by "Add a range" (at most the settings' limit)."""
    used = [
        row + 1
        for day in DAYS
        for row in range(MAX_RANGES_PER_DAY)
        if any(value for value in _typed(form, day, row))
    ]
    return min(max([MIN_COLUMNS, *used]) + more, MAX_RANGES_PER_DAY)


def label_hours(form, locale: str) -> None:
    """Labels in the restaurant's language for the weekday ("Monday, range 2, closes")."""
    for day, name in weekday_names(locale).items():
        form[closed_field(day)].label.text = _("Closed on %(day)s", day=name)
        for row in range(MAX_RANGES_PER_DAY):
            form[field_name(day, row)].label.text = _(
                "%(day)s, range %(number)s, opens", day=name, number=row + 1
            )
            form[field_name(day, row, "closes")].label.text = _(
                "%(day)s, range %(number)s, closes", day=name, number=row + 1
            )


def load_closures(document: dict) -> dict:
    return {"closed_dates": "\n".join(document["closed_dates"])}


def change_closures(form, locale: str) -> dict:
    return {"closed_dates": dates_from_text(form.closed_dates.data)}


def locate_closures(form, path: str) -> str | None:
    return "closed_dates" if path.startswith("closed_dates") else None


def load_pickup(document: dict) -> dict:
    return {key: str(document[key]) for key in PICKUP_KEYS}


def change_pickup(form, locale: str) -> dict:
    change, problems = {}, {}
    for key in PICKUP_KEYS:
        try:
            change[key] = minutes_from_text(form[key].data, key)
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    return change
