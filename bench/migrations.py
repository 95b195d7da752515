"""`flask db upgrade` across N tenants: whole-process wall time, start-up included."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.common import REPOSITORY, scratch_database
from bench.provisioning import populate

LOYALTY = '''"""orders.loyalty_points (benchmark revision)

Revision ID: t9000_loyalty
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = "t9000_loyalty"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("orders", sa.Column("loyalty_points", sa.Integer(), nullable=True))


def downgrade():
    op.drop_column("orders", "loyalty_points")
'''


def flask(url: str, migrations_dir: Path, *args: str) -> float:
    """Seconds the whole `flask …` process takes."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "FLASK_APP": "omniorder",
        "OMNIORDER_MIGRATIONS_DIR": str(migrations_dir),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args],
        env=environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return elapsed


def schemas_with_column(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = "
                "'loyalty_points' AND table_name = 'orders' AND table_schema LIKE 'tenant_%'"
            )
        )
    engine.dispose()
    return count


def run(tenants: int = 200, runs: int = 3, url: str | None = None) -> dict:
    """No-op, add column and its downgrade, with --jobs 1 and 2 (`runs` times each)."""
    with tempfile.TemporaryDirectory() as scratch:
        real = REPOSITORY / "migrations"
        extended = Path(scratch) / "migrations"
        shutil.copytree(real, extended, ignore=shutil.ignore_patterns("__pycache__"))
        head = sorted((real / "versions" / "tenant").glob("t*.py"))[-1].stem
        (extended / "versions" / "tenant" / "t9000_loyalty.py").write_text(
            LOYALTY.format(down=head)
        )

        def measure(url):
            timings = {}
            for jobs in ("1", "2"):
                for kind in ("noop", "add_column", "downgrade"):
                    timings[f"{kind}_jobs{jobs}_s"] = []
                for _ in range(runs):
                    timings[f"noop_jobs{jobs}_s"].append(
                        flask(url, real, "db", "upgrade", "--jobs", jobs)
                    )
                    timings[f"add_column_jobs{jobs}_s"].append(
                        flask(url, extended, "db", "upgrade", "--jobs", jobs)
                    )
                    assert schemas_with_column(url) == tenants, "column missing somewhere"
                    timings[f"downgrade_jobs{jobs}_s"].append(
                        flask(url, extended, "db", "downgrade", head, "--jobs", jobs)
                    )
                    assert schemas_with_column(url) == 0, "column left somewhere"
            timings["startup_s"] = [flask(url, real, "--help") for _ in range(runs)]
            return {
                key: {
                    "median_s": round(statistics.median(v), 3),
                    "min_s": round(min(v), 3),
                    "max_s": round(max(v), 3),
                }
                for key, v in timings.items()
            }

        if url is not None:
            return {"tenants": tenants, **measure(url)}
        with scratch_database("migr") as fresh:
            populate(fresh, tenants)
            return {"tenants": tenants, **measure(fresh)}


if __name__ == "__main__":
    import json

    print(json.dumps(run(tenants=int(sys.argv[1]) if len(sys.argv) > 1 else 200, runs=1), indent=2))
