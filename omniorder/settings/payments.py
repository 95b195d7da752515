"""Online payments in the settings document, and the payment keys kept sealed in it.

```json
"payments": {"online": "off" | "optional" | "required",
             "stripe": {"publishable_key": "pk_…", "secret_key": "sk_…",
                        "webhook_secret": "whsec_…"}}
```

`secret_key` and `webhook_secret` are write-only. Given as a string they are checked (loosely:
Stripe's prefix, printable, bounded) and stored sealed (omniorder/core/secrets.py) beside their
last 4 characters: ``{"sealed": "<Fernet token>", "last4": "abcd"}``. Every outward read (the
admin page, ``flask tenants settings``, the system API, logs, errors) shows `public_payments`:
``{"set": true, "last4": "abcd"}``, or null when unset. A change may send a new string, null
(remove it), or what a read showed or what is stored (keep it); anything else is refused, so
no client can plant a sealed token of its own.

The payment code reads the document as `current_settings()` returns it, through
`online_payment_mode` and `stripe_keys` (the only place the secrets are unsealed).

The restaurants whose settings hold a sealed secret are listed in ``public.secret_holders``
(`SecretHolder`), kept in the transaction that saves the settings: production refuses to start
without OMNIORDER_ENCRYPTION_KEYS while the list is not empty (`refuse_sealed_secrets_without_key`),
and ``flask tenants rotate-secrets`` re-seals these restaurants' secrets.
"""

import copy
import logging
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, ProgrammingError

from omniorder.config import development_mode
from omniorder.core import secrets
from omniorder.core.database import db
from omniorder.core.errors import BrokenRule, Invalid
from omniorder.settings.models import SecretHolder
from omniorder.tenancy.models import Tenant

log = logging.getLogger(__name__)

ONLINE_MODES = ("off", "optional", "required")
STRIPE_FIELDS = ("publishable_key", "secret_key", "webhook_secret")
SECRET_FIELDS = ("secret_key", "webhook_secret")
DEFAULT_PAYMENTS = {"online": "off", "stripe": dict.fromkeys(STRIPE_FIELDS)}
MAX_KEY_LENGTH = 255

# Stripe's prefixes, then printable ASCII without spaces, at most MAX_KEY_LENGTH in all. The
# OpenAPI document states the same patterns (omniorder/blueprints/openapi.yaml).
KEY_PATTERNS = {
    "publishable_key": r"pk_[!-~]{8,252}",
    "secret_key": r"(sk|rk)_[!-~]{8,252}",
    "webhook_secret": r"whsec_[!-~]{8,249}",
}
_KEY_SHAPES = {name: re.compile(pattern) for name, pattern in KEY_PATTERNS.items()}
_KEY_DESCRIPTIONS = {
    "publishable_key": _l("a Stripe publishable key (pk_…)"),
    "secret_key": _l("a Stripe secret key (sk_…) or restricted key (rk_…)"),
    "webhook_secret": _l("a Stripe webhook signing secret (whsec_…)"),
}
_KEEP = _l(
    'must be a new key (a string), null to remove it, or what a read shows ({"set": true, '
    '"last4": …}) to keep the stored one'
)
# Where Stripe sends a restaurant's events: on the restaurant's own host (the payment code
# serves it), so the event is verified with that restaurant's webhook secret.
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
REQUIRED_ONLINE = _l("is needed to take payments online (payments.online optional or required)")


def path_of(name: str) -> str:
    return f"payments.stripe.{name}"


def webhook_url(domain: str) -> str:
    """The URL a restaurant registers in its Stripe dashboard as its webhook endpoint."""
    return f"https://{domain}{WEBHOOK_PATH}"


# --- the check ------------------------------------------------------------------------------


