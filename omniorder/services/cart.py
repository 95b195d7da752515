"""A customer's cart: {menu_item_id: quantity}, kept by the caller (the signed session).

Prices are never stored in the cart; they are read from the menu whenever the cart is shown
and again, in the order's own transaction, at checkout.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from omniorder.errors import Invalid
from omniorder.extensions import db
from omniorder.models import MenuItem
from omniorder.services.ordering import MAX_LINES, MAX_QUANTITY, OrderLine

Cart = dict[str, int]


@dataclass(frozen=True)
class CartLine:
    item: MenuItem
    quantity: int

    @property
    def line_total(self) -> int:
        return self.item.price * self.quantity


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]

    @property
    def total(self) -> int:
        return sum(line.line_total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def sold_out(self) -> list[str]:
        return [line.item.name for line in self.lines if not line.item.is_available]


def _item_id(raw) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError:
        raise Invalid("item_id", "is not a menu item") from None


def add_to_cart(cart: Cart, item_id, quantity: int = 1) -> Cart:
    """Add `quantity` of an available item; the total per item is capped at 99."""
    key = _item_id(item_id)
    item = db.session.get(MenuItem, uuid.UUID(key))
    if item is None:
        raise Invalid("item_id", "is not on the menu")
    if not item.is_available:
        raise Invalid("item_id", f"{item.name} is sold out")
    if key not in cart and len(cart) >= MAX_LINES:
        raise Invalid("item_id", f"a cart holds at most {MAX_LINES} different items")
    return {**cart, key: min(cart.get(key, 0) + quantity, MAX_QUANTITY)}


def set_quantity(cart: Cart, item_id, quantity: int) -> Cart:
    """Change a line's quantity; 0 removes it."""
    key = _item_id(item_id)
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid("quantity", f"must be 0..{MAX_QUANTITY}")
    updated = {k: v for k, v in cart.items() if k != key}
    if quantity and key in cart:
        updated[key] = quantity
    return updated


def view_cart(cart: Cart) -> CartView:
    """The cart against today's menu; lines whose item was deleted disappear."""
    if not cart:
        return CartView([])
    ids = [uuid.UUID(key) for key in cart]
    items = {
        str(item.id): item
        for item in db.session.scalars(select(MenuItem).where(MenuItem.id.in_(ids)))
    }
    return CartView(
        [CartLine(items[key], quantity) for key, quantity in cart.items() if key in items]
    )


def order_lines(cart: Cart) -> list[OrderLine]:
    return [OrderLine(uuid.UUID(key), quantity) for key, quantity in cart.items()]
