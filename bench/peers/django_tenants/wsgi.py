"""`gunicorn bench.peers.django_tenants.wsgi:application` (DJANGO_BENCH_DATABASE_URL set)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.django_tenants.settings")
application = get_wsgi_application()
