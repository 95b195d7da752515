"""Run every benchmark and write bench/results/<name>.json + bench/results/summary.md.

    python -m bench                 # the whole suite (about 20 minutes on 2 cores)
    BENCH_RUNS=1 BENCH_DURATION=3 BENCH_SCALE_TENANTS=0 python -m bench   # a quick look
    BENCH_RUNS=3 BENCH_DURATION=5 python -m bench orders                  # the write path alone
    BENCH_RUNS=3 BENCH_DURATION=5 python -m bench payments   # counter vs online orders, localstripe
    BENCH_RUNS=3 python -m bench lighthouse     # the storefront on a phone, 40 items with photos

Knobs (environment): BENCH_RUNS (3), BENCH_DURATION (wrk seconds, 10), BENCH_TENANTS (200),
BENCH_HTTP_TENANTS (50), BENCH_PAYMENT_TENANTS (8), BENCH_SCALE_TENANTS (2000; 0 skips the
scale runs), BENCH_ANALYTICS_TENANTS (1000; 0 skips), BENCH_SOAK_REQUESTS (100000; 0 skips; see
bench/soak.py), BENCH_DATABASE_URL (else DATABASE_URL, else the embedded server). Each
benchmark creates and drops its own database.
"""

import json
import os
import sys
import time

from bench import (
    analytics,
    citus,
    http,
    lighthouse,
    migrations,
    operations,
    orders,
    payments,
    provisioning,
    soak,
)
from bench.common import (
    FIXED_HASH,
    RESULTS,
    bench_app,
    machine,
    scratch_database,
    summary,
)
from bench.http import SECRET
from bench.provisioning import SCALE_SAMPLE, interleaved, populate
from bench.summary import orders_lines, payments_lines, write_summary

RUNS = int(os.environ.get("BENCH_RUNS", 3))
DURATION = int(os.environ.get("BENCH_DURATION", 10))
TENANTS = int(os.environ.get("BENCH_TENANTS", 200))
HTTP_TENANTS = int(os.environ.get("BENCH_HTTP_TENANTS", 50))
SCALE = int(os.environ.get("BENCH_SCALE_TENANTS", 2000))
ANALYTICS_TENANTS = int(os.environ.get("BENCH_ANALYTICS_TENANTS", 1000))


def save(name: str, data: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))
    print(f"wrote bench/results/{name}.json", flush=True)


def scale_run(tenants: int) -> dict:
    """Provision `tenants`, then time the last ones, migrate across all, and load HTTP."""
    with scratch_database("scale") as url:
        latencies = populate(url, tenants)
        result = {
            "tenants": tenants,
            "provision_first_100": summary(latencies[:100]),
            "provision_last_100": summary(latencies[-100:]),
        }
        result["migrations"] = migrations.run(tenants=tenants, runs=1, url=url)
        domains = [f"b{index}.bench.localhost" for index in range(tenants)]
        result["http"] = http.run(
            url, domains, runs=RUNS, duration=DURATION, baselines=False, poll=False
        )
        # Ours vs the floor at this catalog size, interleaved (the fill's own latencies above
        # ran on a connection that had provisioned every tenant before, at another moment).
        app = bench_app(url)
        result["provision_vs_raw_at_scale"] = interleaved(app, url, SCALE_SAMPLE, "s")
        with app.app_context():
            from omniorder.core.database import db

            db.engine.dispose()
        return result


def read_path(meta: dict) -> None:
    print("http …", flush=True)
    with scratch_database("http") as url:
        populate(url, HTTP_TENANTS, german=True)
        domains = [f"b{index}.bench.localhost" for index in range(HTTP_TENANTS)]
        save("http", {**meta, **http.run(url, domains, runs=RUNS, duration=DURATION)})


def write_path(meta: dict) -> None:
    print(f"the write path (orders over {HTTP_TENANTS} tenants) …", flush=True)
    with scratch_database("orders") as url:
        populate(url, HTTP_TENANTS)
        domains = [f"b{index}.bench.localhost" for index in range(HTTP_TENANTS)]
        placed = {**meta, **orders.run(url, domains, runs=RUNS, duration=DURATION)}
    save("orders", placed)
    print("\n".join(orders_lines(placed)), flush=True)


def paid_online(meta: dict) -> None:
    """Counter vs online orders against localstripe, and the PaymentIntent call alone."""
    tenants = payments.TENANTS
    print(f"online payments (counter vs online orders, {tenants} tenants) …", flush=True)
    with scratch_database("payments") as url:
        populate(url, tenants)
        domains = [f"b{index}.bench.localhost" for index in range(tenants)]
        paid = {**meta, **payments.run(url, domains, SECRET, runs=RUNS, duration=DURATION)}
    save("payments", paid)
    print("\n".join(payments_lines(paid)), flush=True)


def storefront_on_a_phone(meta: dict) -> None:
    print("Lighthouse on the storefront (mobile, 40 items with photos) …", flush=True)
    save("lighthouse", {**meta, **lighthouse.run(RUNS)})


def main(parts: list[str]) -> None:
    """`python -m bench [provisioning|migrations|http|orders|payments|lighthouse|analytics|
    operations|scale|soak]…`; all by default."""
    started = time.time()
    wanted = set(parts) or {
        "provisioning",
        "migrations",
        "http",
        "orders",
        "payments",
        "lighthouse",
        "analytics",
        "operations",
        "scale",
        "soak",
    }
    meta = {
        "machine": machine(),
        "runs": RUNS,
        "duration_s": DURATION,
        "fixed_hash": FIXED_HASH[:7] + "…",
    }
    if "provisioning" in wanted:
        print("provisioning …", flush=True)
        save("provisioning", {**meta, **provisioning.run(runs=RUNS, sequence=TENANTS)})
    if "migrations" in wanted:
        print("migrations …", flush=True)
        save("migrations", {**meta, **migrations.run(tenants=TENANTS, runs=RUNS)})
    for name, part in (
        ("http", read_path),
        ("orders", write_path),
        ("payments", paid_online),
        ("lighthouse", storefront_on_a_phone),
    ):
        if name in wanted:
            part(meta)
    if ANALYTICS_TENANTS and "analytics" in wanted:
        print(f"analytics ({ANALYTICS_TENANTS} tenants × 100 orders) …", flush=True)
        save("analytics", {**meta, **analytics.run(ANALYTICS_TENANTS)})
    if "operations" in wanted:
        print("archival and pgbouncer …", flush=True)
        save(
            "operations",
            {
                **meta,
                "archival": operations.archival(),
                "http_pgbouncer": operations.http_through_pgbouncer(HTTP_TENANTS, RUNS, DURATION),
            },
        )
    if SCALE and "scale" in wanted:
        print(f"scale ({SCALE} tenants) …", flush=True)
        save("scale", {**meta, **scale_run(SCALE)})
    if "citus" in parts:  # only when named: it needs scripts/citus's cluster
        print("citus cluster vs one node …", flush=True)
        save("citus", {**meta, **citus.run()})
    if soak.REQUESTS and "soak" in wanted:
        print(f"soak ({soak.REQUESTS:,} mixed requests over {soak.TENANTS} tenants) …", flush=True)
        save("soak", {**meta, **soak.run()})
    write_summary()
    print(f"done in {time.time() - started:.0f} s; see bench/results/summary.md", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
