"""Citus cluster vs one node: the same workloads, in one run, on two databases of one server.

Both databases live on the coordinator of `scripts/citus` (PostgreSQL 18, Citus 14.0.1, a
coordinator and two workers on this machine): the *cluster* database has citus on every node
and the workers registered (`scripts/citus test-db`), so each tenant schema the app provisions
becomes a distributed schema on one worker; the *one-node* database is a plain database on the
same server without the extension. Same binaries, same machine, so cluster / one-node isolates
what Citus costs. Workloads: provisioning (interleaved tenant by tenant), the menu endpoint
over 50 tenants (gunicorn + wrk, runs interleaved), a migration across all tenants (no-op, add
a column, its downgrade), analytics refresh over all tenants; then the menu and one bare
statement per path (one node, through the coordinator, the app connected straight to a worker:
"query from any node"), interleaved.

    BENCH_CITUS_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/omniorder python -m bench citus

Knobs: BENCH_CITUS_TENANTS (200), BENCH_HTTP_TENANTS (50), BENCH_RUNS (3), BENCH_DURATION (10),
BENCH_CITUS_URL (else `scripts/citus up`'s last line).
"""

import os
import statistics
import subprocess
import time
from contextlib import ExitStack, contextmanager

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import analytics, http, migrations
from bench.common import (
    REPOSITORY,
    add_orders,
    bench_app,
    conninfo,
    migrate_public,
    scratch_database,
    summary,
    timed,
)
from bench.provisioning import provision

TENANTS = int(os.environ.get("BENCH_CITUS_TENANTS", 200))
HTTP_TENANTS = int(os.environ.get("BENCH_HTTP_TENANTS", 50))
RUNS = int(os.environ.get("BENCH_RUNS", 3))
DURATION = int(os.environ.get("BENCH_DURATION", 10))
ORDERS = 100
SCRIPT = REPOSITORY / "scripts" / "citus"
TARGETS = ("cluster", "one_node")


def cluster_url() -> str:
    """BENCH_CITUS_URL, else the coordinator of `scripts/citus up` (instant when it is up)."""
    url = os.environ.get("BENCH_CITUS_URL")
    if url:
        return url
    result = subprocess.run([SCRIPT, "up"], check=True, capture_output=True, text=True)
    return result.stdout.strip().splitlines()[-1]


def sql(url: str, statement: str, **parameters) -> list:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        rows = connection.execute(text(statement), parameters).all()
    engine.dispose()
    return rows


def end_sessions(server: str, names: list[str]) -> None:
    """Before the drop: end the databases' sessions on the coordinator, then the ones its
    backends left on the workers (a lingering one makes the propagated DROP DATABASE fail)."""
    admin = make_url(server).set(database="postgres").render_as_string(hide_password=False)
    terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%L)"
    array = "{" + ",".join(names) + "}"
    sql(admin, terminate.replace("%L", ":names"), names=names)
    time.sleep(1)
    sql(
        admin,
        "SELECT run_command_on_workers(format(:command, CAST(:names AS text)))",
        command=terminate,
        names=array,
    )
    time.sleep(1)


@contextmanager
def databases(server: str):
    """{"cluster": url, "one_node": url}: a Citus database and a plain one on `server`."""
    with ExitStack() as stack:
        urls = {target: stack.enter_context(scratch_database(target, server)) for target in TARGETS}
        names = [make_url(url).database for url in urls.values()]
        stack.callback(end_sessions, server, names)
        subprocess.run([SCRIPT, "test-db", names[0]], check=True, capture_output=True, text=True)
        yield urls


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18], 2)


def ratio(cluster: float, one_node: float) -> float:
    return round(cluster / one_node, 2) if one_node else None


def provisioning(urls: dict, tenants: int) -> dict:
    """Tenants b0…b<n-1> on both, interleaved tenant by tenant (which goes first alternates),
    so both see the same catalog size and the same state of the machine."""
    apps = {target: bench_app(url) for target, url in urls.items()}
    for app in apps.values():
        migrate_public(app)
    samples = {target: [] for target in urls}
    for index in range(tenants):
        order = TARGETS if index % 2 == 0 else TARGETS[::-1]
        for target in order:
            samples[target].append(timed(lambda app=apps[target], i=index: provision(app, i)))
    for app in apps.values():
        with app.app_context():
            from omniorder.core.database import db

            db.engine.dispose()
    report = {}
    for target, values in samples.items():
        report[target] = {
            "all": {**summary(values), "p95_ms": p95(values)},
            "first_50": {**summary(values[:50]), "p95_ms": p95(values[:50])},
        }
    report["ratio_median"] = ratio(
        report["cluster"]["all"]["median_ms"], report["one_node"]["all"]["median_ms"]
    )
    report["ratio_p95"] = ratio(
        report["cluster"]["all"]["p95_ms"], report["one_node"]["all"]["p95_ms"]
    )
    return report


