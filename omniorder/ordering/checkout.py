"""Placing an order: priced from the worker's price list, checked by the INSERT itself.

A warm order is one statement (and the change feed's notification at commit): the INSERT …
SELECT inserts the order only while the menu's version is still the one its prices were read
at, counts the ready estimate's queue, raises the board's version on one stripe and returns
the row (`_insert_order`). Nothing is locked for the restaurant as a whole: a capped slot is
locked alone (ordering/pickup.lock_slot), the order number is the identity's sequence.

The order's `items` is the JSON snapshot of what was bought, per line: ``{menu_item_id, name,
unit_price, options: [{id, group, name, price_delta}], quantity, line_total, note}``, amounts in
the currency's minor unit; the order keeps its subtotal, tax (and whether the prices included
it), tip, total and currency beside it (ordering/pricing.py computes them). Later menu and
settings changes never rewrite history. Nothing the client says about prices is used.

An idempotency key makes a retried or double-submitted checkout return the first order instead
of creating a second one; the key is stored with a digest of the order it asked for (lines with
their options and notes, the order's note, the tip), so the same key with another order is
refused (422) instead of handing the first order (its tracking link, name and items) to
whoever sent the second.
"""

import datetime
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from omniorder.core.database import db, get_or_404
from omniorder.core.errors import (
    BrokenRule,
    Conflict,
    DomainError,
    Invalid,
    Unprocessable,
)
from omniorder.core.money import amount_for_input
from omniorder.core.unit_of_work import commit_step
from omniorder.menu.models import MenuVersion
from omniorder.menu.translations import customer_language, localized_snapshot
from omniorder.notifications.outbox import order_event
from omniorder.ordering.models import (
    AWAITING_PAYMENT,
    ORDER_STATUSES,
    Order,
    board_version_bump,
    own_stripe,
)
from omniorder.ordering.order_input import (
    Contact,
    OrderLine,
    clean_customer_name,
    clean_idempotency_key,
    clean_order_note,
    wants_online_payment,
)
from omniorder.ordering.pickup import (
    ONE_MORE_MINUTE,
    check_order_time,
    ensure_room,
    local_iso,
    orders_ahead_count,
    ready_estimate,
    ready_time,
    utc_now,
)
from omniorder.ordering.price_list import PriceList, price_list
from omniorder.ordering.pricing import (
    Tip,
    choose_options,
    order_totals,
    priced_line,
    unorderable,
)
from omniorder.platform.setup import refuse_unpublished
from omniorder.platform.suspension import refuse_while_suspended
from omniorder.printing.jobs import queue_tickets
from omniorder.settings.document import current_settings, use_settings

# The most one order may total, in minor units (1,000,000.00): far above any real basket, far
# below what orders.total_amount (bigint) holds, so a total can never overflow the column.
MAX_ORDER_TOTAL = 100_000_000
KEY_REUSED = "This Idempotency-Key was already used for a different order; use a new key."


ATTEMPTS = 3  # prices read again this often when the menu changes under an order
MENU_MOVED = _l("The menu changed while your order was being placed; please send it again.")


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when an earlier request with the same key already placed it
    # An order paid online: the PaymentIntent opened for it in this request (`open_payment`),
    # or one opened and not used (an earlier request with the same key had placed the order).
    payment: dict | None = None
    unused_payment: dict | None = None


# (order id, amount, currency) → the PaymentIntent opened for it (payments/online.py)
OpenPayment = Callable[[uuid.UUID, int, str], dict]


