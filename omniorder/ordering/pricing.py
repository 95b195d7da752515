"""What an order costs: the options chosen on each line, tax and tip, computed by the server.

Money is an int of the currency's minor unit and stays one: every rate is applied with integer
arithmetic and rounded half-up to the minor unit (`round_half_up`), never through floats.

* A line's unit price is the item's price plus the deltas of its chosen options; the choices
  are checked against the item's own option groups (each option belongs to one of them, the
  count per group is within its min and max, nothing is chosen twice).
* Tax is computed once per order on the subtotal, never per line (per-line rounding would add
  up differently): exclusive, tax = subtotal × rate and is added to the total; inclusive, the
  tax the prices contain = subtotal × rate / (1 + rate), and the total is the subtotal.
* A tip, when the restaurant takes tips, is one of its preset percentages of the subtotal or an
  amount of the customer's choosing, at most the subtotal. It is never taxed.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Row, select

from omniorder.core.database import db
from omniorder.core.errors import BrokenRule, Conflict, Invalid
from omniorder.menu.models import ItemOptionGroup, MenuItem, Option, OptionGroup

BASIS_POINTS = 10_000
MAX_TIP_AMOUNT = 100_000_000  # a custom tip beyond any order's cap is refused on sight


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, for numerator ≥ 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class GroupChoices:
    """An option group of an item (a row: menu_item_id, id, name, name_i18n, min_choices,
    max_choices; a group shared by several items has the same options on each) with its
    options (rows: id, group_id, name, name_i18n, price_delta, is_available), in menu order."""

    group: Row
    options: list[Row]


GROUP_COLUMNS = (
    OptionGroup.id,
    OptionGroup.name,
    OptionGroup.name_i18n,
    OptionGroup.min_choices,
    OptionGroup.max_choices,
)
OPTION_COLUMNS = (
    Option.id,
    Option.group_id,
    Option.name,
    Option.name_i18n,
    Option.price_delta,
    Option.is_available,
)


def option_groups_of(item_ids=None) -> dict[uuid.UUID, list[GroupChoices]]:
    """The option groups of these items (None: of every item) with their options, by item,
    in the item's order (its links' rank). A group shared by several items is one
    `GroupChoices` on each of them: one price wherever it is chosen. Plain rows, not ORM
    objects: a worker keeps them in memory across requests (ordering/checkout.py). Two
    statements (the options only when there are groups)."""
    links_query = (
        select(ItemOptionGroup.menu_item_id, *GROUP_COLUMNS)
        .join(OptionGroup, OptionGroup.id == ItemOptionGroup.group_id)
        .order_by(ItemOptionGroup.rank, OptionGroup.name, OptionGroup.id)
    )
    if item_ids is not None:
        item_ids = list(item_ids)
        if not item_ids:
            return {}
        links_query = links_query.where(ItemOptionGroup.menu_item_id.in_(item_ids))
    links = db.session.execute(links_query).all()
    if not links:
        return {}
    options_query = select(*OPTION_COLUMNS).order_by(Option.rank, Option.name, Option.id)
    if item_ids is not None:
        options_query = options_query.where(Option.group_id.in_({link.id for link in links}))
    options_by_group = defaultdict(list)
    for option in db.session.execute(options_query):
        options_by_group[option.group_id].append(option)
    by_item = defaultdict(list)
    for link in links:  # the group's row, with the item it is attached to here
        by_item[link.menu_item_id].append(GroupChoices(link, options_by_group[link.id]))
    return dict(by_item)


@dataclass(frozen=True)
class ChosenOption:
    group: Row  # as in GroupChoices
    option: Row

    def as_snapshot(self) -> dict:
        return {
            "id": str(self.option.id),
            "group": self.group.name,
            "name": self.option.name,
            "price_delta": self.option.price_delta,
        }


def _count_problem(choices: GroupChoices, count: int) -> str | None:
    low, high, name = choices.group.min_choices, choices.group.max_choices, choices.group.name
    if count < low:
        if low == 1:
            return _("choose a %(group)s", group=name)
        return _("choose at least %(count)s of %(group)s", count=low, group=name)
    if count > high:
        if high == 1:
            return _("choose only one %(group)s", group=name)
        return _("choose at most %(count)s of %(group)s", count=high, group=name)
    return None


def missing_choice(group_name: str, min_choices: int, available: int) -> str | None:
    """Why a group stops its item from being ordered today: it asks for more choices than it
    has options on sale (none at all, or all sold out); None when a customer can satisfy it.
    The storefront's cards (ordering/cart.py) and every order apply this one rule."""
    if available >= min_choices:
        return None
    if not available:
        return _("no %(group)s is available", group=group_name)
    return _("too few %(group)s are available", group=group_name)


def unorderable(item: MenuItem, groups: list[GroupChoices]) -> str | None:
    """Why no customer can order `item` with these groups today, or None (see `missing_choice`)."""
    for choices in groups:
        available = sum(option.is_available for option in choices.options)
        reason = missing_choice(choices.group.name, choices.group.min_choices, available)
        if reason:
            return _(
                "%(name)s cannot be ordered right now: %(reason)s", name=item.name, reason=reason
            )
    return None


def choose_options(item: MenuItem, groups: list[GroupChoices], option_ids) -> list[ChosenOption]:
    """The options chosen for one line of `item`, in menu order; `Invalid` (field "options")
    naming every problem: an option that is not one of this item's, too few or too many in a
    group (a missing required choice). Availability is the caller's to judge (sold out: 409)."""
    wanted = set(option_ids)
    problems = []
    known = {option.id for choices in groups for option in choices.options}
    strangers = [str(option_id) for option_id in option_ids if option_id not in known]
    if strangers:
        problems.append(_("%(name)s has no option %(option)s", name=item.name, option=strangers[0]))
    chosen = []
    for choices in groups:
        picked = [option for option in choices.options if option.id in wanted]
        problem = _count_problem(choices, len(picked))
        if problem:
            problems.append(_("%(name)s: %(problem)s", name=item.name, problem=problem))
        chosen.extend(ChosenOption(choices.group, option) for option in picked)
    if problems:
        raise Invalid("options", "; ".join(problems))
    return chosen