def layout(url: str, domains: list[str]) -> dict:
    """Which worker holds each tenant schema; tenants per worker, all and of `domains`."""
    rows = sql(
        url,
        "SELECT s.schema_name::text, sh.nodeport FROM citus_schemas s "
        "JOIN citus_shards sh USING (colocation_id) GROUP BY 1, 2",
    )
    measured = {f"tenant_{domain.split('.')[0]}" for domain in domains}
    where = {schema: port for schema, port in rows if schema in measured}
    per_node = sql(
        url,
        "SELECT nodeport, count(DISTINCT colocation_id) FROM citus_shards "
        "WHERE citus_table_type = 'schema' GROUP BY 1 ORDER BY 1",
    )
    return {
        "where": where,
        "tenants_per_worker": {str(port): count for port, count in per_node},
        "http_tenants_per_worker": {
            str(port): sum(1 for schema in measured if where.get(schema) == port)
            for port, _ in per_node
        },
    }


def menu(urls: dict, domains: list[str], runs: int, duration: int) -> dict:
    """`runs` × (gunicorn + wrk) per target, interleaved run by run; medians."""
    secret = "bench-secret-key-" + "x" * 20
    lua = http.MENU_LUA % http.lua_list(domains)
    samples = {target: [] for target in urls}
    for _ in range(runs):
        for target, url in urls.items():
            environment = {"DATABASE_URL": url, "SECRET_KEY": secret}
            result = http.serve_and_load("wsgi:app", environment, lua, "/api/v1/menu", 1, duration)
            samples[target].append(result["runs"][0])
    return {
        target: {
            "tenants": len(domains),
            "req_per_s": round(statistics.median(s["req_per_s"] for s in values), 1),
            "p50_ms": round(statistics.median(s["p50_ms"] for s in values), 3),
            "p99_ms": round(statistics.median(s["p99_ms"] for s in values), 3),
            "non_2xx": sum(s["non_2xx"] for s in values),
            "runs": values,
        }
        for target, values in samples.items()
    }


def migrating(urls: dict, tenants: int, runs: int) -> dict:
    """bench/migrations.py on both (no-op, add column, downgrade; --jobs 1 and 2), one run of
    each per round, the targets alternating; medians over the rounds."""
    rounds = {target: [] for target in urls}
    for _ in range(runs):
        for target, url in urls.items():
            rounds[target].append(migrations.run(tenants=tenants, runs=1, url=url))
    report = {}
    for target, values in rounds.items():
        keys = [key for key in values[0] if key.endswith("_s")]
        report[target] = {
            key: round(statistics.median(value[key]["median_s"] for value in values), 3)
            for key in keys
        }
    report["ratios"] = {
        key: ratio(report["cluster"][key], report["one_node"][key]) for key in report["cluster"]
    }
    return report


def refreshing(urls: dict, tenants: int, runs: int) -> dict:
    """`flask analytics refresh --full` and an incremental refresh with nothing new."""
    samples = {target: {"full_refresh_s": [], "incremental_noop_s": []} for target in urls}
    for _ in range(runs):
        for target, url in urls.items():
            samples[target]["full_refresh_s"].append(
                analytics.flask(url, "analytics", "refresh", "--full")
            )
            samples[target]["incremental_noop_s"].append(
                analytics.flask(url, "analytics", "refresh")
            )
    report = {
        target: {key: round(statistics.median(v), 3) for key, v in values.items()}
        for target, values in samples.items()
    }
    report["ratios"] = {
        key: ratio(report["cluster"][key], report["one_node"][key]) for key in report["cluster"]
    }
    return report


