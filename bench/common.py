"""Shared by the benchmarks: a throwaway database, the app on it, timing helpers."""

import os
import statistics
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

REPOSITORY = Path(__file__).resolve().parent.parent
RESULTS = REPOSITORY / "bench" / "results"
# A fixed bcrypt hash (of "bench-password", cost 4): hashing is left out of every timing.
FIXED_HASH = "$2b$04$x4EkYZ8/brvbPFCB/hsQBegSjls12891QMXJnmv3VUqmMlb3bvE66"


# Subprocesses (flask, gunicorn) of the benchmarks run as development processes.
os.environ.setdefault("OMNIORDER_DEV", "1")


def server_url() -> str:
    """BENCH_DATABASE_URL, else DATABASE_URL, else the embedded server under instance/."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from omniorder.core.embedded_postgres import start_embedded_postgres

    return start_embedded_postgres(REPOSITORY / "instance" / "bench-postgres", "postgres")


@contextmanager
def scratch_database(label: str, server: str | None = None):
    """A fresh database for one measurement, dropped afterwards; yields its URL. `server`: a
    server URL other than `server_url()` (bench/citus.py's cluster coordinator)."""
    server = make_url(server or server_url())
    name = f"omniorder_bench_{label}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def conninfo(url: str) -> str:
    """psycopg's connection string for a SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bench_app(url: str, **config):
    from omniorder import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "BCRYPT_ROUNDS": 4,
            "OMNIORDER_SYS_TOKEN": None,
            "OMNIORDER_DEV": True,
            **config,
        }
    )


def add_orders(
    url: str,
    tenants: int,
    orders: int,
    *,
    status: str = "PENDING",
    age: str = "0",
    spacing: str = "7 hours",
) -> None:
    """`orders` orders in each of the bench tenants b0…, one every `spacing` going back from
    `age` ago (PostgreSQL intervals), straight in SQL: setup, not a measurement."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for index in range(tenants):
            connection.exec_driver_sql(
                f'INSERT INTO "tenant_b{index}".orders (customer_name, total_amount, subtotal, '
                "items, status, created_at) SELECT 'Guest', 1000 + n, 1000 + n, "
                """'[{"menu_item_id": "x", "name": "x", "unit_price": 1, "quantity": 2, """
                f""""line_total": 2}}]', '{status}', now() - interval '{age}' """
                f"- n * interval '{spacing}' FROM generate_series(1, {orders}) n"
            )
    engine.dispose()


def migrate_public(app) -> None:
    from omniorder.core.database import db
    from omniorder.tenancy import migrate

    with app.app_context():
        report = migrate.migrate(db.engine, scope="public", direction="upgrade")
        assert not report.failed, report.failed


def summary(samples_ms: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(samples_ms), 2),
        "min_ms": round(min(samples_ms), 2),
        "max_ms": round(max(samples_ms), 2),
        "n": len(samples_ms),
    }


def timed(function) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def machine() -> dict:
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
