"""A restaurant's choices for ordering tests: items with option groups (written through the
models, not the back office, so these tests do not depend on its pages or the demo data), and
its tax and tip settings (through the settings service)."""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select, update

from omniorder.core.database import db
from omniorder.core.unit_of_work import unit_of_work
from omniorder.menu.models import ItemOptionGroup, MenuItem, Option, OptionGroup
from omniorder.settings.document import update_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry


@contextmanager
def bound(app, tenant):
    """An app context bound to `tenant` whose work commits at the end of the block."""
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)), unit_of_work():
        yield


@dataclass(frozen=True)
class Dish:
    """An item with its option ids by option name ("Large", "Basil"…)."""

    id: uuid.UUID
    name: str
    price: int
    options: dict[str, uuid.UUID]
    groups: dict[str, uuid.UUID]


def _same_group(group_id, low, high, options) -> bool:
    group = db.session.get(OptionGroup, group_id)
    stored = db.session.execute(
        select(Option.name, Option.price_delta, Option.is_available)
        .where(Option.group_id == group_id)
        .order_by(Option.rank)
    ).all()
    wanted = [
        (name, delta, available[0] if available else True) for name, delta, *available in options
    ]
    return (group.min_choices, group.max_choices) == (low, high) and [
        tuple(r) for r in stored
    ] == wanted


def add_dish(app, tenant, name, price, groups=(), allergens=(), is_available=True) -> Dish:
    """An item with option groups: groups = [(group name, min, max, [(option, delta) or
    (option, delta, available)…]), …] in the item's order. Groups belong to the menu: a
    group of that name with the same choices and options is attached (shared), else a new
    group is made (named "Size (Margherita)" when another group is called Size)."""
    with bound(app, tenant):
        item = MenuItem(
            name=name, price=price, allergens=list(allergens), is_available=is_available
        )
        db.session.add(item)
        db.session.flush()
        option_ids, group_ids = {}, {}
        for rank, (group_name, low, high, options) in enumerate(groups):
            existing = db.session.scalar(
                select(OptionGroup.id).where(func.lower(OptionGroup.name) == group_name.lower())
            )
            if existing is not None and _same_group(existing, low, high, options):
                group_id = existing
                for option in db.session.scalars(select(Option).where(Option.group_id == existing)):
                    option_ids[option.name] = option.id
            else:
                group = OptionGroup(
                    name=group_name if existing is None else f"{group_name} ({name})",
                    min_choices=low,
                    max_choices=high,
                )
                db.session.add(group)
                db.session.flush()
                group_id = group.id
                for option_rank, (option_name, delta, *available) in enumerate(options):
                    option = Option(
                        group_id=group.id,
                        name=option_name,
                        price_delta=delta,
                        is_available=available[0] if available else True,
                        rank=option_rank,
                    )
                    db.session.add(option)
                    db.session.flush()
                    option_ids[option_name] = option.id
            db.session.add(ItemOptionGroup(menu_item_id=item.id, group_id=group_id, rank=rank))
            db.session.flush()
            group_ids[group_name] = group_id
        return Dish(item.id, name, price, option_ids, group_ids)


def change_option(app, tenant, option_id, **values) -> None:
    with bound(app, tenant):
        db.session.execute(update(Option).where(Option.id == option_id).values(**values))


def delete_group(app, tenant, group_id) -> None:
    with bound(app, tenant):
        db.session.delete(db.session.get(OptionGroup, group_id))


def set_settings(app, tenant, **change) -> dict:
    """Merge `change` into the restaurant's settings (tax={…}, tips={…}, currency=…)."""
    with bound(app, tenant):
        return update_settings(change)


PIZZA_GROUPS = [
    ("Size", 1, 1, [("Regular", 0), ("Large", 300)]),
    ("Extras", 0, 2, [("Basil", 50), ("Olives", 80), ("Truffle", 900, False)]),
]


def add_pizza(app, tenant, name="Margherita", price=1100) -> Dish:
    """Margherita 11.00: Size (required, one of Regular +0, Large +3.00) and Extras (up to
    two of Basil +0.50, Olives +0.80, Truffle +9.00 which is sold out); gluten and milk."""
    return add_dish(app, tenant, name, price, PIZZA_GROUPS, allergens=("gluten", "milk"))