def statement_round_trips(urls: dict, domains: list[str], count: int = 2000) -> dict:
    """One psycopg connection per target, `SELECT * FROM "tenant_bN".menu_items` rotated over
    the tenants `count` times (targets interleaved in blocks of 100): the per-statement cost of
    each path without HTTP, Flask or gunicorn around it."""
    connections = {
        target: psycopg.connect(conninfo(url), autocommit=True) for target, url in urls.items()
    }
    schemas = [f"tenant_{domain.split('.')[0]}" for domain in domains]
    samples = {target: [] for target in urls}
    for block in range(count // 100):
        for target, connection in connections.items():
            for index in range(100):
                schema = schemas[(block * 100 + index) % len(schemas)]
                statement = f'SELECT * FROM "{schema}".menu_items'  # noqa: S608
                samples[target].append(
                    timed(lambda c=connection, s=statement: c.execute(s).fetchall())
                )
    for connection in connections.values():
        connection.close()
    return {
        target: {"median_us": round(statistics.median(v) * 1000), "p95_us": round(p95(v) * 1000)}
        for target, v in samples.items()
    }


def on_worker(urls: dict, where: dict, domains: list[str], runs: int, duration: int) -> dict:
    """The app connected to a worker instead of the coordinator. A worker has Citus' metadata
    (synced since Citus 11), so a query naming a tenant schema is planned there and runs
    locally when the schema lives on that worker, one worker-to-worker hop otherwise. The
    registry tables (public.tenants, public.registry_version) are local to the coordinator;
    they are added to Citus' metadata (citus_add_local_table_to_metadata, cascading through
    foreign keys) so a worker can read them too; the registry is read once per check
    interval, not per request. Measured with the one-node and coordinator paths interleaved."""
    cluster = urls["cluster"]
    sql(
        cluster,
        "SELECT citus_add_local_table_to_metadata('public.tenants', "
        "cascade_via_foreign_keys => true)",
    )
    sql(cluster, "SELECT citus_add_local_table_to_metadata('public.registry_version')")
    ports = sorted(set(where.values()))
    worker = make_url(cluster).set(port=ports[0]).render_as_string(hide_password=False)
    local = [domain for domain in domains if where[f"tenant_{domain.split('.')[0]}"] == ports[0]]
    paths = {"one_node": urls["one_node"], "coordinator": cluster, "worker": worker}
    report = {"worker_port": ports[0]}
    for name, hosts in (("all_tenants", domains), ("tenants_on_that_worker", local)):
        load = os.getloadavg()[0]
        measured = menu(paths, hosts, runs, duration)
        for path in ("coordinator", "worker"):
            measured[f"ratio_{path}_vs_one_node"] = ratio(
                measured[path]["req_per_s"], measured["one_node"]["req_per_s"]
            )
        measured["statements"] = statement_round_trips(paths, hosts)
        measured["load_average_before"] = load
        report[name] = measured
    return report


def run(tenants: int = TENANTS, http_tenants: int = HTTP_TENANTS) -> dict:
    server = cluster_url()
    nodes = sql(
        server,
        "SELECT nodename, nodeport, noderole, groupid FROM pg_dist_node ORDER BY groupid",
    )
    versions = sql(
        server, "SELECT version(), (SELECT extversion FROM pg_extension WHERE extname = 'citus')"
    )[0]
    report = {
        "layout": {
            "postgresql": versions[0],
            "citus": versions[1],
            "nodes": [
                dict(zip(("host", "port", "role", "group"), row, strict=True)) for row in nodes
            ],
            "note": "1 coordinator + 2 workers on one machine: the cluster shares its CPUs "
            "with itself (and with gunicorn and wrk)",
        },
        "tenants": tenants,
        "http_tenants": http_tenants,
        "orders_per_tenant": ORDERS,
        "runs": RUNS,
        "duration_s": DURATION,
    }
    domains = [f"b{index}.bench.localhost" for index in range(http_tenants)]
    with databases(server) as urls:
        print(f"citus: provisioning {tenants} tenants on both …", flush=True)
        loads = report["load_average_before"] = {"provisioning": os.getloadavg()[0]}
        report["provisioning"] = provisioning(urls, tenants)
        report["placement"] = layout(urls["cluster"], domains)
        print(f"citus: menu over {http_tenants} tenants …", flush=True)
        loads["menu"] = os.getloadavg()[0]
        report["menu"] = menu(urls, domains, RUNS, DURATION)
        report["menu"]["ratio_req_per_s"] = ratio(
            report["menu"]["cluster"]["req_per_s"], report["menu"]["one_node"]["req_per_s"]
        )
        print(f"citus: migrations across {tenants} tenants …", flush=True)
        loads["migrations"] = os.getloadavg()[0]
        report["migrations"] = migrating(urls, tenants, RUNS)
        print(f"citus: analytics refresh over {tenants} tenants × {ORDERS} orders …", flush=True)
        for url in urls.values():
            add_orders(url, tenants, ORDERS)
        loads["analytics"] = os.getloadavg()[0]
        report["analytics"] = refreshing(urls, tenants, RUNS)
        print("citus: menu with the app on a worker …", flush=True)
        report["menu_on_worker"] = on_worker(
            urls, report["placement"]["where"], domains, RUNS, DURATION
        )
    return report
