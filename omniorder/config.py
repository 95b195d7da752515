"""Settings, read from the environment with safe development defaults.

`DATABASE_URL` names the PostgreSQL server (``postgresql+psycopg://…``). When it is unset the
app starts its own embedded PostgreSQL under the instance folder (see `embedded_db`), so a
fresh machine needs nothing but Python.
"""

import os
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    # Development defaults (the secret above) are accepted only in debug or test mode, or
    # with OMNIORDER_DEV=1; anything else is production and must bring its own secrets.
    OMNIORDER_DEV = os.environ.get("OMNIORDER_DEV", "") in ("1", "true", "yes")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 5, "max_overflow": 5, "pool_timeout": 5}
    # Bearer token of the system API; the API answers 404 while it is unset.
    OMNIORDER_SYS_TOKEN = os.environ.get("OMNIORDER_SYS_TOKEN")
    # How often a worker asks PostgreSQL whether the tenant registry changed (seconds).
    # Tenants created, changed or dropped elsewhere are seen within this delay.
    OMNIORDER_REGISTRY_CHECK_INTERVAL = _float("OMNIORDER_REGISTRY_CHECK_INTERVAL", 2.0)
    OMNIORDER_MIGRATIONS_DIR = os.environ.get(
        "OMNIORDER_MIGRATIONS_DIR", str(REPOSITORY_ROOT / "migrations")
    )
    # Where `flask orders archive` writes: a folder or s3://bucket/prefix (default:
    # instance/archive). S3 endpoint and keys: OMNIORDER_ARCHIVE_S3_ENDPOINT, AWS_*.
    OMNIORDER_ARCHIVE_URI = os.environ.get("OMNIORDER_ARCHIVE_URI")
    BCRYPT_ROUNDS = int(os.environ.get("OMNIORDER_BCRYPT_ROUNDS", 12))
    # psycopg prepares a statement on the server after 5 executions. Behind pgbouncer in
    # transaction mode (before 1.21's max_prepared_statements) a prepared statement may be
    # missing on the next server connection, so OMNIORDER_PGBOUNCER=1 turns prepares off.
    OMNIORDER_PGBOUNCER = os.environ.get("OMNIORDER_PGBOUNCER", "") in ("1", "true", "yes")
    # A direct server URL for connections that must not go through a pooler in transaction
    # mode: a background worker's LISTEN (omniorder/jobs/engine.py) and each web worker's change
    # feed (omniorder/cache/changes.py). Unset: DATABASE_URL.
    OMNIORDER_LISTEN_URL = os.environ.get("OMNIORDER_LISTEN_URL")
    # Each worker LISTENs for changes and serves the menu, the registry and unchanged kitchen
    # polls from memory while it listens (omniorder/cache/changes.py); 0 turns it off.
    OMNIORDER_PUSH_INVALIDATION = os.environ.get("OMNIORDER_PUSH_INVALIDATION", "1") in (
        "1",
        "true",
        "yes",
    )
    # The per-worker cache's bound (bytes, estimated): least recently used values go first.
    OMNIORDER_CACHE_BYTES = int(os.environ.get("OMNIORDER_CACHE_BYTES", 64 * 1024 * 1024))
    # Webhooks go to public addresses only; 1 also allows loopback, link-local and private
    # ones (development, tests). Never in production: it opens the internal network (SSRF).
    OMNIORDER_WEBHOOK_ALLOW_PRIVATE = os.environ.get("OMNIORDER_WEBHOOK_ALLOW_PRIVATE", "") in (
        "1",
        "true",
        "yes",
    )
    # Ticket printers with a `host` (omniorder/printing/printers.py): unset, refused (printing is
    # pulled by a print agent on the restaurant's network); "public": sent by the job engine to
    # public addresses only; "any": also private and loopback (a server on the restaurant's LAN).
    OMNIORDER_PRINT_DIRECT = os.environ.get("OMNIORDER_PRINT_DIRECT", "").strip().lower()
    # Stripe's API and Stripe.js (omniorder/payments/gateway.py): unset, Stripe's own; tests
    # and development point them at localstripe. The CSP allows exactly the script's origin.
    OMNIORDER_STRIPE_API_BASE = os.environ.get("OMNIORDER_STRIPE_API_BASE")
    OMNIORDER_STRIPE_JS_URL = os.environ.get("OMNIORDER_STRIPE_JS_URL")
    MAX_CONTENT_LENGTH = 256 * 1024
    # A form that uploads a photo (views marked `accepts_upload`): a 10 MB image and the
    # form around it; a bigger body is a 413 page (omniorder/media/images.py MAX_BYTES).
    MAX_UPLOAD_LENGTH = 11 * 1024 * 1024
    # Where photos live (omniorder/media/storage.py): unset, instance/media; a folder; or
    # s3://bucket/prefix (endpoint: OMNIORDER_MEDIA_S3_ENDPOINT; keys and region: AWS_*).
    OMNIORDER_MEDIA_URI = os.environ.get("OMNIORDER_MEDIA_URI")
    OMNIORDER_MEDIA_S3_ENDPOINT = os.environ.get("OMNIORDER_MEDIA_S3_ENDPOINT")
    # Serve photos from a CDN or the bucket itself: <this>/<tenant schema>/<name> must answer
    # what the store holds under that key. Unset: /media/<name> on the restaurant's host.
    OMNIORDER_MEDIA_PUBLIC_URL = os.environ.get("OMNIORDER_MEDIA_PUBLIC_URL")
    SESSION_COOKIE_SAMESITE = "Lax"
    # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none, trust none).
    OMNIORDER_PROXY_HOPS = int(os.environ.get("OMNIORDER_PROXY_HOPS", 0))
    # Behind HTTPS (directly or via a proxy that sets X-Forwarded-Proto) set this to 1.
    SESSION_COOKIE_SECURE = os.environ.get("OMNIORDER_SECURE_COOKIES", "") in ("1", "true")
    # Orders (storefront checkout and POST /api/v1/orders together) per client address per
    # restaurant, in any such span of time (a moving window); "off" disables the limit.
    OMNIORDER_ORDER_RATE_LIMIT = os.environ.get("OMNIORDER_ORDER_RATE_LIMIT", "30 per minute")
    # "Forgot your password?" requests per client address and per typed e-mail address, per
    # restaurant (omniorder/web/ratelimit.py); "off" disables either.
    OMNIORDER_RESET_RATE_LIMIT_PER_CLIENT = os.environ.get(
        "OMNIORDER_RESET_RATE_LIMIT_PER_CLIENT", "10 per hour"
    )
    OMNIORDER_RESET_RATE_LIMIT_PER_ADDRESS = os.environ.get(
        "OMNIORDER_RESET_RATE_LIMIT_PER_ADDRESS", "3 per hour"
    )
    # Where the counts live. memory:// is per worker process (gunicorn's N workers allow up to
    # N times the limit); redis://host:port/db gives one exact limit shared by all workers.
    RATELIMIT_STORAGE_URI = os.environ.get("OMNIORDER_RATELIMIT_STORAGE_URI", "memory://")
    # Customer e-mail (notifications/mail.py): smtp://user:pass@host:587?starttls=1, or smtps://
    # for implicit TLS, &timeout=seconds. Unset: each message becomes instance/outbox/*.eml.
    OMNIORDER_SMTP_URL = os.environ.get("OMNIORDER_SMTP_URL")
    # The sender's address; its display name is the restaurant's name.
    OMNIORDER_MAIL_FROM = os.environ.get("OMNIORDER_MAIL_FROM", "orders@localhost")
    # The port in e-mailed tracking links when the storefront is not on 80/443 (the scheme
    # is https with OMNIORDER_SECURE_COOKIES=1, else http).
    OMNIORDER_PUBLIC_PORT = os.environ.get("OMNIORDER_PUBLIC_PORT")
    # Fernet keys that seal the secrets restaurants store (their Stripe secret key and webhook
    # secret): comma-separated, the first seals, all unseal (omniorder/core/secrets.py). Unset
    # in development: a key derived from SECRET_KEY. Unset in production: no secret can be
    # stored, and the app refuses to start once a restaurant holds one.
    OMNIORDER_ENCRYPTION_KEYS = os.environ.get("OMNIORDER_ENCRYPTION_KEYS")
    # Self-service sign-up (omniorder/platform/signup.py): /signup answers on the platform's
    # own host (e.g. app.example.com) only; OMNIORDER_SIGNUP is off (default), open, or
    # invite (codes from `flask platform invite`); a restaurant "pizza" gets
    # pizza.<OMNIORDER_TENANT_DOMAIN_SUFFIX>.
    OMNIORDER_PLATFORM_HOST = os.environ.get("OMNIORDER_PLATFORM_HOST")
    OMNIORDER_SIGNUP = os.environ.get("OMNIORDER_SIGNUP", "off")
    OMNIORDER_TENANT_DOMAIN_SUFFIX = os.environ.get("OMNIORDER_TENANT_DOMAIN_SUFFIX")
    # Sign-up submissions per client address (omniorder/web/ratelimit.py); "off" disables it.
    OMNIORDER_SIGNUP_RATE_LIMIT = os.environ.get("OMNIORDER_SIGNUP_RATE_LIMIT", "5 per hour")


