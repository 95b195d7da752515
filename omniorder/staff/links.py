"""The links e-mailed to staff: an invitation and a password reset, without a table.

A link carries a token signed with itsdangerous (`URLSafeTimedSerializer` under the app's
SECRET_KEY, one salt per purpose, so an invitation is no reset link and the other way round).
It names the restaurant (its tenant id) and the staff member, and a fingerprint of what their
account is now: an HMAC of their password hash and session version. So a link is

* tenant-bound: opened on another restaurant's host, it names another tenant and is refused;
* single-use: setting the password changes the hash and the session version, so the token
  no longer matches (a second use is told the link was used); a newer invitation (Resend)
  or "Log out everywhere" retires the links sent before it, for the same reason;
* short-lived: an invitation for 72 hours, a reset for 2 hours (a reset is asked for by
  whoever typed the address, so its window is kept small), counted from when the mail was
  written (its job mints the token: nothing secret is ever stored).
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from omniorder.core.errors import DomainError, NotFound
from omniorder.staff.models import User

INVITE, RESET = "invite", "reset"
LIFETIME = {INVITE: timedelta(hours=72), RESET: timedelta(hours=2)}
SALT = {INVITE: "omniorder.staff.invite", RESET: "omniorder.staff.password-reset"}


class LinkGone(DomainError):
    """A link that was genuine once: used, replaced or expired (410 Gone)."""

    status_code = 410


class LinkInvalid(DomainError):
    """Not a link this site made: cut short, altered, or made up."""

    status_code = 400


@dataclass(frozen=True)
class LinkClaim:
    """What a genuine link names, before it is checked against the account."""

    tenant_id: str
    user_id: uuid.UUID
    fingerprint: str


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return signed_serializer(SALT[purpose])


def signed_serializer(salt: str) -> URLSafeTimedSerializer:
    """Tokens under the app's SECRET_KEY (and its fallbacks, so a key rotation keeps the
    links out there working), one `salt` per kind of link."""
    config = current_app.config
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or []), config["SECRET_KEY"]]  # newest last
    return URLSafeTimedSerializer(keys, salt=salt)


def fingerprint(user: User) -> str:
    """What the account is now, as far as a link cares; keyed, so the token (readable by
    whoever holds it) tells nothing about the password hash."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"{user.hashed_password}|{user.session_version}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def make_token(purpose: str, tenant_id, user: User) -> str:
    payload = {"t": str(tenant_id), "u": str(user.id), "f": fingerprint(user)}
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, tenant_id) -> LinkClaim:
    """The claim of a genuine, unexpired token made for this restaurant, else `LinkInvalid`
    (not ours), `LinkGone` (expired) or `NotFound` (another restaurant's link)."""
    max_age = int(LIFETIME[purpose].total_seconds())
    payload = load_signed(_serializer(purpose), token, max_age, expired_message(purpose))
    try:
        claim = LinkClaim(str(payload["t"]), uuid.UUID(str(payload["u"])), str(payload["f"]))
    except (TypeError, KeyError, ValueError):
        raise LinkInvalid(_("This link is not valid.")) from None
    if claim.tenant_id != str(tenant_id):
        raise NotFound(_("This link is not for this restaurant."))
    return claim


def load_signed(serializer: URLSafeTimedSerializer, token: str, max_age: int, expired: str):
    """What a genuine token younger than `max_age` seconds carries; else `LinkGone` saying
    `expired`, or `LinkInvalid` (also for the platform's sign-up link, platform/signup.py)."""
    try:
        return serializer.loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkGone(expired) from None
    except BadSignature:
        raise LinkInvalid(
            _(
                "This link is not valid: it may have been cut short or changed. "
                "Copy the whole link from the e-mail."
            )
        ) from None


def expired_message(purpose: str) -> str:
    if purpose == INVITE:
        return _("This invitation has expired. Ask an admin of the restaurant to send it again.")
    return _("This link has expired. Ask for a new one with “Forgot your password?”.")


def used_message(purpose: str) -> str:
    if purpose == INVITE:
        return _(
            "This invitation has been used already or was replaced by a newer one. "
            "Log in with your password, or ask an admin to send it again."
        )
    return _(
        "This link has been used already or was replaced by a newer one. "
        "Ask for a new one with “Forgot your password?”."
    )


def check_fingerprint(purpose: str, claim: LinkClaim, user: User | None) -> User:
    """The account the claim names, while the link is still its current one; else `LinkGone`."""
    if user is None or not hmac.compare_digest(claim.fingerprint, fingerprint(user)):
        raise LinkGone(used_message(purpose))
    return user
