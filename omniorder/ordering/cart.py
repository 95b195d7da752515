"""A customer's cart, kept by the caller (the signed session).

``{"lines": [[menu_item_id, [option ids], note, quantity], …], "tip": null | {"percent": 10} |
{"amount": 150}}``. A line is an item with its chosen options and its note: the same item with
other options or another note is another line (`line_key`). Prices are never stored in the
cart; they are read from the menu whenever the cart is shown and again at checkout, where
every choice is checked once more against the price list whose version the order's INSERT
checks (ordering/checkout.py).
"""

import dataclasses
import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import Invalid
from omniorder.core.money import amount_for_input, format_local_day, format_local_time, parse_amount
from omniorder.languages.serving import time_locale
from omniorder.menu.models import MenuItem
from omniorder.menu.translations import NamedIn, customer_language
from omniorder.ordering.order_input import (
    MAX_LINES,
    MAX_QUANTITY,
    OrderLine,
    clean_note,
    clean_option_ids,
)
from omniorder.ordering.pickup import local_iso, orders_ahead, pickup_offer
from omniorder.ordering.pricing import (
    MAX_TIP_AMOUNT,
    ChosenOption,
    GroupChoices,
    Tip,
    Totals,
    check_tip_choice,
    choose_options,
    missing_choice,
    option_groups_of,
    order_totals,
    parse_tip,
    round_half_up,
    unorderable,
)

Cart = dict


def empty_cart() -> Cart:
    return {"lines": [], "tip": None}


def cart_from_session(stored) -> Cart:
    """The cart as the session holds it; a cart from before options ({item id: quantity})
    becomes lines without options."""
    if not isinstance(stored, dict):
        return empty_cart()
    if "lines" not in stored:
        return {"lines": [[key, [], "", quantity] for key, quantity in stored.items()], "tip": None}
    return {"lines": list(stored["lines"]), "tip": stored.get("tip")}


def line_key(item_id, option_ids, note) -> str:
    """A line's name in forms: the item, its sorted options and its note, hashed."""
    identity = [str(item_id), sorted(str(option) for option in option_ids), note or ""]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CartLine:
    key: str
    item: MenuItem
    options: list[ChosenOption]
    note: str | None
    quantity: int
    problem: str | None = None  # a choice today's menu no longer allows

    @property
    def unit_price(self) -> int:
        return self.item.price + sum(choice.option.price_delta for choice in self.options)

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def sold_out(self) -> bool:
        return not self.item.is_available or any(
            not choice.option.is_available for choice in self.options
        )


@dataclass(frozen=True)
class TipChoice:
    value: str  # what the form sends: a preset percentage, "custom" or "none"
    label: str
    amount: int | None = None


@dataclass(frozen=True)
class CartView:
    lines: list[CartLine]
    totals: Totals
    tip: Tip | None = None  # the customer's choice, when the restaurant takes tips
    tip_problem: str | None = None
    tip_choices: list[TipChoice] = field(default_factory=list)
    tip_amount_text: str = ""  # a custom tip as the customer would type it

    @property
    def total(self) -> int:
        return self.totals.total

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def sold_out(self) -> list[str]:
        return [line.item.name for line in self.lines if line.sold_out]

    @property
    def tip_value(self) -> str:
        return tip_value(self.tip)


@dataclass(frozen=True)
class MenuGroup:
    """An item's option group as the menu shows it: read_menu's JSON (menu/catalog.py),
    ``{"id", "name", "min", "max", "options": [{"id", "name", "price_delta",
    "is_available"}]}``."""

    name: str
    min: int
    max: int
    options: list[dict]

    @property
    def available(self) -> int:
        return sum(bool(option["is_available"]) for option in self.options)

    @property
    def single(self) -> bool:
        """Exactly one choice is required (a Size): radio buttons, not checkboxes."""
        return self.min == 1 == self.max

    @property
    def hint(self) -> str:
        if self.single:
            return "choose one"
        if self.min == 0:
            return "optional" if self.max >= len(self.options) else f"optional, up to {self.max}"
        return f"choose {self.min}" if self.min == self.max else f"choose {self.min} to {self.max}"


def _all_groups(item) -> list[MenuGroup]:
    return [
        MenuGroup(group["name"], group["min"], group["max"], group["options"])
        for group in item.option_groups or []
    ]


def menu_groups(item) -> list[MenuGroup]:
    """The option groups a menu row from `read_menu` shows on the item's card: those with an
    option on sale (a group with none offers nothing to choose; if it is required, the item
    cannot be ordered: `unavailable_reason`). The JSON menu lists every group as it is, with each
    option's is_available, so a script can apply the same rule."""
    return [group for group in _all_groups(item) if group.available]


def unavailable_reason(item) -> str | None:
    """Why the item's card cannot offer it today (pricing.missing_choice), or None."""
    for group in _all_groups(item):
        reason = missing_choice(group.name, group.min, group.available)
        if reason:
            return reason
    return None


def _item_id(raw) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise Invalid("item_id", _("is not a menu item")) from None


