"""A whole menu as one JSON document: how restaurants arrive (import), leave and are backed up
(export), and what provisioning seeds.

```json
{"option_groups": [{"name": "Size", "min": 1, "max": 1, "options": [
    {"name": "Regular", "price_delta": 0, "is_available": true},
    {"name": "Large", "price_delta": 300, "is_available": true}]}],
 "categories": [{"name": "Pizzas", "station": "Oven", "items": [{"name": "Margherita",
  "description": "…", "price": 1100, "is_available": true, "image_url": null,
  "allergens": ["gluten", "milk"], "option_groups": ["Size"]}]}],
 "items": [ …items without a category, only when there are some… ]}
```

(``option_groups`` too is written only when the menu has some.)

A category, item, option group and option may carry its name in the restaurant's other
languages, ``"name_i18n": {"de": "Käsespätzle"}`` (an item also ``description_i18n``): each key
a shipped language code, each text under the rules of the default's (``name`` stays the
default language's); left out (and written only) when there is none (menu/translations.py).

Option groups belong to the menu (menu/options.py): ``option_groups`` lists them (by name,
unique ignoring case), and an item names the ones it offers, in its order. The earlier
shape, each item with its own groups inline (``"option_groups": [{"name": "Size", …}]``), is
still taken: each inline group becomes a group of the menu; inline groups of one name with
the same choices and options (or the same as a listed group) become one group, and one whose
name is taken by a different group is named after its item, "Size (Marinara)", as the
migration to shared groups named them (t0015). Export writes the new shape.

Amounts are integers in the currency's minor unit. Category order is the document's order
(it becomes their rank), and so is the order of items in a category (the Items board's
order), of an item's groups and of options; groups are listed by name. ``categories`` is
required, and in it only ``name`` (and an item's ``price``); the rest has the defaults
above (a list may be left out, but null is refused, not read as empty); a category's
``station`` (the kitchen station its items go to, at most 40 characters) is left out when
it has none. The rules are the back office's
(menu/catalog.py, menu/options.py), checked for the whole document first: any problem →
nothing changes, and every problem is reported at its path
(``option_groups[0].max: must be ≥ min``). Export → import → export gives the same document.
"""

import json
import uuid
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, literal_column, select

from omniorder.core.database import db
from omniorder.core.errors import BrokenRule, Invalid
from omniorder.menu.catalog import (
    ALLERGENS,
    MAX_PRICE_CENTS,
    MAX_TEXT,
    clean_allergens,
    clean_description,
    clean_image_url,
    clean_name,
    clean_station,
)
from omniorder.menu.models import Category, ItemOptionGroup, MenuItem, Option, OptionGroup
from omniorder.menu.options import (
    MAX_CHOICES,
    MAX_GROUPS,
    MAX_GROUPS_PER_ITEM,
    MAX_OPTIONS_PER_GROUP,
    check_choices,
)
from omniorder.menu.translations import clean_translations
from omniorder.tenancy.bind import read_connection

MAX_CATEGORIES = 100
MAX_ITEMS = 1000  # in the whole document
MAX_PROBLEMS = 100  # reported at most; a document that bad is the wrong file

DOCUMENT_KEYS = ("option_groups", "categories", "items")
CATEGORY_KEYS = ("name", "station", "items", "name_i18n")
ITEM_KEYS = (
    "name",
    "description",
    "price",
    "is_available",
    "image_url",
    "allergens",
    "option_groups",
    "name_i18n",
    "description_i18n",
)
ITEM_COLUMNS = ITEM_KEYS[:5]  # as stored in menu_items
GROUP_KEYS = ("name", "min", "max", "options", "name_i18n")
OPTION_KEYS = ("name", "price_delta", "is_available", "name_i18n")
TRANSLATED = ("name_i18n", "description_i18n")  # written only when there are some


@dataclass(frozen=True)
class MenuCounts:
    categories: int
    items: int
    option_groups: int
    options: int

    def as_json(self) -> dict:
        return asdict(self)


