"""Cold storage: finished orders older than a cutoff move to Parquet, nothing lost or doubled.

Layout (hive style): DEST/tenant=<schema>/year=YYYY/month=MM/part-<uuid>.parquet. DEST is a
local folder (default: instance/archive) or s3://bucket/prefix (pyarrow.fs; the endpoint and
keys come from OMNIORDER_ARCHIVE_S3_ENDPOINT and the usual AWS_* variables).

Per tenant, in one transaction: count the tenant's pending orders into the analytics warehouse
(so its figures keep the archived orders), then for each month, read the ids already in that
month's files, write only the orders not there yet, read the file back and compare ids, and
only then delete the month's orders from the tenant's table. Orders are read a month at a
time, so memory follows the busiest month, not the tenant's whole history. A crash after a
file is written leaves the orders in the table and in the file; the next run finds their ids
in the file, writes nothing new and deletes them: exactly one archived copy. Only finished
orders (DONE or CANCELLED) move; older orders still PENDING or COOKING are reported, and the
other orders of their day wait with them, so no day is ever partly archived.

A day is the restaurant's local day, as in the warehouse (analytics/sales.py): the cutoff
is moved back to the start of its local day and days are grouped in the zone of its settings,
read once (held FOR SHARE) in the tenant's transaction, the same zone the refresh run first
in that transaction counts with. A partly archived day would be undercounted the next time the
warehouse recomputes it from the table.
"""

import datetime as dt
import functools
import json
import os
import re
import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from flask import current_app
from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from omniorder.analytics.sales import local_day, refresh_tenant, time_zone_of
from omniorder.core.database import db
from omniorder.core.errors import Invalid, NotFound
from omniorder.ordering.models import Order
from omniorder.tenancy.fanout import TenantRef, for_each_tenant, tenants_named

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("number", pa.int32()),
        ("customer_name", pa.string()),
        ("status", pa.string()),
        ("total_amount", pa.int64()),
        ("items", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        # Since tenant revision t0008; files written before lack them (see _restored_money).
        ("subtotal", pa.int64()),
        ("tax", pa.int64()),
        ("tax_inclusive", pa.bool_()),
        ("tip", pa.int64()),
        ("currency", pa.string()),
        ("note", pa.string()),
        # Since tenant revision t0009; files written before lack them (read back as null).
        ("ready_at", pa.timestamp("us", tz="UTC")),
        ("pickup_at", pa.timestamp("us", tz="UTC")),
        ("picked_up_at", pa.timestamp("us", tz="UTC")),
        ("cancel_reason", pa.string()),
    ]
)
MONEY_COLUMNS = ("subtotal", "tax", "tax_inclusive", "tip", "currency", "note")
LIFECYCLE_COLUMNS = ("ready_at", "pickup_at", "picked_up_at", "cancel_reason")
FINISHED = ("DONE", "CANCELLED")
_AGE = re.compile(r"^(\d+)(mo|y|d)$")


def cutoff(older_than: str, now: dt.datetime | None = None) -> dt.datetime:
    """ "12mo" / "1y" / "400d" → the instant before which orders are archived."""
    match = _AGE.fullmatch((older_than or "").strip())
    if not match:
        raise Invalid("older_than", "must look like 12mo, 1y or 400d")
    amount, unit = int(match.group(1)), match.group(2)
    now = now or dt.datetime.now(dt.UTC)
    if unit == "d":
        return now - dt.timedelta(days=amount)
    months = amount * (12 if unit == "y" else 1)
    year, month = divmod(now.year * 12 + now.month - 1 - months, 12)
    return now.replace(year=year, month=month + 1, day=min(now.day, 28))


def archive_uri(uri: str | None = None) -> str:
    """The destination: given, else OMNIORDER_ARCHIVE_URI, else instance/archive."""
    return (
        uri
        or current_app.config.get("OMNIORDER_ARCHIVE_URI")
        or os.path.join(current_app.instance_path, "archive")
    )


def destination(uri: str | None = None) -> tuple[pafs.FileSystem, str]:
    return filesystem(archive_uri(uri))


def filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    if uri.startswith("s3://"):
        bucket_and_prefix = uri[len("s3://") :].strip("/")
        endpoint = os.environ.get("OMNIORDER_ARCHIVE_S3_ENDPOINT")
        options = {"region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        if endpoint:
            scheme, _, host = endpoint.partition("://")
            options.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
        return pafs.S3FileSystem(**options), bucket_and_prefix
    path = os.path.abspath(uri)
    os.makedirs(path, exist_ok=True)
    return pafs.LocalFileSystem(), path


def month_dir(root: str, schema_name: str, year: int, month: int) -> str:
    return f"{root}/tenant={schema_name}/year={year:04d}/month={month:02d}"


def _files(fs: pafs.FileSystem, directory: str) -> list[str]:
    infos = fs.get_file_info(pafs.FileSelector(directory, allow_not_found=True))
    return sorted(info.path for info in infos if info.path.endswith(".parquet"))


def archived_ids(fs: pafs.FileSystem, directory: str) -> set[str]:
    ids = set()
    for path in _files(fs, directory):
        ids.update(pq.read_table(path, filesystem=fs, columns=["id"]).column("id").to_pylist())
    return ids


def _restored_money(row: dict) -> dict:
    """The money columns of an archived order; a file from before t0008 has none, and such an
    order's subtotal was its total (no tax, no tip), in dollars."""
    if row.get("subtotal") is None:
        return {
            "subtotal": row["total_amount"],
            "tax": 0,
            "tax_inclusive": False,
            "tip": 0,
            "currency": "USD",
            "note": None,
        }
    return {column: row[column] for column in MONEY_COLUMNS}


def write_month(fs: pafs.FileSystem, directory: str, orders: list[dict]) -> str:
    """Write orders to a new file of the month, read it back, check the ids; return its path."""
    table = pa.Table.from_pylist(
        [
            {
                "id": str(o["id"]),
                "number": o["number"],
                "customer_name": o["customer_name"],
                "status": o["status"],
                "total_amount": o["total_amount"],
                "items": json.dumps(o["items"]),
                "created_at": o["created_at"],
                **{column: o[column] for column in MONEY_COLUMNS + LIFECYCLE_COLUMNS},
            }
            for o in orders
        ],
        schema=SCHEMA,
    )
    fs.create_dir(directory, recursive=True)
    path = f"{directory}/part-{uuid.uuid4().hex}.parquet"
    pq.write_table(table, path, filesystem=fs)
    written = pq.read_table(path, filesystem=fs, columns=["id"]).column("id").to_pylist()
    if sorted(written) != sorted(str(o["id"]) for o in orders):
        fs.delete_file(path)
        raise RuntimeError(f"read-back of {path} does not match what was written")
    return path


@dataclass
class ArchiveReport:
    archived: dict[str, int] = field(default_factory=dict)  # domain → orders moved
    stuck: dict[str, int] = field(default_factory=dict)  # domain → old unfinished orders
    failed: dict[str, str] = field(default_factory=dict)


def _archive_tenant(
    connection: Connection,
    tenant: TenantRef,
    *,
    uri: str,
    before: dt.datetime,
    dry_run: bool,
    outcome: dict,
) -> None:
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"omniorder-archive:{tenant.id}"},
    )
    zone = time_zone_of(connection)
    day = local_day(zone)
    before = _start_of_local_day(connection, zone, before)
    stuck = connection.execute(
        select(day, func.count())
        .where(Order.created_at < before, Order.status.not_in(FINISHED))
        .group_by(day)
    ).all()
    outcome["stuck"] = sum(count for _, count in stuck)
    # A day with an unfinished order stays whole in the table: the analytics recompute a day
    # from the table, so a partly archived day would be undercounted once that order moves.
    finished = (
        Order.created_at < before,
        Order.status.in_(FINISHED),
        day.not_in([stuck_day for stuck_day, _ in stuck]),
    )
    month = func.date_trunc("month", func.timezone("UTC", Order.created_at))
    months = connection.execute(
        select(month, func.count()).where(*finished).group_by(month).order_by(month)
    ).all()
    outcome["archived"] = sum(count for _, count in months)
    if dry_run or not months:
        return
    refresh_tenant(connection, tenant)  # the warehouse keeps counting what leaves the table
    fs, root = filesystem(uri)
    for start, _ in months:  # one month in memory at a time, whatever the tenant's history
        start = start.replace(tzinfo=dt.UTC)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        orders = [
            dict(row)
            for row in connection.execute(
                select(Order)
                .where(*finished, Order.created_at >= start, Order.created_at < end)
                .order_by(Order.number)
            ).mappings()
        ]
        directory = month_dir(root, tenant.schema_name, start.year, start.month)
        already = archived_ids(fs, directory)
        new = [order for order in orders if str(order["id"]) not in already]
        if new:
            write_month(fs, directory, new)
        connection.execute(delete(Order).where(Order.id.in_([o["id"] for o in orders])))


