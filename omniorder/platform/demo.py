"""The two demo restaurants of the README, provisioned by ``flask demo`` when missing."""

import json
from pathlib import Path

from omniorder.core.errors import Conflict
from omniorder.platform.tenants import (
    PROVISIONING_FIELDS,
    StaffLogin,
    list_tenants,
    provision_tenant,
)

# The README's demo restaurants with their logins and menus (data: omniorder/data/).
DEMO_TENANTS = json.loads((Path(__file__).parent.parent / "data" / "demo_tenants.json").read_text())


def ensure_demo_tenants() -> list[tuple[dict, bool]]:
    """Provision each missing demo tenant with its kitchen login, all in the caller's unit of
    work (so a crash leaves no restaurant without its tablet login); (demo, created) pairs."""
    existing = {tenant.domain for tenant in list_tenants()}
    outcome = []
    for demo in DEMO_TENANTS:
        created = False
        if demo["domain"] not in existing:
            kitchen = StaffLogin(
                demo["kitchen_email"], "kitchen", "Kitchen tablet", demo["kitchen_password"]
            )
            try:
                provision_tenant(
                    **{key: demo[key] for key in PROVISIONING_FIELDS},
                    menu=demo["menu"],
                    staff=(kitchen,),
                    settings=demo.get("settings"),
                )
                created = True
            except Conflict:  # provisioned concurrently by another process: fine
                pass
        outcome.append((demo, created))
    return outcome
