"""Self-service sign-up: a restaurant opened by its owner on the platform's own host.

The flow, and why:

1. ``/signup`` (on ``OMNIORDER_PLATFORM_HOST`` only, while ``OMNIORDER_SIGNUP`` is ``open``
   or ``invite``) checks every field and stores a *pending* sign-up (`Signup`): the owner's
   address, the bcrypt hash of their password (made as a staff password is, so the password
   itself is never stored), the restaurant's name, subdomain and region. An invite code is
   spent in that same transaction. The pending row reserves its subdomain for `RESERVED_FOR`;
   a second sign-up of the same subdomain by the same address mails the same link again (its
   password is not replaced: whoever knows an owner's address must not be able to slip a
   password of their own into a link the owner then opens), by anyone else it is refused as
   taken.
2. A confirmation e-mail goes out through the job engine (`platform.tasks`), whose job mints
   the signed link (itsdangerous, its own salt) when it writes the message. The page answers
   "check your e-mail" the same whoever the address belongs to: an address may own several
   restaurants, so nothing about it is ever refused or told.
3. The link opens a page with one button (a GET never writes here, and mail scanners follow
   links); pressing it provisions the restaurant with `provision_tenant` (one transaction:
   registry row, schema, the owner as admin with the stored hash, ``published: false`` and the
   region in its settings, a sample menu only when asked) and marks the sign-up confirmed with
   the restaurant it became, so the link is single-use: a second use is told where the
   restaurant is. A link older than `RESERVED_FOR` has expired.

Invite codes (``flask platform invite``): random, printed once; only their SHA-256 is kept
(a code is 128 random bits, so a fast hash is enough), and a code is used once.

Services flush; the request or command commits.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import zxcvbn
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from omniorder.core.database import db
from omniorder.core.errors import Conflict, Invalid, check_fields, labelled
from omniorder.core.text_input import clean_line
from omniorder.jobs.engine import defer
from omniorder.languages import SOURCE_LANGUAGE
from omniorder.languages.serving import served_language
from omniorder.platform.models import Signup, SignupInvite
from omniorder.platform.tenants import MAX_NAME_LENGTH, ProvisionedTenant, provision_tenant
from omniorder.settings.document import SETTINGS
from omniorder.staff.accounts import hash_password, validate_email, validate_password
from omniorder.staff.links import LinkGone, LinkInvalid, load_signed, signed_serializer
from omniorder.tenancy.models import Tenant
from omniorder.tenancy.names import normalize_host, validate_domain

OFF, OPEN, INVITE = "off", "open", "invite"
MODES = (OFF, OPEN, INVITE)
RESERVED_FOR = timedelta(hours=24)  # a pending sign-up's hold on its subdomain, and its link
SALT = "omniorder.platform.signup"
MIN_SUBDOMAIN = 3
MAX_SUBDOMAIN = 63 - len("tenant_")  # its schema is tenant_<subdomain>, an identifier
# zxcvbn's 0-4: 3 is "safely unguessable: moderate protection from offline slow-hash attacks"
MIN_STRENGTH = 3
# Names a restaurant may not take: the platform's own services and what people would trust as
# the operator's (the platform host's own label is added from the configuration).
RESERVED_SUBDOMAINS = frozenset(
    """www app api admin administrator mail smtp imap pop email static media assets cdn signup
    signin login logout register status help support billing pay payments docs blog about
    dashboard account accounts auth oauth sso root system sys ftp ns ns1 ns2 dev test staging
    demo security abuse postmaster webmaster hostmaster noreply no-reply omniorder""".split()
)
EMPTY_MENU = {"categories": [], "items": []}
REGION = ("timezone", "currency", "locale")


def signup_mode() -> str:
    """``OMNIORDER_SIGNUP``: off (also for anything unknown: sign-up opens only on purpose),
    open or invite."""
    mode = str(current_app.config.get("OMNIORDER_SIGNUP") or OFF).strip().lower()
    return mode if mode in MODES else OFF


def platform_host() -> str | None:
    host = current_app.config.get("OMNIORDER_PLATFORM_HOST")
    return normalize_host(host) if host else None


def tenant_domain_suffix() -> str:
    suffix = current_app.config.get("OMNIORDER_TENANT_DOMAIN_SUFFIX") or ""
    return suffix.strip().lower().strip(".")


def serves_signup(host: str) -> bool:
    """Whether a request to `host` may see the sign-up: the platform host, sign-up on, and a
    suffix to put restaurants under."""
    return (
        signup_mode() != OFF
        and platform_host() is not None
        and bool(tenant_domain_suffix())
        and normalize_host(host) == platform_host()
    )


def domain_for(subdomain: str) -> str:
    return f"{subdomain}.{tenant_domain_suffix()}"


def reserved_subdomains() -> frozenset[str]:
    host = platform_host() or ""
    own = host.removesuffix("." + tenant_domain_suffix()).split(".")[0] if host else ""
    return RESERVED_SUBDOMAINS | ({own} if own else set())


def validate_subdomain(value) -> str:
    """The subdomain as a restaurant's host label (lower case), or `Invalid` saying why not."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("subdomain", _("is required"))
    label = value.strip().lower()
    if not (MIN_SUBDOMAIN <= len(label) <= MAX_SUBDOMAIN) or not all(
        c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in label
    ):
        raise Invalid(
            "subdomain",
            _(
                "must be %(min)s to %(max)s letters a-z, digits or hyphens",
                min=MIN_SUBDOMAIN,
                max=MAX_SUBDOMAIN,
            ),
        )
    if label.startswith("-") or label.endswith("-") or "--" in label:
        raise Invalid("subdomain", _("cannot start or end with a hyphen, or hold two in a row"))
    if label in reserved_subdomains():
        raise Invalid(
            "subdomain", _("“%(name)s” is reserved; please choose another name", name=label)
        )
    try:
        validate_domain(domain_for(label))
    except Invalid:
        raise Invalid("subdomain", _("makes an address too long; choose a shorter one")) from None
    return label


