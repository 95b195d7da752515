"""Reading and keeping a restaurant's menu (the bound tenant's).

Two staff members may change the menu at the same moment (a sold-out tap on the tablet while
the manager deletes the item). Every change therefore locks the row it changes before reading
it (``FOR UPDATE``), and a new item locks its category against deletion (``FOR SHARE``): the
second change waits for the first to commit, then finds the row gone (404), the category gone
(400) or the category no longer empty (409), instead of failing inside its flush (a 500).
Option groups and options follow the same rule (menu/options.py): attaching a group locks
the item first, changing a group or its options locks the group.

`read_menu` is the one read of the menu that the storefront, the cart, the kitchen panel,
the back office and ``GET /api/v1/menu`` share: every item with its allergens and its option
groups and options in rank order, and the restaurant's currency, in ONE statement.
"""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlparse

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal_column, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by

from omniorder.cache.changes import cached_for_request, change_feed
from omniorder.core.database import db, get_or_404, reads_only
from omniorder.core.errors import Invalid, NotFound, check_fields
from omniorder.core.money import amount_for_input, parse_amount
from omniorder.core.text_input import clean_line, clean_text
from omniorder.languages.serving import served_language
from omniorder.media.photos import discard_photo, photo_json
from omniorder.menu.models import Category, ItemOptionGroup, MenuItem, Option, OptionGroup
from omniorder.menu.translations import (
    clean_posted,
    customer_language,
    in_language,
    localized_item,
    merged_translations,
)
from omniorder.settings.document import current_settings, default_settings, language_of_locale
from omniorder.settings.models import RestaurantSettings
from omniorder.tenancy.bind import current_tenant, read_connection

MAX_PRICE_CENTS = 10_000_00
MAX_TEXT = {"name": 100, "description": 1000, "image_url": 2000, "station": 40, "photo_alt": 200}
KEEP = object()  # a category's station when the caller does not change it
TRANSLATED = {"name_i18n", "description_i18n"}  # an item's texts in the other languages

# The 14 allergens EU law (Regulation 1169/2011, Annex II) requires a menu to declare, in the
# order the menu shows them. Stored as these words; shown as text, never as colour alone.
ALLERGENS = (
    "celery",
    "gluten",
    "crustaceans",
    "eggs",
    "fish",
    "lupin",
    "milk",
    "molluscs",
    "mustard",
    "nuts",
    "peanuts",
    "sesame",
    "soya",
    "sulphites",
)
# How each allergen reads on a page, in the page's language.
ALLERGEN_LABELS = {
    "celery": _l("Celery"),
    "gluten": _l("Gluten"),
    "crustaceans": _l("Crustaceans"),
    "eggs": _l("Eggs"),
    "fish": _l("Fish"),
    "lupin": _l("Lupin"),
    "milk": _l("Milk"),
    "molluscs": _l("Molluscs"),
    "mustard": _l("Mustard"),
    "nuts": _l("Nuts"),
    "peanuts": _l("Peanuts"),
    "sesame": _l("Sesame"),
    "soya": _l("Soya"),
    "sulphites": _l("Sulphites"),
}


# The names of an item's and a category's fields as the owner reads them (an item's refused
# save, the import's preview), in the page's language.
FIELD_LABELS = {
    "name": _l("name"),
    "description": _l("description"),
    "price": _l("price"),
    "is_available": _l("available"),
    "image_url": _l("image URL"),
    "allergens": _l("allergens"),
    "option_groups": _l("option groups"),
    "photo": _l("photo"),
    "photo_alt": _l("photo description"),
    "station": _l("station"),
    "category_id": _l("category"),
}


def field_label(field: str) -> str:
    """A field's name as a page shows it (an unknown key as it is, "_" as a space)."""
    return str(FIELD_LABELS.get(field, field.replace("_", " ")))


def _json_list(element, *order_by):
    """A JSON array of `element` in `order_by` order; [] (not NULL) when there is none."""
    return func.coalesce(
        func.json_agg(aggregate_order_by(element, *order_by)), literal_column("'[]'::json")
    )


