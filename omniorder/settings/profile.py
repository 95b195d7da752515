"""The restaurant's own profile in the settings document: what a customer needs to find it, call
it and trust its receipt.

```json
"profile": {"description": "Wood-fired pizza since 1998.",
            "address": {"lines": ["Hauptstraße 1"], "postal_code": "10115", "city": "Berlin",
                        "country": "DE"},
            "phone": "+49301234567", "email": "hallo@example.de",
            "website": "https://example.de",
            "social": {"instagram": "https://instagram.com/example", "facebook": "", "tiktok": "",
                       "x": ""},
            "legal_name": "Example GmbH", "vat_id": "DE123456789"}
```

Every field is optional; unset is "" (or no address lines). The settings API is strict and the
admin page forgiving (it trims what people type before it sends it here), so the shapes below
are the ones the OpenAPI document states, checked on the value as given: a value of the wrong
shape is a 400. A value of the right shape that still cannot be right (a phone number that no
numbering plan of its country has, a URL without a host, a VAT ID that is all punctuation) is a
`BrokenRule` (422): a rule no JSON Schema can state, as schemathesis.toml expects.

The phone number is read with `phonenumbers` in the address's country (so "030 1234567" is a
Berlin number when the country is DE) and stored in E.164; pages show it nationally to a
restaurant's own country and internationally otherwise, and dial it through ``tel:``.
"""

import re
from functools import cache
from urllib.parse import quote_plus, urlsplit

import phonenumbers
from babel import Locale
from flask_babel import gettext as _

from omniorder.core.errors import BrokenRule, Invalid, check_fields
from omniorder.core.text_input import clean_line, clean_text

MAX_DESCRIPTION = 500
MAX_ADDRESS_LINES = 3
MAX_ADDRESS_LINE = 100
MAX_POSTAL_CODE = 20
MAX_CITY = 100
MAX_PHONE = 32
MAX_EMAIL = 254
MAX_URL = 500
MAX_LEGAL_NAME = 200
MAX_VAT_ID = 20

SOCIAL_NETWORKS = {"instagram": "Instagram", "facebook": "Facebook", "tiktok": "TikTok", "x": "X"}
ADDRESS_FIELDS = ("lines", "postal_code", "city", "country")
PROFILE_FIELDS = (
    "description",
    "address",
    "phone",
    "email",
    "website",
    "social",
    "legal_name",
    "vat_id",
)

DEFAULT_PROFILE = {
    "description": "",
    "address": {"lines": [], "postal_code": "", "city": "", "country": ""},
    "phone": "",
    "email": "",
    "website": "",
    "social": dict.fromkeys(SOCIAL_NETWORKS, ""),
    "legal_name": "",
    "vat_id": "",
}

# The shapes the OpenAPI document states (omniorder/blueprints/openapi.yaml), each also matching
# "" (unset). ASCII classes only, which every regular expression engine reads alike.
PATTERNS = {
    "phone": r"(\+?[0-9][0-9 ()./-]{4,30})?",
    "email": r"([!-?A-~]{1,64}@[!-?A-~]+)?",
    "url": r"(https?://[!-~]+)?",
    "vat_id": r"([A-Za-z]{2}[0-9A-Za-z+*. -]{2,18})?",
}
_SHAPES = {name: re.compile(pattern) for name, pattern in PATTERNS.items()}
# The address part of an e-mail as mail servers take it unquoted (RFC 5322's dot-atom), and a
# host name of labels with a top-level domain of letters.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_HOST = re.compile(r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
# An EU VAT identification number without its spaces and dots: the country prefix (Greece's is
# EL), then 2 to 12 digits or letters (+ and * occur in Ireland's old and Cyprus's numbers).
_VAT_ID = re.compile(r"[A-Z]{2}[0-9A-Z+*]{2,12}")

# CLDR's two-letter territories that are not a country one has an address in.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def country_codes() -> tuple[str, ...]:
    """The ISO 3166 alpha-2 countries an address may be in (Babel's territories), sorted."""
    return tuple(
        sorted(
            code
            for code in Locale("en").territories
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        )
    )


def country_name(code: str, locale: str = "en_US") -> str:
    """ "DE" → "Germany" (en_US), "Deutschland" (de_DE); the code itself when unknown."""
    try:
        return Locale.parse(locale).territories.get(code) or code
    except (ValueError, TypeError):
        return code


