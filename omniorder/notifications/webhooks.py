"""The restaurant's webhook: order events POSTed as signed JSON to a URL its admin chose.

Why it is built this way:

- **Signed, with a timestamp.** Each POST carries ``X-OmniOrder-Signature: t=<unix seconds>,
  v1=<hex HMAC-SHA256(secret, "<t>." + body)>``, so a receiver knows the body came from us
  and unchanged, and can refuse a replayed old request (README: "Webhooks" shows the check).
  The secret is the endpoint's at send time: after "Regenerate secret", retries of older
  events are signed with the new one, which is the one the receiver now holds.
- **Sent where the event was meant to go.** A delivery goes to the URL stored on its
  notification (the endpoint's URL when the event happened). If the endpoint was removed
  meanwhile, the restaurant asked for no more POSTs: the delivery fails at once with
  "endpoint removed".
- **Never to our own network (SSRF).** Saving a URL and every send resolve its host and
  refuse loopback, link-local (169.254.169.254, the cloud metadata service), private,
  unique-local, multicast, unspecified, reserved and other non-public addresses, IPv4 inside
  IPv6 too, unless ``OMNIORDER_WEBHOOK_ALLOW_PRIVATE=1`` (development and tests; the admin's
  message says to use a public address, the log names the variable). The POST
  then connects to the very address that was checked (the Host header and, for https, SNI
  and certificate verification keep the host name), so a DNS answer that changes between
  the check and the connection (rebinding) cannot redirect it. Hosts are names or IP
  literals written in full: ``http://2130706433/`` and ``http://0x7f.1/`` are refused,
  because resolvers read them as 127.0.0.1.
- **10 seconds in all.** Connecting, sending and reading the answer share one wall-clock
  deadline (core/deadline.py): a receiver that answers one byte at a time is cut off at
  10 s like a silent one. No transaction is open meanwhile (notifications/outbox.py), and
  one restaurant has `SLOTS_PER_RESTAURANT` deliveries on the wire at most, so a slow
  receiver holds one worker slot, never everyone's.
- **Retried, then given up.** A network error, the deadline or a non-2xx answer (a redirect
  too: none is followed) is kept on the notification and retried after 30 s, 1, 2, 4 …
  minutes, at most an hour apart, until 24 hours after the event; the attempt then is the
  last and the delivery is "failed". A refusal that retrying cannot mend (an address that is
  not allowed, the endpoint removed, the order gone) fails at once.
"""

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import secrets
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from omniorder.core.addresses import refused_kind
from omniorder.core.database import db
from omniorder.core.deadline import Deadline
from omniorder.core.errors import Invalid, NotFound
from omniorder.notifications import outbox as notifications
from omniorder.notifications.models import Notification, WebhookEndpoint
from omniorder.notifications.outbox import Claim, DeliveryError, Undeliverable
from omniorder.ordering.checkout import order_as_json
from omniorder.ordering.models import Order
from omniorder.ordering.pickup import local_iso, utc_now
from omniorder.settings.document import current_settings
from omniorder.tenancy.bind import current_tenant

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
TIMEOUT_SECONDS = 10  # for the whole POST: connecting, sending, the answer
SLOTS_PER_RESTAURANT = 1  # of one restaurant's deliveries on the wire at once
USER_AGENT = "OmniOrder-Webhooks/1"
GIVE_UP_AFTER = datetime.timedelta(hours=24)
FIRST_WAIT_SECONDS = 30
LONGEST_WAIT_SECONDS = 3600
RESPONSE_BYTES_READ = 64 * 1024

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# The last label of a name starts with a letter: "2130706433", "0x7f" or "127.1" would be
# read as IPv4 numbers by resolvers and browsers (WHATWG URL), not as names.
_TOP_LABEL = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_BRACKETED = re.compile(r"\[[^\]]+\](?::[0-9]*)?")  # [IPv6] and a port, nothing after


# The URL


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IPv6 without brackets
    port: int
    path: str  # path and query, what the request line carries
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None  # when the host is a literal


def clean_url(raw) -> str:
    """The URL as stored, or `Invalid` naming what is wrong with it."""
    url = raw.strip() if isinstance(raw, str) else ""
    if not url:
        raise Invalid("url", _("is required"))
    if len(url) > MAX_URL_LENGTH:
        raise Invalid("url", _("must be at most %(limit)s characters", limit=MAX_URL_LENGTH))
    if any(not " " < character < "\x7f" for character in url) or "\\" in url:
        raise Invalid(
            "url",
            _(
                "must not contain spaces, control characters, backslashes or non-ASCII "
                "characters (percent-encode them; xn-- for an international domain name)"
            ),
        )
    parse_url(url)
    return url


def parse_url(url: str) -> Target:
    """Where a stored URL points; `Invalid` when it is not an http(s) URL to a plain host."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" or "]"
        raise Invalid("url", _("has an invalid IPv6 address")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        raise Invalid("url", _("must start with https:// or http://"))
    if "@" in parts.netloc:
        raise Invalid("url", _("must not contain a user name or password"))
    if parts.fragment or url.endswith("#"):
        raise Invalid("url", _("must not have a #fragment"))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise Invalid("url", _("has an invalid port")) from None
    host = parts.hostname or ""
    address = _host_address(parts.netloc, host)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, address)


def _host_address(netloc: str, host: str):
    """The IP address a literal host is, None for a name; `Invalid` for anything else."""
    if netloc.startswith("["):
        if not _BRACKETED.fullmatch(netloc):
            raise Invalid("url", _("has an invalid IPv6 address"))
        try:
            if "%" in host:  # a zone ("%eth0") names one of our own interfaces
                raise ValueError(host)
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise Invalid("url", _("has an invalid IPv6 address")) from None
    if _DOTTED_QUAD.fullmatch(host):
        return ipaddress.IPv4Address(host)
    labels = host.split(".")
    if (
        len(host) > 253
        or not all(_LABEL.fullmatch(label) for label in labels)
        or not _TOP_LABEL.fullmatch(labels[-1])
    ):
        raise Invalid(
            "url",
            _(
                "must name a host (like hooks.example.com) or an IP address written in full "
                "(like 203.0.113.7 or [2001:db8::1])"
            ),
        )
    return None


# Which addresses may receive


def allow_private() -> bool:
    return bool(current_app.config.get("OMNIORDER_WEBHOOK_ALLOW_PRIVATE"))


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address that may not receive webhooks."""


class NotResolved(Exception):
    """The URL's host name has no address (now)."""


def checked_addresses(target: Target, private_allowed: bool, deadline: Deadline) -> list[str]:
    """The addresses to connect to, every one allowed; else `AddressRefused` / `NotResolved`.
    The refusal speaks to the restaurant's admin; the operator's switch is only logged."""
    if target.address is not None:
        found = [target.address]
    else:
        try:
            infos = deadline.resolve(target.host, target.port)
        except (OSError, UnicodeError) as error:
            raise NotResolved(
                _("%(host)s cannot be resolved (%(error)s)", host=target.host, error=error)
            ) from None
        found = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in found:
        kind = refused_kind(address, private_allowed)
        if kind:
            log.info(
                "webhook to %s refused: %s is %s (OMNIORDER_WEBHOOK_ALLOW_PRIVATE=1 allows "
                "private addresses, for development)",
                target.host,
                address,
                kind,
            )
            if target.address is None:
                raise AddressRefused(
                    _(
                        "%(host)s resolves to %(address)s, a %(kind)s address, which cannot "
                        "receive webhooks: use a public https:// address",
                        host=target.host,
                        address=address,
                        kind=kind,
                    )
                )
            raise AddressRefused(
                _(
                    "the address is %(address)s, a %(kind)s address, which cannot receive "
                    "webhooks: use a public https:// address",
                    address=address,
                    kind=kind,
                )
            )
    return [str(address) for address in found]


# The endpoint (the back office)


def endpoint() -> WebhookEndpoint | None:
    return db.session.scalar(select(WebhookEndpoint))


def _check_url_to_save(raw) -> str:
    """A clean URL whose host is allowed now (its DNS is skipped when private ones are)."""
    url = clean_url(raw)
    target = parse_url(url)
    if target.address is None and allow_private():
        return url
    try:
        with Deadline(TIMEOUT_SECONDS) as deadline:
            checked_addresses(target, allow_private(), deadline)
    except (AddressRefused, NotResolved) as refusal:
        raise Invalid("url", str(refusal)) from None
    return url


def set_url(raw_url) -> str | None:
    """Point the webhook at a URL. Returns the new signing secret when the endpoint is new
    (to be shown once); a changed URL keeps its secret."""
    url = _check_url_to_save(raw_url)
    secret = secrets.token_urlsafe(32)
    created = db.session.scalar(
        insert(WebhookEndpoint)
        .values(url=url, secret=secret)
        .on_conflict_do_nothing(index_elements=[WebhookEndpoint.singleton])
        .returning(WebhookEndpoint.singleton)
    )
    if created:
        return secret
    _existing().url = url
    return None


def _existing() -> WebhookEndpoint:
    found = db.session.scalar(select(WebhookEndpoint).with_for_update())
    if found is None:
        raise NotFound(_("No webhook is set."))
    return found


def regenerate_secret() -> str:
    """A new signing secret (shown once); the old one stops working at once."""
    secret = secrets.token_urlsafe(32)
    _existing().secret = secret
    return secret


def remove_endpoint() -> None:
    """No more POSTs: deliveries still waiting for a retry fail with "endpoint removed"."""
    if db.session.execute(delete(WebhookEndpoint)).rowcount == 0:
        raise NotFound(_("No webhook is set."))