class _Problems:
    """Every problem of a document, each at its path; `malformed`: whether any of them is a
    malformed value (else each is a broken rule: a group's max below its min, two options of
    one name, too many items in all)."""

    def __init__(self):
        self.found: dict[str, str] = {}
        self.malformed = False

    def add(self, path: str, message: str) -> None:
        self.malformed = True
        self.rule(path, message)

    def rule(self, path: str, message: str) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found[path] = message

    def refusal(self) -> Invalid:
        """The document's error: 422 when it only breaks rules, else 400."""
        return (Invalid if self.malformed else BrokenRule)(fields=self.found)

    def check(self, path: str, check, *args, rule: bool = False):
        """`check(*args)`'s value, or None after noting its `Invalid` at `path` (`rule`: the
        check is of a rule across values, each well-formed on its own)."""
        try:
            return check(*args)
        except Invalid as error:
            for message in error.fields.values():
                (self.rule if rule else self.add)(path, message)
            return None

    def object(self, path: str, value, keys: tuple[str, ...], inside: str | None = None):
        """`value` when it is an object with only `keys` (unknown keys are noted at
        `inside` + key, by default `path` + "."), else None."""
        if not isinstance(value, dict):
            self.add(path, _("must be an object"))
            return None
        for key in value.keys() - set(keys):
            shown = str(key).encode("utf-8", "backslashreplace").decode()[:40]
            self.add(
                f"{path}." + shown if inside is None else inside + shown, _("is not a menu field")
            )
        return value

    def array(self, path: str, value, most: int) -> list:
        """`value` when it is a list of at most `most` entries; else [] after noting why. A
        list may be left out (the caller passes [] for a missing key), but null is no list:
        ``{"categories": null}`` must not read as "no categories" and empty the menu."""
        if not isinstance(value, list):
            self.add(path, _("must be a list"))
            return []
        if len(value) > most:
            self.add(path, _("must have at most %(limit)s entries", limit=most))
            return []
        return value


def _description(value):
    if value is not None and not isinstance(value, str):
        raise Invalid("description", _("must be text"))
    return clean_description(value)


def _whole(low: int, high: int, amount: bool = False):
    """A check of an integer from `low` to `high` (`amount`: a price in minor units)."""

    def check(value):
        if type(value) is not int or not low <= value <= high:
            if amount:
                message = _(
                    "must be an amount in minor units (an integer) from %(low)s to %(high)s",
                    low=low,
                    high=high,
                )
            else:
                message = _("must be a whole number from %(low)s to %(high)s", low=low, high=high)
            raise Invalid("", message)
        return value

    return check


def _allergens(value) -> list[str]:
    if value is None:  # the form's "none ticked"; in a document, leave the key out
        raise Invalid("allergens", _('must be a list of allergens such as ["gluten", "milk"]'))
    return clean_allergens(value)


def _flag(value) -> bool:
    if not isinstance(value, bool):
        raise Invalid("", _("must be true or false"))
    return value


def _amount(value) -> int:
    return _whole(0, MAX_PRICE_CENTS, amount=True)(value)


def _translations(problems: _Problems, path: str, raw: dict, key: str = "name_i18n") -> dict:
    """``{language: text}`` of `key` (absent: {}), each text as the default's rules, noting
    each problem at its path (``items[0].name_i18n.de``) and keeping the clean ones."""
    limit = MAX_TEXT["description" if key == "description_i18n" else "name"]
    try:
        return clean_translations(
            raw.get(key, {}), f"{path}.{key}", limit, multiline=key == "description_i18n"
        )
    except Invalid as error:
        for field, message in error.fields.items():
            problems.add(field, message)
        return {}


def _with_translations(entry: dict, translations: dict) -> dict:
    """`entry` with each of `translations` that holds a text (as export writes them)."""
    return {**entry, **{key: texts for key, texts in translations.items() if texts}}


def _unique_names(problems: _Problems, path: str, entries: list, kind: str) -> None:
    """Names are unique within the menu or their item (groups) or group (options), ignoring
    case; an item's group may be named by a string."""
    seen = set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            key = name.strip().casefold()
            if key in seen:
                shown = name.strip().encode("utf-8", "backslashreplace").decode()[:100]
                problems.rule(f"{path}[{index}].name", _name_taken(kind, shown))
            seen.add(key)


def _name_taken(kind: str, name: str) -> str:
    """Why a second `kind` ("option", "group", "option group") of the same name is refused."""
    if kind == "option":
        return _("another option here is called %(name)s", name=name)
    if kind == "group":
        return _("another group here is called %(name)s", name=name)
    return _("another option group here is called %(name)s", name=name)


def _option(problems: _Problems, path: str, raw) -> dict | None:
    raw = problems.object(path, raw, OPTION_KEYS)
    if raw is None:
        return None
    option = {
        "name": problems.check(f"{path}.name", clean_name, raw.get("name")),
        "price_delta": problems.check(f"{path}.price_delta", _amount, raw.get("price_delta", 0)),
        "is_available": problems.check(
            f"{path}.is_available", _flag, raw.get("is_available", True)
        ),
    }
    return _with_translations(option, {"name_i18n": _translations(problems, path, raw)})