def _shaped(path: str, value, shape: str, limit: int, message: str) -> str:
    if not isinstance(value, str) or len(value) > limit or not _SHAPES[shape].fullmatch(value):
        raise Invalid(path, message)
    return value


def _line(path: str, value, limit: int) -> str:
    if not isinstance(value, str):
        raise Invalid(path, _("must be text"))
    return clean_line(path, value, limit=limit) or ""


def _description(value) -> str:
    if not isinstance(value, str):
        raise Invalid("profile.description", _("must be text"))
    return clean_text("profile.description", value, limit=MAX_DESCRIPTION) or ""


def _country(value) -> str:
    if value == "" or (isinstance(value, str) and value in country_codes()):
        return value
    raise Invalid(
        "profile.address.country", _("must be an ISO 3166 country code such as DE, or empty")
    )


def _lines(value) -> list[str]:
    path = "profile.address.lines"
    if not isinstance(value, list) or len(value) > MAX_ADDRESS_LINES:
        raise Invalid(path, _("must be a list of at most %(limit)s lines", limit=MAX_ADDRESS_LINES))
    problems, clean = {}, []
    for index, line in enumerate(value):
        try:
            if not isinstance(line, str):
                raise Invalid(f"{path}[{index}]", _("must be text"))
            clean.append(
                clean_line(f"{path}[{index}]", line, limit=MAX_ADDRESS_LINE, required=True)
            )
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    return clean


def _address(value) -> dict:
    if not isinstance(value, dict):
        raise Invalid(
            "profile.address", _("must be an object with lines, postal_code, city, country")
        )
    return _object_checked(
        value,
        ADDRESS_FIELDS,
        "profile.address",
        {
            "lines": lambda: _lines(value.get("lines", [])),
            "postal_code": lambda: _line(
                "profile.address.postal_code", value.get("postal_code", ""), MAX_POSTAL_CODE
            ),
            "city": lambda: _line("profile.address.city", value.get("city", ""), MAX_CITY),
            "country": lambda: _country(value.get("country", "")),
        },
    )


def _object_checked(value: dict, known, path: str, checks: dict) -> dict:
    """Every check of an object's fields (core.errors.check_fields), and a key of `value`
    that is not one of `known` reported with them (named short and printable)."""
    unknown = {
        f"{path}.{repr(str(name)[:40])[1:-1]}": _(
            "is not a field here (%(keys)s)", keys=", ".join(known)
        )
        for name in value.keys() - set(known)
    }

    def no_unknown_keys():
        if unknown:
            raise Invalid(fields=unknown)

    clean = check_fields({"": no_unknown_keys, **checks})
    del clean[""]
    return clean


