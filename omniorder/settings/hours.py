"""Opening hours: is the restaurant open at a moment, and when does it open next.

Pure functions of (settings, an aware moment): the clock is the caller's, so they are tested
with fixed moments and no database. Each opening range belongs to the local date it starts on
(``["17:00", "02:00"]`` on Friday runs into Saturday night) and is turned into a UTC interval
through the restaurant's time zone on that date, so a daylight-saving change is counted once:
a range on the spring-forward night is an hour shorter, one on the fall-back night an hour
longer, and a time the clock skips (02:30 on the spring-forward morning in Berlin) means the
moment the clock shows 03:30. A closed date closes the ranges that start on it; a range that
started the evening before still runs to its end.
"""

import datetime
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from flask_babel import gettext as _

from omniorder.core.errors import Closed
from omniorder.core.money import format_local_time
from omniorder.settings.document import DAYS, minutes_of

# How far ahead `next_opening` looks: a year of closed dates plus a week of hours.
HORIZON_DAYS = 400


def _local_moment(day: datetime.date, minutes: int, zone: ZoneInfo) -> datetime.datetime:
    """`minutes` after the local midnight starting `day` (1440 and more: a later day)."""
    day = day + datetime.timedelta(days=minutes // (24 * 60))
    minutes %= 24 * 60
    wall = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
    # fold=0: a skipped wall time is read with the offset before the change (02:30 → 03:30)
    return wall.replace(tzinfo=zone).astimezone(datetime.UTC)


def opening_ranges(
    settings: dict, day: datetime.date
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """The UTC intervals [opens, closes) of the ranges that start on local date `day`."""
    if day.isoformat() in settings["closed_dates"]:
        return
    zone = ZoneInfo(settings["timezone"])
    for start, end in settings["hours"].get(DAYS[day.weekday()], []):
        start_minutes, end_minutes = minutes_of(start), minutes_of(end)
        if end_minutes <= start_minutes:
            end_minutes += 24 * 60  # crosses midnight: closes on the next day
        opens = _local_moment(day, start_minutes, zone)
        closes = _local_moment(day, end_minutes, zone)
        if closes > opens:
            yield opens, closes


def _local_date(settings: dict, at: datetime.datetime) -> datetime.date:
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware moment (UTC)")
    return at.astimezone(ZoneInfo(settings["timezone"])).date()


def is_open(settings: dict, at: datetime.datetime) -> bool:
    """Whether `at` falls in an opening range (of its local date or the evening before)."""
    today = _local_date(settings, at)
    return any(
        opens <= at < closes
        for day in (today - datetime.timedelta(days=1), today)
        for opens, closes in opening_ranges(settings, day)
    )


def next_opening(settings: dict, at: datetime.datetime) -> datetime.datetime | None:
    """The first moment at or after `at` when the restaurant is open (`at` itself when it is
    open), in UTC; None when no range opens within `HORIZON_DAYS`."""
    today = _local_date(settings, at)
    for offset in range(-1, HORIZON_DAYS):
        day = today + datetime.timedelta(days=offset)
        for opens, closes in sorted(opening_ranges(settings, day)):
            if closes > at:
                return max(opens, at).astimezone(datetime.UTC)
    return None


def closed_notice(settings: dict, at: datetime.datetime, locale: str | None = None) -> str | None:
    """None when open at `at`; else what the storefront shows: "Closed · opens 5:30 PM" (today)
    or "Closed · opens Tue, Dec 8, 11:30 AM", in the restaurant's time zone and `locale`
    (a request passes languages.serving.time_locale; default: the restaurant's locale)."""
    if is_open(settings, at):
        return None
    opens = next_opening(settings, at)
    if opens is None:
        return _("Closed")
    when = format_local_time(opens, settings["timezone"], locale or settings["locale"], at)
    return _("Closed · opens %(time)s", time=when)


# Open at least this long ahead without a break: the storefront says "Open now", no closing time.
AROUND_THE_CLOCK = datetime.timedelta(days=7)
ONE_DAY = datetime.timedelta(days=1)


def closes_at(settings: dict, at: datetime.datetime) -> datetime.datetime | None:
    """When the opening that `at` falls in ends, ranges that touch (Monday until 24:00, Tuesday
    from 00:00) counted as one; None when closed at `at`, or when open for `AROUND_THE_CLOCK`."""
    today = _local_date(settings, at)
    ranges = sorted(
        interval
        for offset in range(-1, AROUND_THE_CLOCK.days + 2)
        for interval in opening_ranges(settings, today + datetime.timedelta(days=offset))
    )
    end = None
    for opens, closes in ranges:
        if end is None:
            end = closes if opens <= at < closes else None
        elif opens <= end:
            end = max(end, closes)
        else:
            break
    return end if end is not None and end - at < AROUND_THE_CLOCK else None


def _when(
    moment: datetime.datetime, settings: dict, at: datetime.datetime, locale: str, alone=False
) -> str:
    """A moment ahead as the header says it: the time alone on the same local day or when
    `alone` ("10:00 PM"; a closing time after midnight, "2:00 AM"), with the weekday within the
    week ("Tue, 11:00 AM"), else with the date ("Tue, Dec 8, 11:00 AM")."""
    zone = ZoneInfo(settings["timezone"])
    local = moment.astimezone(zone)
    time = format_time(local, "short", locale=locale)
    same_day = local.date() == at.astimezone(zone).date()
    if same_day or alone:
        return time
    if moment - at < datetime.timedelta(days=6):
        weekday = format_date(local, "EEE", locale=locale)
        return get_datetime_format("short", locale=locale).format(time, weekday)
    return format_local_time(moment, settings["timezone"], locale, at)


def opening_status(
    settings: dict, at: datetime.datetime, locale: str | None = None
) -> tuple[bool, str]:
    """Whether the restaurant is open at `at`, and what the storefront's header says about it
    in its time zone and `locale` (a request passes languages.serving.time_locale; default:
    the restaurant's locale): "Open now · closes 10:00 PM", "Open now" (no break within a
    week), "Closed · opens 11:00 AM" (later today), "Closed · opens Tue, 11:00 AM", "Closed"
    (nothing opens within `HORIZON_DAYS`). Closed dates count; a pause does not (the kitchen
    is open, it takes no online orders: the storefront says so on its own)."""
    locale = locale or settings["locale"]
    if is_open(settings, at):
        closes = closes_at(settings, at)
        return (
            True,
            _("Open now")
            if closes is None
            else _(
                "Open now · closes %(time)s",
                time=_when(closes, settings, at, locale, closes - at <= ONE_DAY),
            ),
        )
    opens = next_opening(settings, at)
    if opens is None:
        return False, _("Closed")
    return False, _("Closed · opens %(time)s", time=_when(opens, settings, at, locale))


def ensure_open(settings: dict, at: datetime.datetime, locale: str | None = None) -> None:
    """`Closed` (409, with `opens_at`) unless the restaurant takes orders for now at `at`."""
    notice = closed_notice(settings, at, locale)
    if notice is None:
        return
    opens = next_opening(settings, at)
    raise Closed(
        _("%(notice)s; orders for now are taken while the restaurant is open.", notice=notice),
        opens.astimezone(ZoneInfo(settings["timezone"])).isoformat() if opens else None,
    )