def check_payments(value, stored) -> dict:
    """The clean ``payments`` setting, its new secrets sealed; `stored`: the restaurant's
    current ``payments`` (None: none), whose secrets a change may keep as they are. `Invalid`
    naming each bad path, never echoing what was given; `BrokenRule` (422) when it is all
    well-formed but payments are turned on without the three keys."""
    if not isinstance(value, dict):
        raise Invalid("payments", _("must be an object with online and stripe"))
    problems = _unknown(value, "payments", ("online", "stripe"))
    online = value.get("online")
    if online not in ONLINE_MODES:
        problems["payments.online"] = _("must be off, optional or required")
    stripe = value.get("stripe")
    stored_stripe = stored.get("stripe") if isinstance(stored, dict) else None
    clean_stripe = {}
    if isinstance(stripe, dict):
        problems.update(_unknown(stripe, "payments.stripe", STRIPE_FIELDS))
        clean_stripe = _stripe(stripe, stored_stripe if isinstance(stored_stripe, dict) else {})
        problems.update(clean_stripe.pop("problems"))
    else:
        problems["payments.stripe"] = _(
            "must be an object with %(keys)s", keys=", ".join(STRIPE_FIELDS)
        )
    if problems:
        raise Invalid(fields=problems)
    if online != "off":
        missing = {
            path_of(n): str(REQUIRED_ONLINE) for n in STRIPE_FIELDS if clean_stripe[n] is None
        }
        if missing:
            raise BrokenRule(fields=missing)
    return {"online": online, "stripe": clean_stripe}


def _unknown(value: dict, path: str, known: tuple[str, ...]) -> dict[str, str]:
    return {
        f"{path}.{repr(str(name)[:40])[1:-1]}": _(
            "is not a %(object)s setting (%(keys)s)", object=path, keys=", ".join(known)
        )
        for name in value.keys() - set(known)
    }


def _stripe(stripe: dict, stored: dict) -> dict:
    """Each key checked (its problems under "problems"), the secrets sealed or kept."""
    clean, problems = {}, {}
    for name in STRIPE_FIELDS:
        value = stripe.get(name)
        try:
            if name in SECRET_FIELDS:
                clean[name] = _secret(name, value, stored.get(name))
            else:
                clean[name] = _key(name, value)
        except Invalid as error:
            problems.update(error.fields)
    return {**clean, "problems": problems}


def _key(name: str, value) -> str | None:
    """A key as given (None: unset); its shape checked, its value never repeated."""
    if value is None:
        return None
    if not isinstance(value, str) or not _KEY_SHAPES[name].fullmatch(value):
        raise Invalid(
            path_of(name),
            _(
                "must be %(key)s: at least 8 printable characters after "
                "its prefix, no spaces, at most %(limit)s in all",
                key=_KEY_DESCRIPTIONS[name],
                limit=MAX_KEY_LENGTH,
            ),
        )
    return value


def _secret(name: str, value, stored) -> dict | None:
    """A new secret sealed; null removes it; the stored form, or its public view, keeps it."""
    if value is None:
        return None
    if isinstance(value, str):
        key = _key(name, value)
        try:
            sealed = secrets.seal(key)
        except secrets.EncryptionKeyMissing:
            raise Invalid(
                path_of(name),
                _(
                    "cannot be stored: this server has no encryption key for secrets "
                    "(%(setting)s); ask the platform's operator",
                    setting=secrets.KEYS_SETTING,
                ),
            ) from None
        return {"sealed": sealed, "last4": key[-4:]}
    if _is_sealed(stored) and value in (stored, masked(stored)):
        return stored
    raise Invalid(path_of(name), str(_KEEP))


def _is_sealed(value) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("sealed"), str)
        and isinstance(value.get("last4"), str)
    )


# --- what every outward read shows ----------------------------------------------------------


def masked(value) -> dict | None:
    """A stored secret as a read shows it: ``{"set": true, "last4": "abcd"}``, None when unset."""
    if value is None:
        return None
    last4 = value.get("last4") if isinstance(value, dict) else None
    return {"set": True, "last4": last4 if isinstance(last4, str) else ""}


def public_payments(payments) -> dict:
    """The ``payments`` setting with its secrets masked (and nothing but the known keys)."""
    if not isinstance(payments, dict):
        return copy.deepcopy(DEFAULT_PAYMENTS)
    stripe = payments.get("stripe") if isinstance(payments.get("stripe"), dict) else {}
    publishable = stripe.get("publishable_key")
    return {
        "online": payments.get("online"),
        "stripe": {
            "publishable_key": publishable if isinstance(publishable, str | None) else None,
            **{name: masked(stripe.get(name)) for name in SECRET_FIELDS},
        },
    }


# --- what the payment code calls ------------------------------------------------------------


@dataclass(frozen=True)
class StripeKeys:
    """A restaurant's Stripe keys, unsealed (never printed: the secrets are out of its repr)."""

    publishable_key: str
    secret_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


def _payments(settings) -> dict:
    payments = settings.get("payments") if isinstance(settings, dict) else None
    return payments if isinstance(payments, dict) else {}


