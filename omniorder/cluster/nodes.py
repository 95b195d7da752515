"""Where restaurants live on a Citus cluster, and moving them between nodes (deploy/citus.md).

On a Citus coordinator every tenant schema is a *distributed schema* (`tenancy.schema`): all its
tables are shards of one colocation group on one worker node, and the coordinator routes each
statement that names the schema there. These functions read that placement from Citus' own
views and move schemas with Citus' own functions; shared by ``flask tenants placement|move``
and ``flask cluster nodes|rebalance``.

Moves run online. The shard transfer mode follows the server's ``wal_level``: with ``logical``
it is Citus' ``auto`` mode (logical replication: reads and writes go on while the data is
copied; writes to the tenant wait only for the final catch-up, about a second); with
``replica`` it is ``block_writes`` (reads go on, writes wait for the whole copy). A move or
rebalance cannot run inside a transaction, so each uses an autocommit connection of its own,
outside the caller's unit of work; progress is read from ``get_rebalance_progress()`` on a
second connection while it runs.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from omniorder.core.database import db
from omniorder.core.errors import DomainError, Invalid, NotFound
from omniorder.tenancy.names import quote_schema


class NeedsCitus(DomainError):
    """A cluster command on plain PostgreSQL (the CLI exits 2)."""

    status_code = 400
    cli_exit_code = 2

    def __init__(self):
        super().__init__(
            "this command needs a Citus coordinator: DATABASE_URL points at plain PostgreSQL "
            "without the citus extension (see deploy/citus.md)"
        )


@dataclass(frozen=True)
class Placement:
    domain: str
    schema_name: str
    node: str | None  # "host:port" of its worker; None when the schema is not distributed
    size_bytes: int


@dataclass(frozen=True)
class Node:
    address: str  # host:port
    role: str  # coordinator | worker
    active: bool
    holds_tenants: bool  # shouldhaveshards: new and rebalanced tenants may be placed here
    tenants: int
    size_bytes: int


# Each distributed schema's tables and where their shards are; the sizes come from the
# workers (citus_shards asks every node).
_SCHEMA_SHARDS = """
    SELECT n.nspname AS schema_name, s.nodename, s.nodeport, s.shard_size
    FROM citus_shards s
    JOIN pg_class c ON c.oid = s.table_name
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE s.citus_table_type = 'schema'
"""


def require_citus(connection: Connection) -> None:
    citus = connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    if citus.first() is None:
        raise NeedsCitus()


def transfer_mode(connection: Connection) -> str:
    """``auto`` (online, logical replication) when wal_level allows it, else ``block_writes``."""
    wal_level = connection.exec_driver_sql("SHOW wal_level").scalar_one()
    return "auto" if wal_level == "logical" else "block_writes"


def describe_mode(mode: str) -> str:
    if mode == "auto":
        return "online (logical replication; writes pause only for the final catch-up)"
    return "block_writes (wal_level is not logical: reads go on, writes wait for the copy)"


def placements() -> list[Placement]:
    """Every tenant with the worker holding it and its size, by domain."""
    connection = db.session.connection()
    require_citus(connection)
    rows = connection.exec_driver_sql(
        f"""
        WITH shards AS ({_SCHEMA_SHARDS})
        SELECT t.domain, t.schema_name,
               min(shards.nodename || ':' || shards.nodeport) AS node,
               coalesce(sum(shards.shard_size), 0) AS size_bytes
        FROM public.tenants t
        LEFT JOIN shards ON shards.schema_name = t.schema_name
        GROUP BY t.domain, t.schema_name
        ORDER BY t.domain
        """  # noqa: S608 (a constant)
    )
    return [Placement(*row) for row in rows]


def nodes() -> list[Node]:
    """Every primary node with the number of tenants it holds (schemas that are not
    distributed count on the coordinator) and their size."""
    connection = db.session.connection()
    require_citus(connection)
    rows = connection.exec_driver_sql(
        f"""
        WITH shards AS ({_SCHEMA_SHARDS}),
        held AS (
            SELECT nodename, nodeport, count(DISTINCT schema_name) AS tenants,
                   sum(shard_size) AS size_bytes
            FROM shards GROUP BY nodename, nodeport
        ),
        local AS (
            SELECT count(*) AS tenants FROM public.tenants t
            WHERE NOT EXISTS (SELECT 1 FROM shards WHERE shards.schema_name = t.schema_name)
        )
        SELECT n.nodename || ':' || n.nodeport,
               CASE WHEN n.groupid = 0 THEN 'coordinator' ELSE 'worker' END,
               n.isactive, n.shouldhaveshards,
               coalesce(held.tenants, 0)
                 + CASE WHEN n.groupid = 0 THEN (SELECT tenants FROM local) ELSE 0 END,
               coalesce(held.size_bytes, 0)
        FROM pg_dist_node n
        LEFT JOIN held ON held.nodename = n.nodename AND held.nodeport = n.nodeport
        WHERE n.noderole = 'primary'
        ORDER BY n.groupid
        """  # noqa: S608 (a constant)
    )
    return [Node(*row) for row in rows]


def parse_node(address: str) -> tuple[str, int]:
    host, colon, port = address.rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Invalid("to", f"{address!r} must be HOST:PORT of a worker node, e.g. 10.0.0.5:5432")
    return host, int(port)


def _autocommit_connection() -> Connection:
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _progress_line(connection: Connection) -> str | None:
    row = connection.exec_driver_sql(
        "SELECT count(*), count(*) FILTER (WHERE progress = 2), "
        "coalesce(sum(target_shard_size), 0), coalesce(sum(source_shard_size), 0), "
        "string_agg(DISTINCT status, ', ') "
        "FROM get_rebalance_progress()"
    ).one()
    tables, done, copied, total, status = row
    if not tables:
        return None
    return f"  {done}/{tables} tables moved, {human_size(copied)} of {human_size(total)} copied" + (
        f" ({status.lower()})" if status else ""
    )


def _with_progress(work: Callable[[Connection], None], report: Callable[[str], None]) -> None:
    """Run `work` on an autocommit connection; meanwhile report Citus' progress every second
    (a line only when it changed)."""
    finished = threading.Event()
    engine = db.engine  # the thread has no app context

    def watch():
        last = None
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while not finished.wait(1.0):
                line = _progress_line(connection)
                if line and line != last:
                    report(line)
                    last = line

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        with _autocommit_connection() as connection:
            work(connection)
    finally:
        finished.set()
        watcher.join(5)


@dataclass(frozen=True)
class Move:
    domain: str
    schema_name: str
    source: str | None
    target: str
    mode: str
    moved: bool  # False when it already lived there


def move_tenant(domain: str, to: str, report: Callable[[str], None] = lambda line: None) -> Move:
    """Move a restaurant's schema to worker `to` (HOST:PORT), online; `report` hears the
    start and the progress lines."""
    host, port = parse_node(to)
    connection = db.session.connection()
    require_citus(connection)
    placement = next((p for p in placements() if p.domain == domain), None)
    if placement is None:
        raise NotFound(f"no restaurant has the domain {domain!r}")
    target = connection.execute(
        text(
            "SELECT 1 FROM pg_dist_node WHERE nodename = :host AND nodeport = :port "
            "AND noderole = 'primary' AND isactive"
        ),
        {"host": host, "port": port},
    ).first()
    if target is None:
        raise Invalid("to", f"{host}:{port} is not an active node (flask cluster nodes lists them)")
    mode = transfer_mode(connection)
    address = f"{host}:{port}"
    if placement.node == address:
        return Move(domain, placement.schema_name, address, address, mode, moved=False)
    if placement.node is None:
        raise Invalid(
            "domain",
            f"{domain}'s schema is not distributed; run flask cluster distribute first",
        )
    db.session.rollback()  # nothing of ours stays open (locks) while Citus moves the schema
    report(
        f"moving {domain} ({placement.schema_name}, {human_size(placement.size_bytes)}) "
        f"from {placement.node} to {address}, {describe_mode(mode)}"
    )
    _with_progress(
        lambda moving: moving.execute(
            text(
                "SELECT citus_schema_move(CAST(:schema AS regnamespace), :host, :port, "
                "CAST(:mode AS citus.shard_transfer_mode))"
            ),
            {
                "schema": quote_schema(placement.schema_name),
                "host": host,
                "port": port,
                "mode": mode,
            },
        ),
        report,
    )
    return Move(domain, placement.schema_name, placement.node, address, mode, moved=True)


def rebalance_plan(connection: Connection, by: str) -> list[tuple[str, str, str]]:
    """The moves Citus' rebalancer would make: (schema, from, to), one per tenant."""
    rows = connection.execute(
        text(
            "SELECT DISTINCT n.nspname, p.sourcename || ':' || p.sourceport, "
            "p.targetname || ':' || p.targetport "
            "FROM get_rebalance_table_shards_plan(rebalance_strategy => :strategy) p "
            "JOIN pg_class c ON c.oid = p.table_name "
            "JOIN pg_namespace n ON n.oid = c.relnamespace ORDER BY 1"
        ),
        {"strategy": STRATEGIES[by]},
    )
    return [tuple(row) for row in rows]


