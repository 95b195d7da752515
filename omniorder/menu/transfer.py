"""Menu import and export from the back office: the JSON document (menu/document.py) and a CSV
of items, each import shown as a preview of what it changes before it is applied.

Why a preview is safe to apply: the preview seals the clean incoming document together with a
fingerprint of the menu it was computed against (`seal`); "Apply" opens the seal and, holding
the menu's version row (every menu writer takes it at commit), checks that the menu is still
the one previewed before it replaces it through `import_menu`, in the request's one
transaction. A menu changed in between is a 409: the admin previews again.

The CSV (one row per item; ``category, name, description, price, available, allergens``):

- An import **updates or adds** the items it lists, matched by category and name (ignoring
  case); an item's options, photo, translations (the CSV has the default language's texts
  only: ``name_i18n`` and ``description_i18n`` travel in the JSON document) and anything else
  the CSV has no column for are kept. A
  category that does not exist yet is added; an empty category means an item without one.
- Items absent from the CSV are **left alone**, unless "replace" is chosen: then they are
  removed (categories stay, even when emptied). An item listed under another category is a
  new item there (its options are not carried over); with "replace" the old one goes.
- ``price`` is written as staff type it (the restaurant's locale and currency: "11.00",
  "11,00"); ``available`` is yes/no; ``allergens`` names from the EU list, separated by commas.
- Export protects spreadsheets from formula injection: a cell starting with ``= + - @``, a
  tab, a carriage return or ``'`` gets a leading ``'``, which import removes again (so
  export → import changes nothing).

A JSON import replaces the whole menu, as ``flask menu import`` does.
"""

import copy
import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid
from omniorder.menu.catalog import clean_allergens, clean_description, clean_name
from omniorder.menu.cli import read_document
from omniorder.menu.document import MAX_ITEMS, export_menu, import_menu, validate_menu_document
from omniorder.menu.models import MenuVersion

MAX_FILE_BYTES = 2 * 1024 * 1024  # a full menu of MAX_ITEMS items is far below this
PREVIEW_VALID_SECONDS = 3600
CSV_COLUMNS = ("category", "name", "description", "price", "available", "allergens")
RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r", "'")  # what spreadsheets may read as a formula
YES, NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n")
MAX_CSV_PROBLEMS = 20


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class ItemRef:
    category: str | None  # None: an item without a category
    name: str


@dataclass(frozen=True)
class ItemChange:
    item: ItemRef
    changes: tuple[FieldChange, ...]


@dataclass
class Preview:
    """What applying an incoming menu changes (each list in the incoming menu's order)."""

    categories_added: list[str] = field(default_factory=list)
    categories_removed: list[str] = field(default_factory=list)
    categories_changed: list[tuple[str, tuple[FieldChange, ...]]] = field(default_factory=list)
    categories_reordered: bool = False
    items_added: list[ItemRef] = field(default_factory=list)
    items_changed: list[ItemChange] = field(default_factory=list)
    items_removed: list[ItemRef] = field(default_factory=list)
    other_changes: list[str] = field(default_factory=list)  # top-level keys beyond these two

    @property
    def empty(self) -> bool:
        return not (
            self.categories_added
            or self.categories_removed
            or self.categories_changed
            or self.categories_reordered
            or self.items_added
            or self.items_changed
            or self.items_removed
            or self.other_changes
        )


def _key(name: str) -> str:
    return name.strip().casefold()


def _items_by_key(document: dict) -> dict[tuple, tuple[ItemRef, dict]]:
    """(category key, item key, occurrence) → (its reference, the item), in document order;
    the occurrence tells two items of one name in one category apart."""
    found: dict[tuple, tuple[ItemRef, dict]] = {}
    sections = [(c["name"], c.get("items", [])) for c in document.get("categories", [])]
    sections.append((None, document.get("items", [])))
    for category, items in sections:
        for item in items:
            base = (_key(category) if category is not None else None, _key(item["name"]))
            occurrence = 0
            while (*base, occurrence) in found:
                occurrence += 1
            found[(*base, occurrence)] = (ItemRef(category, item["name"]), item)
    return found


def _same(old, new) -> bool:
    return old == new or (old in (None, []) and new in (None, []))


def _field_changes(old: dict, new: dict, skip: tuple[str, ...]) -> tuple[FieldChange, ...]:
    """Every key whose value differs (a missing key, None and an empty list are the same)."""
    keys = [key for key in (*old, *(k for k in new if k not in old)) if key not in skip]
    return tuple(
        FieldChange(key, old.get(key), new.get(key))
        for key in keys
        if not _same(old.get(key), new.get(key))
    )


