"""Prices typed by staff are read by the restaurant's locale rules; ambiguity is refused."""

import pytest

from omniorder.core.errors import Invalid
from omniorder.core.money import amount_for_input, format_local_time, format_money, parse_amount
from tests.support.staff import signed_in
from tests.support.storefront import menu

MAX = 10_000_00


@pytest.mark.parametrize(
    "typed, locale, expected",
    [
        ("2.50", "en_US", 250),
        ("1,250.00", "en_US", 125000),
        ("$12.50", "en_US", 1250),
        ("9", "en_US", 900),
        ("2,50", "de_DE", 250),
        ("1.250,00", "de_DE", 125000),
        ("2.50", "de_DE", 250),
        ("1 250,00", "fr_FR", 125000),
        (" 0.5 ", "en_US", 50),
    ],
)
def test_amounts_are_read_as_the_locale_writes_them(typed, locale, expected):
    assert parse_amount(typed, "price", MAX, locale) == expected


@pytest.mark.parametrize(
    "typed, locale, hint",
    [
        ("2,50", "en_US", "did you mean"),
        ("1.250,00", "en_US", "did you mean"),
        ("12.345", "en_US", "at most 2 decimals"),
        ("-1", "en_US", "such as 12.50"),
        ("abc", "en_US", "such as 12.50"),
        ("NaN", "en_US", "such as 12.50"),
        ("10,000.01", "en_US", "at most 10,000.00"),
        ("", "en_US", "such as 12.50"),
        ("12,5", "de_DE", None),
        ("1,250.00", "de_DE", "such as 12,50"),
    ],
)
def test_ambiguous_or_bad_amounts_are_refused_with_a_hint(typed, locale, hint):
    if hint is None:  # control: a valid German amount
        assert parse_amount(typed, "price", MAX, locale) == 1250
        return
    with pytest.raises(Invalid) as refused:
        parse_amount(typed, "price", MAX, locale)
    assert hint in refused.value.fields["price"]


def test_a_currency_without_minor_units():
    assert parse_amount("1,200", "price", MAX, "ja_JP", "JPY") == 1200
    with pytest.raises(Invalid, match="whole amount"):
        parse_amount("12.5", "price", MAX, "ja_JP", "JPY")
    assert amount_for_input(1200, "ja_JP", "JPY") == "1,200"


def test_the_back_office_refuses_a_comma_decimal_in_en_us(app, make_tenant):
    """`2,50` used to be stored as 250.00 (the comma was stripped)."""
    tenant = make_tenant()
    manager = signed_in(app, tenant, "manager")
    response = manager.post("/admin/items/new", {"name": "Espresso", "price": "2,50"})
    assert response.status_code == 400
    assert "did you mean" in response.text
    assert "Espresso" not in menu(app, tenant)
    assert (
        manager.post("/admin/items/new", {"name": "Espresso", "price": "1,250.00"}).status_code
        == 303
    )
    assert menu(app, tenant)["Espresso"].price == 125000


@pytest.mark.parametrize(
    "minor_units, currency, locale, shown",
    [
        (1100, "EUR", "de_DE", "11,00\xa0€"),
        (1100, "USD", "en_US", "$11.00"),
        (123456, "USD", "en_US", "$1,234.56"),
        (5, "USD", "en_US", "$0.05"),
        (1200, "JPY", "ja_JP", "￥1,200"),
        (123456, "EUR", "de_DE", "1.234,56\xa0€"),
    ],
)
def test_money_is_shown_in_the_restaurants_currency_and_locale(
    minor_units, currency, locale, shown
):
    assert format_money(minor_units, currency, locale) == shown


def test_times_are_shown_on_the_restaurants_clock():
    import datetime as dt

    noon_utc = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    same_day = dt.datetime(2026, 7, 1, 20, 0, tzinfo=dt.UTC)
    assert format_local_time(noon_utc, "Europe/Berlin", "de_DE", same_day) == "14:00"
    assert format_local_time(noon_utc, "America/New_York", "en_US", same_day) == "8:00\u202fAM"
    # The restaurant's today: 23:30 UTC on July 1 is already July 2 in Berlin.
    next_day = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    assert format_local_time(noon_utc, "Europe/Berlin", "de_DE", next_day) == "Mi., 1. Juli, 14:00"
    assert format_local_time(noon_utc, "America/New_York", "en_US", next_day) == "8:00\u202fAM"
    winter = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)  # daylight saving is the zone's
    assert format_local_time(winter, "Europe/Berlin", "de_DE", noon_utc) == "Do., 15. Jan., 13:00"
    other_year = dt.datetime(2027, 1, 4, 17, 0, tzinfo=dt.UTC)
    assert format_local_time(other_year, "America/New_York", "en_US", noon_utc) == (
        "Mon, Jan 4, 2027, 12:00\u202fPM"
    )
    assert format_local_time(other_year, "Asia/Tokyo", "ja_JP", noon_utc) == "2027年1月5日(火) 2:00"