def _group(problems: _Problems, path: str, raw) -> dict | None:
    raw = problems.object(path, raw, GROUP_KEYS)
    if raw is None:
        return None
    group = {
        "name": problems.check(f"{path}.name", clean_name, raw.get("name")),
        "min": problems.check(f"{path}.min", _whole(0, MAX_CHOICES), raw.get("min", 0)),
        "max": problems.check(f"{path}.max", _whole(1, MAX_CHOICES), raw.get("max", 1)),
    }
    group = _with_translations(group, {"name_i18n": _translations(problems, path, raw)})
    if group["min"] is not None and group["max"] is not None:
        problems.check(f"{path}.max", check_choices, group["min"], group["max"], rule=True)
    options = problems.array(f"{path}.options", raw.get("options", []), MAX_OPTIONS_PER_GROUP)
    _unique_names(problems, f"{path}.options", options, "option")
    group["options"] = [_option(problems, f"{path}.options[{i}]", o) for i, o in enumerate(options)]
    return group


def _item(problems: _Problems, path: str, raw) -> dict | None:
    raw = problems.object(path, raw, ITEM_KEYS)
    if raw is None:
        return None
    item = {
        "name": problems.check(f"{path}.name", clean_name, raw.get("name")),
        "description": problems.check(f"{path}.description", _description, raw.get("description")),
        "price": problems.check(f"{path}.price", _amount, raw.get("price")),
        "is_available": problems.check(
            f"{path}.is_available", _flag, raw.get("is_available", True)
        ),
        "image_url": problems.check(f"{path}.image_url", clean_image_url, raw.get("image_url")),
        "allergens": problems.check(f"{path}.allergens", _allergens, raw.get("allergens", [])),
    }
    item = _with_translations(
        item, {key: _translations(problems, path, raw, key) for key in TRANSLATED}
    )
    groups = problems.array(
        f"{path}.option_groups", raw.get("option_groups", []), MAX_GROUPS_PER_ITEM
    )
    _unique_names(problems, f"{path}.option_groups", groups, "group")
    item["option_groups"] = [
        problems.check(f"{path}.option_groups[{i}]", clean_name, g)
        if isinstance(g, str)
        else _group(problems, f"{path}.option_groups[{i}]", g)
        for i, g in enumerate(groups)
    ]
    item["path"] = path  # where a group it names is reported (dropped once resolved)
    return item


def validate_menu_document(document, prefix: str = "") -> dict:
    """The clean document (defaults filled in, allergens in the menu's order), or one
    `Invalid` naming every problem by its path (after `prefix`, e.g. "menu."): a `BrokenRule`
    (422) when the document is well-formed and only breaks the rules across its values."""
    problems = _Problems()
    document = problems.object(prefix.rstrip(".") or "menu", document, DOCUMENT_KEYS, prefix)
    clean = {"option_groups": [], "categories": [], "items": []}
    if document is not None:
        listed = problems.array(
            f"{prefix}option_groups", document.get("option_groups", []), MAX_GROUPS
        )
        _unique_names(problems, f"{prefix}option_groups", listed, "option group")
        clean["option_groups"] = [
            _group(problems, f"{prefix}option_groups[{i}]", g) for i, g in enumerate(listed)
        ]
        if "categories" not in document:
            problems.add(f"{prefix}categories", _("is required (a list, possibly empty)"))
        categories = problems.array(
            f"{prefix}categories", document.get("categories", []), MAX_CATEGORIES
        )
        clean["categories"] = [
            _category(problems, f"{prefix}categories[{index}]", raw)
            for index, raw in enumerate(categories)
        ]
        loose = problems.array(f"{prefix}items", document.get("items", []), MAX_ITEMS)
        clean["items"] = [_item(problems, f"{prefix}items[{i}]", x) for i, x in enumerate(loose)]
        total = len(clean["items"]) + sum(len(c["items"]) for c in clean["categories"] if c)
        if total > MAX_ITEMS:
            problems.rule(
                f"{prefix}categories", _("a menu has at most %(limit)s items", limit=MAX_ITEMS)
            )
    if not problems.found:
        _share_groups(problems, prefix, clean)
    if problems.found:
        raise problems.refusal()
    # As export writes them (by name, left out when there are none), so a clean document
    # compares equal to the export of the menu it makes.
    clean["option_groups"] = _by_name(clean["option_groups"])
    if not clean["option_groups"]:
        del clean["option_groups"]
    return clean


def _same_group(one: dict, other: dict) -> bool:
    return {**one, "name": ""} == {**other, "name": ""}


