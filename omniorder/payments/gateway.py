"""A restaurant's Stripe account, through the official `stripe` library.

Each restaurant brings its own keys (settings ``payments.stripe``, sealed at rest), so there is
no global ``stripe.api_key``: every call goes through a `StripeClient` made for that
restaurant's secret key. ``OMNIORDER_STRIPE_API_BASE`` points it elsewhere (localstripe in
tests and development); production uses Stripe's own. Only the base URL differs.

Every call has one wall-clock deadline (`DEADLINE_SECONDS`, core/deadline.py) however the
other side paces its bytes: `DeadlineHTTPClient` is the library's transport, the library
does the rest (encoding, errors, idempotency keys). It retries nothing itself: a request's
customer can try again, a job is retried by the job engine, and every call that creates
something carries an idempotency key derived from our own row, so a retry creates nothing twice.
No call is ever made while a database transaction is open (payments/rules.py commits first).
"""

import http.client
import urllib.parse
from collections.abc import Mapping

import stripe
from flask import current_app

from omniorder.core.deadline import Deadline
from omniorder.settings.payments import StripeKeys

DEADLINE_SECONDS = 10.0
STRIPE_API_BASE = "https://api.stripe.com"
STRIPE_JS_URL = "https://js.stripe.com/v3/"
STRIPE_HOOKS_ORIGIN = "https://hooks.stripe.com"  # Stripe.js's 3-D Secure challenge frames
RESPONSE_BYTES = 4 * 1024 * 1024


class DeadlineHTTPClient(stripe.HTTPClient):
    """The `stripe` library's transport over http.client, each request within one deadline."""

    name = "omniorder-deadline"

    def __init__(self, seconds: float = DEADLINE_SECONDS):
        super().__init__()
        self.seconds = seconds

    def request(self, method: str, url: str, headers: Mapping[str, str], post_data=None):
        target = urllib.parse.urlsplit(url)
        path = target.path + (f"?{target.query}" if target.query else "")
        body = post_data.encode() if isinstance(post_data, str) else post_data
        secure = target.scheme == "https"
        port = target.port or (443 if secure else 80)
        with Deadline(self.seconds) as deadline:
            kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
            connection = kind(target.hostname, port, timeout=self.seconds)
            if not secure:  # TLS connections wrap the socket themselves: watch the raw one
                connection.sock = deadline.connect(target.hostname, port)
            else:
                raw = deadline.connect(target.hostname, port)
                connection.sock = connection._context.wrap_socket(  # noqa: SLF001
                    raw, server_hostname=target.hostname
                )
            try:
                connection.request(method.upper(), path, body=body, headers=dict(headers))
                response = connection.getresponse()
                content = response.read(RESPONSE_BYTES)
            except (OSError, http.client.HTTPException) as error:
                reason = (
                    f"no complete answer within {self.seconds:g} s"
                    if deadline.expired
                    else str(error) or type(error).__name__
                )
                raise stripe.APIConnectionError(f"Stripe could not be reached: {reason}") from None
            finally:
                connection.close()
        headers = {key.lower(): value for key, value in response.getheaders()}
        return content, response.status, headers

    def close(self) -> None:
        return None


def api_base() -> str:
    return current_app.config.get("OMNIORDER_STRIPE_API_BASE") or STRIPE_API_BASE


def stripe_js_url() -> str:
    return current_app.config.get("OMNIORDER_STRIPE_JS_URL") or STRIPE_JS_URL


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: what a CSP source names."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_js_sources() -> dict[str, tuple[str, ...]]:
    """What the payment page's Content-Security-Policy must allow for the configured
    Stripe.js, derived from its URL (no wildcard): the script's origin; the frames Stripe.js
    opens (its card field, and hooks.stripe.com's 3-D Secure challenge); the API it calls.
    Stripe's own script calls api.stripe.com; any other (localstripe's stand-in) calls the
    origin it was loaded from, its frames are none and it opens no challenge page."""
    script = origin(stripe_js_url())
    if script == origin(STRIPE_JS_URL):
        frames, api = (script, STRIPE_HOOKS_ORIGIN), origin(STRIPE_API_BASE)
    else:
        frames, api = (script,), script
    return {"script-src": (script,), "frame-src": frames, "connect-src": (api,)}


def client_for(keys: StripeKeys) -> stripe.StripeClient:
    """A client on the restaurant's own account; cheap to make (no connection is kept)."""
    return stripe.StripeClient(
        keys.secret_key,
        base_addresses={"api": api_base()},
        http_client=DeadlineHTTPClient(),
        max_network_retries=0,
    )