def add_to_cart(
    cart: Cart, item_id, quantity: int = 1, option_ids=(), note=None
) -> tuple[Cart, MenuItem]:
    """Add `quantity` of an available item with these options and note; the same line again
    adds up (at most 99). Every choice is checked now, so the customer hears of a missing
    size at once rather than at checkout. Returns the new cart and the item added."""
    item = db.session.get(MenuItem, _item_id(item_id))
    if item is None:
        raise Invalid("item_id", _("is not on the menu"))
    if not item.is_available:
        raise Invalid("item_id", _("%(name)s is sold out", name=item.name))
    options = clean_option_ids(list(option_ids or ()))
    note = clean_note(note)
    groups = option_groups_of([item.id]).get(item.id, [])
    reason = unorderable(item, groups)
    if reason:
        raise Invalid("item_id", reason)
    chosen = choose_options(item, groups, options)
    sold_out = [choice.option.name for choice in chosen if not choice.option.is_available]
    if sold_out:
        raise Invalid("options", _("%(name)s is sold out", name=", ".join(sold_out)))
    key = line_key(item.id, options, note)
    lines = [list(line) for line in cart["lines"]]
    for line in lines:
        if line_key(line[0], line[1], line[2]) == key:
            line[3] = min(line[3] + quantity, MAX_QUANTITY)
            break
    else:
        if len(lines) >= MAX_LINES:
            raise Invalid("item_id", _("a cart holds at most %(limit)s lines", limit=MAX_LINES))
        lines.append([str(item.id), [str(option) for option in options], note or "", quantity])
    return {**cart, "lines": lines}, item


def set_quantity(cart: Cart, key, quantity: int) -> Cart:
    """Change a line's quantity; 0 removes it."""
    if not 0 <= quantity <= MAX_QUANTITY:
        raise Invalid("quantity", _("must be 0..%(limit)s", limit=MAX_QUANTITY))
    lines = []
    for line in cart["lines"]:
        if line_key(line[0], line[1], line[2]) == key:
            if quantity:
                lines.append([*line[:3], quantity])
        else:
            lines.append(line)
    return {**cart, "lines": lines}


def choose_tip(cart: Cart, tip: Tip | None, settings: dict) -> Cart:
    """Keep the customer's tip choice (a preset or an amount); checked against the subtotal
    whenever the cart is shown and at checkout, since the cart may still change."""
    check_tip_choice(tip, settings["tips"])
    return {**cart, "tip": tip.as_json() if tip else None}


def tip_value(tip: Tip | None) -> str:
    """The tip form's radio button for this tip: "none", a preset percentage or "custom"."""
    if tip is None:
        return "none"
    return "custom" if tip.amount is not None else str(tip.percent)


def tip_from_form(choice, amount_text, settings: dict, shown: str = "none") -> Tip | None:
    """The tip form's answer: "none", a preset percentage, or "custom" with an amount typed
    in the restaurant's locale (left empty: nothing yet).

    An amount typed in "Other amount" counts unless the customer picked another choice: with
    "custom", with no choice, and with `shown`, the choice the form was shown with (without
    JavaScript typing cannot pick "Other amount", so a customer types and presses Apply with
    the old choice still checked; with JavaScript typing picks it, static/app.js)."""
    choice = (choice or "").strip()
    text = (amount_text or "").strip()
    if text and choice in ("", shown):
        choice = "custom"
    if choice in ("", "none"):
        return None
    if choice == "custom":
        if not text:
            return Tip(amount=0)
        locale, currency = settings["locale"], settings["currency"]
        return Tip(amount=parse_amount(text, "tip_amount", MAX_TIP_AMOUNT, locale, currency))
    if choice.isascii() and choice.isdigit() and len(choice) <= 3:
        return Tip(percent=int(choice))
    raise Invalid("tip", _("is not one of the tips offered"))


def checkout_tip(cart: Cart, settings: dict) -> Tip | None:
    """The tip to order with: the customer's choice while the restaurant takes tips."""
    return parse_tip(cart.get("tip")) if settings["tips"]["enabled"] else None


def _in_language(line: CartLine, language: str) -> CartLine:
    """The line as the customer reads it: the item's, groups' and options' names in
    `language` (prices and ids as they are)."""
    chosen = [
        ChosenOption(NamedIn(choice.group, language), NamedIn(choice.option, language))
        for choice in line.options
    ]
    return dataclasses.replace(line, item=NamedIn(line.item, language), options=chosen)


def _line_view(key, item, groups: list[GroupChoices], option_ids, note, quantity) -> CartLine:
    try:
        chosen = choose_options(item, groups, option_ids)
        problem = None
    except Invalid as error:
        # Still shown at the price of what is left of it; checkout will refuse it.
        wanted = set(option_ids)
        chosen = [
            ChosenOption(choices.group, option)
            for choices in groups
            for option in choices.options
            if option.id in wanted
        ]
        problem = error.fields["options"]
    return CartLine(key, item, chosen, note, quantity, problem)


