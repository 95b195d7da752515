"""What a checkout is priced and routed by, held in each worker's memory between orders.

A `PriceList` is one version of the restaurant's menu topic: every item (price, availability,
kitchen station), every option group and option, the settings (hours, pause, tax, tips, slots)
and the webhook endpoint, read after the topic's version (menu/models.MenuVersion). A worker
keeps it while its change feed listens (cache/changes.py) and drops it on the topic's next
notification. Memory alone is never trusted for money: the order's INSERT carries the version
the prices were read at and inserts nothing once the version has moved, so an item repriced
or sold out between the read and the INSERT is priced again from the database (checkout.py),
never charged at the old price. A price list read from the database inside the order's own
transaction is `fresh`: what it refuses (sold out, closed) is the database's answer, not a
worker's memory lagging a notification behind.
"""

import uuid
from dataclasses import dataclass, replace

from sqlalchemy import Row, select

from omniorder.cache.changes import cached_for_checked_write
from omniorder.core.database import db
from omniorder.menu.models import Category, MenuItem, MenuVersion
from omniorder.notifications.models import WebhookEndpoint
from omniorder.ordering.pricing import GroupChoices, option_groups_of
from omniorder.settings.document import read_settings
from omniorder.tenancy.bind import current_tenant

ITEM_COLUMNS = (
    MenuItem.id,
    MenuItem.name,
    MenuItem.name_i18n,
    MenuItem.price,
    MenuItem.is_available,
    Category.station,
)


@dataclass(frozen=True)
class PriceList:
    version: int
    settings: dict
    items: dict[uuid.UUID, Row]  # id, name, name_i18n, price, is_available, station
    groups: dict[uuid.UUID, list[GroupChoices]]
    webhook_url: str | None
    fresh: bool = False  # read in this transaction, not from memory

    def size(self) -> int:
        """Bytes, about (the change feed bounds its memory by the sum)."""
        options = sum(len(choices.options) for groups in self.groups.values() for choices in groups)
        return 600 + 160 * len(self.items) + 140 * options + len(repr(self.settings))


def price_list(fresh: bool = False) -> PriceList:
    """The bound restaurant's price list: from this worker's memory unless `fresh` (or not
    held), else read in the caller's transaction (five statements: the version first)."""
    if fresh:
        return replace(_read_price_list(), fresh=True)
    read = []

    def load() -> PriceList:
        read.append(True)
        return _read_price_list()

    held = cached_for_checked_write(
        current_tenant().schema_name, "menu", "price_list", load, PriceList.size
    )
    return replace(held, fresh=True) if read else held


def _read_price_list() -> PriceList:
    # The version before everything else: a change committed while the rest is read leaves
    # the price list with a version that is already old, so its INSERT refuses; never the
    # other way round.
    version = db.session.scalar(select(MenuVersion.version))
    settings = read_settings()
    items = {
        row.id: row
        for row in db.session.execute(
            select(*ITEM_COLUMNS).outerjoin(Category, MenuItem.category_id == Category.id)
        )
    }
    groups = option_groups_of()
    webhook_url = db.session.scalar(select(WebhookEndpoint.url))
    return PriceList(version, settings, items, groups, webhook_url)