def _share_groups(problems: _Problems, prefix: str, clean: dict) -> None:
    """Every item's groups as names of the menu's groups (`clean["option_groups"]`), inline
    groups (the earlier shape) added to them, merged or renamed as the module says."""
    by_key = {group["name"].casefold(): group for group in clean["option_groups"]}
    items = clean["items"] + [item for c in clean["categories"] for item in c["items"]]
    for item in items:
        path = item.pop("path")
        names = []
        for index, entry in enumerate(item["option_groups"]):
            if isinstance(entry, str):
                if entry.casefold() not in by_key:
                    shown = entry.encode("utf-8", "backslashreplace").decode()[:100]
                    problems.rule(
                        f"{path}.option_groups[{index}]",
                        _("no option group is called %(name)s", name=shown),
                    )
                    continue
                names.append(by_key[entry.casefold()]["name"])
                continue
            for name in (entry["name"], f"{entry['name'][:60]} ({item['name'][:37]})"):
                found = by_key.get(name.casefold())
                if found is None:
                    by_key[name.casefold()] = found = {**entry, "name": name}
                    clean["option_groups"].append(found)
                if _same_group(found, entry):
                    names.append(found["name"])
                    break
            else:
                problems.rule(
                    f"{path}.option_groups[{index}].name",
                    _("another option group of that name has other choices"),
                )
        if len(set(name.casefold() for name in names)) < len(names):
            problems.rule(f"{path}.option_groups", _("names one option group twice"))
        item["option_groups"] = names
    if len(clean["option_groups"]) > MAX_GROUPS:
        problems.rule(
            f"{prefix}option_groups", _("a menu has at most %(limit)s groups", limit=MAX_GROUPS)
        )


def _category(problems: _Problems, path: str, raw) -> dict | None:
    raw = problems.object(path, raw, CATEGORY_KEYS)
    if raw is None:
        return None
    items = problems.array(f"{path}.items", raw.get("items", []), MAX_ITEMS)
    station = problems.check(f"{path}.station", clean_station, raw.get("station"))
    category = {
        "name": problems.check(f"{path}.name", clean_name, raw.get("name")),
        **({"station": station} if station is not None else {}),  # as export writes it
        "items": [_item(problems, f"{path}.items[{i}]", x) for i, x in enumerate(items)],
    }
    return _with_translations(category, {"name_i18n": _translations(problems, path, raw)})


def counts(clean: dict) -> MenuCounts:
    items = clean["items"] + [item for c in clean["categories"] for item in c["items"]]
    return MenuCounts(
        categories=len(clean["categories"]),
        items=len(items),
        option_groups=len(clean.get("option_groups", [])),
        options=sum(len(group["options"]) for group in clean.get("option_groups", [])),
    )


def insert_menu(connection, clean: dict, execution_options=None) -> MenuCounts:
    """Write a validated menu into an empty one (few statements: one per table). Provisioning
    passes its new schema's translation in `execution_options`."""
    options = execution_options or {}
    rows: dict = {Category: [], MenuItem: [], OptionGroup: [], ItemOptionGroup: [], Option: []}
    group_ids = {}
    for group in clean.get("option_groups", []):
        group_ids[group["name"]] = group_id = uuid.uuid4()
        rows[OptionGroup].append(
            {
                "id": group_id,
                "name": group["name"],
                "name_i18n": group.get("name_i18n", {}),
                "min_choices": group["min"],
                "max_choices": group["max"],
            }
        )
        rows[Option].extend(
            {"group_id": group_id, "rank": rank, "name_i18n": {}, **option}
            for rank, option in enumerate(group["options"])
        )

    def add_item(item: dict, category_id, rank: int) -> None:
        item_id = uuid.uuid4()
        fields = {key: item.get(key, {}) for key in ITEM_KEYS if key != "option_groups"}
        rows[MenuItem].append({"id": item_id, "category_id": category_id, "rank": rank, **fields})
        rows[ItemOptionGroup].extend(
            {"menu_item_id": item_id, "group_id": group_ids[name], "rank": rank}
            for rank, name in enumerate(item["option_groups"])
        )

    for rank, category in enumerate(clean["categories"]):
        category_id = uuid.uuid4()
        rows[Category].append(
            {
                "id": category_id,
                "name": category["name"],
                "name_i18n": category.get("name_i18n", {}),
                "station": category.get("station"),
                "rank": rank,
            }
        )
        for item_rank, item in enumerate(category["items"]):
            add_item(item, category_id, item_rank)
    for item_rank, item in enumerate(clean["items"]):
        add_item(item, None, item_rank)
    for model, values in rows.items():  # parents before children
        if values:
            connection.execute(insert(model), values, execution_options=options)
    return counts(clean)


