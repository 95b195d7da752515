"""The back office's Items board: the order of categories and items, bulk changes, copies.

A new order arrives whole (one POST after a drag or a keyboard move: every category and
every item, each item under its category), so it is applied in one transaction and raises
the menu's version once. It locks every category, then every item (``FOR UPDATE``, in id
order, as every change here does: no deadlock), and refuses an order that does not name
exactly the rows now on the menu: an unknown id is a 404, a menu changed since the page was
loaded (a row added or deleted meanwhile) a 409 that asks to reload; never a 500.
"""

import uuid

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid, NotFound
from omniorder.menu.catalog import (
    MAX_TEXT,
    category_to_file_under,
    menu_item,
    move_in_order,
    next_item_rank,
)
from omniorder.menu.models import Category, MenuItem
from omniorder.menu.options import item_links_snapshot, put_back_links

MAX_ROWS = 5000  # an order naming more rows than a menu could hold is refused unread
STALE = _l("The menu changed since this page was loaded; reload it and try again.")
NO_CATEGORY = _l("No such category.")
NO_ITEM = _l("No such menu item.")


def _uuid(value, missing) -> uuid.UUID:
    """`value` as an id, or `NotFound` with the message `missing`."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(str(missing)) from None


def _locked(model) -> dict:
    """Every row, locked in id order; FOR NO KEY UPDATE: a rank is no key, so an insert
    that only refers to a row (its foreign key) is not kept waiting."""
    rows = db.session.scalars(select(model).order_by(model.id).with_for_update(key_share=True))
    return {row.id: row for row in rows}


def _placements(placed_items: list) -> list[tuple]:
    """``"<category id or 'none'>/<item id>"`` → (category id or None, item id)."""
    placements = []
    for value in placed_items:
        home, _, item_id = str(value).partition("/")
        home_id = None if home == "none" else _uuid(home, NO_CATEGORY)
        placements.append((home_id, _uuid(item_id, NO_ITEM)))
    return placements


def _names_exactly(wanted: list, present: dict) -> bool:
    return len(set(wanted)) == len(wanted) and set(wanted) == set(present)


def arrange_menu(category_ids: list, placed_items: list) -> None:
    """Apply a whole new order. `category_ids`: every category, top first; `placed_items`:
    every item as ``"<category id or 'none'>/<item id>"``, in order within each category."""
    if len(category_ids) + len(placed_items) > MAX_ROWS:
        raise Invalid("item", _("at most %(limit)s rows", limit=MAX_ROWS))
    categories = _locked(Category)
    items = _locked(MenuItem)
    wanted_categories = [_uuid(value, NO_CATEGORY) for value in category_ids]
    placements = _placements(placed_items)
    if any(each not in categories for each in wanted_categories + [h for h, _ in placements if h]):
        raise NotFound(_("No such category: it may have been deleted meanwhile."))
    if any(item_id not in items for _, item_id in placements):
        raise NotFound(_("No such menu item: it may have been deleted meanwhile."))
    if not _names_exactly(wanted_categories, categories) or not _names_exactly(
        [item_id for _, item_id in placements], items
    ):
        raise Conflict(str(STALE))
    for rank, category_id in enumerate(wanted_categories):
        categories[category_id].rank = rank
    ranks: dict = {}
    for home_id, item_id in placements:
        item = items[item_id]
        item.category_id = home_id
        item.rank = ranks[home_id] = ranks.get(home_id, -1) + 1
    db.session.flush()


def move_item(item_id, step: int) -> None:
    """Swap an item with its neighbour above (-1) or below (+1) in its category. Its
    category's items are locked in id order (as every change here), then put in rank order."""
    item = menu_item(item_id)
    siblings = list(
        db.session.scalars(
            select(MenuItem)
            .where(
                MenuItem.category_id.is_(None)
                if item.category_id is None
                else MenuItem.category_id == item.category_id
            )
            .order_by(MenuItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if item not in siblings:  # deleted or moved while we waited
        raise NotFound(_("No such menu item in that category: reload the menu."))
    siblings.sort(key=lambda each: (each.rank, each.name, each.id))
    move_in_order(siblings, item.id, step)


BULK_ACTIONS = ("sold_out", "available", "move")


def bulk_change(item_ids: list, action, category_id=None) -> int:
    """Mark the chosen items sold out or available, or move them (last, in their present
    order) to a category ("" for none): one transaction, one change of the menu's version.
    Returns how many items changed."""
    if action not in BULK_ACTIONS:
        raise Invalid("action", _("must be sold out, available or move to a category"))
    if not item_ids or len(item_ids) > MAX_ROWS:
        raise Invalid("item", _("choose from 1 to %(limit)s items", limit=MAX_ROWS))
    wanted = sorted({_uuid(value, NO_ITEM) for value in item_ids})
    target = category_to_file_under(category_id) if action == "move" else None
    items = list(
        db.session.scalars(
            select(MenuItem).where(MenuItem.id.in_(wanted)).order_by(MenuItem.id).with_for_update()
        )
    )
    if len(items) != len(wanted):
        raise NotFound(_("No such menu item: it may have been deleted meanwhile."))
    if action == "move":
        rank = next_item_rank(target)
        for item in sorted(items, key=lambda each: (each.rank, each.name, each.id)):
            if item.category_id != target:
                item.category_id, item.rank = target, rank
                rank += 1
    else:
        for item in items:
            item.is_available = action == "available"
    db.session.flush()
    return len(items)


def duplicate_item(item_id) -> MenuItem:
    """ "Copy of …": the same price, category, allergens, photo reference (the files are
    shared: a photo is deleted only when no reference names it) and choices; placed last in
    its category."""
    # Its category before the item (the order every change locks in): the copy's foreign key
    # must not wait for a reorder that waits for this item.
    category_to_file_under(menu_item(item_id).category_id)
    source = menu_item(item_id, lock={"read": True})
    copy = MenuItem(
        category_id=source.category_id,
        name=_("Copy of %(name)s", name=source.name)[: MAX_TEXT["name"]],
        description=source.description,
        price=source.price,
        image_url=source.image_url,
        photo=source.photo,
        photo_alt=source.photo_alt,
        is_available=source.is_available,
        allergens=list(source.allergens),
        rank=next_item_rank(source.category_id),
    )
    db.session.add(copy)
    db.session.flush()
    copy_choices(source.id, copy.id)
    return copy


def copy_choices(source_id, copy_id) -> None:
    """The copy offers the same option groups as its source: the same shared groups."""
    put_back_links(copy_id, item_links_snapshot(source_id))
