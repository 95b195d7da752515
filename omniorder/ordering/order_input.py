"""What a customer asks for, cleaned once at the boundary: the name, the lines (item,
quantity, chosen options, a note), the order's note, the pickup time and the idempotency key.

The JSON API (`parse_lines`) and the storefront's cart (ordering/cart.py) build the same
`OrderLine`s through these helpers, so both refuse the same input with the same message.
"""

import datetime
import re
import uuid
from dataclasses import dataclass

from flask_babel import gettext as _

from omniorder.core.errors import Conflict, Invalid, check_fields
from omniorder.settings.document import parse_moment
from omniorder.settings.payments import online_payment_mode
from omniorder.tenancy.names import validate_domain

MAX_QUANTITY = 99
MAX_LINES = 50
MAX_OPTIONS = 30  # chosen on one line
MAX_CUSTOMER_NAME = 100
MAX_LINE_NOTE = 140
MAX_ORDER_NOTE = 280
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class OrderLine:
    menu_item_id: uuid.UUID
    quantity: int
    options: tuple[uuid.UUID, ...] = ()  # the chosen options' ids, sorted
    note: str | None = None

    @property
    def identity(self) -> tuple:
        """What makes two lines one: the item, its options and its note."""
        return (self.menu_item_id, self.options, self.note)


def _has_control_characters(text: str, allowed: str = "") -> bool:
    return any(
        (ord(character) < 32 or 0x7F <= ord(character) < 0xA0) and character not in allowed
        for character in text
    )


def clean_customer_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("customer_name", _("is required"))
    if len(name) > MAX_CUSTOMER_NAME:  # as given: what the document's maxLength counts
        raise Invalid(
            "customer_name", _("must be at most %(limit)s characters", limit=MAX_CUSTOMER_NAME)
        )
    name = name.strip()
    if _has_control_characters(name):
        raise Invalid("customer_name", _("must not contain control characters"))
    return name


def clean_note(note, field: str = "note", limit: int = MAX_LINE_NOTE) -> str | None:
    """A note for the kitchen: stripped, None when empty, at most `limit` characters. A line's
    note is one line of text; the order's note (`clean_order_note`) may hold line breaks."""
    if note is None:
        return None
    if not isinstance(note, str):
        raise Invalid(field, _("must be text"))
    note = note.replace("\r\n", "\n")  # a textarea's line break is one character
    if len(note) > limit:  # white space around it included, as the document's maxLength counts
        raise Invalid(field, _("must be at most %(limit)s characters", limit=limit))
    note = note.strip()
    if not note:
        return None
    if _has_control_characters(note, allowed="\n" if limit == MAX_ORDER_NOTE else ""):
        raise Invalid(field, _("must not contain control characters"))
    return note


def clean_order_note(note) -> str | None:
    return clean_note(note, "note", MAX_ORDER_NOTE)


def clean_option_ids(raw, field: str = "options") -> tuple[uuid.UUID, ...]:
    """A list of option ids → their sorted tuple; `Invalid` for another type, a malformed id
    or an option listed twice."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_OPTIONS:
        raise Invalid(field, f"must be a list of at most {MAX_OPTIONS} option ids")
    ids = []
    for value in raw:
        try:
            if not isinstance(value, str):
                raise ValueError
            ids.append(uuid.UUID(value))
        except ValueError:
            raise Invalid(field, "must be a list of option ids") from None
    if len(set(ids)) < len(ids):
        raise Invalid(field, _("lists an option twice"))
    return tuple(sorted(ids))


def parse_lines(raw_lines) -> list[OrderLine]:
    """[{"menu_item_id": "<uuid>", "quantity": 2, "options": [ids], "note": "…"}, …] →
    OrderLines, or `Invalid`. One item may be two lines with other options or another note."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise Invalid("items", "must be a non-empty list")
    if len(raw_lines) > MAX_LINES:
        raise Invalid("items", f"must have at most {MAX_LINES} lines")
    lines, seen = [], set()
    for index, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise Invalid(f"items[{index}]", "must be an object")
        try:
            item_id = uuid.UUID(str(raw.get("menu_item_id")))
        except ValueError:
            raise Invalid(f"items[{index}].menu_item_id", "must be a menu item id") from None
        quantity = raw.get("quantity")
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            raise Invalid(f"items[{index}].quantity", f"must be a whole number 1..{MAX_QUANTITY}")
        line = OrderLine(
            item_id,
            quantity,
            clean_option_ids(raw.get("options"), f"items[{index}].options"),
            clean_note(raw.get("note"), f"items[{index}].note"),
        )
        if line.identity in seen:
            raise Invalid(
                f"items[{index}].menu_item_id",
                "appears twice with the same options and note; use one line",
            )
        seen.add(line.identity)
        lines.append(line)
    return lines