# --by tenants evens the number of restaurants per node (each is one shard group); --by size
# evens their bytes (Citus' by_disk_size).
STRATEGIES = {"tenants": "by_shard_count", "size": "by_disk_size"}


def rebalance(
    by: str = "tenants",
    dry_run: bool = False,
    report: Callable[[str], None] = lambda line: None,
) -> list[tuple[str, str, str]]:
    """Even tenants across the worker nodes with Citus' rebalancer; returns the moves (made,
    or only planned with `dry_run`)."""
    connection = db.session.connection()
    require_citus(connection)
    plan = rebalance_plan(connection, by)
    mode = transfer_mode(connection)
    db.session.rollback()
    if dry_run or not plan:
        return plan
    for schema, source, target in plan:
        report(f"moving {schema} from {source} to {target}")
    report(f"transfer mode: {describe_mode(mode)}")
    _with_progress(
        lambda moving: moving.execute(
            text(
                "SELECT rebalance_table_shards(rebalance_strategy => :strategy, "
                "shard_transfer_mode => CAST(:mode AS citus.shard_transfer_mode))"
            ),
            {"strategy": STRATEGIES[by], "mode": mode},
        ),
        report,
    )
    return plan


def distribute_tenants(report: Callable[[str], None] = lambda line: None) -> list[str]:
    """Make every tenant schema that is not yet distributed a distributed schema (restaurants
    provisioned before the database became a Citus coordinator); one commit per schema, so an
    interrupted run keeps what it did. Returns the schemas distributed."""
    connection = db.session.connection()
    require_citus(connection)
    waiting = [p.schema_name for p in placements() if p.node is None]
    db.session.rollback()
    with _autocommit_connection() as distributing:
        for schema_name in waiting:
            report(f"distributing {schema_name}")
            distributing.execute(
                text("SELECT citus_schema_distribute(CAST(:schema AS regnamespace))"),
                {"schema": quote_schema(schema_name)},
            )
    return waiting


def human_size(size_bytes: int) -> str:
    size = float(size_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