def online_payment_mode(settings) -> str:
    """ "off", "optional" or "required", from a settings document as `current_settings()`
    returns it."""
    mode = _payments(settings).get("online")
    return mode if mode in ONLINE_MODES else "off"


def publishable_key(settings) -> str | None:
    """The restaurant's Stripe publishable key (public: the payment page gives it to
    Stripe.js), without unsealing anything; None when unset."""
    stripe = _payments(settings).get("stripe")
    key = stripe.get("publishable_key") if isinstance(stripe, dict) else None
    return key if isinstance(key, str) and key else None


def stripe_keys(settings) -> StripeKeys | None:
    """The restaurant's three Stripe keys, the secrets unsealed; None when any is missing.
    `secrets.SecretUnreadable` (503, one readable message) when a secret cannot be unsealed
    with the configured keys; `secrets.EncryptionKeyMissing` when there are none."""
    stripe = _payments(settings).get("stripe")
    stripe = stripe if isinstance(stripe, dict) else {}
    publishable = stripe.get("publishable_key")
    sealed = [stripe.get(name) for name in SECRET_FIELDS]
    if not publishable or not all(_is_sealed(value) for value in sealed):
        return None
    secret_key, webhook_secret = (
        secrets.unseal(value["sealed"], f"the restaurant's Stripe {name.replace('_', ' ')}")
        for name, value in zip(SECRET_FIELDS, sealed, strict=True)
    )
    return StripeKeys(publishable, secret_key, webhook_secret)


# --- the sealed secrets: who holds them, rotation, the production start ----------------------


def holds_secrets(payments) -> bool:
    stripe = payments.get("stripe") if isinstance(payments, dict) else None
    return isinstance(stripe, dict) and any(_is_sealed(stripe.get(n)) for n in SECRET_FIELDS)


def mark_secret_holder(schema_name: str, holds: bool) -> None:
    """Add or remove the restaurant in ``public.secret_holders``, in the caller's transaction."""
    if holds:
        db.session.execute(
            insert(SecretHolder).values(schema_name=schema_name).on_conflict_do_nothing()
        )
    else:
        db.session.execute(delete(SecretHolder).where(SecretHolder.schema_name == schema_name))


def secret_holder_domains() -> list[str]:
    """The domains of the restaurants listed in ``public.secret_holders``."""
    statement = (
        select(Tenant.domain)
        .join(SecretHolder, SecretHolder.schema_name == Tenant.schema_name)
        .order_by(Tenant.domain)
    )
    return list(db.session.scalars(statement))


def resealed(payments: dict, where: str) -> tuple[dict, int]:
    """``payments`` with each sealed secret sealed again with the first key, and how many;
    `secrets.SecretUnreadable` naming `where` and the path when one cannot be read."""
    result = copy.deepcopy(payments)
    stripe = result.get("stripe") if isinstance(result.get("stripe"), dict) else {}
    count = 0
    for name in SECRET_FIELDS:
        value = stripe.get(name)
        if _is_sealed(value):
            token = secrets.reseal(value["sealed"], f"{where}: {path_of(name)}")
            stripe[name] = {**value, "sealed": token}
            count += 1
    return result, count


def refuse_sealed_secrets_without_key(app) -> None:
    """Production without OMNIORDER_ENCRYPTION_KEYS must not start while a restaurant holds
    sealed secrets: its payments would fail at the first order. One query; a database without
    the table (before ``flask db upgrade``) or not reachable yet is let through. Keys that are
    not Fernet keys stop any start."""
    try:
        secrets.parse_keys(app.config.get(secrets.KEYS_SETTING))
    except ValueError as error:
        raise RuntimeError(str(error)) from None
    if development_mode(app.config, app.debug) or secrets.keys_configured(app.config):
        return
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                held = connection.execute(select(SecretHolder.schema_name).limit(1)).first()
        except ProgrammingError:  # no such table yet: nothing can be held
            return
        except DBAPIError as failure:
            log.warning(
                "could not check for sealed secrets at start: %s", str(failure).splitlines()[0]
            )
            return
        finally:  # no connection left in the pool of a process that may fork
            db.engine.dispose()
    if held is not None:
        raise RuntimeError(
            f"{secrets.KEYS_SETTING} must be set: restaurants hold payment keys sealed with it "
            "(set the keys they were sealed with; see SECURITY.md, 'Payment keys at rest')"
        )
