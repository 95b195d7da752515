"""The request-side extension singletons (CSRF, the view rate limiter), bound in `create_app`."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf import CSRFProtect

csrf = CSRFProtect()


class ViewLimiter(Limiter):
    """flask-limiter for decorated views only, checked in their wrappers. Its before_request
    pass looks for app-wide and default limits, which this app has none of, at a cost of
    about 40 µs on every request (the menu, the kitchen), so it is skipped."""

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name, in_middleware)


# Rate limits on chosen views (the order limit and its key: omniorder/web/ratelimit.py).
# Storage comes from the app's RATELIMIT_STORAGE_URI when bound; if it fails, each worker
# counts in memory until it answers again. One app per process, as gunicorn runs it: the
# limiter keeps the storage of the app bound last.
limiter = ViewLimiter(
    key_func=get_remote_address, strategy="moving-window", in_memory_fallback_enabled=True
)