def preview(current: dict, incoming: dict) -> Preview:
    """What replacing the menu `current` with `incoming` (both clean documents) changes:
    categories by name, items by category and name (ignoring case), every other field of
    either compared as a value, whatever fields the document holds. Pure: writes nothing."""
    result = Preview()
    old_categories = {_key(c["name"]): c for c in current.get("categories", [])}
    new_categories = {_key(c["name"]): c for c in incoming.get("categories", [])}
    for key, category in new_categories.items():
        if key not in old_categories:
            result.categories_added.append(category["name"])
            continue
        changes = _field_changes(old_categories[key], category, skip=("items",))
        if changes:
            result.categories_changed.append((category["name"], changes))
    result.categories_removed = [
        c["name"] for key, c in old_categories.items() if key not in new_categories
    ]
    kept_old = [key for key in old_categories if key in new_categories]
    kept_new = [key for key in new_categories if key in old_categories]
    result.categories_reordered = kept_old != kept_new

    old_items, new_items = _items_by_key(current), _items_by_key(incoming)
    for key, (ref, item) in new_items.items():
        if key not in old_items:
            result.items_added.append(ref)
            continue
        changes = _field_changes(old_items[key][1], item, skip=())
        if changes:
            result.items_changed.append(ItemChange(ref, changes))
    result.items_removed = [ref for key, (ref, _) in old_items.items() if key not in new_items]
    result.other_changes = [
        key
        for key in sorted({*current, *incoming} - {"categories", "items"})
        if current.get(key) != incoming.get(key)
    ]
    return result


def describe(value, show_amount: Callable[[int], str] | None = None, amount=False) -> str:
    """A field's value as the preview shows it: an amount as money, a list of named entries
    (option groups) by their names and sizes, a list of words joined, nothing as "—"."""
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if amount and isinstance(value, int) and show_amount is not None:
        return show_amount(value)
    if isinstance(value, list):
        return ", ".join(_entry(entry) for entry in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:200]
    return str(value)


def _entry(entry) -> str:
    if isinstance(entry, dict) and "name" in entry:
        inner = next((v for v in entry.values() if isinstance(v, list)), None)
        return f"{entry['name']} ({len(inner)})" if inner is not None else str(entry["name"])
    return str(entry)


# --- the token that carries a preview to "Apply" ----------------------------------------------


def fingerprint(document: dict) -> str:
    """The same menu always has the same fingerprint (export's order is deterministic)."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _serializer(secret: str, tenant_schema: str) -> URLSafeTimedSerializer:
    # the salt binds a preview to its restaurant: another's seal does not open here
    return URLSafeTimedSerializer(secret, salt=f"menu-import:{tenant_schema}")


def seal(incoming: dict, current: dict, secret: str, tenant_schema: str) -> str:
    """The clean incoming document and the fingerprint of the menu it was previewed against,
    signed and compressed for the preview page's "Apply" form."""
    return _serializer(secret, tenant_schema).dumps(
        {"menu": incoming, "base": fingerprint(current)}
    )


def unseal(token, secret: str, tenant_schema: str) -> tuple[dict, str]:
    if not isinstance(token, str) or not token:
        raise Invalid("preview", _("is missing: upload the file again"))
    try:
        sealed = _serializer(secret, tenant_schema).loads(token, max_age=PREVIEW_VALID_SECONDS)
    except SignatureExpired:
        raise Invalid("preview", _("is older than an hour: upload the file again")) from None
    except BadSignature:
        raise Invalid("preview", _("is not a preview of this restaurant's menu")) from None
    return sealed["menu"], sealed["base"]


def apply_sealed(token, secret: str, tenant_schema: str):
    """Apply exactly the previewed menu in the caller's unit of work, or `Conflict` when the
    menu changed since the preview. The menu's version row is locked first: every menu writer
    takes it at commit, so none can slip between the check and the import."""
    incoming, base = unseal(token, secret, tenant_schema)
    db.session.execute(select(MenuVersion.version).with_for_update())
    if fingerprint(export_menu()) != base:
        raise Conflict(_("The menu changed since the preview; preview the import again."))
    return import_menu(incoming)


# --- files ------------------------------------------------------------------------------------


