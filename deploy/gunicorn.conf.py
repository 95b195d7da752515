"""Production gunicorn settings: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Sync workers: every request is short (one to a few statements; the kitchen poll one) and each
worker holds its own SQLAlchemy pool. Put a buffering proxy (nginx, a load balancer) in
front, as gunicorn advises for sync workers, and set OMNIORDER_PROXY_HOPS to match.

Connection budget: workers × (pool_size 5 + max_overflow 5) per host must fit PostgreSQL's
max_connections, or go through pgbouncer (deploy/pgbouncer.ini, OMNIORDER_PGBOUNCER=1).
No preload_app: the database engine must be created in each worker, never shared by a fork.
"""

import multiprocessing
import os

bind = os.environ.get("OMNIORDER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30  # a worker stuck this long is killed and replaced; requests take milliseconds
graceful_timeout = 20  # on SIGTERM, requests in flight get this long to finish
max_requests = 20_000  # recycle workers now and then, jittered so they never all restart at once
max_requests_jitter = 2_000
accesslog = os.environ.get("OMNIORDER_ACCESS_LOG", "-") or None  # "" turns it off
