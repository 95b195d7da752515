"""The menu in the restaurant's other languages: its texts per language, and who sees which.

The default language's text stays in ``name`` (and ``description``); each of the others is in
``name_i18n`` (``description_i18n``), ``{"de": "Käsespätzle"}``. A customer sees the text of
the language they are served, else the default's (a missing translation never hides an item);
an order keeps the names as its customer saw them. The kitchen reads a line in its own
language, with the customer's words beside it when they differ, so the cook and the customer
calling out "the Käsespätzle" mean the same dish.
"""

import uuid
from dataclasses import dataclass

from flask import g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import select

from omniorder.cache.changes import cached_for_request
from omniorder.core.database import db
from omniorder.core.errors import Invalid
from omniorder.core.text_input import clean_line, clean_text
from omniorder.languages import NATIVE_NAMES, SHIPPED
from omniorder.languages.choice import COOKIE, choose_language
from omniorder.menu.models import MenuItem
from omniorder.settings.document import current_settings
from omniorder.tenancy.bind import current_tenant

NAME_LIMIT = 100  # as menu/catalog.MAX_TEXT
DESCRIPTION_LIMIT = 1000


# ------------------------------------------------------------------------------ reading


def in_language(default: str | None, translations: dict | None, language: str) -> str | None:
    """`default` in `language`: its translation when there is one, else `default`."""
    return (translations or {}).get(language) or default


def localized_groups(groups: list, language: str) -> list:
    """A menu row's option groups (catalog.read_menu's JSON) with `name` in `language`; the
    translations stay beside it (``name_i18n``)."""
    return [
        {
            **group,
            "name": in_language(group["name"], group.get("name_i18n"), language),
            "options": [
                {**option, "name": in_language(option["name"], option.get("name_i18n"), language)}
                for option in group["options"]
            ],
        }
        for group in groups
    ]


@dataclass(frozen=True)
class LocalizedItem:
    """A row of catalog.read_menu with its name, description and option groups in one language
    (the storefront's sections hold these): it reads as the row (`item.price`, `item.photo`)."""

    row: object
    name: str
    description: str | None
    option_groups: list

    def __getattr__(self, attribute):
        if attribute == "row":  # not set yet (a copy being made): no recursion
            raise AttributeError(attribute)
        return getattr(self.row, attribute)


class NamedIn:
    """A menu row (an item, a group, an option) that reads as itself with its `name` in one
    language: the cart's lines, which the customer reads in theirs."""

    def __init__(self, row, language: str):
        self.row = row
        self.name = in_language(row.name, getattr(row, "name_i18n", None), language)

    def __getattr__(self, attribute):
        if attribute == "row":
            raise AttributeError(attribute)
        return getattr(self.row, attribute)


def localized_item(row, language: str) -> LocalizedItem:
    return LocalizedItem(
        row,
        in_language(row.name, row.name_i18n, language),
        in_language(row.description, row.description_i18n, language),
        localized_groups(row.option_groups, language),
    )


def customer_language(languages: list[str]) -> str:
    """The request's language among `languages` (the restaurant's, read with the menu or the
    prices), decided as `serving.served_language` decides it, without a second read of the
    settings; outside a request, the default."""
    if not has_request_context():
        return languages[0]
    if "language" in g:
        return g.language if g.language in languages else languages[0]
    return choose_language(
        languages,
        request.args.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("Accept-Language"),
    )


# ------------------------------------------------------------------------------ orders


def localized_snapshot(line: dict, item, chosen: list, language: str) -> dict:
    """An order line (pricing.priced_line) with its names as the customer read them: the
    item's, each option's and its group's in `language` (the price list's rows carry the
    translations)."""
    return {
        **line,
        "name": in_language(item.name, item.name_i18n, language),
        "options": [
            {
                **snapshot,
                "group": in_language(choice.group.name, choice.group.name_i18n, language),
                "name": in_language(choice.option.name, choice.option.name_i18n, language),
            }
            for snapshot, choice in zip(line["options"], chosen, strict=True)
        ],
    }


def menu_names() -> dict:
    """Every item's name and translations by id (rows: id, name, name_i18n), for the kitchen's
    lines: from this worker's memory while its change feed listens (no statement on a warm
    poll), else one statement, read once per request."""
    if "menu_names" not in g:
        g.menu_names = cached_for_request(
            current_tenant().schema_name,
            "menu",
            "names",
            _read_names,
            lambda names: 200 + 120 * len(names),
        )
    return g.menu_names