def unit_price(item: MenuItem, chosen: list[ChosenOption]) -> int:
    return item.price + sum(choice.option.price_delta for choice in chosen)


def priced_line(item: MenuItem, chosen: list[ChosenOption], quantity: int, note) -> dict:
    """One line of the order's snapshot: what was bought, at what price, as it was then."""
    price = unit_price(item, chosen)
    return {
        "menu_item_id": str(item.id),
        "name": item.name,
        "unit_price": price,
        "options": [choice.as_snapshot() for choice in chosen],
        "quantity": quantity,
        "line_total": price * quantity,
        "note": note,
    }


def tax_on(subtotal: int, rate_bp: int, inclusive: bool) -> int:
    """The tax of a subtotal: added (exclusive) or contained in it (inclusive), half-up."""
    if inclusive:
        return round_half_up(subtotal * rate_bp, BASIS_POINTS + rate_bp)
    return round_half_up(subtotal * rate_bp, BASIS_POINTS)


@dataclass(frozen=True)
class TaxAtRate:
    """An order's tax as a receipt states it per rate: the rate, the net amount it was taken
    on, the tax. `rate_bp` None: the rate is not known (below)."""

    rate_bp: int | None
    net: int
    tax: int


def tax_at_rate(subtotal: int, tax: int, inclusive: bool, rate_bp: int) -> TaxAtRate:
    """An order's stored tax per rate. The order keeps its subtotal, its tax and whether the
    prices included it, not the rate: a restaurant has one rate, so `rate_bp` (its rate now)
    is named only when it gives exactly the stored tax (`tax_on`). After a change of rate an
    older order's receipt states its net and tax without a rate rather than a wrong one."""
    net = subtotal - tax if inclusive else subtotal
    return TaxAtRate(rate_bp if tax_on(subtotal, rate_bp, inclusive) == tax else None, net, tax)


@dataclass(frozen=True)
class Tip:
    """What the customer asked to tip: a preset percentage of the subtotal, or an amount."""

    percent: int | None = None
    amount: int | None = None

    def as_json(self) -> dict:
        return {"percent": self.percent} if self.percent is not None else {"amount": self.amount}


def parse_tip(raw, field: str = "tip") -> Tip | None:
    """``{"percent": 10}`` or ``{"amount": 150}`` (minor units) → `Tip`; null or absent → None."""
    if raw is None:
        return None
    message = 'must be {"percent": P} (one of the presets) or {"amount": A} in minor units'
    if not isinstance(raw, dict) or len(raw) != 1 or raw.keys() - {"percent", "amount"}:
        raise Invalid(field, message)
    ((kind, value),) = raw.items()
    if type(value) is not int or value < 0:
        raise Invalid(f"{field}.{kind}", _("must be a whole number, 0 or more"))
    if kind == "amount" and value > MAX_TIP_AMOUNT:
        raise Invalid("tip.amount", _("must be at most the subtotal"))
    return Tip(**{kind: value})


def check_tip_choice(tip: Tip | None, tips: dict) -> None:
    """`Conflict` (409, like an order while closed: the request is well-formed, the
    restaurant's settings refuse it) when it takes no tips, or `tip` is not one of its presets."""
    if tip is None:
        return
    if not tips["enabled"]:
        raise Conflict(_("This restaurant does not take tips; order without a tip."))
    if tip.percent is not None and tip.percent not in tips["presets_percent"]:
        presets = ", ".join(f"{percent}%" for percent in tips["presets_percent"])
        raise Conflict(
            _(
                "This restaurant's tips are %(presets)s, or an amount; choose one of them.",
                presets=presets,
            )
        )


def tip_on(subtotal: int, tip: Tip | None, tips: dict) -> int:
    """The tip in minor units: a preset percentage of the subtotal (half-up) or the amount
    asked for, at most the subtotal; `Invalid` when tips are off or the choice is not offered."""
    check_tip_choice(tip, tips)
    if tip is None:
        return 0
    if tip.percent is not None:
        return round_half_up(subtotal * tip.percent, 100)
    if tip.amount > subtotal:
        raise BrokenRule("tip.amount", _("must be at most the subtotal"))
    return tip.amount


@dataclass(frozen=True)
class Totals:
    subtotal: int
    tax: int
    tax_inclusive: bool
    tax_rate_bp: int
    tip: int

    @property
    def total(self) -> int:
        """What the customer pays: tax is added only when the prices do not include it."""
        return self.subtotal + (0 if self.tax_inclusive else self.tax) + self.tip

    @property
    def tax_percent(self) -> str:
        """The rate as people write it: 1900 → "19", 725 → "7.25"."""
        whole, hundredths = divmod(self.tax_rate_bp, 100)
        return f"{whole}.{hundredths:02d}".rstrip("0") if hundredths else str(whole)


def order_totals(subtotal: int, settings: dict, tip: Tip | None = None) -> Totals:
    """Subtotal, tax and tip of an order per the restaurant's settings (tax, tips)."""
    tax = settings["tax"]
    return Totals(
        subtotal=subtotal,
        tax=tax_on(subtotal, tax["rate_bp"], tax["inclusive"]),
        tax_inclusive=tax["inclusive"],
        tax_rate_bp=tax["rate_bp"],
        tip=tip_on(subtotal, tip, settings["tips"]),
    )