def import_menu(document, dry_run: bool = False) -> MenuCounts:
    """Replace the bound restaurant's whole menu with `document` in the caller's unit of
    work (past orders keep their snapshots), or with `dry_run` only validate it."""
    clean = validate_menu_document(document)
    if dry_run:
        return counts(clean)
    # Lock every item, then every category, then every group, in id order (menu/options.py's
    # rule: items before groups): edits in flight finish first and then find their row gone (404),
    # a new item waiting to be filed under a category finds the category gone (400), and two
    # imports queue instead of deadlocking.
    db.session.execute(select(MenuItem.id).order_by(MenuItem.id).with_for_update())
    db.session.execute(select(Category.id).order_by(Category.id).with_for_update())
    db.session.execute(select(OptionGroup.id).order_by(OptionGroup.id).with_for_update())
    db.session.execute(delete(MenuItem))  # their links to groups cascade
    db.session.execute(delete(OptionGroup))  # options cascade
    db.session.execute(delete(Category))
    db.session.expire_all()
    return insert_menu(db.session.connection(), clean)


def _rows_as_json(*columns):
    """Every row of the columns' table as a JSON array of objects keyed by column name."""
    row = func.json_build_object(*(part for column in columns for part in (column.key, column)))
    return func.coalesce(func.json_agg(row), literal_column("'[]'::json"))


# The whole menu in ONE statement, so an export is one snapshot even while an import commits.
EXPORT_STATEMENT = select(
    select(
        _rows_as_json(
            Category.id, Category.name, Category.name_i18n, Category.station, Category.rank
        )
    ).scalar_subquery(),
    select(_rows_as_json(*MenuItem.__table__.columns)).scalar_subquery(),
    select(_rows_as_json(*OptionGroup.__table__.columns)).scalar_subquery(),
    select(_rows_as_json(*ItemOptionGroup.__table__.columns)).scalar_subquery(),
    select(_rows_as_json(*Option.__table__.columns)).scalar_subquery(),
)


def export_menu() -> dict:
    """The bound restaurant's menu as the document `import_menu` takes."""
    with read_connection() as connection:
        categories, items, groups, links, options = connection.execute(EXPORT_STATEMENT).one()

    options_of: dict = {}
    for option in sorted(options, key=lambda o: (o["rank"], o["name"])):  # unique per group
        options_of.setdefault(option["group_id"], []).append(
            {key: option[key] for key in OPTION_KEYS if key not in TRANSLATED or option[key]}
        )
    name_of = {group["id"]: group["name"] for group in groups}
    groups_of: dict = {}
    for link in sorted(links, key=lambda link: (link["rank"], name_of[link["group_id"]])):
        groups_of.setdefault(link["menu_item_id"], []).append(name_of[link["group_id"]])
    items_of: dict = {}
    for item in items:
        entry = {
            **{key: item[key] for key in ITEM_COLUMNS},
            "allergens": [name for name in ALLERGENS if name in item["allergens"]],
            "option_groups": groups_of.get(item["id"], []),
            **{key: item[key] for key in TRANSLATED if item[key]},
        }
        items_of.setdefault(item["category_id"], []).append((entry, item["rank"]))
    shared = _by_name(
        [
            {
                "name": group["name"],
                "min": group["min_choices"],
                "max": group["max_choices"],
                "options": options_of.get(group["id"], []),
                **({"name_i18n": group["name_i18n"]} if group["name_i18n"] else {}),
            }
            for group in groups
        ]
    )
    document = {"option_groups": shared} if shared else {}
    document |= {
        "categories": _in_order(
            (_exported_category(c, _in_order(items_of.get(c["id"], []))), c["rank"])
            for c in categories
        ),
    }
    if items_of.get(None):
        document["items"] = _in_order(items_of[None])
    return document


def _exported_category(row: dict, items: list[dict]) -> dict:
    """A category as the document has it: ``station`` only when it has one."""
    station = {"station": row["station"]} if row["station"] is not None else {}
    texts = {"name_i18n": row["name_i18n"]} if row["name_i18n"] else {}
    return {"name": row["name"], **station, "items": items, **texts}


def _canonical(entry: dict) -> str:
    return json.dumps(entry, sort_keys=True, ensure_ascii=False)


def _by_name(entries: list[dict]) -> list[dict]:
    """By name, ties by content: the same menu always exports the same document."""
    return sorted(entries, key=lambda entry: (entry["name"], _canonical(entry)))


def _in_order(ranked) -> list[dict]:
    """By rank, ties (two rows made at the same moment, items from before ranks) by name and
    content."""
    ordered = sorted(ranked, key=lambda pair: (pair[1], pair[0]["name"], _canonical(pair[0])))
    return [entry for entry, _ in ordered]
