"""Settings of the django-tenants peer: as few as django-tenants needs, production-like
(DEBUG off, persistent connections like our pool)."""

import os
from urllib.parse import unquote, urlsplit

_url = urlsplit(os.environ["DJANGO_BENCH_DATABASE_URL"].replace("+psycopg", ""))

SECRET_KEY = "bench-django-peer-" + "x" * 32
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "bench.peers.django_tenants.urls"
PUBLIC_SCHEMA_URLCONF = "bench.peers.django_tenants.urls_public"

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": _url.path.lstrip("/"),
        "USER": unquote(_url.username or ""),
        "PASSWORD": unquote(_url.password or ""),
        "HOST": _url.hostname or "",
        "PORT": _url.port or "",
        # One connection per worker, kept across requests (our engine keeps a pool).
        "CONN_MAX_AGE": None,
    }
}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

SHARED_APPS = [
    "django_tenants",
    "bench.peers.django_tenants.customers",
    "django.contrib.contenttypes",
]
TENANT_APPS = ["bench.peers.django_tenants.shop"]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
TENANT_MODEL = "customers.Tenant"
TENANT_DOMAIN_MODEL = "customers.Domain"

MIDDLEWARE = ["django_tenants.middleware.main.TenantMainMiddleware"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False}