def _held_by_pending(subdomain: str):
    return (
        (Signup.subdomain == subdomain)
        & Signup.confirmed_at.is_(None)
        & (Signup.created_at > func.now() - RESERVED_FOR)
    )


def subdomain_available(subdomain: str) -> bool:
    """Free: no restaurant has its domain and no pending sign-up reserves it."""
    domain = domain_for(subdomain)
    taken = db.session.scalar(
        select(
            exists().where(Tenant.domain == domain) | exists().where(_held_by_pending(subdomain))
        )
    )
    return not taken


def availability(value) -> dict:
    """What the form's live check shows: ``{"available": bool, "message": str}``."""
    try:
        subdomain = validate_subdomain(value)
    except Invalid as error:
        message = labelled(_("Subdomain"), error.fields["subdomain"])
        return {"available": False, "message": message}
    if not subdomain_available(subdomain):
        message = _("%(domain)s is taken.", domain=domain_for(subdomain))
        return {"available": False, "message": message}
    message = _("%(domain)s is available.", domain=domain_for(subdomain))
    return {"available": True, "message": message}


def taken(subdomain: str) -> str:
    return _("%(domain)s is taken; please choose another subdomain.", domain=domain_for(subdomain))


def validate_strong_password(password, *inputs: str) -> str:
    """`validate_password` (length, bcrypt's 72 bytes) and zxcvbn's strength at least
    `MIN_STRENGTH`, judged knowing the owner's other answers (a password made of the
    restaurant's name is weak). zxcvbn's advice is English only: other languages go without."""
    password = validate_password(password)
    result = zxcvbn.zxcvbn(password, user_inputs=[i for i in inputs if i])
    if result["score"] < MIN_STRENGTH:
        feedback = result["feedback"]
        advice = " ".join(filter(None, [feedback.get("warning"), *feedback["suggestions"]]))
        locale = get_locale()
        english = locale is None or locale.language == SOURCE_LANGUAGE
        too_easy = _("is too easy to guess.")
        raise Invalid("password", f"{too_easy} {advice}".strip() if english else too_easy)
    return password


def _region_value(key: str, value):
    """A region setting checked as the settings are; empty means the default."""
    if value in (None, ""):
        return SETTINGS[key][0]
    return SETTINGS[key][1](value)


def _spend_invite(code) -> None:
    if not isinstance(code, str) or not code.strip():
        raise Invalid("invite_code", _("is required while sign-up is by invitation"))
    spent = db.session.execute(
        update(SignupInvite)
        .where(SignupInvite.code_hash == invite_hash(code.strip()), SignupInvite.used_at.is_(None))
        .values(used_at=func.now())
        .returning(SignupInvite.code_hash)
    ).first()
    if spent is None:
        raise Invalid("invite_code", _("is not a valid invite code, or it has been used"))


@dataclass(frozen=True)
class PendingSignup:
    id: uuid.UUID
    email: str
    domain: str