def clean_idempotency_key(key) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise Invalid(
            "idempotency_key", f"must be printable, at most {MAX_IDEMPOTENCY_KEY} characters"
        )
    return key


def clean_pickup_at(value) -> datetime.datetime | None:
    """The pickup time a customer asked for: None (or empty, the storefront's "as soon as
    possible") for ASAP, else an ISO 8601 moment with its offset, as an aware UTC datetime.
    Whether the restaurant can serve it is ordering/pickup.py's rule, checked when ordering."""
    if value is None or value == "":
        return None
    return parse_moment(value, "pickup_at")


MAX_EMAIL = 254  # RFC 5321's limit for a forward path
MAX_PHONE = 32
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+")
# The part before the @ as mail servers and Python's email package take it unquoted: RFC 5322's
# dot-atom in ASCII. "a,b@…" or "a(b)@…" would be read as other addresses (notifications/mail.py).
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{4,30}")


@dataclass(frozen=True)
class Contact:
    """How to reach the customer: the e-mail gets the receipt and status messages; the phone
    is kept for the restaurant only (no SMS provider is reachable from here)."""

    email: str | None = None
    phone: str | None = None

    def as_json(self) -> dict:
        return {key: value for key, value in vars(self).items() if value}


def clean_email(value) -> str | None:
    """An address as people type it, checked for shape (one @, no spaces, a real host name);
    whether it receives mail only its server knows. The domain is lower-cased, IDNA-checked."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_EMAIL:
        raise Invalid(
            "email", _("must be an e-mail address of at most %(limit)s characters", limit=MAX_EMAIL)
        )
    value = value.strip()
    if not _EMAIL.fullmatch(value) or _has_control_characters(value):
        raise Invalid("email", _("must be an e-mail address such as ada@example.com"))
    local, domain = value.rsplit("@", 1)
    if not _LOCAL_PART.fullmatch(local):
        raise Invalid(
            "email",
            _(
                "must be an e-mail address such as ada@example.com (before the @: "
                "letters a-z, digits and . _ + -, no accents, brackets or commas)"
            ),
        )
    try:
        domain = validate_domain(domain)
    except Invalid:
        raise Invalid("email", _("must be an e-mail address such as ada@example.com")) from None
    if "." not in domain:
        raise Invalid("email", _("must be an e-mail address such as ada@example.com"))
    return f"{local}@{domain}"


def clean_phone(value) -> str | None:
    """A phone number as typed: digits with spaces, dashes, dots, brackets, a leading +."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if (
        not isinstance(value, str)
        or len(value) > MAX_PHONE  # as given: what the document's maxLength counts
        or not _PHONE.fullmatch(value.strip())
    ):
        raise Invalid("phone", _("must be a phone number such as +49 30 1234567"))
    return value.strip()


def clean_contact(email=None, phone=None) -> Contact | None:
    """Both fields checked at once (one 400 naming each bad one); None when neither given."""
    contact = Contact(
        **check_fields({"email": lambda: clean_email(email), "phone": lambda: clean_phone(phone)})
    )
    return contact if contact.email or contact.phone else None


PAYMENT_CHOICES = ("online", "counter")


def wants_online_payment(settings: dict, asked) -> bool:
    """Whether an order is paid online: the customer's choice (``online`` | ``counter``, None
    for the restaurant's default) against the restaurant's ``payments.online`` (off,
    optional, required). A choice the restaurant does not offer is a 409 (well-formed, yet the
    restaurant cannot take it, as a tip it does not take): the API's 400 is kept for malformed
    input, which its OpenAPI document rules out."""
    mode = online_payment_mode(settings)
    if asked is None:
        return mode == "required"
    if asked not in PAYMENT_CHOICES:
        raise Invalid("payment", _("must be online or counter"))
    if asked == "online" and mode == "off":
        raise Conflict(_("This restaurant takes payment at the counter only."))
    if asked == "counter" and mode == "required":
        raise Conflict(_("This restaurant takes payment online only."))
    return asked == "online"
