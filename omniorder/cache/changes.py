"""Changes pushed by PostgreSQL to every worker, and the per-worker caches they keep fresh.

**What is sent.** Every transaction that writes a table a cache depends on sends one
``pg_notify('omniorder_changes', …)`` just before it commits, on its own connection, so the
notification is delivered exactly when (and only if) the change commits. Our code sends it,
not a trigger: on Citus the tenant tables live on worker nodes, where a trigger's NOTIFY would
reach nobody, while the app's session is on the coordinator, where the listeners are. The
writes are seen by one engine hook (`track_write`: every INSERT, UPDATE and DELETE the app
issues, ORM flushes included), so no service can forget to announce one. What a table is
about (its *topic*) each model declares in its table's `info` (`CHANGE_TOPIC`): the menu
(items, options, categories, settings), the board (orders, board version), the staff (users),
the registry (public.tenants). A payload is
``"<topic> <schema>"`` (``"registry"`` for the registry).

**Who listens.** Each worker process keeps one connection that LISTENs (`ChangeFeed`), opened
on first use in that process (never across a fork). ``LISTEN`` does not work through
pgbouncer in transaction mode, so it takes OMNIORDER_LISTEN_URL when DATABASE_URL points at a
pooler. A notification bumps the topic's generation for that schema and drops its cached
values; a ``registry`` one re-reads the registry at once, so a new restaurant answers on every
worker within milliseconds of its commit and a dropped one stops.

**When it cannot listen.** While the connection is down (not yet open, PostgreSQL restarted,
the backend terminated) the feed is *unhealthy*: every cache is bypassed and the app behaves
as without it (the menu read per request, the registry checked every
OMNIORDER_REGISTRY_CHECK_INTERVAL seconds, the poll's one statement). Once it has listened
again it flushes everything, and only then trusts its caches: a notification lost while it
was down can never leave a stale value behind. A value read while a change was committing is
only stored if no notification for its topic arrived meanwhile (the generation check), and
only if the feed stayed healthy throughout (the epoch check).

**How much memory.** Values live in one LRU per worker bounded by OMNIORDER_CACHE_BYTES (the
sum of their estimated sizes); bench/README.md reports the size at 2,000 tenants.
"""

import functools
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import psycopg
from flask import Flask, current_app
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from omniorder.core.database import (
    ANNOUNCE_AFTER_COMMIT,
    CHANGE_TOPIC,
    VERSION_OF_TOPIC,
    db,
    reads_only,
)
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER
from omniorder.tenancy.registry import tenant_registry

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "omniorder_changes"
APPLICATION_NAME = "omniorder-changes"  # how the listeners show in pg_stat_activity
# Keys in the DBAPI connection's info, each a set of (topic, schema):
_CHANGED = "omniorder.changed"  # written by the open transaction, announced with its commit
_HOT = "omniorder.hot"  # written by the open transaction, of a topic announced after commit
_COMMITTED = "omniorder.committed"  # hot changes committed, handed to the notifier at checkin
RECONNECT_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0)
WAKE_SECONDS = 0.5  # the listener looks at its stop flag this often
KEEPALIVE_SECONDS = 5.0  # an idle listener checks its connection this often


# ------------------------------------------------------------------------------ sending


def track_write(connection, clauseelement, multiparams, params, execution_options) -> None:
    """Engine hook (before_execute): remember the topic and schema of each write."""
    if not isinstance(clauseelement, UpdateBase):
        return
    table = getattr(clauseelement, "table", None)
    topic = getattr(table, "info", {}).get(CHANGE_TOPIC)
    if topic is None:
        return
    schema = None
    if topic != "registry":
        translate = {
            **connection.get_execution_options().get("schema_translate_map", {}),
            **execution_options.get("schema_translate_map", {}),
        }
        schema = translate.get(table.schema)
        if schema is None or table.schema != TENANT_SCHEMA_PLACEHOLDER:
            return
    hot = table.info.get(ANNOUNCE_AFTER_COMMIT, False)
    connection.info.setdefault(_HOT if hot else _CHANGED, set()).add((topic, schema))


