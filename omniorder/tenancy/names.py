"""The only place that turns names into SQL identifiers.

A schema name reaches SQL only after `validate_schema_name` accepted it, and then only through
`quote_schema`, so nothing a user typed is ever formatted into a statement unchecked.
"""

import ipaddress
import re
import unicodedata

from omniorder.core.errors import Invalid

# Tenant tables are declared in this schema; it is never created (it fails the pattern below).
TENANT_SCHEMA_PLACEHOLDER = "tenant"

SCHEMA_NAME_PATTERN = re.compile(r"^tenant_[a-z0-9_]+$")
MAX_IDENTIFIER_BYTES = 63
MAX_HOST_NAME = 253
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_HOST_HEADER = re.compile(r"(?P<name>\[[^\]]*\]|[^:\[\]]*)(?::(?P<port>[1-9][0-9]{0,4}))?")


def validate_schema_name(schema_name: str) -> str:
    """Return `schema_name` if it is a legal tenant schema name, else raise `Invalid`."""
    if not isinstance(schema_name, str) or not SCHEMA_NAME_PATTERN.fullmatch(schema_name):
        raise Invalid("schema_name", "must match ^tenant_[a-z0-9_]+$")
    if len(schema_name.encode()) > MAX_IDENTIFIER_BYTES:
        raise Invalid("schema_name", f"must be at most {MAX_IDENTIFIER_BYTES} bytes")
    return schema_name


def schema_name_for(restaurant_name: str) -> str:
    """Derive ``tenant_<clean name>`` from a restaurant's name ("Pizza Hut" → tenant_pizzahut)."""
    ascii_name = unicodedata.normalize("NFKD", restaurant_name).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^a-z0-9]", "", ascii_name.lower())
    if not clean:
        raise Invalid("schema_name", "cannot be derived from this name; give one explicitly")
    return ("tenant_" + clean)[:MAX_IDENTIFIER_BYTES]


def quote_schema(schema_name: str) -> str:
    """The schema name as a quoted SQL identifier, after validating it again."""
    return '"' + validate_schema_name(schema_name) + '"'


def is_host_name(name: str) -> bool:
    """The one rule for a host name, tenant domains and Host headers alike: dot-separated
    labels of 1-63 letters, digits and inner hyphens, at most 253 characters, lower case, no
    trailing dot. An IPv4 address passes (its labels are digits); no label may be empty."""
    return len(name) <= MAX_HOST_NAME and all(
        _HOST_LABEL.fullmatch(label) for label in name.split(".")
    )


def is_valid_host_header(host: str) -> bool:
    """A Host header we can serve: a host name (`is_host_name`, one trailing dot allowed) or
    a bracketed IPv6 address, then an optional port 1-65535. Anything else is answered 400
    before routing (`tenancy.http.RefuseBadHost`), so nothing downstream ever sees it."""
    parts = _HOST_HEADER.fullmatch(host.lower())
    if parts is None or int(parts["port"] or 1) > 65535:
        return False
    name = parts["name"]
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return False
        return True
    return is_host_name(name.removesuffix("."))


def normalize_host(host: str) -> str:
    """Host header → registry key: lower case, no port, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal: never a tenant domain
        return host
    return host.rsplit(":", 1)[0].rstrip(".")


def validate_domain(domain: str) -> str:
    """The one normalization of a domain (CLI, system API, every service that takes one):
    stripped, lower case, without a trailing dot, an international name in its IDNA (ASCII)
    form; or `Invalid` when it is not a host name."""
    if not isinstance(domain, str) or not domain.strip():
        raise Invalid("domain", "is required")
    normalized = domain.strip().lower().removesuffix(".")
    try:
        normalized = normalized.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid("domain", "must be a host name such as pizza.example.com") from None
    if not is_host_name(normalized):
        raise Invalid("domain", "must be a host name such as pizza.example.com (no port)")
    return normalized
