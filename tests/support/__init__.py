"""Helpers the tests share: a customer's and a staff member's steps (storefront, staff), orders
written straight into a tenant's table (orders), a migrations tree with one more revision
(migrations), and real local processes such as gunicorn and pgbouncer (processes, which the
benchmarks use too). Test modules import from here and from conftest, never from each other
and never from the benchmarks."""

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
