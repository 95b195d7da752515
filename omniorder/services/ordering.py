"""Placing an order: prices and availability are re-read in the same transaction.

The order's `items` is the spec's JSON snapshot — ``{menu_item_id, name, unit_price, quantity,
line_total}`` per line, all in cents — so later menu changes never rewrite history. Nothing the
client says about prices is used. An idempotency key makes a retried or double-submitted
checkout return the first order instead of creating a second one; the key is stored with a
digest of the order it asked for, so the same key with another order is refused (422) instead
of handing the first order (its tracking link, name and items) to whoever sent the second.
"""

import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from omniorder.errors import Conflict, Invalid, NotFound, Unprocessable
from omniorder.extensions import db
from omniorder.models import ORDER_STATUSES, MenuItem, Order
from omniorder.services.kitchen import bump_board_version

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_CUSTOMER_NAME = 100
MAX_IDEMPOTENCY_KEY = 200
# The most one order may total, in minor units (1,000,000.00): far above any real basket, far
# below what orders.total_amount (bigint) holds, so a total can never overflow the column.
MAX_ORDER_TOTAL = 100_000_000
KEY_REUSED = "This Idempotency-Key was already used for a different order; use a new key."


@dataclass(frozen=True)
class OrderLine:
    menu_item_id: uuid.UUID
    quantity: int


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when an earlier request with the same key already placed it


def clean_customer_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("customer_name", "is required")
    name = name.strip()
    if len(name) > MAX_CUSTOMER_NAME:
        raise Invalid("customer_name", f"must be at most {MAX_CUSTOMER_NAME} characters")
    if any(ord(character) < 32 or 0x7F <= ord(character) < 0xA0 for character in name):
        raise Invalid("customer_name", "must not contain control characters")
    return name


def parse_lines(raw_lines) -> list[OrderLine]:
    """[{"menu_item_id": "<uuid>", "quantity": 2}, …] → OrderLines, or `Invalid`."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise Invalid("items", "must be a non-empty list")
    if len(raw_lines) > MAX_LINES:
        raise Invalid("items", f"must have at most {MAX_LINES} lines")
    lines, seen = [], set()
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise Invalid(f"items[{index}]", "must be an object")
        try:
            item_id = uuid.UUID(str(raw.get("menu_item_id")))
        except ValueError:
            raise Invalid(f"items[{index}].menu_item_id", "must be a menu item id") from None
        quantity = raw.get("quantity")
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            raise Invalid(f"items[{index}].quantity", f"must be a whole number 1..{MAX_QUANTITY}")
        if item_id in seen:
            raise Invalid(f"items[{index}].menu_item_id", "appears twice; use one line")
        seen.add(item_id)
        lines.append(OrderLine(item_id, quantity))
    return lines


def clean_idempotency_key(key) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise Invalid(
            "idempotency_key", f"must be printable, at most {MAX_IDEMPOTENCY_KEY} characters"
        )
    return key


def place_order(customer_name, lines: list[OrderLine], idempotency_key=None) -> PlacedOrder:
    """Add a PENDING order to the caller's transaction, or return the one the key placed."""
    customer_name = clean_customer_name(customer_name)
    idempotency_key = clean_idempotency_key(idempotency_key)
    if not lines:
        raise Invalid("items", "must be a non-empty list")
    digest = request_digest(customer_name, lines)
    if idempotency_key is not None:
        existing = _order_with_key(idempotency_key, digest)
        if existing is not None:
            return PlacedOrder(existing, created=False)

    wanted = {line.menu_item_id: line.quantity for line in lines}
    # FOR SHARE: an item cannot be sold out or repriced under us until this order commits.
    items = {
        item.id: item
        for item in db.session.scalars(
            select(MenuItem).where(MenuItem.id.in_(wanted)).with_for_update(read=True)
        )
    }
    unknown = [str(item_id) for item_id in wanted if item_id not in items]
    if unknown:
        raise Invalid("items", f"unknown menu item {unknown[0]}")
    sold_out = [item.name for item in items.values() if not item.is_available]
    if sold_out:
        raise Conflict(f"Sorry, {', '.join(sorted(sold_out))} just sold out.")

    snapshot = [
        {
            "menu_item_id": str(item_id),
            "name": items[item_id].name,
            "unit_price": items[item_id].price,
            "quantity": quantity,
            "line_total": items[item_id].price * quantity,
        }
        for item_id, quantity in wanted.items()
    ]
    total = sum(line["line_total"] for line in snapshot)
    if total > MAX_ORDER_TOTAL:
        raise Invalid(
            "items",
            f"an order may total at most {MAX_ORDER_TOTAL // 100:,}.00; "
            "please split it into smaller orders",
        )
    values = {
        "customer_name": customer_name,
        "items": snapshot,
        "total_amount": total,
        "subtotal": total,
        "idempotency_key": idempotency_key,
        "request_digest": digest if idempotency_key is not None else None,
    }
    statement = insert(Order).values(**values).returning(Order.id)
    if idempotency_key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[Order.idempotency_key])
    order_id = db.session.scalar(statement)
    if order_id is None:  # a concurrent request with the same key committed first
        return PlacedOrder(_order_with_key(idempotency_key, digest), created=False)
    bump_board_version()
    return PlacedOrder(db.session.get(Order, order_id), created=True)