def _tip_choices(settings: dict, subtotal: int) -> list[TipChoice]:
    tips = settings["tips"]
    if not tips["enabled"]:
        return []
    presets = [
        TipChoice(str(percent), f"{percent}%", round_half_up(subtotal * percent, 100))
        for percent in tips["presets_percent"]
    ]
    return [TipChoice("none", _("No tip")), *presets, TipChoice("custom", _("Other amount"))]


def view_cart(cart: Cart, settings: dict) -> CartView:
    """The cart against today's menu and settings; lines whose item was deleted disappear."""
    item_ids = {_item_id(line[0]) for line in cart["lines"]}
    items = {}
    if item_ids:
        items = {
            item.id: item
            for item in db.session.scalars(select(MenuItem).where(MenuItem.id.in_(item_ids)))
        }
    groups = option_groups_of(items)
    language = customer_language(settings["languages"])
    lines = []
    for item_id, option_ids, note, quantity in cart["lines"]:
        item = items.get(uuid.UUID(item_id))
        if item is not None:
            options = [uuid.UUID(option) for option in option_ids]
            key = line_key(item_id, option_ids, note)
            line = _line_view(key, item, groups.get(item.id, []), options, note or None, quantity)
            lines.append(_in_language(line, language))
    subtotal = sum(line.line_total for line in lines)
    tip, problem = checkout_tip(cart, settings), None
    try:
        totals = order_totals(subtotal, settings, tip)
    except Invalid as error:
        problem = next(iter(error.fields.values()))
        totals = order_totals(subtotal, settings, None)
    typed = ""
    if tip is not None and tip.amount:
        typed = amount_for_input(tip.amount, settings["locale"], settings["currency"])
    return CartView(lines, totals, tip, problem, _tip_choices(settings, subtotal), typed)


def order_lines(cart: Cart) -> list[OrderLine]:
    return [
        OrderLine(
            uuid.UUID(item_id),
            quantity,
            tuple(sorted(uuid.UUID(option) for option in option_ids)),
            note or None,
        )
        for item_id, option_ids, note, quantity in cart["lines"]
    ]


@dataclass(frozen=True)
class PickupDay:
    """One local day of the checkout's pickup picker: its date (the day button's value), its
    label ("Today", "Tomorrow", then "Wed, Dec 9" in the restaurant's locale) and its slots as
    (value: ISO 8601 with the restaurant's offset, what the customer reads: the time alone,
    "6:30 PM", since the day is chosen first)."""

    key: str  # "2026-12-09"
    label: str
    slots: list[tuple[str, str]]


@dataclass(frozen=True)
class CheckoutTimes:
    """The checkout's "When?": as soon as possible (about `asap_minutes`; None while closed
    or paused, with `notice` saying why) or one of the slots, grouped by local day."""

    asap_minutes: int | None
    notice: str | None
    days: list[PickupDay]

    def day_of(self, chosen: str | None) -> str | None:
        """The day whose slots the picker opens on: the chosen slot's, else the first."""
        for day in self.days:
            if any(value == chosen for value, _ in day.slots):
                return day.key
        return self.days[0].key if self.days else None


def day_label(date: datetime.date, today: datetime.date, moment, zone: str, locale: str) -> str:
    if date == today:
        return _("Today")
    if date == today + datetime.timedelta(days=1):
        return _("Tomorrow")
    return format_local_day(moment, zone, locale)


def checkout_times(settings: dict, now: datetime.datetime) -> CheckoutTimes:
    """What the checkout offers now; the ASAP estimate reads the queue (one query), so call
    it only when there is a cart to check out."""
    offer = pickup_offer(settings, now)
    minutes = None
    if offer.asap_available:
        minutes = settings["prep_minutes"] + orders_ahead(settings, now)
    zone, locale = settings["timezone"], time_locale(settings)
    today = now.astimezone(ZoneInfo(zone)).date()
    days: dict[datetime.date, PickupDay] = {}
    for start in offer.slots:
        date = start.astimezone(ZoneInfo(zone)).date()
        if date not in days:
            label = day_label(date, today, start, zone, locale)
            days[date] = PickupDay(date.isoformat(), label, [])
        label = format_local_time(start, zone, locale, start)  # its own day: the time alone
        days[date].slots.append((local_iso(settings, start), label))
    return CheckoutTimes(minutes, offer.notice, list(days.values()))


def order_again(cart: Cart, order) -> tuple[Cart, list[str]]:
    """`cart` with the lines of a past `order` added (its items, options, note and
    quantity, checked against today's menu by `add_to_cart`); a line whose item or option is
    no longer sold (deleted, sold out, unavailable) is left out and named in the list."""
    left_out = []
    for line in order.items:
        options = [option["id"] for option in line.get("options") or [] if "id" in option]
        try:
            cart, _ = add_to_cart(
                cart, line["menu_item_id"], line["quantity"], options, line.get("note")
            )
        except Invalid:
            left_out.append(line["name"])
    return cart, left_out