def read_upload(data: bytes) -> str:
    """An uploaded file's text: at most `MAX_FILE_BYTES` of UTF-8 (a BOM is dropped)."""
    if not data:
        raise Invalid("file", _("is empty: choose a menu file (.json or .csv)"))
    if len(data) > MAX_FILE_BYTES:
        raise Invalid("file", _("is larger than %(size)s MB", size=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("file", _("must be UTF-8 text (save the CSV as “CSV UTF-8”)")) from None
    if "\x00" in text:
        raise Invalid("file", _("is not a text file (it holds a NUL character)"))
    return text


def is_json(text: str) -> bool:
    """JSON documents start with an object; a CSV starts with its header."""
    return text.lstrip()[:1] in ("{", "[")


def incoming_json(text: str) -> dict:
    """The clean document of a JSON upload (every problem at its path, as the CLI says)."""
    try:
        document = read_document(io.BytesIO(text.encode()))
    except Invalid as error:
        raise Invalid("file", next(iter(error.fields.values()))) from None
    return validate_menu_document(document)


def _escaped(cell: str) -> str:
    return "'" + cell if cell[:1] in RISKY_FIRST else cell


def _unescaped(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in RISKY_FIRST else cell


def items_csv(document: dict, show_amount: Callable[[int], str]) -> Iterator[str]:
    """The menu's items as CSV lines (header first, UTF-8 BOM for spreadsheets), each cell
    escaped against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_escaped(str(cell)) for cell in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(CSV_COLUMNS)
    sections = [(c["name"], c["items"]) for c in document["categories"]]
    sections.append(("", document.get("items", [])))
    for category, items in sections:
        for item in items:
            yield line(
                (
                    category,
                    item["name"],
                    item.get("description") or "",
                    show_amount(item["price"]),
                    "yes" if item.get("is_available", True) else "no",
                    ", ".join(item.get("allergens", [])),
                )
            )


def _header(row: list[str]) -> list[str]:
    names = [cell.strip().casefold() for cell in row]
    unknown = [name for name in names if name not in CSV_COLUMNS]
    missing = [name for name in CSV_COLUMNS if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        message = _(
            "must be a CSV whose first line names the columns %(columns)s",
            columns=", ".join(CSV_COLUMNS),
        )
        if unknown:
            message += " " + _("(unknown: %(names)s)", names=", ".join(unknown)[:100])
        if missing:
            message += " " + _("(missing: %(names)s)", names=", ".join(missing))
        raise Invalid("file", message)
    return names


def _available(text: str) -> bool:
    word = text.strip().casefold()
    if word in YES or word == "":
        return True
    if word in NO:
        return False
    raise Invalid("available", _("must be yes or no"))


def _allergen_list(text: str) -> list[str]:
    names = [name.strip().casefold() for name in text.split(",") if name.strip()]
    return clean_allergens(names)


def _csv_row(cells: dict[str, str], parse_amount: Callable[[str], int]) -> tuple:
    problems, row = {}, {}
    checks = {
        "category": lambda: (
            clean_name(cells["category"], "category") if cells["category"].strip() else None
        ),
        "name": lambda: clean_name(cells["name"]),
        "description": lambda: clean_description(cells["description"] or None),
        "price": lambda: parse_amount(cells["price"]),
        "is_available": lambda: _available(cells["available"]),
        "allergens": lambda: _allergen_list(cells["allergens"]),
    }
    for key, check in checks.items():
        try:
            row[key] = check()
        except Invalid as error:
            problems.update(error.fields)
    return row, problems


def _csv_line(raw, names, line, parse_amount, seen: dict, problems: dict) -> dict | None:
    """One line's item, or None after noting its problems (``line 3, price``) in `problems`."""
    if len(raw) != len(names):
        problems[_("line %(number)s", number=line)] = _(
            "has %(cells)s cells, the header %(columns)s", cells=len(raw), columns=len(names)
        )
        return None
    cells = {name: _unescaped(cell) for name, cell in zip(names, raw, strict=True)}
    row, bad = _csv_row(cells, parse_amount)
    problems.update(
        {
            _("line %(number)s, %(column)s", number=line, column=key): message
            for key, message in bad.items()
        }
    )
    if bad:
        return None
    key = (_key(row["category"] or ""), _key(row["name"]))
    if key in seen:
        problems[_("line %(number)s", number=line)] = _(
            "repeats the item of line %(number)s", number=seen[key]
        )
    seen[key] = line
    return row


def rows_from_csv(text: str, parse_amount: Callable[[str], int]) -> list[dict]:
    """The CSV's items (category, name, description, price, is_available, allergens), or one
    `Invalid` naming each bad cell by its line (``line 3, price``)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows, problems, seen = [], {}, {}
    try:
        header = next(reader, None)
        if header is None:
            raise Invalid("file", _("is empty"))
        names = _header(header)
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_ITEMS:
                raise Invalid("file", _("has more than %(limit)s items", limit=MAX_ITEMS))
            row = _csv_line(raw, names, reader.line_num, parse_amount, seen, problems)
            if row is not None:
                rows.append(row)
            if len(problems) >= MAX_CSV_PROBLEMS:
                break
    except csv.Error as error:
        raise Invalid(
            "file", _("is not a readable CSV (%(reason)s)", reason=str(error)[:80])
        ) from None
    if problems:
        raise Invalid(fields=problems)
    return rows


def merge_csv(current: dict, rows: list[dict], replace: bool = False) -> dict:
    """`current` with the CSV's items updated or added (matched by category and name, keeping
    every field the CSV has no column for) and, with `replace`, the items it lacks removed."""
    merged = copy.deepcopy(current)
    merged.setdefault("items", [])
    categories = {_key(c["name"]): c for c in merged["categories"]}
    listed: set[tuple] = set()
    for row in rows:
        category = row["category"]
        if category is None:
            items = merged["items"]
        else:
            if _key(category) not in categories:
                categories[_key(category)] = {"name": category, "items": []}
                merged["categories"].append(categories[_key(category)])
            items = categories[_key(category)]["items"]
        fields = {key: value for key, value in row.items() if key != "category"}
        existing = next((item for item in items if _key(item["name"]) == _key(row["name"])), None)
        if existing is None:
            items.append(fields)
        else:
            existing.update(fields)
        listed.add((_key(category or ""), _key(row["name"])))
    if replace:
        for category in merged["categories"]:
            category["items"] = [
                i for i in category["items"] if (_key(category["name"]), _key(i["name"])) in listed
            ]
        merged["items"] = [i for i in merged["items"] if ("", _key(i["name"])) in listed]
    return merged
