"""A time as a person of en_US, en_DE or de_DE reads it on a page, written out by hand (not with the
formatter under test): the time alone on the restaurant's today, else with the weekday and
date (and the year when it is not this year); 12 hours in en_US, 24 in en_DE and de_DE."""

import datetime

NNBSP = "\u202f"  # CLDR's en_US puts a narrow no-break space before AM/PM
EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DE_DAYS = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")
DE_MONTHS = (
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."
)  # fmt: skip


def local_day(local: datetime.date, locale: str = "en_US", year: bool = False) -> str:
    """ "Thu, Dec 10" (en_US), "Thu, 10 Dec" (en_DE: English words for Germany) or
    "Do., 10. Dez." (de_DE); with the year when `year`."""
    if locale == "en_US":
        day = f"{EN_DAYS[local.weekday()]}, {EN_MONTHS[local.month - 1]} {local.day}"
        return day + (f", {local.year}" if year else "")
    if locale == "en_DE":
        day = f"{EN_DAYS[local.weekday()]}, {local.day} {EN_MONTHS[local.month - 1]}"
        return day + (f" {local.year}" if year else "")
    day = f"{DE_DAYS[local.weekday()]}, {local.day}. {DE_MONTHS[local.month - 1]}"
    return day + (f" {local.year}" if year else "")


def shown(local: datetime.datetime, locale: str = "en_US", today: datetime.date | None = None):
    """How `local` (a moment in the restaurant's zone) reads on `today` (default: its own day,
    so the time alone)."""
    if locale == "en_US":
        half = "PM" if local.hour >= 12 else "AM"
        time = f"{(local.hour - 1) % 12 + 1}:{local.minute:02}{NNBSP}{half}"
    else:
        time = f"{local.hour:02}:{local.minute:02}"
    if today is None or local.date() == today:
        return time
    return f"{local_day(local.date(), locale, local.year != today.year)}, {time}"


# One zone for each whole-hour offset from UTC-10 to UTC+14 (DST shifts some by an hour).
ZONES_AROUND_THE_WORLD = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
    "Atlantic/South_Georgia", "Atlantic/Azores", "UTC", "Europe/Berlin", "Europe/Athens",
    "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Brisbane", "Pacific/Noumea", "Pacific/Auckland",
    "Pacific/Tongatapu", "Pacific/Kiritimati",
)  # fmt: skip


def zone_at_midday() -> str:
    """A time zone where it is now around noon: a restaurant there open all day has many of
    today's slots left, whenever the test runs (at 23:50 UTC, UTC has none)."""
    from zoneinfo import ZoneInfo

    now = datetime.datetime.now(datetime.UTC)

    def distance_from_noon(zone: str) -> float:
        local = now.astimezone(ZoneInfo(zone))
        return abs(local.hour + local.minute / 60 - 12)

    return min(ZONES_AROUND_THE_WORLD, key=distance_from_noon)
