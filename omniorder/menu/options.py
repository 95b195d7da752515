"""An item's option groups (Size: min 1, max 1; Extras: min 0, max 3) and their options,
kept by the back office in the item's page.

Locking, as for the rest of the menu (menu/catalog.py): every change here locks the ITEM
first (``FOR UPDATE``), then the group or option it changes. So changes to one item's
choices queue behind each other and behind an edit or delete of the item itself (which lock
the item too), and whoever comes second finds a deleted item, group or option gone (404)
instead of failing inside its flush (a 500). Everyone takes the item before its groups and
options, so two changes never wait for each other in opposite orders (no deadlock).

A group's rules: ``min ≥ 0``, ``max ≥ 1``, ``max ≥ min``. A group may allow more choices than
it has options, and may for a while ask for more than it has: it is built one option at a
time, so neither is refused here (the item page warns while customers cannot satisfy it,
and ordering refuses such a choice with its own message). Names are unique within their
item (groups) or group (options), ignoring case, so a ticket never reads "Large, Large".
"""

from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Invalid, NotFound, check_fields
from omniorder.menu.catalog import (
    clean_name,
    get_or_404,
    menu_item,
    move_in_order,
    parse_typed_amount,
)
from omniorder.menu.models import Option, OptionGroup

MAX_GROUPS_PER_ITEM = 20
MAX_OPTIONS_PER_GROUP = 50
MAX_CHOICES = 50


def parse_count(value, field: str) -> int:
    """A number of choices: a whole number 0…MAX_CHOICES, given as an int or as typed text."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 3 else MAX_CHOICES + 1
    if type(value) is not int or not 0 <= value <= MAX_CHOICES:
        raise Invalid(field, f"must be a whole number from 0 to {MAX_CHOICES}")
    return value


def check_choices(min_choices: int, max_choices: int) -> None:
    """The group's rules beyond each number's own range (`parse_count`)."""
    if max_choices < 1:
        raise Invalid("max", "must be at least 1")
    if max_choices < min_choices:
        raise Invalid("max", "must be ≥ min")


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


def option_groups(item_id) -> list[tuple[OptionGroup, list[Option]]]:
    """The item's groups with their options, both in rank order (the item's edit page)."""
    groups = list(
        db.session.scalars(
            select(OptionGroup)
            .where(OptionGroup.menu_item_id == item_id)
            .order_by(OptionGroup.rank, OptionGroup.name, OptionGroup.id)
        )
    )
    options: dict = {group.id: [] for group in groups}
    if groups:
        for option in db.session.scalars(
            select(Option)
            .where(Option.group_id.in_(options))
            .order_by(Option.rank, Option.name, Option.id)
        ):
            options[option.group_id].append(option)
    return [(group, options[group.id]) for group in groups]


def _locked_group(item_id, group_id) -> OptionGroup:
    item = menu_item(item_id, lock=True)
    group = get_or_404(OptionGroup, group_id, "option group", lock=True)
    if group.menu_item_id != item.id:
        raise NotFound("No such option group.")
    return group


def _locked_option(item_id, group_id, option_id) -> Option:
    group = _locked_group(item_id, group_id)
    option = get_or_404(Option, option_id, "option", lock=True)
    if option.group_id != group.id:
        raise NotFound("No such option.")
    return option


def _siblings(model, parent_column, parent_id) -> list:
    return list(
        db.session.scalars(
            select(model)
            .where(parent_column == parent_id)
            .order_by(model.rank, model.name, model.id)
        )
    )


def _refuse_taken_name(siblings, name: str, this=None, kind: str = "group") -> None:
    if any(s is not this and s.name.casefold() == name.casefold() for s in siblings):
        raise Invalid("name", f"another {kind} here is called {name}")


def _append(row, siblings: list, limit: int, too_many: str, kind: str):
    """Add a new group or option after its `siblings`: within the limit, its name unique."""
    if len(siblings) >= limit:
        raise Invalid("name", too_many)
    _refuse_taken_name(siblings, row.name, kind=kind)
    row.rank = max((sibling.rank for sibling in siblings), default=-1) + 1
    db.session.add(row)
    db.session.flush()
    return row


def create_group(item_id, name, min_choices, max_choices) -> OptionGroup:
    item = menu_item(item_id, lock=True)
    fields = _group_fields(name, min_choices, max_choices)
    siblings = _siblings(OptionGroup, OptionGroup.menu_item_id, item.id)
    too_many = f"an item has at most {MAX_GROUPS_PER_ITEM} option groups"
    return _append(
        OptionGroup(menu_item_id=item.id, **fields),
        siblings,
        MAX_GROUPS_PER_ITEM,
        too_many,
        "group",
    )


def update_group(item_id, group_id, name, min_choices, max_choices) -> OptionGroup:
    group = _locked_group(item_id, group_id)
    fields = _group_fields(name, min_choices, max_choices)
    siblings = _siblings(OptionGroup, OptionGroup.menu_item_id, group.menu_item_id)
    _refuse_taken_name(siblings, fields["name"], this=group)
    for column, value in fields.items():
        setattr(group, column, value)
    db.session.flush()
    return group


def move_group(item_id, group_id, step: int) -> None:
    group = _locked_group(item_id, group_id)
    move_in_order(
        _siblings(OptionGroup, OptionGroup.menu_item_id, group.menu_item_id), group.id, step
    )


def delete_group(item_id, group_id) -> OptionGroup:
    """The group and its options (ON DELETE CASCADE); past orders keep their snapshot."""
    group = _locked_group(item_id, group_id)
    db.session.delete(group)
    db.session.flush()
    return group


def create_option(item_id, group_id, name, price_delta) -> Option:
    group = _locked_group(item_id, group_id)
    fields = _option_fields(name, price_delta)
    siblings = _siblings(Option, Option.group_id, group.id)
    too_many = f"a group has at most {MAX_OPTIONS_PER_GROUP} options"
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


def set_option_available(item_id, group_id, option_id, available: bool) -> Option:
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