BUMP_VERSION = sql.SQL("UPDATE {}.{} SET version = version + 1")


@functools.cache
def _version_tables() -> dict[str, str]:
    """topic → the table counting its versions (`VERSION_OF_TOPIC`), from the models."""
    return {
        table.info[VERSION_OF_TOPIC]: table.name
        for table in db.metadata.tables.values()
        if VERSION_OF_TOPIC in table.info
    }


def announce_before_commit(connection) -> None:
    """Engine hook (commit, called just before COMMIT is sent): one round trip that queues
    a notification per changed topic and schema; PostgreSQL delivers them on commit. Sent on
    the DBAPI connection itself, beneath SQLAlchemy's transaction bookkeeping. A topic with a
    version table (`VERSION_OF_TOPIC`) also gets its version raised first: its row lock is
    taken at commit, so only writers of that topic ever wait on it (menu edits, not orders).

    A hot topic's changes (`ANNOUNCE_AFTER_COMMIT`: orders) are not notified here when this
    process runs a `Notifier`: they are handed to it once the connection comes back to the
    pool (`hand_over_at_checkin`), after the commit, so no order's commit waits on the lock
    PostgreSQL holds through the commit of every notifying transaction."""
    if connection.invalidated:
        return
    changed = connection.info.pop(_CHANGED, set())
    hot = connection.info.pop(_HOT, set())
    if not changed and not hot:
        return
    for feed in list(_FEEDS_OF_THIS_PROCESS):  # read your own writes without waiting
        for topic, schema in changed | hot:
            if topic != "registry":
                feed.apply(_payload(topic, schema))
    notifier = _notifier_for(connection.engine.url) if hot else None
    if notifier is not None:
        connection.info.setdefault(_COMMITTED, (notifier, set()))[1].update(hot)
    else:
        changed |= hot
    versioned = _version_tables()
    bumps = sorted(
        (schema, versioned[topic])
        for topic, schema in changed
        if schema is not None and topic in versioned
    )
    if not changed:
        return
    payloads = sorted(_payload(*change) for change in changed)
    statement = "SELECT " + ", ".join(["pg_notify(%s, %s)"] * len(payloads))
    arguments = [value for payload in payloads for value in (CHANNEL, payload)]
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        for schema, table in bumps:
            cursor.execute(BUMP_VERSION.format(sql.Identifier(schema), sql.Identifier(table)))
        cursor.execute(statement, arguments)
    except psycopg.Error as error:
        # As SQLAlchemy would raise it (a lost server is an OperationalError: 503, not 500).
        lost = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
        raise DBAPIError.instance(
            statement, arguments, error, psycopg.Error, connection_invalidated=lost
        ) from error
    finally:
        cursor.close()


def forget_writes(connection) -> None:
    """Engine hook (rollback): what a rolled-back transaction wrote was never committed. A
    connection that died has no info left to clear (and may not be touched before rollback)."""
    if not connection.invalidated:
        connection.info.pop(_CHANGED, None)
        connection.info.pop(_HOT, None)


def hand_over_at_checkin(dbapi_connection, record) -> None:
    """Pool hook (checkin): the hot changes its transactions committed go to the notifier;
    what an unfinished transaction wrote is forgotten."""
    record.info.pop(_CHANGED, None)
    record.info.pop(_HOT, None)
    committed = record.info.pop(_COMMITTED, None)
    if committed is not None:
        notifier, changes = committed
        notifier.queue(changes)


def _payload(topic: str, schema: str | None) -> str:
    return topic if schema is None else f"{topic} {schema}"


