"""The order rate limit: storefront checkout and ``POST /api/v1/orders`` together, per client
network per restaurant, so nobody can script orders onto a kitchen's board. The client network
(`request_network`: an IPv4 address, an IPv6 /64) is also what the login throttle and the
system API's failure counter key on.

Only the views decorated with `order_limit` are limited. Its check runs in the view's wrapper,
after the tenancy hook has bound the restaurant (and after CSRF), so the key names the
restaurant's id, never the raw ``Host`` (whose spelling a client could vary). The client
address is ``request.remote_addr``, which ProxyFix takes from X-Forwarded-For only with
``OMNIORDER_PROXY_HOPS`` > 0; a spoofed header without a trusted proxy changes nothing.

Every attempt counts (a retry with the same Idempotency-Key, an empty cart), in a moving
window, so "30 per minute" means at most 30 in any 60 seconds. With ``redis://`` storage
each check is one atomic script in Redis, so workers sharing it cannot exceed the limit
together; if Redis stops answering, each worker falls back to counting in its own memory
(logged) rather than refusing or failing orders.
"""

import ipaddress
import logging
import math
import os
import threading
import time

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from limits import parse_many
from limits.storage import MemoryStorage

from omniorder.tenancy.bind import current_tenant
from omniorder.web.extensions import limiter

log = logging.getLogger(__name__)
OFF = "off"
TOO_MANY_ORDERS = _l("Too many orders from your address; please try again in a minute.")


def order_rate_limit() -> str:
    """This app's limit ("30 per minute"), or "" when it is off (flask-limiter: no limit)."""
    value = current_app.config.get("OMNIORDER_ORDER_RATE_LIMIT") or OFF
    return "" if value.strip().lower() == OFF else value


def client_network(address: str | None) -> str:
    """The client's address; an IPv6 client by its /64, which one subscriber usually holds
    whole (so it cannot step through 2**64 addresses to escape the limit)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is that IPv4 client
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def request_network() -> str:
    """The network this request comes from, the one key every throttle counts a client by
    (the order limit, the staff login's failures, the system API's wrong tokens)."""
    return client_network(request.remote_addr)


def restaurant_and_client() -> str:
    return f"{current_tenant().id}/{request_network()}"


# One budget for both ways of ordering: the storefront and the API share the scope "orders".
order_limit = limiter.shared_limit(
    order_rate_limit,
    scope="orders",
    key_func=restaurant_and_client,
    error_message=lambda: str(TOO_MANY_ORDERS),
)


# "Forgot your password?": per client network and per typed address, each per restaurant, so
# nobody can flood an inbox or the mail queue from here. A flood gets the same 429 whether the
# address has an account or not.
TOO_MANY_RESETS = _l("Too many password reset requests; please wait a while and try again.")


def reset_rate_limit(per: str):
    def value() -> str:
        value = current_app.config.get(f"OMNIORDER_RESET_RATE_LIMIT_PER_{per}") or OFF
        return "" if value.strip().lower() == OFF else value

    return value


def restaurant_and_typed_address() -> str:
    typed = str(request.form.get("email") or "").strip().lower()[:254]
    return f"{current_tenant().id}/{typed}"


reset_limit_per_client = limiter.limit(
    reset_rate_limit("CLIENT"),
    key_func=restaurant_and_client,
    methods=["POST"],
    scope="password-reset-client",
    error_message=lambda: str(TOO_MANY_RESETS),
)
reset_limit_per_address = limiter.limit(
    reset_rate_limit("ADDRESS"),
    key_func=restaurant_and_typed_address,
    methods=["POST"],
    scope="password-reset-address",
    error_message=lambda: str(TOO_MANY_RESETS),
)


# Sign-ups (platform/signup.py) per client network: each one costs a bcrypt hash, a mail and
# a reserved subdomain, so nobody may script them.
TOO_MANY_SIGNUPS = _l("Too many sign-ups from your address; please wait a while and try again.")


def signup_rate_limit() -> str:
    value = current_app.config.get("OMNIORDER_SIGNUP_RATE_LIMIT") or OFF
    return "" if value.strip().lower() == OFF else value


signup_limit = limiter.limit(
    signup_rate_limit,
    key_func=request_network,
    methods=["POST"],
    scope="signup",
    error_message=lambda: str(TOO_MANY_SIGNUPS),
)


def retry_after_seconds() -> int:
    """Seconds until this request's client may order again (for ``Retry-After``)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    window = breached.limit.get_expiry()
    try:
        reset_at = breached.window.reset_time  # when the oldest counted order leaves the window
    except Exception:  # noqa: BLE001 - storage gone since the check; the window is an upper bound
        return window
    return min(window, max(1, math.ceil(reset_at - time.time())))


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage (``memory://``), its expired entries swept once a second by
    one thread of this process instead of a new `threading.Timer` after nearly every hit:
    under a rush that was a thread started per order, about a sixth of a worker's time in
    bench/orders.py's profile. Every hit still reads its window against the clock; the sweep
    only frees the memory of clients gone quiet."""

    STORAGE_SCHEME = ["swept-memory"]
    SWEEP_SECONDS = 1.0
    _sweeping_in = None  # the process whose sweeper runs (a forked worker starts its own)

    def _MemoryStorage__schedule_expiry(self) -> None:  # limits' hook, called on every hit
        if self._sweeping_in != os.getpid():
            self._sweeping_in = os.getpid()
            threading.Thread(target=self._sweep, name="rate-limit-sweep", daemon=True).start()

    def _sweep(self) -> None:
        while True:
            time.sleep(self.SWEEP_SECONDS)
            try:
                self._MemoryStorage__expire_events()
            except Exception:  # noqa: BLE001 - a failed sweep must not end the sweeping
                log.exception("rate limit sweep failed")


def init_app(app: Flask) -> None:
    """Check the configured limit at start-up (a typo must not silently mean "no limit") and
    bind the limiter, whose storage comes from RATELIMIT_STORAGE_URI."""
    for name in (
        "OMNIORDER_ORDER_RATE_LIMIT",
        "OMNIORDER_RESET_RATE_LIMIT_PER_CLIENT",
        "OMNIORDER_RESET_RATE_LIMIT_PER_ADDRESS",
        "OMNIORDER_SIGNUP_RATE_LIMIT",
    ):
        value = app.config.get(name) or OFF
        if value.strip().lower() != OFF:
            try:
                parse_many(value)
            except ValueError:
                raise RuntimeError(
                    f"{name}={value!r} is not a rate limit; write e.g. '30 per minute' or 'off'"
                ) from None
    if app.config.get("RATELIMIT_STORAGE_URI") == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = "swept-memory://"
    if app.config.get("RATELIMIT_STORAGE_URI", "").startswith("redis"):
        # An unreachable Redis must cost a request a moment, not a hung worker: after a
        # failure the limiter counts in memory and re-checks Redis now and then.
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        )
    limiter.init_app(app)