_option = Option.__table__
_group = OptionGroup.__table__
_link = ItemOptionGroup.__table__
_item = MenuItem.__table__
_OPTIONS_OF_GROUP = (
    select(
        _json_list(
            func.json_build_object(
                "id", _option.c.id,
                "name", _option.c.name,
                "name_i18n", _option.c.name_i18n,
                "price_delta", _option.c.price_delta,
                "is_available", _option.c.is_available,
            ),
            _option.c.rank, _option.c.name, _option.c.id,
        )
    )
    .where(_option.c.group_id == _group.c.id)
    .scalar_subquery()
)  # fmt: skip
_GROUPS_OF_ITEM = (
    select(
        _json_list(
            func.json_build_object(
                "id", _group.c.id,
                "name", _group.c.name,
                "name_i18n", _group.c.name_i18n,
                "min", _group.c.min_choices,
                "max", _group.c.max_choices,
                "options", _OPTIONS_OF_GROUP,
            ),
            _link.c.rank, _group.c.name, _group.c.id,
        )
    )
    .select_from(_link.join(_group, _group.c.id == _link.c.group_id))
    .where(_link.c.menu_item_id == _item.c.id)
    .scalar_subquery()
)  # fmt: skip
# One row: the currency of the settings document (its default when the key is missing), and
# what its languages are read from (`_languages`).
_RESTAURANT = select(
    func.coalesce(
        select(RestaurantSettings.document["currency"].astext).scalar_subquery(),
        default_settings()["currency"],
    ).label("currency"),
    select(RestaurantSettings.document["languages"]).scalar_subquery().label("languages"),
    select(RestaurantSettings.document["locale"].astext).scalar_subquery().label("locale"),
).subquery("restaurant")
_category = Category.__table__
# Every item in the board's order (its category's rank, uncategorised last, then its own rank)
# with its option groups as JSON and the restaurant's currency. The FULL JOIN ON true with the
# one-row settings side keeps the currency when the menu is empty (one row whose item columns
# are all NULL), so even that answer is one statement.
MENU_STATEMENT = (
    select(
        _item,
        _GROUPS_OF_ITEM.label("option_groups"),
        _RESTAURANT.c.currency,
        _RESTAURANT.c.languages.label("restaurant_languages"),
        _RESTAURANT.c.locale.label("restaurant_locale"),
    )
    .select_from(
        _item.outerjoin(_category, _category.c.id == _item.c.category_id).join(
            _RESTAURANT, true(), full=True
        )
    )
    .order_by(
        _category.c.rank.nulls_last(),
        _category.c.name,
        _category.c.id,
        _item.c.rank,
        _item.c.name,
        _item.c.id,
    )
)


@dataclass(frozen=True)
class MenuView:
    """The bound restaurant's menu as customers and scripts see it.

    `items`: rows with the item's columns (id, category_id, name, name_i18n, description,
    description_i18n, price, image_url, is_available, allergens, photo, photo_alt) and
    `option_groups`: ``[{"id", "name", "name_i18n", "min", "max", "options": [{"id", "name",
    "name_i18n", "price_delta", "is_available"}]}]`` in rank order (ids as text); `languages`:
    the restaurant's, its default first (read with the menu, so the API needs no second
    statement to know which to answer in)."""

    currency: str
    items: list
    languages: list[str]


def read_menu() -> MenuView:
    """The whole menu in one statement through a Core connection (no ORM identity map or
    session: half the menu endpoint's cost)."""
    with read_connection() as connection:
        rows = connection.execute(MENU_STATEMENT).all()
    if not rows:
        return MenuView(default_settings()["currency"], [], _languages(None, None))
    first = rows[0]
    languages = _languages(first.restaurant_languages, first.restaurant_locale)
    return MenuView(first.currency, [row for row in rows if row.id is not None], languages)


def _languages(stored, locale: str | None) -> list[str]:
    """The settings' `languages` as settings/document.py reads them (until set, the locale's)."""
    if isinstance(stored, list) and stored:
        return stored
    return language_of_locale(locale or default_settings()["locale"])


def menu_items():
    """Every item of the tenant in the board's order (`MENU_STATEMENT`), with allergens and
    option groups."""
    return read_menu().items


