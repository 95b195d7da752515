"""A django-tenants peer of our checkout (bench/http.py's orders loads): the same schema-per-
tenant shape (a `customers` app with Tenant/Domain in public, a `shop` app in every tenant
schema), the same JSON order in, a 201 JSON out. Served by gunicorn with 2 sync workers
(`bench.peers.django_tenants.wsgi:application`); `provision.py` builds its database.

The database is DJANGO_BENCH_DATABASE_URL (a SQLAlchemy-style URL, as the other benchmarks
take). Kept apart from our app: Django is only imported in the peer's own processes.
"""
