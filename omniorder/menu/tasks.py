"""The menu's periodic upkeep: the trash forgets what was deleted more than 30 days ago.

``menu-trash-purge`` (daily) defers one ``purge_menu_trash`` job per restaurant (a queueing
lock each, so a slow one never piles up), bound to it like a request, because deleting a
purged item's photo files needs the restaurant's store (media/photos.py `discard_photo`).
"""

from omniorder.jobs.engine import defer, periodic_task, tenant_task
from omniorder.menu import trash
from omniorder.tenancy.fanout import tenants_named


@periodic_task(
    "menu-trash-purge",
    "OMNIORDER_MENU_TRASH_CRON",
    "43 4 * * *",
    "forget menu deletions older than 30 days and delete their photos",
)
def menu_trash_purge(timestamp: int) -> int:
    tenants = tenants_named()
    for tenant in tenants:
        defer("purge_menu_trash", f"menu-trash-{tenant.id}", tenant_id=str(tenant.id))
    return len(tenants)


@tenant_task(name="purge_menu_trash")
def purge_menu_trash() -> int:
    return trash.purge_expired()
