"""The language of each request, for Flask-Babel's gettext and for every template.

A customer page (storefront, checkout, tracking, the login pages, the JSON API) is served in the
best of the restaurant's `languages` for the request (`choice.choose_language`); a staff page
(board, back office) in the staff member's own language, else the restaurant's default; a page
without a restaurant (the platform's sign-up) in the best shipped language. A response whose
words were chosen so says ``Vary: Accept-Language, Cookie``; ``?lang=xx`` is remembered in the
``lang`` cookie.

Dates and times take their words from the served language and their region from the
restaurant's `locale` (`display_locale`: ``fr`` in a ``de_DE`` restaurant writes French month
names); money keeps the restaurant's locale, so a price reads the same in every language."""

from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from omniorder.languages import NATIVE_NAMES, SHIPPED, SOURCE_LANGUAGE
from omniorder.languages.choice import (
    COOKIE,
    COOKIE_SECONDS,
    choose_language,
    offered,
    text_direction,
)

# Blueprints whose pages are the staff's: served in the staff member's language.
STAFF_BLUEPRINTS = frozenset({"kitchen", "admin"})
# The system API and the platform's own endpoints: an operator's, not a restaurant's.
OPERATOR_BLUEPRINTS = frozenset({"sysapi", "platform"})


def restaurant_languages() -> list[str]:
    """The bound restaurant's languages, its default first; every shipped one without a
    restaurant (the platform's pages)."""
    if g.get("tenant") is None:
        return list(SHIPPED)
    from omniorder.settings.document import current_settings

    return current_settings()["languages"]


def served_language(settings: dict | None = None) -> str:
    """The language of this request (decided once), or of the job's `force_locale`.
    `settings`: the restaurant's, when the caller holds them already (a checkout priced with
    them), so deciding reads nothing more."""
    if not has_request_context():
        locale = get_locale()
        return locale.language if locale else SOURCE_LANGUAGE
    if "language" not in g:
        try:
            g.language = _decide(settings)
        except SQLAlchemyError:  # the error page of a database outage: English, the source
            g.language = SOURCE_LANGUAGE
    return g.language


def _decide(settings: dict | None = None) -> str:
    if request.blueprint in OPERATOR_BLUEPRINTS:  # operators: English unless they ask
        g.offered_languages = ()
        return choose_language(SHIPPED, None, None, request.headers.get("Accept-Language"))
    held = settings["languages"] if settings is not None and g.get("tenant") else None
    languages = g.offered_languages = held or restaurant_languages()
    if request.blueprint in STAFF_BLUEPRINTS and current_user.is_authenticated:
        own = getattr(current_user, "language", None)
        return own if own in SHIPPED else languages[0]
    return choose_language(
        languages,
        request.args.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("Accept-Language"),
        g.get("order_language"),
    )


def serve_in_order_language(order) -> None:
    """An order's pages (tracking, receipt) speak the language it was placed in, unless the
    customer picked one; call before anything is rendered."""
    g.order_language = order.language
    g.pop("language", None)


def display_locale(language: str, restaurant_locale: str) -> str:
    """The Babel locale that writes dates in `language` for the restaurant's region:
    de + de_DE → de_DE, en + de_DE → en_DE, fr + de_DE → fr (CLDR has no fr_DE)."""
    restaurant = Locale.parse(restaurant_locale)
    if restaurant.language == language:
        return str(restaurant)
    try:
        return str(Locale(language, restaurant.territory))
    except (UnknownLocaleError, ValueError, TypeError):
        return language


def time_locale(settings: dict) -> str:
    """The locale that writes a time for the person reading now: the served language's words
    for the restaurant's region (`display_locale`)."""
    return display_locale(served_language(settings), settings["locale"])


def language_links() -> list[dict]:
    """The storefront's language switcher: one link per restaurant language (none when it
    has only one), this page with ``?lang=xx``."""
    languages = restaurant_languages()
    if len(languages) < 2:
        return []
    current = served_language()
    arguments = request.args.to_dict()
    links = []
    for code in languages:
        arguments["lang"] = code
        query = urlencode(arguments)
        links.append(
            {
                "code": code,
                "name": NATIVE_NAMES[code],
                "href": f"{request.path}?{query}",
                "current": code == current,
            }
        )
    return links


def remember_language(response):
    """Say what the words depended on (``Vary``), and keep a ``?lang`` choice in its cookie."""
    if "language" not in g:
        return response
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    asked = offered(request.args.get("lang"), g.get("offered_languages", ()))
    if asked and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE,
            asked,
            max_age=COOKIE_SECONDS,
            samesite="Lax",
            secure=request.is_secure,
            httponly=True,
        )
    return response


def _locale_selector() -> str | None:
    """Flask-Babel's selector: the request's language; None (its default, English) in a job,
    which names its own with `force_locale`."""
    return served_language() if has_request_context() else None


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_locale_selector)
    app.after_request(remember_language)
    app.add_template_global(served_language)
    app.add_template_global(lambda: text_direction(served_language()), "text_direction")
    app.add_template_global(language_links)
