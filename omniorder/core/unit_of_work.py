"""One unit of work: a request, a CLI command or a job commits once, at its end.

Services change the database through `db.session` and at most ``flush()``; they never commit
or roll back. Whoever runs them owns the transaction (indico's ``rh.py``: load, check access,
process, commit once), so two service calls compose into one transaction and a failure
halfway leaves nothing behind:

* an HTTP request that writes (any method but GET, HEAD, OPTIONS) commits when its response
  is a success (< 400) and rolls back when it is an error or an exception escaped the view
  (`omniorder.web.unit_of_work.UnitOfWorkFlask`). A failed commit is an exception like any
  other, so the error handlers answer it (409, 503…), never a half-written 200;
* a CLI command or a job wraps its work in `unit_of_work()`;
* a GET or HEAD never writes: it runs on the tenant's autocommit read engine, which refuses
  anything but a read (`refuse_writes`), so a write slipped into a GET fails loudly at once;
* the one write that must outlive its request's rollback on purpose (a failed-login record)
  uses `separate_transaction()`, which says so at the call site;
* a request that must talk to another server after its first writes (an order, then its
  PaymentIntent) commits that step first with `commit_step()`, never holding a transaction
  open while it waits on the network;
* what must happen only once the data is committed (forgetting the cached registry, erasing
  archive files) is registered with `after_commit(callback)` and dropped on rollback.
"""

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from omniorder.core.database import db

log = logging.getLogger(__name__)
_AFTER_COMMIT = "omniorder.after_commit"
_READ_STATEMENT = re.compile(r"\s*(SELECT|SHOW)\b", re.IGNORECASE)


class WriteDuringRead(RuntimeError):
    """A statement that is not a read reached a read-only engine (a GET that writes)."""


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit `db.session` when the block succeeds, roll it back when it raises (CLI, jobs)."""
    try:
        yield
        db.session.commit()
    except BaseException:
        rollback_quietly()
        raise


@contextmanager
def separate_transaction(engine) -> Iterator:
    """A short transaction of its own on `engine`, committed at once, whatever becomes of the
    caller's unit of work. For records that must survive a rollback on purpose."""
    with engine.begin() as connection:
        yield connection


def commit_step() -> None:
    """Commit what the unit of work wrote so far, before it talks to another server (Stripe):
    no transaction, row lock or snapshot is held while the network is waited on. The next
    statement starts a new transaction, which the unit of work ends as usual. Said at the
    call site, as `separate_transaction` is: a request that uses it is two units, and the
    first one stays whatever becomes of the second."""
    db.session.commit()


def rollback_quietly() -> None:
    """Roll back; if the database died under us the rollback fails too, which is logged (the
    error that brought us here is the one worth raising)."""
    try:
        db.session.rollback()
    except SQLAlchemyError as failure:
        log.warning("rollback failed: %s", str(failure).splitlines()[0])


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction of `db.session` has committed; never if it
    rolls back."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the transaction itself may still roll back
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_AFTER_COMMIT, None)


def refuse_writes(connection, cursor, statement, parameters, context, executemany) -> None:
    """`before_cursor_execute` hook of the read-only engines: only SELECT and SHOW pass."""
    if not _READ_STATEMENT.match(statement):
        raise WriteDuringRead(f"a write while serving a read: {statement.split(None, 1)[0]}")


def read_only(engine):
    """An autocommit view of `engine` (no BEGIN/ROLLBACK round trips) that refuses writes."""
    reader = engine.execution_options(isolation_level="AUTOCOMMIT")
    event.listen(reader, "before_cursor_execute", refuse_writes)
    return reader
