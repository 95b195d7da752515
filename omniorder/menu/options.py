"""Option groups (Size: min 1, max 1; Extras: min 0, max 3) and their options. A group
belongs to the menu and is attached to any number of items (`ItemOptionGroup`, with the
group's place among the item's groups): "Extras" is kept once and priced the same on every
pizza. The back office keeps them on the Option groups page and on each item's page.

Locking, as for the rest of the menu (menu/catalog.py): a change locks what it changes
(``FOR UPDATE``) before reading it, items before groups before options, so two changes never
wait for each other in opposite orders (no deadlock), and whoever comes second finds a
deleted item, group or option gone (404) instead of failing inside its flush (a 500):

- changing a group (name, min/max) or its options locks the GROUP (from an item's page, the
  item first: the group must still be attached to it);
- attaching and ordering an item's groups lock the ITEM, then the group (shared, so it is
  not deleted under the new link); detaching locks the item and deletes its link;
- deleting a group locks every item it is attached to (in id order), then the group: it
  queues behind edits of those items' groups and of the items themselves.

A group's rules: ``min ≥ 0``, ``max ≥ 1``, ``max ≥ min``. A group may allow more choices than
it has options, and may for a while ask for more than it has: it is built one option at a
time, so neither is refused here (the item page warns while customers cannot satisfy it,
and ordering refuses such a choice with its own message). Group names are unique in the menu
and option names within their group, ignoring case, so a ticket never reads "Large, Large"
and a menu document can name a group (the database keeps the first rule too,
``option_groups_name_key``, for two creations at the same moment).
"""

import uuid

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from omniorder.core.database import db, get_or_404
from omniorder.core.errors import Conflict, Invalid, NotFound, check_fields
from omniorder.menu.catalog import (
    clean_name,
    menu_item,
    move_in_order,
    parse_typed_amount,
)
from omniorder.menu.models import ItemOptionGroup, MenuItem, Option, OptionGroup

MAX_GROUPS = 500  # in the menu
MAX_GROUPS_PER_ITEM = 20
MAX_OPTIONS_PER_GROUP = 50
MAX_CHOICES = 50


