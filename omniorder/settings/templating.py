"""What every template may use: the bound restaurant with its theme, and the two filters that
turn stored values into what a person reads in that restaurant, `money` (minor units → its
currency in its locale) and `local_time` (UTC → its time zone and locale: the time alone on
its today, with the weekday and date on another day; money.format_local_time)."""

import datetime

from flask import Flask, g

from omniorder.core.money import format_local_time, format_money
from omniorder.settings.document import current_settings, default_settings
from omniorder.settings.theme import page_theme


def _settings() -> dict:
    return current_settings() if g.get("tenant") is not None else default_settings()


def money(minor_units, currency: str | None = None) -> str:
    """`currency`: an order's own (its snapshot); else the restaurant's."""
    settings = _settings()
    return format_money(minor_units, currency or settings["currency"], settings["locale"])


def local_time(moment) -> str:
    settings = _settings()
    now = datetime.datetime.now(datetime.UTC)
    return format_local_time(moment, settings["timezone"], settings["locale"], now)


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local_time)

    @app.context_processor
    def tenant_and_theme():
        return page_theme(g.get("tenant"))
