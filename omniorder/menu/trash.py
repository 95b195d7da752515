"""Deleting categories and items into the trash, and getting them back.

A delete moves the rows into one ``menu_trash`` entry (a category with its items, or an item,
each with the links to its option groups, which belong to the menu and stay) and deletes
them, in one transaction: the menu's reads never see a deleted row, and nothing on their
path changes. Restoring inserts the rows
again with the SAME ids, so an order's snapshot, a bookmark or an API client's id keeps
naming the same thing. An entry lives `KEPT_FOR` (30 days), then the periodic purge
(menu/tasks.py) forgets it and only then deletes its photos' files: while an item is in the
trash its photo stays in the store.

Locks as in menu/catalog.py: a delete locks its rows first (``FOR UPDATE``), a restore locks
its entry, so a second restore of the same entry waits and then finds it gone (404).
"""

import datetime
import uuid

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select

from omniorder.core.database import db
from omniorder.core.errors import Conflict, NotFound
from omniorder.media.photos import discard_photo
from omniorder.menu.catalog import category, menu_item, next_item_rank
from omniorder.menu.models import Category, MenuItem, MenuTrash
from omniorder.menu.options import item_links_snapshot, put_back_links

KEPT_FOR = datetime.timedelta(days=30)

_ITEM_COLUMNS = [column.key for column in MenuItem.__table__.columns]
_CATEGORY_COLUMNS = [column.key for column in Category.__table__.columns]


def _row(table, row) -> dict:
    """A row's columns as JSON values (ids as text), in a form `_insert_rows` reads back."""
    return {
        column.key: (str(value) if isinstance(value, uuid.UUID) else value)
        for column in table.columns
        if (value := getattr(row, column.key)) is not None or column.nullable
    }


# --- an item's choices: the one place that knows their shape (option groups may change) ------


# --- deleting -------------------------------------------------------------------------------


def _item_snapshot(item: MenuItem) -> dict:
    return dict(_row(MenuItem.__table__, item), option_groups=item_links_snapshot(item.id))


def delete_item(item_id) -> MenuTrash:
    """Move an item (with its choices) to the trash. Past orders keep their snapshot, so a
    delete never rewrites history; the photo's files stay until the entry is purged."""
    item = menu_item(item_id, lock=True)
    entry = MenuTrash(kind="item", label=item.name, payload={"item": _item_snapshot(item)})
    db.session.add(entry)
    db.session.delete(item)  # its links to groups: ON DELETE CASCADE (the groups stay)
    db.session.flush()
    return entry


def delete_category(category_id) -> MenuTrash:
    """Move a category and every item in it to the trash, as one entry."""
    found = category(category_id, lock=True)  # waits for items being added to it
    items = list(
        db.session.scalars(
            select(MenuItem)
            .where(MenuItem.category_id == found.id)
            .order_by(MenuItem.id)
            .with_for_update()
        )
    )
    entry = MenuTrash(
        kind="category",
        label=found.name,
        payload={
            "category": _row(Category.__table__, found),
            "items": [_item_snapshot(item) for item in items],
        },
    )
    db.session.add(entry)
    for item in items:
        db.session.delete(item)
    db.session.flush()
    db.session.delete(found)
    db.session.flush()
    return entry


def items_in_category(category_id) -> int:
    """How many items a category's delete would take along (its confirmation says so)."""
    return db.session.scalar(
        select(func.count()).select_from(MenuItem).where(MenuItem.category_id == category_id)
    )


# --- the trash ------------------------------------------------------------------------------


def trash_entry(entry_id, lock=None) -> MenuTrash:
    """A restorable entry, or `NotFound` (restored already, purged, or never there)."""
    try:
        found = db.session.get(MenuTrash, uuid.UUID(str(entry_id)), with_for_update=lock)
    except ValueError:
        found = None
    if found is None or found.deleted_at < db.session.scalar(select(func.now())) - KEPT_FOR:
        raise NotFound(_("Nothing to restore: it was restored already or has expired."))
    return found


def trash_entries() -> list[MenuTrash]:
    """What was deleted in the last `KEPT_FOR`, newest first (the Trash page)."""
    return list(
        db.session.scalars(
            select(MenuTrash)
            .where(MenuTrash.deleted_at >= func.now() - KEPT_FOR)
            .order_by(MenuTrash.deleted_at.desc(), MenuTrash.id)
        )
    )


def _refuse_taken(model, row_id, label: str) -> None:
    if db.session.get(model, uuid.UUID(row_id)) is not None:
        raise Conflict(_("%(name)s is on the menu already.", name=label))


def _restore_item(snapshot: dict, category_id) -> None:
    """Insert an item again with its id. `category_id`: where it goes (None: uncategorised)."""
    values = {k: v for k, v in snapshot.items() if k in _ITEM_COLUMNS}
    _refuse_taken(MenuItem, values["id"], snapshot["name"])
    same_name = select(MenuItem.id).where(
        func.lower(MenuItem.name) == snapshot["name"].lower(),
        MenuItem.category_id.is_(None)
        if category_id is None
        else MenuItem.category_id == category_id,
    )
    if db.session.scalar(same_name.limit(1)) is not None:
        raise Conflict(
            _(
                "Another item in that category is called %(name)s now; rename it first.",
                name=snapshot["name"],
            )
        )
    if category_id is None and values.get("category_id") is not None:
        values["rank"] = next_item_rank(None)  # its category is gone: last of the uncategorised
    values["category_id"] = category_id
    db.session.execute(insert(MenuItem.__table__).values(values))
    put_back_links(values["id"], snapshot.get("option_groups", []))


def restore(entry_id) -> str:
    """Put an entry's rows back with their ids and forget the entry. An item whose category
    is gone comes back uncategorised; a name taken since (or an id back already) is a 409.
    Returns what came back (its label)."""
    entry = trash_entry(entry_id, lock=True)
    if entry.kind == "category":
        values = {k: v for k, v in entry.payload["category"].items() if k in _CATEGORY_COLUMNS}
        _refuse_taken(Category, values["id"], entry.label)
        taken = db.session.scalar(
            select(Category.id).where(func.lower(Category.name) == values["name"].lower()).limit(1)
        )
        if taken is not None:
            raise Conflict(
                _("Another category is called %(name)s now; rename it first.", name=values["name"])
            )
        values["rank"] = db.session.scalar(select(func.coalesce(func.max(Category.rank) + 1, 0)))
        db.session.execute(insert(Category.__table__).values(values))
        for item in entry.payload["items"]:
            _restore_item(item, uuid.UUID(values["id"]))
    else:
        item = entry.payload["item"]
        home = None
        if item.get("category_id"):
            try:
                home = category(item["category_id"], lock={"read": True}).id
            except NotFound:
                home = None
        _restore_item(item, home)
    label = entry.label
    db.session.delete(entry)
    db.session.flush()
    db.session.expire_all()  # the ORM did not see the rows inserted through Core
    return label


def purge_expired(now=None) -> int:
    """Forget the entries older than `KEPT_FOR` and delete their photos' files after the
    commit (unless another reference names them): the periodic purge (menu/tasks.py)."""
    moment = now if now is not None else func.now()
    payloads = db.session.scalars(
        delete(MenuTrash)
        .where(MenuTrash.deleted_at < moment - KEPT_FOR)
        .returning(MenuTrash.payload)
    ).all()
    db.session.flush()
    for payload in payloads:
        items = payload.get("items", []) + ([payload["item"]] if "item" in payload else [])
        for item in items:
            discard_photo(item.get("photo"))
    return len(payloads)