def menu_as_json(menu: MenuView, language: str) -> dict:
    """The menu API's document (the Menu schema of omniorder/blueprints/openapi.yaml): names
    and descriptions in `language` (else the default's), every translation beside them."""
    items = []
    for row in menu.items:
        item = localized_item(row, language)
        items.append(
            {
                "id": str(item.id),
                "category_id": str(item.category_id) if item.category_id else None,
                "name": item.name,
                "name_i18n": row.name_i18n,
                "description": item.description,
                "description_i18n": row.description_i18n,
                "price": item.price,
                "image_url": item.image_url,
                "photo": photo_json(item.photo, item.photo_alt or item.name),
                "is_available": item.is_available,
                "allergens": list(item.allergens),
                "option_groups": item.option_groups,
            }
        )
    return {"currency": menu.currency, "items": items}


def menu_api_body() -> tuple[bytes, str]:
    """The menu API's JSON body in the request's language and its ETag (a digest of the body,
    so every worker gives a menu the same one). Served from this worker's memory while its
    change feed listens, one value per language: a warm request issues no statement
    (tenancy/changes.py). Without the feed, the one statement that reads the menu also reads
    the languages to choose from."""

    def body_of(menu: MenuView, language: str):
        body = (current_app.json.dumps(menu_as_json(menu, language)) + "\n").encode()
        return body, hashlib.blake2b(body, digest_size=16).hexdigest()

    feed = change_feed()
    if feed is None or not feed.healthy or not reads_only():
        menu = read_menu()
        return body_of(menu, customer_language(menu.languages))
    language = served_language()
    return cached_for_request(
        current_tenant().schema_name,
        "menu",
        f"api:{language}",
        lambda: body_of(read_menu(), language),
        lambda value: len(value[0]) + 200,
    )


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.rank, Category.name)))


def menu_by_category() -> list[tuple[str, list[MenuItem]]]:
    """(category name, items in rank order) in rank order; uncategorised items come last; the
    names and descriptions in the request's language. The storefront's sections: from memory
    while the change feed listens, one value per language, as the menu API."""
    language = served_language()
    return cached_for_request(
        current_tenant().schema_name,
        "menu",
        f"sections:{language}",
        lambda: _menu_by_category(language),
        lambda sections: len(repr(sections)) + 200,
    )


def item_on_menu(item_id) -> MenuItem:
    """One item of the storefront's sections (from memory, as the menu page reads them), for
    its own page and the item sheet; `NotFound` when the bound restaurant does not sell it."""
    for _name, items in menu_by_category():
        for item in items:
            if item.id == item_id:
                return item
    raise NotFound(_("No such item on this menu."))


def allergens_on_menu(sections) -> list[str]:
    """The allergens some item of `sections` declares, in `ALLERGENS` order: the storefront's
    "Without …" filters offer only those that would hide something."""
    present = {name for _, items in sections for item in items for name in item.allergens or ()}
    return [name for name in ALLERGENS if name in present]


MAX_SEARCH = 100


@dataclass(frozen=True)
class MenuFilter:
    """What a customer searched for: words every item shown contains (in its name or
    description) and allergens it must not declare. The storefront filters as they type with
    JavaScript; without it the same form is sent (``?q=…&without=…``) and filtered here."""

    words: tuple[str, ...] = ()
    without: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, text: str | None, without: list[str]) -> "MenuFilter":
        words = tuple((text or "")[:MAX_SEARCH].casefold().split())
        return cls(words, tuple(name for name in ALLERGENS if name in without))

    def __bool__(self) -> bool:
        return bool(self.words or self.without)

    def shows(self, item) -> bool:
        text = f"{item.name} {item.description or ''}".casefold()
        return all(word in text for word in self.words) and not set(self.without) & set(
            item.allergens or ()
        )

    def applied(self, sections) -> list:
        """`sections` with only the items shown, and without the sections left empty."""
        kept = [(name, [item for item in items if self.shows(item)]) for name, items in sections]
        return [(name, items) for name, items in kept if items]


