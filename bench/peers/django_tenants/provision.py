"""Build the peer's database: public schema, a public tenant, then `tenants` tenants
(schemas tenant_b<i>, domains b<i>.bench.localhost, as bench/provisioning.py names ours),
each with our starter menu's items (omniorder/data/starter_menu.json: same names, prices and
availability). Prints ``{"seconds_per_tenant": …, "items": {domain: {name: id}}}`` as JSON,
the items available for ordering, in the starter menu's order.

    DJANGO_BENCH_DATABASE_URL=… python -m bench.peers.django_tenants.provision 50
"""

import json
import os
import sys
import time
from pathlib import Path

STARTER_MENU = Path(__file__).resolve().parents[3] / "omniorder" / "data" / "starter_menu.json"


def starter_items() -> list[dict]:
    menu = json.loads(STARTER_MENU.read_text())
    return [
        {"name": item["name"], "price": item["price"], "is_available": item["is_available"]}
        for category in menu["categories"]
        for item in category["items"]
    ]


def main(tenants: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.django_tenants.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from bench.peers.django_tenants.customers.models import Domain, Tenant
    from bench.peers.django_tenants.shop.models import MenuItem

    call_command("migrate_schemas", shared=True, verbosity=0)
    public = Tenant(schema_name="public", name="Public")
    public.save()
    Domain(domain="bench.localhost", tenant=public, is_primary=True).save()
    items, menu, started = {}, starter_items(), time.perf_counter()
    for index in range(tenants):
        tenant = Tenant(schema_name=f"tenant_b{index}", name=f"Bench {index}")
        tenant.save(verbosity=0)  # creates the schema and migrates it (auto_create_schema)
        domain = f"b{index}.bench.localhost"
        Domain(domain=domain, tenant=tenant, is_primary=True).save()
        with schema_context(tenant.schema_name):
            created = MenuItem.objects.bulk_create(MenuItem(**item) for item in menu)
        items[domain] = {item.name: str(item.id) for item in created if item.is_available}
    seconds = (time.perf_counter() - started) / max(tenants, 1)
    return {"seconds_per_tenant": round(seconds, 4), "items": items}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