def place_order(
    customer_name,
    lines: list[OrderLine],
    idempotency_key=None,
    note=None,
    tip: Tip | None = None,
    pickup_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
    contact: Contact | None = None,
    payment: str | None = None,
    open_payment: OpenPayment | None = None,
) -> PlacedOrder:
    """Add a PENDING order to the caller's transaction, or return the one the key placed
    (a retry is answered even after closing time or once its slot is full).

    `pickup_at` (aware) asks for a scheduled pickup, None for as soon as possible; the order's
    ``ready_at`` follows ordering/pickup.py, which also refuses it: `Closed`, `Paused`,
    `SlotFull` (409) or `BrokenRule` (422, a pickup time the restaurant cannot serve). `now` is
    the caller's clock (tests freeze it). `contact` (ordering/order_input.clean_contact): the
    customer's e-mail gets the receipt (notifications/outbox.py), the phone is kept. The order
    keeps the language the request is served in, for its e-mails (none outside a request: the
    restaurant's default).
    `payment`: ``online``, ``counter`` or None for the restaurant's default
    (`wants_online_payment`); an order paid online awaits its payment (payments/online.py):
    off the board, no receipt yet, its slot held. Its PaymentIntent is opened by
    `open_payment` before the INSERT, with no transaction open (nor the slot's lock held), and
    inserted with the order: an order paid online costs the PaymentIntent's call and nothing
    else. A checkout refused after that (its slot filled meanwhile) leaves the PaymentIntent
    unconfirmed: nobody can pay it, it charges nothing. Without `open_payment` (the
    storefront) the PaymentIntent is opened with the first card (payments/online.py).

    Priced from the worker's price list (ordering/price_list.py); the INSERT checks its
    version, so a warm order is one statement and the notification at commit. A refusal is
    only ever given from a price list read afresh in this transaction."""
    refuse_while_suspended()
    customer_name = clean_customer_name(customer_name)
    note = clean_order_note(note)
    idempotency_key = clean_idempotency_key(idempotency_key)
    if not lines:
        raise Invalid("items", "must be a non-empty list")
    now = now or utc_now()
    prices = price_list()
    online = wants_online_payment(prices.settings, payment)
    digest = request_digest(customer_name, lines, note, tip, pickup_at, contact, online)
    order_id, intent = uuid.uuid4(), None
    for _attempt in range(ATTEMPTS):
        try:
            values = _order_values(prices, customer_name, lines, note, tip, pickup_at, now)
            if online and open_payment is not None:
                use_settings(prices.settings)  # the keys come from the priced settings
                intent = _payment_for(open_payment, intent, order_id, values)
            _hold_slot(values, prices.settings, pickup_at, now)
        except DomainError:
            if not prices.fresh:  # memory may lag a change by a notification: ask the database
                prices = price_list(fresh=True)
                continue
            earlier = _placed_earlier(idempotency_key, digest)
            if earlier is not None:
                return earlier
            raise
        values.update(
            id=order_id,
            idempotency_key=idempotency_key,
            request_digest=digest if idempotency_key is not None else None,
            customer_email=contact and contact.email,
            customer_phone=contact and contact.phone,
            payment_status=AWAITING_PAYMENT if online else "counter",
            payment_intent_id=intent and intent["id"],
            # as the snapshot's names: from the priced settings, no second read of them
            language=customer_language(prices.settings["languages"])
            if has_request_context()
            else None,
        )
        order = _insert_order(values, prices, now)
        if order is not None:
            use_settings(prices.settings)
            if not online:  # an online order is announced once paid (payments/online.py)
                order_event(order, "order.created", webhook_url=prices.webhook_url)
                queue_tickets(order, prices.settings, prices.items)  # and printed once paid
            return PlacedOrder(order, created=True, payment=intent)
        earlier = _placed_earlier(idempotency_key, digest)  # else the menu moved
        if earlier is not None:
            return PlacedOrder(earlier.order, created=False, unused_payment=intent)
        prices = price_list(fresh=True)
    raise Conflict(MENU_MOVED)


def _payment_for(open_payment: OpenPayment, intent, order_id, values: dict) -> dict:
    """The PaymentIntent for `values`' total: the one opened already when the total is the
    same (a retry after the menu moved), else a new one, asked with no transaction open."""
    amount, currency = values["total_amount"], values["currency"]
    if intent is not None and intent["amount"] == amount:
        return intent
    if db.session().in_transaction():
        commit_step()  # only reads so far (a fresh price list): nothing held while Stripe is asked
    return open_payment(order_id, amount, currency)


def _placed_earlier(key: str | None, digest: str) -> PlacedOrder | None:
    order = None if key is None else _order_with_key(key, digest)
    return None if order is None else PlacedOrder(order, created=False)


