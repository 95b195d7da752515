"""Tickets sent by the job engine straight to a printer's ``host:port`` (raw TCP, port 9100),
where the operator allows it (``OMNIORDER_PRINT_DIRECT``, printing/printers.py).

Each ticket prints at most once even if a worker dies mid-job: the job is claimed (and the
claim committed) before a byte is sent, and only a send known to have failed releases the
claim for the next try. A worker killed between its claim and its report leaves the ticket
claimed, never sent twice: the board shows it waiting after 2 minutes, with Reprint at hand.
"""

import datetime
import uuid

from sqlalchemy import func, update

from omniorder.core.database import db
from omniorder.core.deadline import Deadline
from omniorder.core.unit_of_work import unit_of_work
from omniorder.ordering.pickup import utc_now
from omniorder.printing.models import PrintJob
from omniorder.printing.printers import checked_printer_addresses, direct_mode, printer_named
from omniorder.settings.document import current_settings

SEND_SECONDS = 10  # the whole exchange: resolving, connecting, sending the bytes
GIVE_UP_AFTER = datetime.timedelta(minutes=15)
CLAIMED = datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC)  # a claim that ends by a report


class PrinterUnreachable(Exception):
    """The printer did not take the ticket; `final` once it has been tried for 15 minutes."""

    def __init__(self, message: str, final: bool):
        super().__init__(message)
        self.final = final


def send_ticket(job_id: str) -> str:
    """Send one job to its printer (the job engine's task, its own units of work)."""
    job_id = uuid.UUID(job_id)
    with unit_of_work():
        claimed = db.session.execute(
            update(PrintJob)
            .where(
                PrintJob.id == job_id,
                PrintJob.printed_at.is_(None),
                ~PrintJob.discarded,
                PrintJob.leased_until.is_(None),
            )
            .values(leased_until=CLAIMED, offered_at=func.now(), attempts=PrintJob.attempts + 1)
            .returning(PrintJob.printer, PrintJob.data, PrintJob.created_at)
        ).first()
        printer = claimed and printer_named(current_settings(), claimed.printer)
    if claimed is None:
        return "printed, discarded or claimed by an earlier run"
    try:
        if printer is None or "host" not in printer or direct_mode() is None:
            raise OSError(f"printer {claimed.printer} has no host this server may send to")
        send_bytes(printer["host"], printer["port"], claimed.data)
    except OSError as error:
        with unit_of_work():
            db.session.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id)
                .values(leased_until=None, last_error=str(error)[:500])
            )
        final = utc_now() - claimed.created_at >= GIVE_UP_AFTER
        raise PrinterUnreachable(f"{claimed.printer}: {error}", final) from error
    with unit_of_work():
        db.session.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id)
            .values(printed_at=func.now(), leased_until=None, last_error=None)
        )
    return "printed"


def send_bytes(host: str, port: int, data: bytes) -> None:
    """All of `data` to ``host:port`` within `SEND_SECONDS`, to an address the operator allows
    (checked at every send: a name may resolve elsewhere since it was saved)."""
    addresses = checked_printer_addresses(host, port)
    with Deadline(SEND_SECONDS) as deadline:
        failure: OSError | None = None
        for address in addresses:
            try:
                sock = deadline.connect(address, port)
            except OSError as error:
                failure = error
                continue
            with sock:
                sock.sendall(data)
                sock.shutdown(2)
            return
        raise failure or OSError(f"no address for {host}")
