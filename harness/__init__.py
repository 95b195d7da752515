"""Real local servers on loopback ports, for the tests and the benchmarks alike: gunicorn with
the app, pgbouncer in front of PostgreSQL, a PostgreSQL that can be stopped and started.
Imports nothing from tests/ or bench/."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