def _order_values(prices: PriceList, customer_name: str, lines, note, tip, pickup_at, now) -> dict:
    """The order's columns as priced by `prices`, or the refusal (`DomainError`)."""
    settings = prices.settings
    refuse_unpublished(settings)
    check_order_time(settings, pickup_at, now)
    language = customer_language(settings["languages"])
    snapshot = priced_snapshot(prices, lines, language)
    totals = order_totals(sum(line["line_total"] for line in snapshot), settings, tip)
    if totals.total > MAX_ORDER_TOTAL:
        limit = amount_for_input(MAX_ORDER_TOTAL, "en_US", settings["currency"])
        raise BrokenRule(
            "items",
            _(
                "an order may total at most %(limit)s; please split it into smaller orders",
                limit=limit,
            ),
        )
    values = {
        "customer_name": customer_name,
        "items": snapshot,
        "subtotal": totals.subtotal,
        "tax": totals.tax,
        "tax_inclusive": totals.tax_inclusive,
        "tip": totals.tip,
        "total_amount": totals.total,
        "currency": settings["currency"],
        "note": note,
        "pickup_at": pickup_at,
    }
    return values


def _hold_slot(values: dict, settings: dict, pickup_at, now) -> None:
    """A capped slot is counted (and locked) right before the INSERT, in its transaction."""
    if settings["max_orders_per_slot"]:
        values["ready_at"] = ready_time(settings, pickup_at, now)
        ensure_room(settings, values["ready_at"], now)


def _insert_order_statement():
    """Built once (its construction would cost more than its round trip): every value a
    parameter. ``ready_at``: the pickup time or the slot's count's estimate when given, else
    the ASAP estimate with the queue counted here (`orders_ahead_count`)."""
    table = Order.__table__
    menu_unchanged = select(MenuVersion.version).scalar_subquery() == bindparam("menu_version")
    moment = table.c.ready_at.type
    soonest = bindparam("soonest", type_=moment)  # now + prep: ready then with no queue
    queue = orders_ahead_count(soonest).scalar_subquery()
    ready_at = func.coalesce(
        bindparam("ready_at", type_=moment), soonest + queue * literal(ONE_MORE_MINUTE)
    )
    chosen = select(
        *(bindparam(name, type_=table.c[name].type) for name in ORDER_PARAMETERS), ready_at
    ).where(menu_unchanged)
    return (
        insert(table)  # the table, not the entity: the ORM would read parameters as rows
        .from_select([*ORDER_PARAMETERS, "ready_at"], chosen)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .add_cte(board_version_bump(menu_unchanged).cte("bumped"))
        .returning(*table.c)
    )


ORDER_PARAMETERS = (
    "id",
    "customer_name",
    "items",
    "subtotal",
    "tax",
    "tax_inclusive",
    "tip",
    "total_amount",
    "currency",
    "note",
    "pickup_at",
    "idempotency_key",
    "request_digest",
    "customer_email",
    "customer_phone",
    "payment_status",
    "payment_intent_id",
    "language",
)
INSERT_ORDER = _insert_order_statement()
ORDER_COLUMNS = tuple(Order.__table__.c.keys())


def _insert_order(values: dict, prices: PriceList, now: datetime.datetime) -> Order | None:
    """ONE statement: the order inserted while the menu's version is still the one `prices`
    was read at (else nothing), its ready estimate counted in the same statement, the board's
    version raised on a free stripe under the same condition, the row returned. None when
    nothing was inserted: the menu moved, or the idempotency key was taken (then the board's
    version moved for nothing, which costs a tablet one redraw)."""
    parameters = {name: values.get(name) for name in ORDER_PARAMETERS}
    parameters.update(
        menu_version=prices.version,
        ready_at=values.get("ready_at") or values["pickup_at"],
        soonest=ready_estimate(prices.settings, now, 0),
        own_stripe=own_stripe(),
    )
    row = db.session.connection().execute(INSERT_ORDER, parameters).one_or_none()
    if row is None:
        return None
    return Order(**{name: row._mapping[name] for name in ORDER_COLUMNS})