def install_hooks(engine: Engine) -> None:
    """On the app's engine (tenant engines are views of it and share its hooks)."""
    if event.contains(engine, "before_execute", track_write):
        return
    event.listen(engine, "before_execute", track_write)
    event.listen(engine, "commit", announce_before_commit)
    event.listen(engine, "rollback", forget_writes)
    event.listen(engine.pool, "checkin", hand_over_at_checkin)


# ------------------------------------------------------------------------------ listening

# The feeds of this process: a transaction's changes are applied to them as it commits, so
# the worker that made a change serves it at once (the notification follows for the others).
_FEEDS_OF_THIS_PROCESS: "weakref.WeakSet[ChangeFeed]" = weakref.WeakSet()


class _Entry:
    __slots__ = ("value", "size", "expires")

    def __init__(self, value, size: int, expires: float | None = None):
        self.value = value
        self.size = size
        self.expires = expires  # time.monotonic() after which it is not served, or None


class ChangeFeed:
    """One worker's listening connection and the caches it keeps fresh."""

    def __init__(self, conninfo: str, max_bytes: int, on_registry_change: Callable[[], None]):
        self._conninfo = conninfo
        self._max_bytes = max_bytes
        self._on_registry_change = on_registry_change
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()
        self._bytes = 0
        self._generations: dict[tuple[str, str], int] = {}
        self._epoch = 0  # bumped whenever the feed stops being healthy
        self._healthy = False
        self._stopped = threading.Event()
        self.notifications = 0
        _FEEDS_OF_THIS_PROCESS.add(self)
        self._thread = threading.Thread(target=self._listen, name="omniorder-changes", daemon=True)
        self._thread.start()

    # -- state seen by requests

    @property
    def healthy(self) -> bool:
        return self._healthy

    def stats(self) -> dict:
        with self._lock:
            return {"entries": len(self._values), "bytes": self._bytes, "healthy": self._healthy}

    def held(self, schema: str, topic: str, kind: str):
        """What is held of `kind` right now, or None (not held, or not listening)."""
        if not self._healthy:
            return None
        with self._lock:
            entry = self._values.get((schema, topic, kind))
            if entry is None:
                return None
            self._values.move_to_end((schema, topic, kind))
            return entry.value

    def cached(
        self,
        schema: str,
        topic: str,
        kind: str,
        load: Callable[[], T],
        size: Callable[[T], int],
        max_age: float | None = None,
    ) -> T:
        """`kind` of `schema`'s `topic` from memory, else `load()` (stored when no change to
        the topic arrived meanwhile and the feed stayed healthy), held at most `max_age`
        seconds when given (a hot topic's: `HOT_MAX_AGE`)."""
        if not self._healthy:
            return load()
        key = (schema, topic, kind)
        with self._lock:
            entry = self._values.get(key)
            if entry is not None and (entry.expires is None or entry.expires > time.monotonic()):
                self._values.move_to_end(key)
                return entry.value
            seen = (self._epoch, self._generations.get((schema, topic), 0))
        value = load()
        with self._lock:
            now = (self._epoch, self._generations.get((schema, topic), 0))
            if self._healthy and now == seen:
                if key in self._values:  # an expired value (or one stored meanwhile)
                    self._bytes -= self._values.pop(key).size
                expires = None if max_age is None else time.monotonic() + max_age
                entry = _Entry(value, size(value), expires)
                self._values[key] = entry
                self._bytes += entry.size
                while self._bytes > self._max_bytes and self._values:
                    _, evicted = self._values.popitem(last=False)
                    self._bytes -= evicted.size
        return value

    # -- the listening thread

    def stop(self) -> None:
        """Stop listening (within WAKE_SECONDS) and serve nothing from memory any more."""
        self._stopped.set()
        _FEEDS_OF_THIS_PROCESS.discard(self)
        self._thread.join(5)

    def _listen(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, application_name=APPLICATION_NAME
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._flush(healthy=True)
                    failures = 0
                    checked = time.monotonic()
                    while not self._stopped.is_set():
                        for notification in connection.notifies(timeout=WAKE_SECONDS):
                            self.notifications += 1
                            self.apply(notification.payload)
                        if time.monotonic() - checked > KEEPALIVE_SECONDS:
                            connection.execute("SELECT 1")  # still there?
                            checked = time.monotonic()
            except Exception as error:  # noqa: BLE001 (any failure means: not listening)
                self._flush(healthy=False)
                if not self._stopped.is_set():
                    if failures == 0:
                        log.warning("change feed lost: %s", str(error).splitlines()[0])
                    time.sleep(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])
                    failures += 1
        self._flush(healthy=False)

    def _flush(self, healthy: bool) -> None:
        """Forget every cached value; unhealthy: stop serving from memory (new epoch);
        healthy: re-read the registry first, then serve from memory again."""
        with self._lock:
            self._healthy = False
            self._epoch += 1
            self._values.clear()
            self._bytes = 0
        self._on_registry_change(healthy)
        if healthy:
            with self._lock:
                self._healthy = True

    def apply(self, payload: str) -> None:
        """A change to a topic: forget what is cached of it (registry: re-read it)."""
        topic, _, schema = payload.partition(" ")
        if topic == "registry":
            self._on_registry_change(True)
            return
        with self._lock:
            self._generations[(schema, topic)] = self._generations.get((schema, topic), 0) + 1
            for key in [key for key in self._values if key[0] == schema and key[1] == topic]:
                self._bytes -= self._values.pop(key).size


