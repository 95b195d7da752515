"""What the app's connections really send PostgreSQL: libpq's protocol trace (PQtrace).

SQLAlchemy's cursor events miss what is sent beneath them (the change feed's notification at
commit goes straight to the DBAPI connection), so the checkout's statement budget is counted
here, on the wire: every simple Query and every extended-protocol Execute a connection sends.
"""

import contextlib
import re
import tempfile
from dataclasses import dataclass, field

from psycopg import pq
from sqlalchemy import event

from omniorder.core.database import db

TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


@dataclass
class Wire:
    """The statements sent while tracing, in order, as their SQL (an Execute of a statement
    psycopg had prepared earlier shows as "(prepared)")."""

    sent: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """Everything but BEGIN, COMMIT and ROLLBACK, each on one line."""
        return [" ".join(sql.split()) for sql in self.sent if not TRANSACTION_CONTROL.match(sql)]


def _messages(path: str) -> list[list[str]]:
    """The trace's messages, each split on tabs (a statement's own line breaks are kept)."""
    messages = []
    with open(path, encoding="utf-8", errors="replace") as trace:
        for line in trace:
            if line.startswith(("F\t", "B\t")) or not messages:
                messages.append(line)
            else:
                messages[-1] += line
    return [message.rstrip("\n").split("\t", 3) for message in messages]


def _read(path: str) -> list[str]:
    sent, parsed = [], "(prepared)"
    for parts in _messages(path):
        if len(parts) < 3 or parts[0] != "F":
            continue
        message = parts[2]
        if message == "Query":
            sent.append(parts[3].strip().strip('"'))
        elif message == "Parse":
            parsed = re.match(r'\s*"[^"]*" "(.*)" \d+', parts[3], re.DOTALL).group(1)
        elif message == "Execute":
            sent.append(parsed)
            parsed = "(prepared)"
    return sent


@contextlib.contextmanager
def traced(app):
    """Trace every connection the app's engine hands out while inside; yields a `Wire`
    filled when the block ends."""
    with app.app_context():
        engine = db.engine
    wire, traces = Wire(), []

    def start(dbapi_connection, record, proxy):
        trace = tempfile.NamedTemporaryFile("w", suffix=".trace", delete=False)  # noqa: SIM115
        pgconn = dbapi_connection.pgconn
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        traces.append((pgconn, trace))

    event.listen(engine.pool, "checkout", start)
    try:
        yield wire
    finally:
        event.remove(engine.pool, "checkout", start)
        for pgconn, trace in traces:
            pgconn.untrace()
            trace.close()
            wire.sent.extend(_read(trace.name))