def priced_snapshot(prices: PriceList, lines: list[OrderLine], language: str) -> list[dict]:
    """The order's lines as bought, from `prices`: every choice checked (422 naming each
    problem), then sold-out items and options (409); the names as the customer read them,
    in `language` (menu/translations.py)."""
    items = prices.items
    unknown = [str(line.menu_item_id) for line in lines if line.menu_item_id not in items]
    if unknown:  # a well-formed id the menu does not hold (now): the client's menu is stale
        raise Conflict(
            f"Menu item {unknown[0]} is not on this restaurant's menu; read GET /api/v1/menu again."
        )
    wanted = {line.menu_item_id for line in lines}
    groups = prices.groups
    # An item whose required group has nothing on sale: a 409 naming the missing choice,
    # before the per-line checks would ask the client to "choose a Size" it cannot choose.
    blocked = {unorderable(items[id_], groups.get(id_, [])) for id_ in wanted} - {None}
    if blocked:
        raise Conflict(_("Sorry, %(reasons)s.", reasons="; ".join(sorted(blocked))))
    chosen, problems = [], {}
    for index, line in enumerate(lines):
        item = items[line.menu_item_id]
        try:
            chosen.append(choose_options(item, groups.get(item.id, []), line.options))
        except Invalid as error:
            problems[f"items[{index}].options"] = error.fields["options"]
    if problems:  # well-formed option ids that break the item's group rules
        raise BrokenRule(fields=problems)
    sold_out = {items[id_].name for id_ in wanted if not items[id_].is_available}
    sold_out |= {
        f"{items[line.menu_item_id].name} ({choice.option.name})"
        for line, picked in zip(lines, chosen, strict=True)
        for choice in picked
        if not choice.option.is_available
    }
    if sold_out:
        raise Conflict(_("Sorry, %(names)s just sold out.", names=", ".join(sorted(sold_out))))
    snapshot = []
    for line, picked in zip(lines, chosen, strict=True):
        item = items[line.menu_item_id]
        priced = localized_snapshot(
            priced_line(item, picked, line.quantity, line.note), item, picked, language
        )
        if item.station:  # the kitchen station it goes to (kitchen.board)
            priced["station"] = item.station
        snapshot.append(priced)
    return snapshot


def request_digest(
    customer_name: str,
    lines: list[OrderLine],
    note: str | None = None,
    tip: Tip | None = None,
    pickup_at: datetime.datetime | None = None,
    contact: Contact | None = None,
    online: bool = False,
) -> str:
    """SHA-256 of the order as asked for (cleaned name, lines in a fixed order with their
    options and notes, the order's note, the tip, the pickup time): the same request sent
    twice has the same digest, whatever its JSON's key order, spacing or the pickup time's
    offset. A plain order (no options, notes, tip or pickup time) keeps the digest it had
    before those existed."""
    asked = {
        "customer_name": customer_name,
        "items": sorted(
            [str(line.menu_item_id), line.quantity]
            + (
                [[str(o) for o in line.options], line.note or ""]
                if line.options or line.note
                else []
            )
            for line in lines
        ),
    }
    if note:
        asked["note"] = note
    if tip is not None:
        asked["tip"] = tip.as_json()
    if pickup_at is not None:
        asked["pickup_at"] = pickup_at.astimezone(datetime.UTC).isoformat()
    if contact is not None:
        asked["contact"] = contact.as_json()
    if online:
        asked["payment"] = "online"
    canonical = json.dumps(asked, separators=(",", ":"))
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
    return get_or_404(Order, order_id, _("No such order."))


def order_lines_of(order: Order) -> list[dict]:
    """The order's snapshot lines, each with `options` and `note` (orders placed before
    options existed have neither in their snapshot)."""
    return [
        {**line, "options": line.get("options") or [], "note": line.get("note")}
        for line in order.items
    ]


def order_as_json(order: Order) -> dict:
    return {
        "id": str(order.id),
        "number": order.number,
        "status": order.status,
        "customer_name": order.customer_name,
        "subtotal": order.subtotal,
        "tax": order.tax,
        "tax_inclusive": order.tax_inclusive,
        "tip": order.tip,
        "total_amount": order.total_amount,
        "currency": order.currency,
        "note": order.note,
        "items": order_lines_of(order),
        "created_at": order.created_at.isoformat(),
        # promised once paid: an order awaiting its payment only holds its slot
        "ready_at": None if order.payment_status == AWAITING_PAYMENT else _iso(order.ready_at),
        "pickup_at": _iso(order.pickup_at),
        "picked_up_at": _iso(order.picked_up_at),
        "cancel_reason": order.cancel_reason,
        "language": order.language,
        "payment_status": order.payment_status,
        "amount_refunded": order.amount_refunded,
        "payment_error": order.payment_error,
    }


def _iso(moment: datetime.datetime | None) -> str | None:
    """In the restaurant's time zone, with its offset (what a customer's app shows)."""
    return local_iso(current_settings(), moment)


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
        raise Invalid("status", "must be PENDING, COOKING, DONE or CANCELLED")
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
