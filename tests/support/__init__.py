"""Helpers the tests share: a customer's and a staff member's steps (storefront, staff), orders
written straight into a tenant's table (orders), and real local processes such as gunicorn and
pgbouncer (processes, which the benchmarks use too)."""