def start_signup(
    *,
    restaurant_name,
    subdomain,
    email,
    password,
    invite_code=None,
    timezone=None,
    currency=None,
    locale=None,
    sample_menu=False,
) -> PendingSignup:
    """Check a sign-up, spend its invite code (in invite mode), store it pending and defer its
    confirmation e-mail, in the language the sign-up page is served in; `Invalid` naming every
    bad field, `Conflict` for a taken subdomain."""
    fields = {}
    fields = check_fields(
        {
            "restaurant_name": lambda: clean_line(
                "restaurant_name", restaurant_name, limit=MAX_NAME_LENGTH, required=True
            ),
            "subdomain": lambda: validate_subdomain(subdomain),
            "email": lambda: validate_email(email),
            "password": lambda: validate_strong_password(
                password,
                *(str(fields.get(k) or "") for k in ("restaurant_name", "subdomain", "email")),
            ),
            **{
                key: (lambda key=key, value=value: _region_value(key, value))
                for key, value in (
                    ("timezone", timezone),
                    ("currency", currency),
                    ("locale", locale),
                )
            },
        },
        into=fields,
    )
    label = fields["subdomain"]
    if db.session.scalar(select(exists().where(Tenant.domain == domain_for(label)))):
        raise Conflict(taken(label))
    held = db.session.scalars(select(Signup).where(_held_by_pending(label))).one_or_none()
    if held is not None and held.email == fields["email"]:
        # The same name and address again: the same link again. Never a new password, or
        # whoever knows an owner's address could put theirs in a link the owner then opens.
        defer("send_signup_email", signup_id=str(held.id), language=served_language())
        return PendingSignup(held.id, held.email, domain_for(label))
    if signup_mode() == INVITE:
        _spend_invite(invite_code)
    # A stale reservation makes way.
    db.session.execute(
        delete(Signup).where(
            Signup.subdomain == label,
            Signup.confirmed_at.is_(None),
            Signup.created_at <= func.now() - RESERVED_FOR,
        )
    )
    try:
        with db.session.begin_nested():
            signup_id = db.session.execute(
                insert(Signup)
                .values(
                    subdomain=label,
                    restaurant_name=fields["restaurant_name"],
                    email=fields["email"],
                    hashed_password=hash_password(fields["password"]),
                    settings={key: fields[key] for key in REGION},
                    sample_menu=bool(sample_menu),
                )
                .returning(Signup.id)
            ).scalar_one()
    except IntegrityError:
        raise Conflict(taken(label)) from None
    defer("send_signup_email", signup_id=str(signup_id), language=served_language())
    return PendingSignup(signup_id, fields["email"], domain_for(label))


# --- the e-mailed link --------------------------------------------------------------------------


def make_token(signup_id) -> str:
    return signed_serializer(SALT).dumps({"s": str(signup_id)})


def read_token(token: str) -> uuid.UUID:
    """The sign-up a genuine, unexpired link names; else `LinkInvalid` or `LinkGone`."""
    payload = load_signed(
        signed_serializer(SALT),
        token,
        int(RESERVED_FOR.total_seconds()),
        _("This link has expired (it works for 24 hours). Please sign up again."),
    )
    try:
        return uuid.UUID(str(payload["s"]))
    except (TypeError, KeyError, ValueError):
        raise LinkInvalid(_("This link is not valid.")) from None


class AlreadyConfirmed(LinkGone):
    """A link used already: the restaurant it made is at `domain`."""

    def __init__(self, domain: str | None):
        self.domain = domain
        super().__init__(_("This link has been used already: your restaurant exists."))


def open_signup(token: str, lock: bool = False) -> Signup:
    """The pending sign-up a link names while it still works; else why not."""
    query = select(Signup).where(Signup.id == read_token(token))
    signup = db.session.scalars(query.with_for_update() if lock else query).one_or_none()
    if signup is None:
        raise LinkGone(
            _(
                "This link was replaced by a newer sign-up for the same name, or it is no "
                "longer valid. Use the link in the latest e-mail, or sign up again."
            )
        )
    if signup.confirmed_at is not None:
        domain = db.session.scalar(select(Tenant.domain).where(Tenant.id == signup.tenant_id))
        raise AlreadyConfirmed(domain)
    return signup


def confirm_signup(token: str) -> ProvisionedTenant:
    """Open the restaurant a working link asks for, in the caller's transaction; the sign-up
    row is locked first, so of two uses of one link the second finds it used."""
    signup = open_signup(token, lock=True)
    tenant = provision_tenant(
        name=signup.restaurant_name,
        domain=domain_for(signup.subdomain),
        schema_name="tenant_" + signup.subdomain.replace("-", "_"),
        admin_email=signup.email,
        admin_hashed_password=signup.hashed_password,
        menu=None if signup.sample_menu else EMPTY_MENU,
        settings={**signup.settings, "published": False},
    )
    signup.confirmed_at = func.now()
    signup.tenant_id = tenant.id
    db.session.flush()
    return tenant


def forget_expired_signups() -> int:
    """Delete the sign-ups nobody confirmed within `RESERVED_FOR` (their address and password
    hash are kept no longer than their link works); confirmed ones stay, naming the restaurant
    their link made. How many went."""
    return db.session.execute(
        delete(Signup).where(
            Signup.confirmed_at.is_(None), Signup.created_at <= func.now() - RESERVED_FOR
        )
    ).rowcount


# --- invite codes -------------------------------------------------------------------------------


def invite_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def make_invites(count: int) -> list[str]:
    """`count` new single-use invite codes, returned once (only their hashes are stored)."""
    codes = [secrets.token_urlsafe(16) for _ in range(count)]
    db.session.execute(insert(SignupInvite), [{"code_hash": invite_hash(c)} for c in codes])
    return codes