def parse_count(value, field: str) -> int:
    """A number of choices: a whole number 0…MAX_CHOICES, given as an int or as typed text."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 3 else MAX_CHOICES + 1
    if type(value) is not int or not 0 <= value <= MAX_CHOICES:
        raise Invalid(field, _("must be a whole number from 0 to %(limit)s", limit=MAX_CHOICES))
    return value


def check_choices(min_choices: int, max_choices: int) -> None:
    """The group's rules beyond each number's own range (`parse_count`)."""
    if max_choices < 1:
        raise Invalid("max", _("must be at least 1"))
    if max_choices < min_choices:
        raise Invalid("max", _("must be ≥ min"))


def _group_fields(name, min_choices, max_choices) -> dict:
    clean = check_fields(
        {
            "name": lambda: clean_name(name),
            "min": lambda: parse_count(min_choices, "min"),
            "max": lambda: parse_count(max_choices, "max"),
        }
    )
    check_choices(clean["min"], clean["max"])
    return {"name": clean["name"], "min_choices": clean["min"], "max_choices": clean["max"]}


def _option_fields(name, price_delta) -> dict:
    return check_fields(
        {
            "name": lambda: clean_name(name),
            "price_delta": lambda: (
                0
                if price_delta is None or (isinstance(price_delta, str) and not price_delta.strip())
                else parse_typed_amount(price_delta, "price_delta")
            ),
        }
    )


def _options_of(group_ids) -> dict:
    options: dict = {group_id: [] for group_id in group_ids}
    if options:
        for option in db.session.scalars(
            select(Option)
            .where(Option.group_id.in_(options))
            .order_by(Option.rank, Option.name, Option.id)
        ):
            options[option.group_id].append(option)
    return options


def option_groups(item_id) -> list[tuple[OptionGroup, list[Option]]]:
    """The item's groups with their options, both in rank order (the item's edit page)."""
    groups = list(
        db.session.scalars(
            select(OptionGroup)
            .join(ItemOptionGroup, ItemOptionGroup.group_id == OptionGroup.id)
            .where(ItemOptionGroup.menu_item_id == item_id)
            .order_by(ItemOptionGroup.rank, OptionGroup.name, OptionGroup.id)
        )
    )
    options = _options_of([group.id for group in groups])
    return [(group, options[group.id]) for group in groups]


def menu_option_groups() -> list[tuple[OptionGroup, list[Option], list[str]]]:
    """Every group of the menu by name, with its options in rank order and the names of the
    items it is attached to (the Option groups page)."""
    groups = list(db.session.scalars(select(OptionGroup).order_by(OptionGroup.name)))
    options = _options_of([group.id for group in groups])
    items: dict = {group.id: [] for group in groups}
    for group_id, name in db.session.execute(
        select(ItemOptionGroup.group_id, MenuItem.name)
        .join(MenuItem, MenuItem.id == ItemOptionGroup.menu_item_id)
        .order_by(MenuItem.name)
    ):
        items[group_id].append(name)
    return [(group, options[group.id], items[group.id]) for group in groups]


def option_group(group_id) -> tuple[OptionGroup, list[Option], list[str]]:
    """One group with its options and the names of its items (a delete's confirmation)."""
    group = get_or_404(OptionGroup, group_id, "option group")
    items = db.session.scalars(
        select(MenuItem.name)
        .join(ItemOptionGroup, ItemOptionGroup.menu_item_id == MenuItem.id)
        .where(ItemOptionGroup.group_id == group.id)
        .order_by(MenuItem.name)
    ).all()
    return group, _options_of([group.id])[group.id], list(items)


def item_sharing(item_id) -> dict:
    """For each group of the item: how many items it is attached to (the item's page says
    that changing it changes it there too)."""
    mine = select(ItemOptionGroup.group_id).where(ItemOptionGroup.menu_item_id == item_id)
    return dict(
        db.session.execute(
            select(ItemOptionGroup.group_id, func.count())
            .where(ItemOptionGroup.group_id.in_(mine))
            .group_by(ItemOptionGroup.group_id)
        ).all()
    )


def attachable_groups(item_id) -> list[OptionGroup]:
    """The menu's groups the item does not offer yet, by name."""
    mine = select(ItemOptionGroup.group_id).where(ItemOptionGroup.menu_item_id == item_id)
    return list(
        db.session.scalars(
            select(OptionGroup).where(OptionGroup.id.not_in(mine)).order_by(OptionGroup.name)
        )
    )


def _link(item_id, group_id) -> ItemOptionGroup | None:
    return db.session.get(ItemOptionGroup, (item_id, group_id))


def _locked_group(item_id, group_id, lock=True) -> OptionGroup:
    """The group, locked (`lock` as in `get_or_404`); with an `item_id` (a change made from
    the item's page), the item is locked first and the group must be attached to it."""
    if item_id is None:
        return get_or_404(OptionGroup, group_id, "option group", lock=lock)
    item = menu_item(item_id, lock=True)
    group = get_or_404(OptionGroup, group_id, "option group", lock=lock)
    if _link(item.id, group.id) is None:
        raise NotFound(_("No such option group."))
    return group


def _locked_option(item_id, group_id, option_id) -> Option:
    group = _locked_group(item_id, group_id)
    option = get_or_404(Option, option_id, "option", lock=True)
    if option.group_id != group.id:
        raise NotFound(_("No such option."))
    return option


def _siblings(model, parent_column, parent_id) -> list:
    return list(
        db.session.scalars(
            select(model)
            .where(parent_column == parent_id)
            .order_by(model.rank, model.name, model.id)
        )
    )


def _item_links(item_id) -> list[ItemOptionGroup]:
    """The item's links in their order (the caller holds the item's lock)."""
    return list(
        db.session.scalars(
            select(ItemOptionGroup)
            .join(OptionGroup, OptionGroup.id == ItemOptionGroup.group_id)
            .where(ItemOptionGroup.menu_item_id == item_id)
            .order_by(ItemOptionGroup.rank, OptionGroup.name, OptionGroup.id)
        )
    )


def _refuse_taken_name(siblings, name: str, this=None, kind: str = "group") -> None:
    if any(s is not this and s.name.casefold() == name.casefold() for s in siblings):
        if kind == "option":
            raise Invalid("name", _("another option here is called %(name)s", name=name))
        raise Invalid("name", _("another group here is called %(name)s", name=name))


def _refuse_taken_group_name(name: str, this=None) -> None:
    """Unique in the menu, ignoring case (casefold: "STRASSE" is "straße")."""
    names = db.session.execute(select(OptionGroup.id, OptionGroup.name)).all()
    this_id = getattr(this, "id", None)
    if any(row.id != this_id and row.name.casefold() == name.casefold() for row in names):
        raise Invalid("name", _("another option group is called %(name)s", name=name))


def _save_group(group: OptionGroup, fields: dict) -> None:
    """Write a new or changed group in a savepoint: a group of that name committed meanwhile
    (two staff creating "Extras" at once) is the same refusal as one found before. The
    change is made inside the savepoint, since opening one flushes what is pending."""
    try:
        with db.session.begin_nested():
            for column, value in fields.items():
                setattr(group, column, value)
            db.session.add(group)
            db.session.flush()
    except IntegrityError:
        raise Invalid(
            "name", _("another option group is called %(name)s", name=fields["name"])
        ) from None


def _append(row, siblings: list, limit: int, too_many: str, kind: str):
    """Add a new option after its `siblings`: within the limit, its name unique."""
    if len(siblings) >= limit:
        raise Invalid("name", too_many)
    _refuse_taken_name(siblings, row.name, kind=kind)
    row.rank = max((sibling.rank for sibling in siblings), default=-1) + 1
    db.session.add(row)
    db.session.flush()
    return row


def _attach(item_id, group: OptionGroup, links: list[ItemOptionGroup]) -> ItemOptionGroup:
    if len(links) >= MAX_GROUPS_PER_ITEM:
        raise Invalid(
            "group", _("an item has at most %(limit)s option groups", limit=MAX_GROUPS_PER_ITEM)
        )
    if any(link.group_id == group.id for link in links):
        raise Conflict(_("This item already offers %(name)s.", name=group.name))
    link = ItemOptionGroup(
        menu_item_id=item_id,
        group_id=group.id,
        rank=max((link.rank for link in links), default=-1) + 1,
    )
    db.session.add(link)
    db.session.flush()
    return link


def create_group(item_id, name, min_choices, max_choices) -> OptionGroup:
    """A new group of the menu; with an `item_id`, attached to that item (last)."""
    item = menu_item(item_id, lock=True) if item_id is not None else None
    fields = _group_fields(name, min_choices, max_choices)
    links = _item_links(item.id) if item is not None else []
    if item is not None and len(links) >= MAX_GROUPS_PER_ITEM:
        raise Invalid(
            "name", _("an item has at most %(limit)s option groups", limit=MAX_GROUPS_PER_ITEM)
        )
    if db.session.scalar(select(func.count()).select_from(OptionGroup)) >= MAX_GROUPS:
        raise Invalid("name", _("a menu has at most %(limit)s option groups", limit=MAX_GROUPS))
    _refuse_taken_group_name(fields["name"])
    group = OptionGroup()
    _save_group(group, fields)
    if item is not None:
        _attach(item.id, group, links)
    return group


def update_group(item_id, group_id, name, min_choices, max_choices) -> OptionGroup:
    """Name and min/max, for every item the group is attached to."""
    group = _locked_group(item_id, group_id)
    fields = _group_fields(name, min_choices, max_choices)
    _refuse_taken_group_name(fields["name"], this=group)
    _save_group(group, fields)
    return group


def attach_group(item_id, group_id) -> ItemOptionGroup:
    """Offer a group of the menu on an item too, after its other groups (409 if it does)."""
    item = menu_item(item_id, lock=True)
    group = get_or_404(OptionGroup, group_id, "option group", lock={"read": True})
    return _attach(item.id, group, _item_links(item.id))


def detach_group(item_id, group_id) -> None:
    """The item no longer offers the group; the group stays in the menu."""
    item = menu_item(item_id, lock=True)
    link = _link(item.id, _uuid_or_404(group_id))
    if link is None:
        raise NotFound(_("No such option group."))
    db.session.delete(link)
    db.session.flush()


def _uuid_or_404(raw_id):
    try:
        return uuid.UUID(str(raw_id))
    except ValueError:
        raise NotFound(_("No such option group.")) from None


def move_group(item_id, group_id, step: int) -> None:
    """Move a group up (-1) or down (+1) among the item's groups."""
    group = _locked_group(item_id, group_id, lock={"read": True})
    move_in_order(_item_links(item_id), group.id, step, key=lambda link: link.group_id)


def delete_group(item_id, group_id) -> OptionGroup:
    """The group, its options and its links to items (ON DELETE CASCADE), from the whole
    menu; past orders keep their snapshot. With an `item_id` (asked from the item's page)
    the group must be attached to that item."""
    group_id = _uuid_or_404(group_id)
    attached = db.session.scalars(
        select(ItemOptionGroup.menu_item_id).where(ItemOptionGroup.group_id == group_id)
    ).all()
    if attached:
        db.session.execute(
            select(MenuItem.id)
            .where(MenuItem.id.in_(attached))
            .order_by(MenuItem.id)
            .with_for_update()
        )
    group = get_or_404(OptionGroup, group_id, "option group", lock=True)
    if item_id is not None and _link(_uuid_or_404(item_id), group.id) is None:
        raise NotFound(_("No such option group."))
    db.session.delete(group)
    db.session.flush()
    return group


def create_option(item_id, group_id, name, price_delta) -> Option:
    group = _locked_group(item_id, group_id)
    fields = _option_fields(name, price_delta)
    siblings = _siblings(Option, Option.group_id, group.id)
    too_many = _("a group has at most %(limit)s options", limit=MAX_OPTIONS_PER_GROUP)
    return _append(
        Option(group_id=group.id, **fields), siblings, MAX_OPTIONS_PER_GROUP, too_many, "option"
    )


def update_option(item_id, group_id, option_id, name, price_delta) -> Option:
    option = _locked_option(item_id, group_id, option_id)
    fields = _option_fields(name, price_delta)
    siblings = _siblings(Option, Option.group_id, option.group_id)
    _refuse_taken_name(siblings, fields["name"], this=option, kind="option")
    option.name, option.price_delta = fields["name"], fields["price_delta"]
    db.session.flush()
    return option


def set_option_available(item_id, group_id, option_id, available) -> Option:
    """`available`: a bool, or as a form sends it ("true" / "false")."""
    if isinstance(available, str) or available is None:
        if available not in ("true", "false"):
            raise Invalid("available", _("must be true or false"))
        available = available == "true"
    option = _locked_option(item_id, group_id, option_id)
    option.is_available = bool(available)
    db.session.flush()
    return option


def move_option(item_id, group_id, option_id, step: int) -> None:
    option = _locked_option(item_id, group_id, option_id)
    move_in_order(_siblings(Option, Option.group_id, option.group_id), option.id, step)


def delete_option(item_id, group_id, option_id) -> Option:
    option = _locked_option(item_id, group_id, option_id)
    db.session.delete(option)
    db.session.flush()
    return option


# --- an item's groups as data: what restoring or duplicating an item needs -----------------


def item_links_snapshot(item_id) -> list[dict]:
    """The item's groups as its links (``{"group_id", "rank"}``, ids as text): the groups
    belong to the menu, so a deleted item's snapshot or a copy names them, not copies them."""
    return [
        {"group_id": str(link.group_id), "rank": link.rank}
        for link in db.session.scalars(
            select(ItemOptionGroup).where(ItemOptionGroup.menu_item_id == item_id)
        )
    ]


def put_back_links(item_id, snapshot: list[dict]) -> int:
    """Attach the snapshot's groups that are still in the menu to `item_id` (a restored item
    or a copy, which the caller has just written), at their ranks; a group deleted meanwhile
    is left out. Each group is locked (shared) so it is not deleted under the new link.
    Returns how many were attached."""
    wanted = {}
    for entry in snapshot:
        try:
            wanted[uuid.UUID(str(entry.get("group_id")))] = int(entry.get("rank", 0))
        except (TypeError, ValueError, AttributeError):
            continue  # not a link (an older snapshot's shape): nothing to attach
    if not wanted:
        return 0
    present = db.session.scalars(
        select(OptionGroup.id)
        .where(OptionGroup.id.in_(wanted))
        .order_by(OptionGroup.id)
        .with_for_update(read=True)
    ).all()
    for group_id in present:
        db.session.add(
            ItemOptionGroup(menu_item_id=item_id, group_id=group_id, rank=wanted[group_id])
        )
    db.session.flush()
    return len(present)