def _phone(value, country: str) -> str:
    path = "profile.phone"
    _shaped(path, value, "phone", MAX_PHONE, _("must be a phone number such as +49 30 1234567"))
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, country or None)
    except phonenumbers.NumberParseException:
        if not country:
            raise BrokenRule(
                path, _("must start with + and its country code (+49 …) while no country is set")
            ) from None
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        if country and value[0] != "+":
            raise BrokenRule(
                path,
                _(
                    "is not a valid phone number for %(country)s (%(name)s)",
                    country=country,
                    name=country_name(country),
                ),
            )
        raise BrokenRule(path, _("is not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value) -> str:
    path = "profile.email"
    _shaped(
        path, value, "email", MAX_EMAIL, _("must be an e-mail address such as hello@example.com")
    )
    if not value:
        return ""
    local, domain = value.rsplit("@", 1)
    if not (_LOCAL_PART.fullmatch(local) and _HOST.fullmatch(domain)):
        raise BrokenRule(path, _("must be an e-mail address such as hello@example.com"))
    return f"{local}@{domain.lower()}"


def _url(path: str, value) -> str:
    _shaped(path, value, "url", MAX_URL, _("must be an http:// or https:// address"))
    if not value:
        return ""
    try:
        parsed = urlsplit(value)
        host, _port = parsed.hostname, parsed.port  # a port that is not a number: ValueError
    except ValueError:
        host = None
    if not host or not (_HOST.fullmatch(host) or host.replace(".", "").isdigit() or ":" in host):
        raise BrokenRule(
            path,
            _(
                "must be an http:// or https:// address with a host name, such as https://example.com"
            ),
        )
    return value


def _social(value) -> dict:
    if not isinstance(value, dict):
        raise Invalid(
            "profile.social", _("must be an object with %(keys)s", keys=", ".join(SOCIAL_NETWORKS))
        )
    return _object_checked(
        value,
        tuple(SOCIAL_NETWORKS),
        "profile.social",
        {
            network: lambda network=network: _url(
                f"profile.social.{network}", value.get(network, "")
            )
            for network in SOCIAL_NETWORKS
        },
    )


def _vat_id(value) -> str:
    path = "profile.vat_id"
    _shaped(path, value, "vat_id", MAX_VAT_ID, _("must be a VAT number such as DE123456789"))
    normalized = re.sub(r"[ .-]", "", value).upper()
    if value and not _VAT_ID.fullmatch(normalized):
        raise BrokenRule(path, _("must be a VAT number such as DE123456789"))
    return normalized


def check_profile(value) -> dict:
    """The clean profile (every field present), or one `Invalid` naming every bad field, a
    `BrokenRule` when each of them is well-formed."""
    if not isinstance(value, dict):
        raise Invalid(
            "profile", _("must be an object with %(keys)s", keys=", ".join(PROFILE_FIELDS))
        )
    address = value.get("address", DEFAULT_PROFILE["address"])
    country = address.get("country", "") if isinstance(address, dict) else ""
    checks = {
        "description": lambda: _description(value.get("description", "")),
        "address": lambda: _address(address),
        "phone": lambda: _phone(
            value.get("phone", ""), country if country in country_codes() else ""
        ),
        "email": lambda: _email(value.get("email", "")),
        "website": lambda: _url("profile.website", value.get("website", "")),
        "social": lambda: _social(value.get("social", DEFAULT_PROFILE["social"])),
        "legal_name": lambda: _line(
            "profile.legal_name", value.get("legal_name", ""), MAX_LEGAL_NAME
        ),
        "vat_id": lambda: _vat_id(value.get("vat_id", "")),
    }
    return _object_checked(value, PROFILE_FIELDS, "profile", checks)


# --- what pages and e-mails show -------------------------------------------------------------


def phone_for_people(profile: dict) -> dict | None:
    """The stored phone as a page shows and dials it: ``{"text": "030 1234567", "tel":
    "tel:+49301234567"}`` (national in the restaurant's own country, else international)."""
    if not profile.get("phone"):
        return None
    try:
        number = phonenumbers.parse(profile["phone"], None)
    except phonenumbers.NumberParseException:
        return {"text": profile["phone"], "tel": "tel:" + profile["phone"]}
    own = phonenumbers.region_code_for_number(number) == profile["address"].get("country")
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if own
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return {"text": phonenumbers.format_number(number, style), "tel": f"tel:{e164}"}


def address_lines(profile: dict, locale: str) -> list[str]:
    """The postal address as lines: the street lines, "postal code city", the country's name."""
    address = profile["address"]
    town = " ".join(part for part in (address["postal_code"], address["city"]) if part)
    country = country_name(address["country"], locale) if address["country"] else ""
    return [line for line in (*address["lines"], town, country) if line]


def map_search_url(profile: dict) -> str | None:
    """A search for the address on OpenStreetMap (no key, no tracking), or None without one."""
    lines = address_lines(profile, "en_US")
    if not lines:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote_plus(", ".join(lines))


def restaurant_contact(settings: dict) -> dict:
    """What a page or an e-mail shows of the profile, ready to render (every value is text the
    template escapes): address lines, the map link, the phone, the links."""
    profile = settings.get("profile") or DEFAULT_PROFILE
    return {
        "description": profile["description"],
        "address": address_lines(profile, settings["locale"]),
        "map_url": map_search_url(profile),
        "phone": phone_for_people(profile),
        "email": profile["email"],
        "website": profile["website"],
        "social": [
            (label, profile["social"][network])
            for network, label in SOCIAL_NETWORKS.items()
            if profile["social"].get(network)
        ],
        "legal_name": profile["legal_name"],
        "vat_id": profile["vat_id"],
    }