def _read_names() -> dict:
    rows = db.session.execute(select(MenuItem.id, MenuItem.name, MenuItem.name_i18n))
    return {row.id: row for row in rows}


def kitchen_line_name(line: dict, language: str, items: dict | None = None) -> str:
    """A snapshot line's name for the kitchen: the item's name in `language` (the staff
    member's on the board, the restaurant's default on a ticket), with what the customer read
    in brackets when it differs: ``Cheese noodles (Käsespätzle)``. The item's texts come from
    `items` (rows with id, name, name_i18n: a checkout's price list) or `menu_names`; a line
    whose item has left the menu shows the customer's text alone."""
    ordered = line.get("name") or ""
    kitchen = kitchen_item_name(line, language, items)
    return kitchen if kitchen == ordered else f"{kitchen} ({ordered})"


def kitchen_item_name(line: dict, language: str, items: dict | None = None) -> str:
    """A snapshot line's item named in `language` alone (the board's "all day" counts: one
    dish, whichever language it was ordered in); as ordered when it has left the menu."""
    items = menu_names() if items is None else items
    item = items.get(_uuid(line.get("menu_item_id")))
    if item is None:
        return line.get("name") or ""
    return in_language(item.name, item.name_i18n, language)


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# ------------------------------------------------------------------------------ writing


def clean_translations(value, field: str, limit: int, multiline: bool = False) -> dict:
    """``{language: text}`` as a document or a form gives it: each key a shipped language
    code, each text as the default's rules (one line of at most `limit` characters; an item's
    description may hold line breaks)."""
    if not isinstance(value, dict):
        raise Invalid(field, _('must be an object such as {"de": "…"}'))
    clean = {}
    for language, text in value.items():
        if language not in SHIPPED:
            raise Invalid(
                field,
                _(
                    "%(language)s is not a language code (one of %(codes)s)",
                    language=str(language)[:20],
                    codes=", ".join(SHIPPED),
                ),
            )
        inner = f"{field}.{language}"
        if not isinstance(text, str):
            raise Invalid(inner, _("must be text"))
        clean_one = clean_text if multiline else clean_line
        cleaned = clean_one(inner, text, limit=limit)
        if cleaned is None:
            raise Invalid(inner, _("must not be empty"))
        clean[language] = cleaned
    return clean


def posted_translations(form, description: bool = True) -> dict:
    """What the back office's translations fieldsets (`admin/_translations.html`) posted:
    ``{"name_i18n": {"de": "…", "fr": ""}, …}`` for the languages the form showed (the
    restaurant's but its default); a key the form did not have is left out, so a restaurant
    with one language changes no translation."""
    keys = ("name_i18n", "description_i18n") if description else ("name_i18n",)
    languages = current_settings()["languages"][1:]
    posted = {
        key: {
            language: form[f"{key}.{language}"]
            for language in languages
            if f"{key}.{language}" in form
        }
        for key in keys
    }
    return {key: texts for key, texts in posted.items() if texts}


def clean_posted(posted: dict, key: str) -> dict:
    """`posted_translations`' texts of `key` checked (`clean_translations`), an empty one as
    None: the form cleared that language's text."""
    limit = DESCRIPTION_LIMIT if key == "description_i18n" else NAME_LIMIT
    given = {language: text for language, text in posted.items() if (text or "").strip()}
    cleared = dict.fromkeys(language for language in posted if language not in given)
    return {**cleared, **clean_translations(given, key, limit, key == "description_i18n")}


def merged_translations(stored: dict | None, cleaned: dict) -> dict:
    """`stored` with the languages of `cleaned` (`clean_posted`) replaced or, None, removed; a
    language the form did not show (no longer one of the restaurant's) keeps its text."""
    kept = {language: text for language, text in (stored or {}).items() if language not in cleaned}
    return {**kept, **{language: text for language, text in cleaned.items() if text}}


def translation_fieldsets(row, description: bool = False) -> list[dict]:
    """What `admin/_translations.html` shows: one fieldset per restaurant language but the
    default, with the texts `row` (an item or a category; None for a new item) has."""
    names = getattr(row, "name_i18n", None) or {}
    descriptions = getattr(row, "description_i18n", None) or {}
    return [
        {
            "code": language,
            "name": NATIVE_NAMES[language],
            "text": names.get(language, ""),
            "description": descriptions.get(language, "") if description else None,
        }
        for language in current_settings()["languages"][1:]
    ]
