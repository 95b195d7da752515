"""A new restaurant's setup checklist, and publishing: taking orders once it is done.

A restaurant whose `published` setting is false shows "Opening soon" on its storefront and
refuses every order (409, `refuse_unpublished`); its back office shows this checklist, and
`publish` sets `published` only when every item is done. Operators' restaurants (CLI, system
API, demo) start published; the self-service sign-up creates them unpublished.

The stored settings document is always complete (defaults filled in), so "set" cannot mean
"present": an item is done when its setting no longer holds the value every new restaurant
starts with. The time zone carries the region item: "UTC" is nobody's local time, whereas the
default currency and locale (USD, en_US) are right for many restaurants, so they are shown
for the owner to check, not required to differ. A default can be right (a restaurant open
around the clock, prices with no tax added, one on UTC): the owner confirms it on the
checklist (`confirm_default`, the `setup_confirmed` setting) instead of changing it.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from omniorder.core.database import db
from omniorder.core.errors import Conflict, NotFound
from omniorder.menu.models import MenuItem
from omniorder.settings.document import (
    CONFIRMABLE_SETUP_ITEMS,
    SETTINGS,
    read_settings,
    update_settings,
)

NOT_PUBLISHED = _l(
    "This restaurant is not taking orders yet: it is opening soon. Please come back later."
)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    hint: str  # what to do, or what is set when done


def _default(key: str):
    return SETTINGS[key][0]


def _item(key: str, label: str, done: bool, set_hint: str, todo_hint: str) -> ChecklistItem:
    return ChecklistItem(key, label, done, set_hint if done else todo_hint)


def setup_checklist(settings: dict) -> list[ChecklistItem]:
    """The checklist of the bound restaurant, judged on `settings` (one query: its items)."""
    profile = settings["profile"]
    address = profile["address"]
    has_item = db.session.scalar(select(exists().select_from(MenuItem)))
    region = f"{settings['timezone']}, {settings['currency']}, {settings['locale']}"

    def changed(key: str, item: str | None = None) -> bool:
        """Set away from its default, or confirmed by the owner as right as it is."""
        return settings[key] != _default(key) or (item or key) in settings["setup_confirmed"]

    return [
        _item(
            "region",
            _("Time zone, currency and language"),
            changed("timezone", "region"),
            region,
            _(
                "Still %(region)s: choose the restaurant's time zone and check its currency",
                region=region,
            ),
        ),
        _item(
            "hours",
            _("Opening hours"),
            changed("hours"),
            _("Set"),
            _("Still open around the clock every day: set the real hours"),
        ),
        _item(
            "tax",
            _("Tax"),
            changed("tax"),
            _("Set"),
            _("Still 0 % added to prices: set the rate, and whether prices include it"),
        ),
        _item(
            "menu",
            _("At least one menu item"),
            bool(has_item),
            _("Done"),
            _("Add an item to the menu"),
        ),
        _item(
            "profile",
            _("Address or phone number"),
            bool(address["lines"] or address["city"] or profile["phone"]),
            _("Set"),
            _("Add the address or phone number customers see"),
        ),
    ]


def confirm_default(item: str) -> dict:
    """The owner says a checklist item's default is right (open around the clock, no tax
    added, UTC); the new settings document. An item that cannot be confirmed is `NotFound`."""
    if item not in CONFIRMABLE_SETUP_ITEMS:
        raise NotFound(_("There is no such checklist item to confirm."))
    confirmed = read_settings()["setup_confirmed"]
    return update_settings({"setup_confirmed": [*confirmed, item]})


def publish() -> dict:
    """Start taking orders (`published`), or `Conflict` naming what is still to do; judged on
    the settings read afresh, in the caller's unit of work. The new settings document."""
    missing = [item.label for item in setup_checklist(read_settings()) if not item.done]
    if missing:
        raise Conflict(
            _(
                "Finish the setup before publishing; still to do: %(items)s",
                items=", ".join(missing),
            )
        )
    return update_settings({"published": True})


def refuse_unpublished(settings: dict) -> None:
    """`Conflict` (409) for an order while the restaurant is not published."""
    if not settings["published"]:
        raise Conflict(str(NOT_PUBLISHED))
