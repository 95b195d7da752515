"""Analytics: 1,000 tenants × 100 orders; full refresh, incremental no-op, and the naive loop
(one `SELECT count(*), sum(total_amount) … GROUP BY day` per schema) the design worried about."""

import os
import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from bench.common import REPOSITORY, add_orders, scratch_database
from bench.provisioning import populate


def flask(url: str, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        check=True,
        capture_output=True,
        cwd=REPOSITORY,
        env={**os.environ, "DATABASE_URL": url, "FLASK_APP": "omniorder"},
    )
    return time.perf_counter() - started


def naive_loop(url: str, tenants: int) -> float:
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        for index in range(tenants):
            connection.execute(
                text(
                    f"SELECT (created_at AT TIME ZONE 'UTC')::date, count(*), sum(total_amount) "
                    f'FROM "tenant_b{index}".orders GROUP BY 1'
                )
            ).all()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def report_query(url: str) -> float:
    """The platform report from the warehouse: one query, whatever the tenant count."""
    from bench.common import bench_app
    from omniorder.analytics import sales as analytics
    from omniorder.core.database import db

    app = bench_app(url)
    with app.app_context():
        analytics.report()
        started = time.perf_counter()
        analytics.report()
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return elapsed


def run(tenants: int = 1000, orders: int = 100) -> dict:
    with scratch_database("analytics") as url:
        populate(url, tenants)
        add_orders(url, tenants, orders)
        return {
            "tenants": tenants,
            "orders_per_tenant": orders,
            "full_refresh_s": round(flask(url, "analytics", "refresh", "--full"), 3),
            "incremental_noop_s": round(flask(url, "analytics", "refresh"), 3),
            "full_refresh_jobs2_s": round(
                flask(url, "analytics", "refresh", "--full", "--jobs", "2"), 3
            ),
            "warehouse_report_query_s": round(report_query(url), 4),
            "naive_loop_s": round(naive_loop(url, tenants), 3),
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000), indent=2))