MIN_SECRET_KEY_BYTES = 32


def development_mode(config, debug: bool) -> bool:
    """Debug or test mode, or OMNIORDER_DEV=1: development defaults are accepted."""
    return bool(debug or config.get("TESTING") or config.get("OMNIORDER_DEV"))


def refuse_unsafe_secrets(config, debug: bool) -> None:
    """Production must not run on the development secret, a short (guessable) secret or a
    guessable system token."""
    if development_mode(config, debug):
        return
    secret = config.get("SECRET_KEY")
    if secret in (None, "", DEVELOPMENT_SECRET_KEY):
        raise RuntimeError(
            "SECRET_KEY must be set to a long random value in production "
            "(or set OMNIORDER_DEV=1 on a development machine)"
        )
    secret_bytes = secret if isinstance(secret, bytes) else str(secret).encode()
    if len(secret_bytes) < MIN_SECRET_KEY_BYTES:
        # Anyone who guesses the key can sign a session cookie as any staff member.
        raise RuntimeError(
            f"SECRET_KEY is {len(secret_bytes)} bytes; production needs at least "
            f"{MIN_SECRET_KEY_BYTES} random bytes, e.g. the output of: python3 -c "
            "'import secrets; print(secrets.token_urlsafe(48))'"
        )
    token = config.get("OMNIORDER_SYS_TOKEN")
    if token is not None and len(token) < 32:
        raise RuntimeError(
            "OMNIORDER_SYS_TOKEN must be at least 32 characters (or unset, "
            "which disables the system API)"
        )
