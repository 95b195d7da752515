"""GDPR access / portability: a tenant's data as a zip of JSON files, streamed.

Rows are read with a server-side cursor in batches and written straight into the zip entry,
so a tenant with a million orders never has a million rows in memory. Password hashes never
leave the database. The restaurant's photos (every rendition in its media store) are under
``media/``, one file at a time.
"""

import datetime as dt
import decimal
import json
import uuid
import zipfile

from sqlalchemy import select

from omniorder.core.database import db
from omniorder.media.storage import media_store
from omniorder.menu.models import Category, MenuItem
from omniorder.ordering.models import Order
from omniorder.staff.models import User
from omniorder.tenancy.bind import engine_for_schema
from omniorder.tenancy.fanout import tenants_named

BATCH = 1000
TABLES = {
    "users": select(User.id, User.email, User.full_name, User.role).order_by(User.email),
    "categories": select(Category.__table__).order_by(Category.rank, Category.name),
    "menu_items": select(MenuItem.__table__).order_by(MenuItem.name, MenuItem.id),
    "orders": select(*(c for c in Order.__table__.c if c.name != "idempotency_key")).order_by(
        Order.number
    ),
}


def _plain(value):
    if isinstance(value, uuid.UUID | dt.date | dt.datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral() else str(value)
    raise TypeError(f"cannot export {type(value).__name__}")


def _export_archive(archive: zipfile.ZipFile, tenant) -> int:
    """The tenant's archived orders, read file by file (a file holds one month at most)."""
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    from omniorder.analytics.archive import destination

    fs, root = destination()
    selector = pafs.FileSelector(
        f"{root}/tenant={tenant.schema_name}", recursive=True, allow_not_found=True
    )
    count = 0
    with archive.open("archived_orders.json", "w") as entry:
        entry.write(b"[")
        for info in sorted(fs.get_file_info(selector), key=lambda info: info.path):
            if not info.path.endswith(".parquet"):
                continue
            for row in pq.read_table(info.path, filesystem=fs).to_pylist():
                row["items"] = json.loads(row["items"])
                entry.write(
                    (b"," if count else b"\n")
                    + json.dumps(row, default=_plain, ensure_ascii=False).encode()
                    + b"\n"
                )
                count += 1
        entry.write(b"]\n")
    return count


def _export_media(archive: zipfile.ZipFile, tenant) -> int:
    """Every file of the tenant's media store, as ``media/<name>`` (already compressed: stored)."""
    store = media_store()
    names = store.names(tenant.schema_name)
    for name in names:
        archive.writestr(f"media/{name}", store.read(tenant.schema_name, name), zipfile.ZIP_STORED)
    return len(names)


def export_tenant(domain: str, out) -> dict[str, int]:
    """Write the tenant's data to `out` (a path or a binary file); return the row counts."""
    tenant = tenants_named(domain)[0]
    counts = {}
    engine = engine_for_schema(db.engine, tenant.schema_name)
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        engine.connect() as connection,
    ):
        for name, statement in TABLES.items():
            result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
                statement
            )
            counts[name] = 0
            with archive.open(f"{name}.json", "w") as entry:
                entry.write(b"[")
                for row in result.mappings():
                    entry.write(
                        (b"," if counts[name] else b"\n")
                        + json.dumps(dict(row), default=_plain, ensure_ascii=False).encode()
                        + b"\n"
                    )
                    counts[name] += 1
                entry.write(b"]\n")
        counts["archived_orders"] = _export_archive(archive, tenant)
        counts["media"] = _export_media(archive, tenant)
        manifest = {
            "tenant": {
                "id": str(tenant.id),
                "domain": tenant.domain,
                "schema_name": tenant.schema_name,
            },
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
            "counts": counts,
            "password_hashes": "omitted",
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts
