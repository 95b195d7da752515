"""The customer's e-mails: the receipt, "ready for pickup" and "cancelled" (with the reason).

Built with `email.message.EmailMessage` and sent with `smtplib`, both from the standard
library: they are maintained with Python itself, already speak everything needed here (MIME
with encoded headers and a plain-text part with an HTML alternative; SMTP with STARTTLS,
implicit TLS and AUTH) and tell a refused recipient from a lost connection by exception type,
which is what deciding on a retry needs. The mail extensions for Flask wrap these same two
modules and add nothing we use; our retries and bookkeeping are notifications/outbox.py's.

Where mail goes: ``OMNIORDER_SMTP_URL`` (``smtp://user:password@host:587?starttls=1``,
``smtps://host:465`` for implicit TLS, ``&timeout=10``: seconds for the whole exchange, from
the connection to the server's last reply, however slowly it answers; user and password
percent-encoded). Without it each message is written to ``instance/outbox/<key>.eml`` (open it
in any mail program), one file per notification key, so a rerun overwrites its file.

What is retried (`notifications.deliver` retries a `DeliveryError`, mail_tasks.py backs off):
- temporary, so `DeliveryError`: a refused, reset or timed-out connection (the deadline
  above), a TLS failure, the server hanging up, any 4xx reply, and refusals of *our* side
  (the login, the sender address, a malformed OMNIORDER_SMTP_URL): the operator fixes those
  and the queued mail then goes out.
- permanent, so `Refused` (status 'failed' at once, with its error): a 5xx reply to the
  recipient (no such mailbox) or to the message itself, since the same message to the same
  address would get the same answer, and a message that cannot be written at all (an address
  mail cannot go to, a name with a line break in a header): it would fail the same way
  every time.

The Message-ID is derived from the notification's key, so the one duplicate the outbox
cannot rule out (the server accepted, the worker died before its commit) carries the same
Message-ID as the first copy and mail programs that deduplicate drop it.

An order's e-mails are written in the order's language (the one it was placed in; an order
from before languages, the restaurant's default), a staff e-mail in the staff member's language
(an invitee has none yet: the restaurant's default), each rendered and given its subject inside
Flask-Babel's `force_locale`, so its words and its ``<html lang dir>`` follow;
amounts are in the order's currency and the restaurant's locale (the `money` filter). The tracking
link is absolute: ``http://<the restaurant's domain>/orders/<id>``, https when
OMNIORDER_SECURE_COOKIES=1 (the site is served over HTTPS), with OMNIORDER_PUBLIC_PORT when
the storefront is not on the scheme's default port.
"""

import datetime
import email.errors
import hashlib
import logging
import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from omniorder.core.database import db
from omniorder.core.deadline import Deadline
from omniorder.languages import SHIPPED
from omniorder.notifications.models import Notification
from omniorder.notifications.outbox import Claim, DeliveryError, Undeliverable
from omniorder.ordering.models import PAID_ONLINE, Order
from omniorder.settings.document import current_settings
from omniorder.staff import links
from omniorder.staff.accounts import is_invited
from omniorder.staff.models import User
from omniorder.tenancy.bind import current_tenant

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds for the whole exchange with the server
SUBJECTS = {
    "order.created": _l("Your order #%(number)s at %(restaurant)s"),
    "order.ready": _l("Your order #%(number)s is ready for pickup"),
    "order.cancelled": _l("Your order #%(number)s was cancelled"),
}
TEMPLATES = {"order.created": "receipt", "order.ready": "ready", "order.cancelled": "cancelled"}
# Staff e-mails: (subject, template, the link's purpose, its page)
STAFF_MAIL = {
    "staff.invite": (
        _l("You are invited to %(restaurant)s's staff"),
        "staff_invite",
        links.INVITE,
        "auth.accept_invitation",
    ),
    "staff.reset": (
        _l("Choose a new password for %(restaurant)s"),
        "staff_reset",
        links.RESET,
        "auth.reset_password",
    ),
}


class Refused(Undeliverable):
    """A permanent refusal: sending the same message to the same address again is futile."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # "none", "starttls" or "tls" (implicit, smtps://)
    username: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def smtp_server(url: str) -> SmtpServer:
    """OMNIORDER_SMTP_URL → its parts, or ValueError saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("must look like smtp://user:password@host:587?starttls=1 or smtps://…")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = query.keys() - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"unknown parameter {sorted(unknown)[0]!r} (starttls, timeout)")
    starttls = query.get("starttls", "0").lower() in ("1", "true", "yes")
    if parts.scheme == "smtps" and starttls:
        raise ValueError("smtps:// is TLS from the start; starttls=1 is for smtp://")
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        port = parts.port
    except ValueError:
        raise ValueError("timeout must be seconds and the port a number") from None
    if not 0 < timeout <= 600:
        raise ValueError("timeout must be between 0 and 600 seconds")
    security = "tls" if parts.scheme == "smtps" else "starttls" if starttls else "none"
    return SmtpServer(
        host=parts.hostname,
        port=port or {"tls": 465, "starttls": 587}.get(security, 25),
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        timeout=timeout,
    )


def message_id(key: str) -> str:
    """The same Message-ID for every copy of one notification."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@omniorder>"


def outbox_name(key: str) -> str:
    """The .eml file of a notification key (":" is not allowed in Windows file names)."""
    return key.replace(":", "_") + ".eml"


def storefront_url(app: Flask, domain: str, endpoint: str, **values) -> str:
    """A storefront page's absolute URL on the restaurant's own domain (see the module
    docstring)."""
    scheme = "https" if app.config.get("SESSION_COOKIE_SECURE") else "http"
    port = app.config.get("OMNIORDER_PUBLIC_PORT")
    host = f"{domain}:{port}" if port else domain
    urls = app.url_map.bind(host, url_scheme=scheme)
    return urls.build(endpoint, values, force_external=True)


def tracking_url(app: Flask, domain: str, order_id) -> str:
    """The order's tracking page on the restaurant's own domain."""
    return storefront_url(app, domain, "storefront.order", order_id=order_id)


def sender_address(app: Flask) -> str:
    _, address = parseaddr(app.config.get("OMNIORDER_MAIL_FROM") or "orders@localhost")
    if "@" not in address:
        raise DeliveryError("OMNIORDER_MAIL_FROM must be an address such as orders@example.com")
    return address


def build_message(app: Flask, notification: Notification, order: Order | None) -> EmailMessage:
    """The notification's e-mail: its event's text and HTML templates, rendered for the order
    in the bound restaurant's locale, time zone and the order's currency. `Refused` when it
    cannot be written (it never could be: the same data makes the same message)."""
    try:
        if notification.event in STAFF_MAIL:
            message = _staff_message(app, notification)
        else:
            with force_locale(mail_language(order.language)):
                message = _message(app, notification, order)
        message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as SMTP will
    except (ValueError, IndexError, UnicodeError, email.errors.MessageError) as error:
        raise Refused(f"the message cannot be written: {error}"[:1000]) from None
    return message


def mail_language(language: str | None) -> str:
    """The language an e-mail is written in: `language` (an order's, a staff member's) when
    OmniOrder ships it, else the restaurant's default (its first language)."""
    return language if language in SHIPPED else current_settings()["languages"][0]


def _message(app: Flask, notification: Notification, order: Order) -> EmailMessage:
    restaurant = current_tenant()
    context = {
        "order": order,
        "restaurant": restaurant.name,
        "tracking_url": tracking_url(app, restaurant.domain, order.id),
        # "Order again": the order's lines back in the cart (GET, so a mail client can follow it)
        "again_url": storefront_url(app, restaurant.domain, "storefront.again", order_id=order.id),
        "paid_online": order.payment_status in PAID_ONLINE,
    }
    template = TEMPLATES[notification.event]
    message = EmailMessage()
    message["Subject"] = SUBJECTS[notification.event] % {
        "number": order.number,
        "restaurant": restaurant.name,
    }
    try:
        message["To"] = Address(display_name=order.customer_name, addr_spec=notification.recipient)
    except (ValueError, IndexError):  # kept before clean_email refused its kind
        raise Refused(f"{notification.recipient!r} is not an address mail can go to") from None
    return _finish(app, message, notification, template, context)


