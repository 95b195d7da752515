"""Reading and keeping a restaurant's menu (the bound tenant's).

Two staff members may change the menu at the same moment (a sold-out tap on the tablet while
the manager deletes the item). Every change therefore locks the row it changes before reading
it (``FOR UPDATE``), and a new item locks its category against deletion (``FOR SHARE``): the
second change waits for the first to commit, then finds the row gone (404), the category gone
(400) or the category no longer empty (409), instead of failing inside its flush (a 500).
"""

import uuid
from urllib.parse import urlparse

from sqlalchemy import func, select

from omniorder.errors import Conflict, Invalid, NotFound, check_fields
from omniorder.extensions import db
from omniorder.models import Category, MenuItem
from omniorder.money import DEFAULT_CURRENCY, DEFAULT_LOCALE, parse_amount
from omniorder.tenancy.bind import read_connection

MAX_PRICE_CENTS = 10_000_00
MAX_TEXT = {"name": 100, "description": 1000, "image_url": 2000}


MENU_STATEMENT = select(MenuItem.__table__).order_by(MenuItem.name, MenuItem.id)


def menu_items():
    """Every item of the tenant, sorted by name: one statement returning plain rows through a
    Core connection (no ORM identity map or session: half the menu endpoint's cost)."""
    with read_connection() as connection:
        return connection.execute(MENU_STATEMENT).all()


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.rank, Category.name)))


def menu_by_category() -> list[tuple[str, list[MenuItem]]]:
    """(category name, items by name) in rank order; uncategorised items come last."""
    ordered = categories()
    by_category: dict = {category.id: [] for category in ordered}
    uncategorised = []
    for item in menu_items():
        by_category.get(item.category_id, uncategorised).append(item)
    sections = [
        (category.name, by_category[category.id])
        for category in ordered
        if by_category[category.id]
    ]
    if uncategorised:
        sections.append(("More", uncategorised))
    return sections


def parse_price(text, locale: str = DEFAULT_LOCALE, currency: str = DEFAULT_CURRENCY) -> int:
    """A price as staff type it in the restaurant's locale → minor units (≤ 10,000.00)."""
    return parse_amount(text, "price", MAX_PRICE_CENTS, locale, currency)


def _text(field: str, value, required: bool = False) -> str | None:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        if required:
            raise Invalid(field, "is required")
        return None
    if len(value) > MAX_TEXT[field]:
        raise Invalid(field, f"must be at most {MAX_TEXT[field]} characters")
    if not value.replace("\n", "").replace("\r", "").isprintable():
        raise Invalid(field, "must not contain control characters")
    return value


def _image_url(value) -> str | None:
    url = _text("image_url", value)
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid("image_url", "must be an http:// or https:// address")
    return url


def _get(model, raw_id, label: str, lock=None):
    """The row, or `NotFound`. `lock`: True (FOR UPDATE, to change or delete it) or
    {"read": True} (FOR SHARE, to keep it while referring to it)."""
    try:
        found = db.session.get(model, uuid.UUID(str(raw_id)), with_for_update=lock)
    except ValueError:
        found = None
    if found is None:
        raise NotFound(f"No such {label}.")
    return found


def category(category_id, lock=None) -> Category:
    return _get(Category, category_id, "category", lock)


def menu_item(item_id, lock=None) -> MenuItem:
    return _get(MenuItem, item_id, "menu item", lock)


def create_category(name) -> Category:
    rank = db.session.scalar(select(func.coalesce(func.max(Category.rank) + 1, 0)))
    created = Category(name=_text("name", name, required=True), rank=rank)
    db.session.add(created)
    db.session.flush()
    return created


def rename_category(category_id, name) -> Category:
    found = category(category_id, lock=True)
    found.name = _text("name", name, required=True)
    db.session.flush()
    return found


def move_category(category_id, step: int) -> None:
    """Swap a category with its neighbour above (-1) or below (+1); ranks become 0..n-1."""
    ordered = list(
        db.session.scalars(
            select(Category).order_by(Category.rank, Category.name).with_for_update()
        )
    )
    index = next((i for i, c in enumerate(ordered) if str(c.id) == str(category_id)), None)
    if index is None:
        raise NotFound("No such category.")
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for rank, each in enumerate(ordered):
        each.rank = rank
    db.session.flush()


def delete_category(category_id) -> Category:
    """Only an empty category can go: items are never deleted as a side effect."""
    found = category(category_id, lock=True)  # waits for items being added to it
    count = db.session.scalar(
        select(func.count()).select_from(MenuItem).where(MenuItem.category_id == found.id)
    )
    if count:
        raise Conflict(f"{found.name} still has {count} item(s); move or delete them first.")
    db.session.delete(found)
    db.session.flush()
    return found


def _item_fields(fields: dict) -> dict:
    clean = check_fields(
        {
            "name": lambda: _text("name", fields.get("name"), required=True),
            "description": lambda: _text("description", fields.get("description")),
            "price": lambda: parse_price(fields.get("price")),
            "image_url": lambda: _image_url(fields.get("image_url")),
            "category_id": lambda: _category_to_file_under(fields.get("category_id")),
        }
    )
    clean["is_available"] = bool(fields.get("is_available"))
    return clean


def _category_to_file_under(category_id):
    """The category's id, locked against deletion until this change commits; None for none."""
    if not category_id:
        return None
    try:
        return category(category_id, lock={"read": True}).id
    except NotFound:
        raise Invalid("category_id", "is not a category of this menu") from None


def create_item(fields: dict) -> MenuItem:
    item = MenuItem(**_item_fields(fields))
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item_id, fields: dict) -> MenuItem:
    item = menu_item(item_id, lock=True)
    for name, value in _item_fields(fields).items():
        setattr(item, name, value)
    db.session.flush()
    return item


def delete_item(item_id) -> MenuItem:
    """Past orders keep their snapshot, so deleting an item never rewrites history."""
    item = menu_item(item_id, lock=True)
    db.session.delete(item)
    db.session.flush()
    return item
