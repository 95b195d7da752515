"""Print jobs: written with the order that enters the kitchen, taken by a print agent (leased,
then acknowledged) or sent by the job engine (printing/direct.py), shown on the board while
nobody takes them.

**The agents' poll costs nothing while nothing waits.** Each agent asks every 2 s; the
answer ("nothing for you") comes from this worker's memory, kept fresh by the change feed:
the token check against the restaurant's device hashes (topic ``print_devices``) and, per
printer, the moment its oldest waiting job may be offered (topic ``print``, hot: written with
orders, announced after commit, held at most `HOT_MAX_AGE`). A lease ends by the clock, not
by a write, which is why the moment is held rather than a yes/no. Only when a job may be
offered does the poll write (the lease, in a short transaction of its own).
"""

import datetime
import hashlib
import uuid
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update

from omniorder.cache.changes import HOT_MAX_AGE, ChangeFeed
from omniorder.core.database import db, get_or_404
from omniorder.core.errors import Conflict, NotFound
from omniorder.core.money import format_local_time
from omniorder.core.unit_of_work import separate_transaction
from omniorder.jobs.engine import defer_for_tenant
from omniorder.menu.translations import kitchen_line_name
from omniorder.ordering.models import AWAITING_PAYMENT, Order
from omniorder.ordering.pickup import utc_now
from omniorder.printing.models import PrintDevice, PrintJob
from omniorder.printing.printers import direct_mode, printer_named, printers_of
from omniorder.printing.tickets import heading_of, test_page_bytes, ticket_bytes
from omniorder.settings.document import current_settings
from omniorder.tenancy.bind import current_tenant
from omniorder.tenancy.registry import TenantRecord

LEASE_SECONDS = 60  # an agent that took a job and did not acknowledge it: offered again after
WAITING_WARNING = datetime.timedelta(minutes=2)  # untaken this long: the board says so
JOBS_PER_POLL = 10
SEND_TASK = "send_ticket"


# ------------------------------------------------------------------------------ writing jobs


def lines_for(printer: dict, lines: list[dict]) -> list[dict]:
    """The lines `printer` prints: every line, or its stations' (matched as the board does,
    without regard to case)."""
    stations = {station.casefold() for station in printer.get("stations") or []}
    if not stations:
        return lines
    return [line for line in lines if (line.get("station") or "").casefold() in stations]


def queue_tickets(order: Order, settings: dict, names: dict | None = None) -> list[uuid.UUID]:
    """One job per enabled printer (with lines for it) and copy, in the caller's transaction:
    one INSERT, nothing at all for a restaurant without printers. A printer with a host (and
    the operator's leave) gets its jobs sent by the job engine, deferred with them. Each line
    reads in the restaurant's default language, the customer's words beside it when they
    differ (`kitchen_line_name`; `names`: the items' texts the caller holds, a checkout's price
    list)."""
    printers = printers_of(settings)
    if not printers:
        return []
    kitchen = settings["languages"][0]
    with force_locale(kitchen):
        heading = heading_of(order, current_tenant().name, settings, utc_now())
    lines = [{**line, "name": kitchen_line_name(line, kitchen, names)} for line in order.items]
    rows = []
    for printer in printers:
        share = lines_for(printer, lines)
        if not share:
            continue
        with force_locale(kitchen):
            data = ticket_bytes(heading, share, order.note)
        direct = "host" in printer and direct_mode() is not None
        rows += [
            {
                "id": uuid.uuid4(),
                "printer": printer["name"],
                "order_id": order.id,
                "data": data,
                "direct": direct,
            }
            for _ in range(printer["copies"])
        ]
    return _insert_jobs(rows)


def _insert_jobs(rows: list[dict]) -> list[uuid.UUID]:
    if rows:
        db.session.execute(insert(PrintJob), rows)
    for row in rows:
        if row["direct"]:
            defer_for_tenant(SEND_TASK, job_id=str(row["id"]))
    return [row["id"] for row in rows]


def reprint(order: Order) -> list[uuid.UUID]:
    """The order's tickets again, on every printer that prints its lines."""
    if order.payment_status == AWAITING_PAYMENT:
        raise Conflict(_("This order awaits its online payment: it is not in the kitchen yet."))
    settings = current_settings()
    if not printers_of(settings):
        raise Conflict(_("No printer is set up: add one on the Printers page."))
    jobs = queue_tickets(order, settings)
    if not jobs:
        raise Conflict(_("No printer prints this order's lines (check the printers' stations)."))
    return jobs


def print_test_page(name: str) -> uuid.UUID:
    settings = current_settings()
    printer = printer_named(settings, name)
    if printer is None:
        raise NotFound(_("No such printer."))
    printed = format_local_time(utc_now(), settings["timezone"], settings["locale"])
    with force_locale(settings["languages"][0]):
        data = test_page_bytes(current_tenant().name, printer["name"], printer["stations"], printed)
    row = {
        "id": uuid.uuid4(),
        "printer": printer["name"],
        "order_id": None,
        "data": data,
        "direct": "host" in printer and direct_mode() is not None,
    }
    return _insert_jobs([row])[0]