def recent_deliveries(limit: int = 50) -> list[notifications.Message]:
    """The latest webhook deliveries with their orders' numbers, newest first."""
    return notifications.recent_messages("webhook", limit)


# Sending


def payload(notification: Notification, order: Order) -> dict:
    tenant = current_tenant()
    return {
        "id": str(notification.id),
        "event": notification.event,
        "created_at": local_iso(current_settings(), notification.created_at),
        "restaurant": {"domain": tenant.domain, "name": tenant.name},
        "order": order_as_json(order),
    }


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-OmniOrder-Signature value: t=<timestamp>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signed_request(notification: Notification, order: Order, secret: str) -> tuple[bytes, dict]:
    """The body and headers of one POST."""
    body = json.dumps(payload(notification, order), separators=(",", ":")).encode()
    timestamp = int(time.time())
    return body, {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-OmniOrder-Event": notification.event,
        "X-OmniOrder-Delivery": str(notification.id),
        "X-OmniOrder-Timestamp": str(timestamp),
        "X-OmniOrder-Signature": signature(secret, timestamp, body),
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses checked (in turn), whatever DNS says by now, within the
    POST's deadline; the Host header still names the host."""

    def __init__(self, host: str, port: int, addresses: list[str], deadline: Deadline):
        super().__init__(host, port, timeout=deadline.seconds)
        self._addresses = addresses
        self._deadline = deadline

    def connect(self):
        failure = None
        for address in self._addresses:
            try:
                self.sock = self._deadline.connect(address, self.port)
                return
            except OSError as error:
                failure = error
        raise failure or OSError("no address to connect to")


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """TLS over the pinned connection, verified against the host name (SNI too)."""

    default_port = 443

    def connect(self):
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST to `url` after checking its addresses, all within `TIMEOUT_SECONDS`; the 2xx
    status, else `DeliveryError`."""
    target = parse_url(url)
    with Deadline(TIMEOUT_SECONDS) as deadline:
        try:
            addresses = checked_addresses(target, allow_private(), deadline)
        except AddressRefused as refusal:
            raise Undeliverable(f"not sent: {refusal}") from None
        except NotResolved as error:
            raise DeliveryError(str(error)) from None
        kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = kind(target.host, target.port, addresses, deadline)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_BYTES_READ)
        except (OSError, http.client.HTTPException) as error:
            if deadline.expired:
                reason = f"{target.host} sent no complete answer within {TIMEOUT_SECONDS} s"
                raise DeliveryError(reason) from None
            reason = str(error) or type(error).__name__
            raise DeliveryError(f"could not reach {target.host}: {reason}") from None
        finally:
            connection.close()
    if 300 <= response.status < 400:
        raise DeliveryError(
            f"answered {response.status} (a redirect; webhooks follow none)", response.status
        )
    if not 200 <= response.status < 300:
        raise DeliveryError(f"answered HTTP {response.status}", response.status)
    return response.status


class WebhookChannel:
    """`notifications.deliver`'s channel for webhooks: the signed request is made from the
    database while the claim is open, then POSTed; retried until 24 hours after the event."""

    name = "webhook"
    slots_per_restaurant = SLOTS_PER_RESTAURANT

    def deadline_seconds(self) -> float:
        return TIMEOUT_SECONDS

    def prepare(self, notification: Notification) -> tuple[str, bytes, dict]:
        current = endpoint()
        if current is None:
            raise Undeliverable("endpoint removed: the restaurant no longer has a webhook")
        order = db.session.get(Order, notification.order_id) if notification.order_id else None
        if order is None:
            raise Undeliverable("the order no longer exists")
        try:
            parse_url(notification.recipient)
        except Invalid as error:
            raise Undeliverable(f"not sent: {error.message}") from None
        body, headers = signed_request(notification, order, current.secret)
        return notification.recipient, body, headers

    def send(self, request: tuple[str, bytes, dict]) -> int:
        return post(*request)

    def out_of_time(self, claim: Claim) -> bool:
        return utc_now() >= claim.created_at + GIVE_UP_AFTER

    def next_try(self, claim: Claim) -> datetime.datetime:
        """30 s after the first failure, then twice as long each time, at most an hour, and
        never after the deadline (the last try is at 24 hours)."""
        wait = min(FIRST_WAIT_SECONDS * 2 ** max(claim.attempt - 1, 0), LONGEST_WAIT_SECONDS)
        deadline = claim.created_at + GIVE_UP_AFTER
        return min(utc_now() + datetime.timedelta(seconds=wait), deadline)


def deliver_webhook(notification_id: str) -> str | None:
    """Send one webhook notification (its job's work); `RetryAt` when it must be tried again."""
    return notifications.deliver(notification_id, WebhookChannel())
