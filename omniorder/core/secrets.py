"""Secrets at rest: a restaurant's payment keys, sealed with the platform's keys.

`OMNIORDER_ENCRYPTION_KEYS` holds one or more Fernet keys, separated by commas (`GENERATE_KEY`
prints a new one). The first one seals, every one of them unseals: to rotate, put a new key
first, run ``flask tenants rotate-secrets`` (which re-seals every stored secret with it), then
remove the old one.

In debug or test mode, or with OMNIORDER_DEV=1, and no key set, a key derived from SECRET_KEY
is used: development only (whoever knows SECRET_KEY can unseal). Production without a key
cannot seal (`EncryptionKeyMissing`), and refuses to start while a restaurant holds sealed
secrets (omniorder/settings/payments.py, `refuse_sealed_secrets_without_key`).

A token no configured key can read (its key was removed) is `SecretUnreadable`: a domain error
with one readable message, never a traceback in front of a user.
"""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from omniorder.config import development_mode
from omniorder.core.errors import DomainError

KEYS_SETTING = "OMNIORDER_ENCRYPTION_KEYS"
GENERATE_KEY = (
    "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class EncryptionKeyMissing(DomainError):
    """Production with no OMNIORDER_ENCRYPTION_KEYS: nothing can be sealed or unsealed."""

    status_code = 503
    cli_exit_code = 2

    def __init__(self):
        super().__init__(
            f"secrets cannot be stored or read: {KEYS_SETTING} is not set on this server "
            f"(generate a key with: {GENERATE_KEY})"
        )


class SecretUnreadable(DomainError):
    """A sealed secret that none of the configured keys can read."""

    status_code = 503

    def __init__(self, what: str = "a stored secret"):
        super().__init__(
            f"{what} cannot be read with any key in {KEYS_SETTING} "
            "(was the key it was sealed with removed?)"
        )


def parse_keys(value) -> list[bytes]:
    """The Fernet keys of `OMNIORDER_ENCRYPTION_KEYS` (a comma-separated string), first the
    one that seals; a ValueError naming the position of a key that is not a Fernet key
    (never the key itself)."""
    texts = [part.strip() for part in (value or "").split(",") if part.strip()]
    for position, text in enumerate(texts, start=1):
        try:
            Fernet(text.encode())
        except (ValueError, TypeError):
            raise ValueError(
                f"{KEYS_SETTING}: key {position} is not a Fernet key (32 bytes in URL-safe "
                f"base64, 44 characters); generate one with: {GENERATE_KEY}"
            ) from None
    return [text.encode() for text in texts]


def development_key(secret_key) -> bytes:
    """A Fernet key derived from SECRET_KEY: development and tests only."""
    material = secret_key if isinstance(secret_key, bytes) else str(secret_key).encode()
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"omniorder sealed secrets"
    ).derive(material)
    return base64.urlsafe_b64encode(derived)


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: str, development_secret) -> MultiFernet | None:
    parsed = parse_keys(keys)
    if not parsed and development_secret is not None:
        parsed = [development_key(development_secret)]
    return MultiFernet([Fernet(key) for key in parsed]) if parsed else None


def _fernet() -> MultiFernet:
    config = current_app.config
    keys = config.get(KEYS_SETTING) or ""
    development = not keys.strip() and development_mode(config, current_app.debug)
    fernet = _multi_fernet(keys, config.get("SECRET_KEY") if development else None)
    if fernet is None:
        raise EncryptionKeyMissing()
    return fernet


def keys_configured(config) -> bool:
    """Whether `config` names at least one key of its own (not the development fallback)."""
    return bool(parse_keys(config.get(KEYS_SETTING)))


def seal(text: str) -> str:
    """`text` encrypted and authenticated with the first key: a Fernet token (ASCII)."""
    return _fernet().encrypt(text.encode()).decode("ascii")


def unseal(token: str, what: str = "a stored secret") -> str:
    """The text sealed in `token`; `SecretUnreadable` (naming `what`, never the token) when no
    configured key reads it."""
    fernet = _fernet()
    try:
        return fernet.decrypt(token.encode("ascii")).decode()
    except (InvalidToken, AttributeError, UnicodeError, TypeError):
        raise SecretUnreadable(what) from None


def reseal(token: str, what: str = "a stored secret") -> str:
    """`token` sealed again with the first key (whichever key sealed it)."""
    fernet = _fernet()
    try:
        return fernet.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, AttributeError, UnicodeError, TypeError):
        raise SecretUnreadable(what) from None