def request_digest(customer_name: str, lines: list[OrderLine]) -> str:
    """SHA-256 of the order as asked for (cleaned name, lines in item order): the same
    request sent twice has the same digest, whatever its JSON's key order or spacing."""
    canonical = json.dumps(
        {
            "customer_name": customer_name,
            "items": sorted([str(line.menu_item_id), line.quantity] for line in lines),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _order_with_key(key: str, digest: str) -> Order | None:
    """The order an earlier request placed with `key`, if it asked for the same order;
    `Unprocessable` when it asked for another (orders from before digests were kept match)."""
    order = db.session.scalars(select(Order).where(Order.idempotency_key == key)).one_or_none()
    if order is not None and order.request_digest not in (None, digest):
        raise Unprocessable(KEY_REUSED)
    return order


def order_by_id(order_id) -> Order:
    """The bound tenant's order; `NotFound` for a malformed id or another tenant's order."""
    try:
        order_id = uuid.UUID(str(order_id))
    except ValueError:
        raise NotFound("No such order.") from None
    order = db.session.get(Order, order_id)
    if order is None:
        raise NotFound("No such order.")
    return order


def order_as_json(order: Order) -> dict:
    return {
        "id": str(order.id),
        "number": order.number,
        "status": order.status,
        "customer_name": order.customer_name,
        "total_amount": order.total_amount,
        "items": order.items,
        "created_at": order.created_at.isoformat(),
    }


ORDERS_PAGE = 50
ORDER_NUMBER = re.compile(r"[0-9]{1,9}")


def find_orders(search: str = "", status: str = "", before: str = "") -> tuple[list[Order], bool]:
    """The back office's order history, newest first, a page at a time: (orders, more?).

    `search` is an order number or part of the customer's name (any case); `status` one of
    the statuses or empty; `before` an order number, for the next page. Keyset paging on the
    number (its unique index, read backwards) stays as fast on the last page of a year as on
    the first, where an OFFSET would read every skipped row."""
    search = search.strip()
    if len(search) > 100:
        raise Invalid("q", "must be at most 100 characters")
    if status and status not in ORDER_STATUSES:
        raise Invalid("status", "must be PENDING, COOKING or DONE")
    if before and not ORDER_NUMBER.fullmatch(before):
        raise Invalid("before", "must be an order number")
    query = select(Order).order_by(Order.number.desc()).limit(ORDERS_PAGE + 1)
    if ORDER_NUMBER.fullmatch(search):
        query = query.where(Order.number == int(search))
    elif search:
        escaped = re.sub(r"([\\%_])", r"\\\1", search)  # the name's %, _ and \ are literal
        query = query.where(Order.customer_name.ilike(f"%{escaped}%", escape="\\"))
    if status:
        query = query.where(Order.status == status)
    if before:
        query = query.where(Order.number < int(before))
    orders = list(db.session.scalars(query))
    return orders[:ORDERS_PAGE], len(orders) > ORDERS_PAGE