# ------------------------------------------------------------------------------ hot topics

NOTIFIER_NAME = "omniorder-notices"  # how the notifiers show in pg_stat_activity
COALESCE_SECONDS = 0.005  # a notifier gathers this long after a change before it sends


class Notifier:
    """One worker's sender of hot topics' notices (`ANNOUNCE_AFTER_COMMIT`), after commit.

    PostgreSQL takes one lock per database in the commit of every transaction that issued a
    NOTIFY and holds it through that commit's WAL flush, so notifying inside each order would
    queue every order of the platform behind every other's commit (bench/README.md: 8
    committers lose ~40 % of their rate). Instead the changes an order committed are queued
    here when its connection returns to the pool, and this thread sends them, gathered for
    `COALESCE_SECONDS` and each (topic, schema) once, in one autocommit statement on its own
    connection: one notifying commit per batch, a few milliseconds after the orders'.

    A notice lost on the way (the worker killed in those milliseconds, the connection down)
    leaves the listeners' values of the topic stale until its next change, so those values
    are held at most `HOT_MAX_AGE` seconds (ChangeFeed.cached's ``max_age``)."""

    def __init__(self, conninfo: str):
        self.pid = os.getpid()
        self._conninfo = conninfo
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self.sent = 0  # statements sent, for tests and the bench
        self._thread = threading.Thread(target=self._run, name=NOTIFIER_NAME, daemon=True)
        self._thread.start()

    def queue(self, changes: set[tuple[str, str]]) -> None:
        with self._lock:
            self._pending |= changes
        self._wake.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._thread.join(5)

    def _run(self) -> None:
        connection = None
        while True:
            self._wake.wait(WAKE_SECONDS)
            stopping = self._stopped.is_set()
            if not stopping:
                time.sleep(COALESCE_SECONDS)
            self._wake.clear()
            with self._lock:
                batch, self._pending = self._pending, set()
            if batch:
                connection = self._send(connection, batch)
            if stopping:
                break
        if connection is not None:
            connection.close()

    def _send(self, connection, batch: set[tuple[str, str]]):
        payloads = sorted(_payload(*change) for change in batch)
        statement = "SELECT " + ", ".join(["pg_notify(%s, %s)"] * len(payloads))
        arguments = [value for payload in payloads for value in (CHANNEL, payload)]
        try:
            if connection is None or connection.closed:
                connection = psycopg.connect(
                    self._conninfo, autocommit=True, application_name=NOTIFIER_NAME
                )
            connection.execute(statement, arguments)
            self.sent += 1
            return connection
        except Exception as error:  # noqa: BLE001 (the listeners' max age covers a loss)
            log.warning("change notices lost: %s", str(error).splitlines()[0])
            if connection is not None:
                connection.close()
            return None