def _start_of_local_day(connection: Connection, zone: str, moment: dt.datetime) -> dt.datetime:
    """The start of `moment`'s day in `zone`: the cutoff never splits a local day."""
    return connection.scalar(
        select(func.timezone(zone, func.date_trunc("day", func.timezone(zone, moment))))
    )


def _archive_worker(connection, tenant, **options) -> dict:
    outcome = {}
    _archive_tenant(connection, tenant, outcome=outcome, **options)
    return outcome


def archive(
    *,
    older_than: str = "12mo",
    uri: str | None = None,
    domain: str | None = None,
    dry_run: bool = False,
    jobs: int = 1,
    on_result=None,
) -> ArchiveReport:
    """Move every tenant's finished orders older than the cutoff to Parquet."""
    before = cutoff(older_than)
    target = archive_uri(uri)
    filesystem(target)  # fail early on a bad destination
    tenants = tenants_named(domain)
    work = functools.partial(_archive_worker, uri=target, before=before, dry_run=dry_run)
    report = ArchiveReport()
    for tenant, outcome in for_each_tenant(
        db.engine, tenants, work, jobs=jobs, on_result=on_result
    ).items():
        if outcome.error:
            report.failed[tenant.domain] = outcome.error
            continue
        report.archived[tenant.domain] = outcome.value["archived"]
        if outcome.value["stuck"]:
            report.stuck[tenant.domain] = outcome.value["stuck"]
    return report


def restore(domain: str, month: str, uri: str | None = None) -> int:
    """Bring one archived month back into the tenant's table; orders already there are kept."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise Invalid("month", "must look like 2025-03")
    tenant = tenants_named(domain)[0]
    fs, root = destination(uri)
    directory = month_dir(root, tenant.schema_name, int(match.group(1)), int(match.group(2)))
    rows = []
    for path in _files(fs, directory):
        rows += pq.read_table(path, filesystem=fs).to_pylist()
    if not rows:
        raise NotFound(f"nothing archived for {domain} in {month}")
    restored = {}

    def work(connection, _tenant):
        statement = insert(Order).values(
            [
                {
                    "id": uuid.UUID(r["id"]),
                    "number": r["number"],
                    "customer_name": r["customer_name"],
                    "status": r["status"],
                    "total_amount": r["total_amount"],
                    "items": json.loads(r["items"]),
                    "created_at": r["created_at"],
                    "status_changed_at": r["created_at"],
                    "analytics_pending": False,
                    **_restored_money(r),
                    **{column: r.get(column) for column in LIFECYCLE_COLUMNS},
                }
                for r in rows
            ]
        )
        result = connection.execute(
            statement.on_conflict_do_nothing(index_elements=["id"]).returning(Order.id)
        )
        restored["count"] = len(result.all())

    outcome = for_each_tenant(db.engine, [tenant], work)[tenant]
    if outcome.error:
        raise RuntimeError(outcome.error)
    return restored["count"]


def delete_tenant_archive(schema_name: str, uri: str | None = None) -> None:
    """Part of the GDPR erase: every archived file of the tenant."""
    fs, root = destination(uri)
    directory = f"{root}/tenant={schema_name}"
    if fs.get_file_info(directory).type != pafs.FileType.NotFound:
        fs.delete_dir(directory)