def _menu_by_category(language: str) -> list[tuple[str, list[MenuItem]]]:
    ordered = categories()
    by_category: dict = {category.id: [] for category in ordered}
    uncategorised = []
    for item in menu_items():
        by_category.get(item.category_id, uncategorised).append(localized_item(item, language))
    sections = [
        (in_language(category.name, category.name_i18n, language), by_category[category.id])
        for category in ordered
        if by_category[category.id]
    ]
    if uncategorised:
        sections.append((_("More"), uncategorised))
    return sections


def parse_typed_amount(text, field: str) -> int:
    """An amount staff typed (a price, an option's extra charge) in the bound restaurant's
    locale and currency → minor units, at most `MAX_PRICE_CENTS`."""
    settings = current_settings()
    return parse_amount(text, field, MAX_PRICE_CENTS, settings["locale"], settings["currency"])


def amount_as_typed(minor_units: int) -> str:
    """What `parse_typed_amount` reads back: a form's value in the restaurant's locale."""
    settings = current_settings()
    return amount_for_input(minor_units, settings["locale"], settings["currency"])


def clean_allergens(value, field: str = "allergens") -> list[str]:
    """Allergen names from `ALLERGENS` (a list; duplicates dropped), in the menu's order."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(name, str) for name in value):
        raise Invalid(field, _('must be a list of allergens such as ["gluten", "milk"]'))
    unknown = [name for name in value if name not in ALLERGENS]
    if unknown:
        shown = unknown[0].encode("utf-8", "backslashreplace").decode()[:40]
        raise Invalid(
            field,
            _(
                "%(name)s is not one of the 14 EU allergens (%(allergens)s)",
                name=repr(shown),
                allergens=", ".join(ALLERGENS),
            ),
        )
    return [name for name in ALLERGENS if name in value]


def clean_name(value, field: str = "name") -> str:
    """A category's, item's, option group's or option's name: one line (text_input)."""
    return clean_line(field, value, limit=MAX_TEXT["name"], required=True)


def clean_description(value) -> str | None:
    """An item's description: text that may hold line breaks, and no control character (a
    no-break space, an emoji newer than Python's Unicode tables are fine)."""
    return clean_text(
        "description", value if isinstance(value, str) else None, limit=MAX_TEXT["description"]
    )


def clean_image_url(value) -> str | None:
    url = clean_line("image_url", value, limit=MAX_TEXT["image_url"])
    if url is None:
        return None
    try:
        parsed = urlparse(url)
    except ValueError:  # "http://[": not an address urlparse can read
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid("image_url", _("must be an http:// or https:// address"))
    return url


def category(category_id, lock=None) -> Category:
    return get_or_404(Category, category_id, _("No such category."), lock)


def menu_item(item_id, lock=None) -> MenuItem:
    return get_or_404(MenuItem, item_id, _("No such menu item."), lock)


def clean_station(value) -> str | None:
    """The kitchen station a category's items go to (Grill, Cold, Bar…): the restaurant's
    own word, at most 40 characters, trimmed; empty means none. The board matches it without
    regard to case (kitchen.station_ticket). One line: it is a label on the board's picker."""
    return clean_line("station", value, limit=MAX_TEXT["station"])


def _category_fields(name, station, name_i18n=None) -> dict:
    """Name, station and translations checked together, so a form hears of every problem at
    once."""
    checks = {"name": lambda: clean_name(name)}
    if station is not KEEP:
        checks["station"] = lambda: clean_station(station)
    if name_i18n is not None:
        checks["name_i18n"] = lambda: clean_posted(name_i18n, "name_i18n")
    return check_fields(checks)


def create_category(name, station=None) -> Category:
    clean = _category_fields(name, station)
    rank = db.session.scalar(select(func.coalesce(func.max(Category.rank) + 1, 0)))
    created = Category(name=clean["name"], station=clean["station"], rank=rank)
    db.session.add(created)
    db.session.flush()
    return created