def _staff_message(app: Flask, notification: Notification) -> EmailMessage:
    """An invitation or a password reset, its link minted now from the account as it is
    (staff/links.py): nothing secret waits in the outbox. `Refused` when there is nobody to
    send it to any more (a cancelled invitation, one taken up already). In the staff member's
    language; an invitee has chosen none yet, so theirs is the restaurant's default."""
    subject, template, purpose, endpoint = STAFF_MAIL[notification.event]
    user = db.session.get(User, uuid.UUID(notification.key.split(":")[1]))  # event:user:random
    if user is None:
        raise Refused("the staff member no longer exists (an invitation cancelled?)")
    if purpose == links.INVITE and not is_invited(user):
        raise Refused(f"{user.email} has joined already")
    restaurant = current_tenant()
    token = links.make_token(purpose, restaurant.id, user)
    context = {
        "restaurant": restaurant.name,
        "user": user,
        "action_url": storefront_url(app, restaurant.domain, endpoint, token=token),
        "hours": int(links.LIFETIME[purpose].total_seconds() // 3600),
    }
    with force_locale(mail_language(user.language)):
        message = EmailMessage()
        message["Subject"] = subject % {"restaurant": restaurant.name}
        message["To"] = Address(display_name=user.full_name or "", addr_spec=notification.recipient)
        return _finish(app, message, notification, template, context)


def _finish(app: Flask, message: EmailMessage, notification, template: str, context: dict):
    """The headers every message carries, and its text and HTML parts."""
    return compose(app, message, notification.key, current_tenant().name, template, context)


def compose(app: Flask, message: EmailMessage, key: str, sender: str, template: str, context):
    """`message` (its Subject and To set) completed: From (`sender`'s name at our address),
    the date, the Message-ID of `key`, and the text and HTML parts of ``mail/<template>``;
    also for the platform's own mail (platform/tasks.py)."""
    message["From"] = Address(display_name=sender, addr_spec=sender_address(app))
    message["Date"] = format_datetime(datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = message_id(key)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message["X-OmniOrder-Notification"] = key
    # quoted-printable: safe through any server, 8BITMIME or not
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def _by_code(code: int, what: str, reply) -> DeliveryError:
    reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = Refused if 500 <= code < 600 else DeliveryError
    return error(f"{what}: {code} {reply}"[:1000])


class _SMTP(smtplib.SMTP):
    """smtplib's client, its connection made and watched by the exchange's `Deadline`."""

    def __init__(self, deadline: Deadline, **options):
        self.deadline = deadline
        super().__init__(timeout=deadline.seconds, **options)

    def _get_socket(self, host, port, timeout):
        return self.deadline.connect(host, port)


class _SMTPS(smtplib.SMTP_SSL, _SMTP):
    """Implicit TLS over the watched connection (`_SMTP._get_socket`, then SMTP_SSL's wrap)."""


def _connect(server: SmtpServer, deadline: Deadline) -> smtplib.SMTP:
    """A connection ready to send: TLS as configured, logged in when a user is given."""
    context = ssl.create_default_context()
    smtp = _SMTPS(deadline, context=context) if server.security == "tls" else _SMTP(deadline)
    try:
        smtp.connect(server.host, server.port)
        if server.security == "starttls":
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_smtp(message: EmailMessage, server: SmtpServer) -> None:
    """Hand `message` to the server within `server.timeout` seconds in all; `Refused` or
    `DeliveryError` as the module says."""
    with Deadline(server.timeout) as deadline:
        try:
            smtp = _connect(server, deadline)
            try:
                smtp.send_message(message)
            finally:
                _quit_quietly(smtp)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise _by_code(code, "recipient refused", reply) from None
        except smtplib.SMTPDataError as error:
            raise _by_code(error.smtp_code, "message refused", error.smtp_error) from None
        except smtplib.SMTPResponseException as error:  # greeting, login, sender: our side
            raise DeliveryError(
                f"{type(error).__name__}: {error.smtp_code} {error.smtp_error!r}"[:1000]
            ) from None
        except (smtplib.SMTPException, OSError, UnicodeError) as error:  # refused, reset, TLS…
            # The socket's timeout is the time the deadline had left: either way, the deadline
            # (smtplib reports a timeout while reading a reply as a disconnection).
            timed_out = isinstance(error, TimeoutError) or isinstance(
                error.__context__, TimeoutError
            )
            if deadline.expired or timed_out:
                raise DeliveryError(
                    f"{server.host} sent no complete answer within {server.timeout:g} s"
                ) from None
            raise DeliveryError(f"{type(error).__name__}: {error}"[:1000]) from None


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT after the message was accepted (or refused): a failure here changes nothing
    about the message, so it must not turn a delivered message into a retried one."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def write_outbox(message: EmailMessage, key: str, instance_path: str) -> Path:
    """The message as ``instance/outbox/<key>.eml``, written whole or not at all (a temporary
    file renamed over it), so a rerun replaces its file and a crash leaves no half message."""
    folder = Path(instance_path) / "outbox"
    target = folder / outbox_name(key)
    partial = target.with_name(target.name + ".partial")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(bytes(message))
        os.replace(partial, target)
    except OSError as error:
        raise DeliveryError(f"cannot write {target}: {error}") from None
    return target


class MailChannel:
    """`notifications.deliver`'s channel for e-mail: the message is built from the database
    while the claim is open, then sent by SMTP, or written to the outbox without
    OMNIORDER_SMTP_URL. Attempts: `tasks.mail` says how many and how far apart."""

    name = "email"
    slots_per_restaurant = None  # one server, the operator's, and a deadline on every send

    def __init__(self, app: Flask, max_attempts: int):
        self.app = app
        self.max_attempts = max_attempts

    def deadline_seconds(self) -> float:
        try:
            return self._server().timeout
        except DeliveryError:
            return DEFAULT_TIMEOUT

    def prepare(self, notification: Notification) -> tuple[EmailMessage, str]:
        message = build_message(self.app, notification, self._order(notification))
        if self.app.config.get("OMNIORDER_SMTP_URL"):
            self._server()  # a broken URL is this attempt's error
        return message, notification.key

    def send(self, prepared: tuple[EmailMessage, str]) -> None:
        message, key = prepared
        if not self.app.config.get("OMNIORDER_SMTP_URL"):
            path = write_outbox(message, key, self.app.instance_path)
            log.info("no OMNIORDER_SMTP_URL: the e-mail is in %s", path)
            return None
        send_smtp(message, self._server())
        return None

    def out_of_time(self, claim: Claim) -> bool:
        return claim.attempt >= self.max_attempts

    def next_try(self, claim: Claim) -> None:
        return None  # mail_tasks.py's backoff

    @staticmethod
    def _order(notification: Notification) -> Order | None:
        if notification.event in STAFF_MAIL:
            return None  # a staff e-mail: about an account, not an order
        order = db.session.get(Order, notification.order_id) if notification.order_id else None
        if order is None:  # archived or deleted since: nothing left to tell
            raise Refused("the order no longer exists")
        return order

    def _server(self) -> SmtpServer:
        try:
            return smtp_server(self.app.config.get("OMNIORDER_SMTP_URL") or "")
        except ValueError as error:
            raise DeliveryError(f"OMNIORDER_SMTP_URL {error}") from None