def discard_waiting(printer: str) -> int:
    """Give up the tickets still waiting for `printer` (the board's warning ends)."""
    return db.session.execute(
        update(PrintJob)
        .where(PrintJob.printer == printer, PrintJob.printed_at.is_(None), ~PrintJob.discarded)
        .values(discarded=True)
    ).rowcount


# ------------------------------------------------------------------------------ the board


def waiting_tickets(now: datetime.datetime | None = None) -> list[tuple[str, int]]:
    """(printer, tickets) nobody has taken for `WAITING_WARNING`: agent offline, printer off."""
    before = (now or utc_now()) - WAITING_WARNING
    rows = db.session.execute(
        select(PrintJob.printer, func.count())
        .where(PrintJob.printed_at.is_(None), ~PrintJob.discarded, PrintJob.created_at < before)
        .group_by(PrintJob.printer)
        .order_by(PrintJob.printer)
    )
    return [(printer, count) for printer, count in rows]


# ------------------------------------------------------------------------------ agents' poll


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


_DEVICES = select(PrintDevice.token_hash, PrintDevice.id).where(PrintDevice.revoked_at.is_(None))
# Per printer, when its oldest waiting agent job may be offered (now, or when its lease ends).
_OFFERABLE = (
    select(PrintJob.printer, func.min(func.coalesce(PrintJob.leased_until, PrintJob.created_at)))
    .where(PrintJob.printed_at.is_(None), ~PrintJob.discarded, ~PrintJob.direct)
    .group_by(PrintJob.printer)
)


def _held(tenant: TenantRecord, feed: ChangeFeed | None, topic: str, kind: str, load, max_age):
    if feed is None or not feed.healthy:
        return load()
    size = lambda value: 64 + 96 * len(value)  # noqa: E731
    return feed.cached(tenant.schema_name, topic, kind, load, size, max_age)


def device_for_token(tenant: TenantRecord, token: str | None, feed) -> uuid.UUID | None:
    """The agent this bearer token belongs to at `tenant`, or None (no, unknown, revoked, or
    another restaurant's token)."""
    if not token:
        return None

    def load() -> dict[str, uuid.UUID]:
        with tenant.read_engine.connect() as connection:
            return dict(connection.execute(_DEVICES).all())

    return _held(tenant, feed, "print_devices", "tokens", load, None).get(token_digest(token))


def anything_to_offer(tenant: TenantRecord, printers: list[str], feed) -> bool:
    """Whether a job for one of `printers` (any printer when empty) may be offered now."""

    def load() -> dict[str, float]:
        with tenant.read_engine.connect() as connection:
            return {name: at.timestamp() for name, at in connection.execute(_OFFERABLE)}

    offerable = _held(tenant, feed, "print", "offerable", load, HOT_MAX_AGE)
    now = utc_now().timestamp()
    wanted = {name.casefold() for name in printers}
    return any(
        at <= now for name, at in offerable.items() if not wanted or name.casefold() in wanted
    )


@dataclass(frozen=True)
class OfferedJob:
    id: uuid.UUID
    printer: str
    data: bytes


def lease_jobs(tenant: TenantRecord, device_id: uuid.UUID, printers: list[str]) -> list[OfferedJob]:
    """Hand the oldest waiting jobs to an agent for `LEASE_SECONDS`. A poll is a GET, so its
    unit of work only reads: the lease (its answer) is a short transaction of its own."""
    table = PrintJob.__table__
    lease = (
        update(table)
        .where(table.c.id.in_(_waiting_ids(printers)))
        .values(
            offered_at=func.now(),
            leased_until=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, LEASE_SECONDS),
            attempts=table.c.attempts + 1,
        )
        .returning(table.c.id, table.c.printer, table.c.data)
    )
    with separate_transaction(tenant.engine) as connection:
        rows = connection.execute(lease).all()
        if rows:
            connection.execute(
                update(PrintDevice.__table__)
                .where(PrintDevice.__table__.c.id == device_id)
                .values(last_seen_at=func.now())
            )
    return [OfferedJob(*row) for row in rows]


def _waiting_ids(printers: list[str]):
    query = (
        select(PrintJob.id)
        .where(
            PrintJob.printed_at.is_(None),
            ~PrintJob.discarded,
            ~PrintJob.direct,
            PrintJob.leased_until.is_(None) | (PrintJob.leased_until <= func.now()),
        )
        .order_by(PrintJob.created_at)
        .limit(JOBS_PER_POLL)
        .with_for_update(skip_locked=True)
    )
    if printers:
        query = query.where(func.lower(PrintJob.printer).in_([p.lower() for p in printers]))
    return query.scalar_subquery()


def acknowledge(job_id) -> None:
    """An agent printed the job: it is never offered again (acknowledging twice is fine)."""
    job = get_or_404(PrintJob, job_id, "print job")
    if job.direct:  # the job engine's to send, not an agent's
        raise NotFound(_("No such print job."))
    if job.printed_at is None:
        job.printed_at = func.now()
        job.leased_until = None
        db.session.flush()