HOT_MAX_AGE = 5.0  # seconds a hot topic's value is held at most (a lost notice's cost)
_NOTIFIERS: dict[tuple, Notifier] = {}  # by database (host, port, name)


def _database(url) -> tuple:
    return (url.host, url.port, url.database)


def _notifier_for(url) -> Notifier | None:
    notifier = _NOTIFIERS.get(_database(url))
    return notifier if notifier is not None and notifier.pid == os.getpid() else None


# ------------------------------------------------------------------------------ the app's feed

FEED = "omniorder.change_feed"  # its key in app.extensions: (pid, ChangeFeed)
_feed_lock = threading.Lock()


def change_feed(app: Flask | None = None) -> ChangeFeed | None:
    """This worker's feed (started on first use in this process), or None when push
    invalidation is off (OMNIORDER_PUSH_INVALIDATION)."""
    app = app or current_app._get_current_object()
    if not app.config.get("OMNIORDER_PUSH_INVALIDATION"):
        return None
    if app.config.get("OMNIORDER_PGBOUNCER") and not app.config.get("OMNIORDER_LISTEN_URL"):
        return None  # LISTEN through a pooler in transaction mode would hear nothing
    started = app.extensions.get(FEED)
    if started is not None and started[0] == os.getpid():
        return started[1]
    with _feed_lock:
        started = app.extensions.get(FEED)
        if started is None or started[0] != os.getpid():
            started = (os.getpid(), _start_feed(app))
            app.extensions[FEED] = started
    return started[1]


def _start_feed(app: Flask) -> ChangeFeed:
    with app.app_context():
        url = app.config.get("OMNIORDER_LISTEN_URL")
        engine_url = db.engine.url
        registry = tenant_registry()
    if url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    else:
        conninfo = engine_url.set(drivername="postgresql").render_as_string(hide_password=False)

    def on_registry_change(healthy: bool) -> None:
        registry.pushed(healthy)

    if _notifier_for(engine_url) is None:
        _NOTIFIERS[_database(engine_url)] = Notifier(conninfo)
    return ChangeFeed(conninfo, app.config["OMNIORDER_CACHE_BYTES"], on_registry_change)


def stop_change_feed(app: Flask) -> None:
    started = app.extensions.pop(FEED, None)
    if started is not None and started[0] == os.getpid():
        started[1].stop()
    if not _FEEDS_OF_THIS_PROCESS:  # the last feed: its notifiers stop too (after sending)
        for database, notifier in list(_NOTIFIERS.items()):
            if notifier.pid == os.getpid():
                notifier.stop()
                del _NOTIFIERS[database]


def cached_for_request(
    schema: str, topic: str, kind: str, load: Callable[[], T], size: Callable[[T], int]
) -> T:
    """`ChangeFeed.cached` for a read-only request; anything else (a write, a CLI command, a
    job) loads afresh, so a view that changed something shows what it changed."""
    if not reads_only():
        return load()
    feed = change_feed()
    return load() if feed is None else feed.cached(schema, topic, kind, load, size)


def cached_for_checked_write(
    schema: str, topic: str, kind: str, load: Callable[[], T], size: Callable[[T], int]
) -> T:
    """`ChangeFeed.cached` even in a unit of work that writes, for a value that carries the
    topic's version (`VERSION_OF_TOPIC`, read before the rest) and whose write checks that
    version in its own statement: a value gone stale between the read and the write refuses
    the write (the caller reads afresh and tries again) instead of writing stale data."""
    feed = change_feed()
    return load() if feed is None else feed.cached(schema, topic, kind, load, size)


def init_app(app: Flask) -> None:
    with app.app_context():
        install_hooks(db.engine)
