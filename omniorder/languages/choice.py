"""Which of a restaurant's languages a request is served in: a pure function of the request's
parts, so the answers before Flask (web/shortcuts.py) and Flask's own locale selector decide
alike.

In order: ``?lang=xx`` (the storefront's switcher; remembered in the ``lang`` cookie), the
``lang`` cookie, the best match of ``Accept-Language`` (``de-AT`` matches ``de``), else the
restaurant's default (the first of its ``languages``). A language the restaurant does not offer
is never chosen, whatever the request asks."""

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from omniorder.languages import RIGHT_TO_LEFT

COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600


def offered(value: str | None, languages) -> str | None:
    """`value` when it names one of `languages` (any letter case, ``pt-BR`` → ``pt``)."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower().replace("_", "-").split("-")[0]
    return value if value in languages else None


def choose_language(
    languages,
    asked: str | None,
    cookie: str | None,
    accept_language: str | None,
    placed_in: str | None = None,
) -> str:
    """The language to serve among `languages` (the restaurant's, default first);
    `placed_in`: an order's own language, for its tracking page and receipt (after a choice
    the customer made, before what the browser says)."""
    chosen = (
        offered(asked, languages) or offered(cookie, languages) or offered(placed_in, languages)
    )
    if chosen:
        return chosen
    if accept_language:
        # By the browser's order of preference, each tag by its language: fr-CH (q=1) picks
        # fr over de (q=0.5), where an exact-tag match first would pick de.
        for tag, _quality in parse_accept_header(accept_language, LanguageAccept):
            chosen = offered(tag, languages)
            if chosen:
                return chosen
    return languages[0]


def text_direction(language: str) -> str:
    """``rtl`` for Arabic (the `<html dir>` and the mirrored layout), else ``ltr``."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"
