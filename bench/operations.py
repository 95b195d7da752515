"""Archival throughput and HTTP through pgbouncer (issue: operating at scale)."""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import http
from bench.common import REPOSITORY, add_orders, scratch_database
from bench.provisioning import populate
from harness.processes import on_tcp, pgbouncer


def archival(tenants: int = 200, orders: int = 1000) -> dict:
    with scratch_database("archive") as url, tempfile.TemporaryDirectory() as destination:
        populate(url, tenants)
        add_orders(url, tenants, orders, status="DONE", age="13 months", spacing="1 hour")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "flask", "orders", "archive", "--dest", destination],
            check=True,
            capture_output=True,
            cwd=REPOSITORY,
            env={**os.environ, "DATABASE_URL": url, "FLASK_APP": "omniorder"},
        )
        elapsed = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        files = sum(1 for _ in Path(destination).rglob("*.parquet"))
    return {
        "tenants": tenants,
        "orders": tenants * orders,
        "seconds": round(elapsed, 2),
        "orders_per_s": round(tenants * orders / elapsed),
        "files": files,
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def http_through_pgbouncer(tenants: int = 50, runs: int = 3, duration: int = 10) -> dict:
    """Menu over 50 tenants: direct (prepares on / off) and through pgbouncer (prepares off)."""
    with scratch_database("pgb") as url:
        if not on_tcp(url):
            return {"skipped": "needs PostgreSQL on TCP"}
        populate(url, tenants)
        domains = [f"b{index}.bench.localhost" for index in range(tenants)]
        lua = http.MENU_LUA % http.lua_list(domains)
        secret = {"SECRET_KEY": "bench-secret-key-" + "x" * 20}
        results = {
            "direct": http.serve_and_load(
                "wsgi:app", {"DATABASE_URL": url, **secret}, lua, "/api/v1/menu", runs, duration
            ),
            "direct_prepares_off": http.serve_and_load(
                "wsgi:app",
                {"DATABASE_URL": url, "OMNIORDER_PGBOUNCER": "1", **secret},
                lua,
                "/api/v1/menu",
                runs,
                duration,
            ),
        }
        with pgbouncer(url, pool_size=4) as bounced:
            results["pgbouncer"] = http.serve_and_load(
                "wsgi:app",
                {"DATABASE_URL": bounced, "OMNIORDER_PGBOUNCER": "1", **secret},
                lua,
                "/api/v1/menu",
                runs,
                duration,
            )
        return results


if __name__ == "__main__":
    import json

    print(
        json.dumps(
            {
                "archival": archival(int(sys.argv[1]) if len(sys.argv) > 1 else 200),
                "http_pgbouncer": http_through_pgbouncer(runs=1, duration=5),
            },
            indent=2,
        )
    )