def rename_category(category_id, name, station=KEEP, name_i18n: dict | None = None) -> Category:
    """Change a category's name and, unless `station` is `KEEP`, its station ("" for none);
    `name_i18n`: the translations a form posted (translations.posted_translations), or None."""
    found = category(category_id, lock=True)
    clean = _category_fields(name, station, name_i18n)
    found.name = clean["name"]
    if "station" in clean:
        found.station = clean["station"]
    if "name_i18n" in clean:
        found.name_i18n = merged_translations(found.name_i18n, clean["name_i18n"])
    db.session.flush()
    return found


def move_category(category_id, step: int) -> None:
    """Swap a category with its neighbour above (-1) or below (+1); ranks become 0..n-1."""
    ordered = list(
        db.session.scalars(
            select(Category).order_by(Category.rank, Category.name).with_for_update()
        )
    )
    if not any(str(each.id) == str(category_id) for each in ordered):
        raise NotFound(_("No such category."))
    move_in_order(ordered, next(c.id for c in ordered if str(c.id) == str(category_id)), step)


def move_in_order(siblings: list, row_id, step: int, key=lambda row: row.id) -> None:
    """Swap a row (category, an item's option group, option) with its neighbour above (-1)
    or below (+1) among `siblings`, locked and in their current order, the row found by
    `key` (its id); ranks become 0..n-1."""
    index = next(i for i, row in enumerate(siblings) if key(row) == row_id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for rank, row in enumerate(siblings):
        row.rank = rank
    db.session.flush()


def _item_fields(fields: dict) -> dict:
    """The item's columns from a form's `fields`; its translations (``name_i18n``,
    ``description_i18n``, as translations.posted_translations gives them) only when posted."""
    translated = {
        key: lambda key=key: clean_posted(fields[key], key)
        for key in TRANSLATED
        if fields.get(key) is not None
    }
    clean = check_fields(
        {
            **translated,
            "name": lambda: clean_name(fields.get("name")),
            "description": lambda: clean_description(fields.get("description")),
            "price": lambda: parse_typed_amount(fields.get("price"), "price"),
            "image_url": lambda: clean_image_url(fields.get("image_url")),
            "allergens": lambda: clean_allergens(fields.get("allergens")),
            "photo_alt": lambda: clean_line(
                "photo_alt", fields.get("photo_alt"), limit=MAX_TEXT["photo_alt"]
            ),
            "category_id": lambda: category_to_file_under(fields.get("category_id")),
        }
    )
    clean["is_available"] = bool(fields.get("is_available"))
    return clean


def category_to_file_under(category_id):
    """The category's id, locked against deletion until this change commits; None for none."""
    if not category_id:
        return None
    try:
        return category(category_id, lock={"read": True}).id
    except NotFound:
        raise Invalid("category_id", _("is not a category of this menu")) from None


def next_item_rank(category_id) -> int:
    """The rank after the last item of a category (None: the uncategorised ones)."""
    return db.session.scalar(
        select(func.coalesce(func.max(MenuItem.rank) + 1, 0)).where(
            MenuItem.category_id.is_(None)
            if category_id is None
            else MenuItem.category_id == category_id
        )
    )


def create_item(fields: dict, photo: dict | None = None) -> MenuItem:
    """`photo`: a stored photo's reference (media/photos.py `store_photo`), or None. The
    new item goes last in its category."""
    clean = _item_fields(fields)
    for key in TRANSLATED & clean.keys():
        clean[key] = merged_translations({}, clean[key])
    item = MenuItem(**clean, photo=photo, rank=next_item_rank(clean["category_id"]))
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item_id, fields: dict, photo=KEEP) -> MenuItem:
    """`photo`: `KEEP` (unchanged), a new reference, or None (removed). A replaced photo's
    files are deleted after the commit, unless another reference names them."""
    clean = _item_fields(fields)  # its category first (FOR SHARE), as every change locks
    item = menu_item(item_id, lock=True)
    if clean["category_id"] != item.category_id:  # moved: last in its new category
        item.rank = next_item_rank(clean["category_id"])
    for key in TRANSLATED & clean.keys():
        clean[key] = merged_translations(getattr(item, key), clean[key])
    for name, value in clean.items():
        setattr(item, name, value)
    replaced = None
    if photo is not KEEP and photo != item.photo:
        replaced, item.photo = item.photo, photo
    db.session.flush()
    discard_photo(replaced)
    return item
