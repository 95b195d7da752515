"""The database session every unit of work shares, and whether it may write.

`db` is Flask-SQLAlchemy's session with one twist (`TenantBoundSession`): when the app context
is bound to a restaurant (`omniorder.tenancy.bind`), every statement goes through that
restaurant's engine, so no query can reach another schema. The floor knows nothing of
tenancy: a binding is anything in ``g.tenant`` with an ``engine`` and a ``read_engine``.

**Read or write is decided once**, where a unit of work starts (`decide_access`): a request
by its method (GET, HEAD and OPTIONS never write), a CLI command or a job writes. Everything
downstream (the session's engine, the hot-read connection, the caches, the error pages) asks
`reads_only()` and never looks at the request again.
"""

import uuid

from flask import g, has_app_context
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from omniorder.core.errors import NotFound

# The key of a table's `info` that names what its changes are about (the menu, the board…):
# each model declares its own, and the change feed (`omniorder.cache.changes`) announces it.
CHANGE_TOPIC = "change_topic"
# The key of a table's `info` marking its topic as hot (written by every order and every tap on
# the board): a worker that listens announces its changes after commit, coalesced, from its
# own connection (cache/changes.Notifier), because PostgreSQL serialises the commits of all
# the transactions of a database that NOTIFY (one lock held through each commit's WAL flush).
ANNOUNCE_AFTER_COMMIT = "announce_after_commit"
# The key of a one-row table's `info` naming the topic whose version it counts: the change
# feed adds 1 to its ``version`` in every transaction that changes that topic, so a write
# priced from memory can check, in its own statement, that nothing changed since the read.
VERSION_OF_TOPIC = "version_of_topic"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READS_ONLY = "omniorder_reads_only"


def decide_access(method: str | None) -> None:
    """Record, for the unit of work starting in this app context, whether it only reads: a
    request by its method; `None` (a CLI command, a job) may write."""
    setattr(g, _READS_ONLY, method in READ_ONLY_METHODS)


def reads_only() -> bool:
    """Whether the current unit of work was started as a read (decided by `decide_access`)."""
    return has_app_context() and g.get(_READS_ONLY, False)


class TenantBoundSession(Session):
    """`db.session`: when a tenant is bound, every statement goes through its engine.

    A unit of work that only reads runs in autocommit: no BEGIN and no ROLLBACK round trips
    around its statements, which is most of the cost of a one-query request. The read engine
    refuses anything but a read (`unit_of_work.read_only`), so that rule is enforced, not
    hoped for. A unit of work that writes gets a real transaction, committed once at its end.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and has_app_context():
            tenant = g.get("tenant")
            if tenant is not None:
                return tenant.read_engine if reads_only() else tenant.engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base, session_options={"class_": TenantBoundSession})


def uuid_pk() -> Mapped[uuid.UUID]:
    """A UUID primary key made by PostgreSQL."""
    return mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def get_or_404(model, raw_id, missing: str, lock=None):
    """The bound restaurant's row of `model` whose id is `raw_id` as given (text from a URL,
    a form or JSON), or `NotFound(missing)` ("No such order.", in the reader's language) for a
    malformed id as for one that is not there. `lock`: True (FOR UPDATE, to change or delete
    it) or {"read": True} (FOR SHARE, to keep it while referring to it)."""
    try:
        found = db.session.get(model, uuid.UUID(str(raw_id)), with_for_update=lock)
    except ValueError:
        found = None
    if found is None:
        raise NotFound(missing)
    return found
