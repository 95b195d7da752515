"""The OpenAPI 3.1 description of the JSON API, served at /api/v1/openapi.json.

Kept next to nothing else on purpose: tests check real responses against these schemas
(tests/web/test_openapi.py), so a change to the API that is not made here fails the suite.
"""

from omniorder.core.text_input import line_pattern, text_pattern
from omniorder.menu.catalog import ALLERGENS, MAX_PRICE_CENTS, MAX_TEXT
from omniorder.menu.document import MAX_CATEGORIES, MAX_ITEMS
from omniorder.menu.options import MAX_CHOICES, MAX_GROUPS_PER_ITEM, MAX_OPTIONS_PER_GROUP
from omniorder.ordering.order_input import MAX_EMAIL, MAX_PHONE
from omniorder.ordering.pricing import MAX_TIP_AMOUNT
from omniorder.platform.tenants import MAX_NAME_LENGTH
from omniorder.settings.document import MAX_CLOSED_DATES, MAX_RANGES_PER_DAY, accepted_values
from omniorder.settings.theme import DEFAULT_THEME, FONT_STACKS, PRESETS
from omniorder.staff.accounts import MIN_PASSWORD_LENGTH
from omniorder.tenancy.names import MAX_HOST_NAME, MAX_IDENTIFIER_BYTES

UUID = {"type": "string", "format": "uuid"}
# What the server enforces, stated so that an outside client (schemathesis) can rely on it.
HOST_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = {
    "type": "string",
    "maxLength": MAX_HOST_NAME,
    "pattern": f"^{HOST_LABEL}(\\.{HOST_LABEL})*$",
    "description": "a host name such as pizza.example.com (lower case, no port)",
}
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}


def line(most: int) -> dict:
    """One line of text (omniorder/core/text_input.py): not blank, no control characters."""
    return {"type": "string", "minLength": 1, "maxLength": most, "pattern": line_pattern()}


# What a customer types (ordering/order_input.py): no C0 or C1 control character; the order's
# note may hold line breaks.
CONTROL = "\\u0000-\\u001f\\u007f-\\u009f"
CUSTOMER_TEXT = f"^[^{CONTROL}]*$"
CUSTOMER_NAME = f"^[^{CONTROL}]*[^{CONTROL}\\s][^{CONTROL}]*$"
ORDER_NOTE = "^([^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]|\\r\\n)*$"


ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "opens_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "409 for an order while the restaurant is closed: when it opens "
            "next, ISO 8601 with the restaurant's offset (null: no opening planned)",
        },
        "resumes_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "409 while online orders are paused: when they resume "
            "(null: until the kitchen resumes them)",
        },
        "next_slot": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "409 for a full pickup slot: the next slot with room "
            "(null: none within a week)",
        },
    },
}
ALLERGEN = {"enum": list(ALLERGENS), "description": "one of the 14 EU allergens"}
OPTION_GROUP = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "name", "min", "max", "options"],
    "properties": {
        "id": UUID,
        "name": {"type": "string"},
        "min": {"type": "integer", "minimum": 0, "description": "choices required"},
        "max": {"type": "integer", "minimum": 1, "description": "choices allowed"},
        "options": {
            "type": "array",
            "description": "in menu order",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name", "price_delta", "is_available"],
                "properties": {
                    "id": UUID,
                    "name": {"type": "string"},
                    "price_delta": {"type": "integer", "minimum": 0},
                    "is_available": {"type": "boolean"},
                },
            },
        },
    },
}
MENU_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "category_id",
        "name",
        "description",
        "price",
        "image_url",
        "is_available",
        "allergens",
        "option_groups",
    ],
    "properties": {
        "id": UUID,
        "category_id": {"type": ["string", "null"], "format": "uuid"},
        "name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "price": {"type": "integer", "minimum": 0},
        "image_url": {"type": ["string", "null"]},
        "is_available": {"type": "boolean"},
        "allergens": {"type": "array", "items": ALLERGEN},
        "option_groups": {"type": "array", "items": OPTION_GROUP, "description": "in menu order"},
    },
}
ORDER_LINE = {
    "type": "object",
    "required": ["menu_item_id", "name", "unit_price", "options", "quantity", "line_total", "note"],
    "properties": {
        "menu_item_id": {"type": "string"},
        "name": {"type": "string"},
        "unit_price": {"type": "integer", "description": "item price + option deltas"},
        "options": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "group", "name", "price_delta"],
                "properties": {
                    "id": {"type": "string"},
                    "group": {"type": "string"},
                    "name": {"type": "string"},
                    "price_delta": {"type": "integer", "minimum": 0},
                },
            },
        },
        "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
        "line_total": {"type": "integer"},
        "note": {"type": ["string", "null"]},
    },
}
MONEY = {"type": "integer", "minimum": 0, "description": "minor units of `currency`"}
MOMENT = {
    "type": ["string", "null"],
    "format": "date-time",
    "description": "ISO 8601 with the restaurant's offset",
}
ORDER = {
    "type": "object",
    "required": [
        "id",
        "number",
        "status",
        "subtotal",
        "tax",
        "tax_inclusive",
        "tip",
        "total_amount",
        "currency",
        "note",
        "items",
        "created_at",
        "ready_at",
        "pickup_at",
        "picked_up_at",
        "cancel_reason",
    ],
    "properties": {
        "id": UUID,
        "number": {"type": "integer", "minimum": 1001},
        "status": {"enum": ["PENDING", "COOKING", "DONE", "CANCELLED"]},
        "customer_name": {"type": "string"},
        "subtotal": MONEY,
        "tax": {**MONEY, "description": "added to the total, or contained in it (tax_inclusive)"},
        "tax_inclusive": {"type": "boolean"},
        "tip": MONEY,
        "total_amount": {**MONEY, "description": "what the customer pays at the counter"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "note": {"type": ["string", "null"]},
        "items": {"type": "array", "items": ORDER_LINE},
        "created_at": {"type": "string", "format": "date-time"},
        "ready_at": {
            **MOMENT,
            "description": "when it should be ready: the pickup time, or for as soon as "
            "possible the estimate made when it was placed (now + prep_minutes + one minute "
            "per open order ahead); null for orders from before estimates",
        },
        "pickup_at": {**MOMENT, "description": "the pickup time asked for; null: ASAP"},
        "picked_up_at": {**MOMENT, "description": "when the customer collected it"},
        "cancel_reason": {
            "type": ["string", "null"],
            "description": "why the restaurant cancelled it (status CANCELLED)",
        },
    },
}
NEW_ORDER = {
    "type": "object",
    "required": ["customer_name", "items"],
    "properties": {
        "customer_name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "pattern": CUSTOMER_NAME,
            "description": "not blank, without control characters",
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["menu_item_id", "quantity"],
                "properties": {
                    "menu_item_id": {
                        **UUID,
                        "description": "an item of GET /api/v1/menu; 409 when the menu no "
                        "longer holds it",
                    },
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 99},
                    "options": {
                        "type": "array",
                        "maxItems": 30,
                        "uniqueItems": True,
                        "items": UUID,
                        "description": "ids of the chosen options of this item's groups; "
                        "422 when they break a group's rules (too few, too many, not of this "
                        "item)",
                    },
                    "note": {"type": "string", "maxLength": 140, "pattern": CUSTOMER_TEXT},
                },
            },
        },
        "note": {
            "type": "string",
            "maxLength": 280,
            "pattern": ORDER_NOTE,
            "description": "may hold line breaks (CRLF counts as one character)",
        },
        "email": {
            "type": ["string", "null"],
            "format": "email",
            "maxLength": MAX_EMAIL,
            "description": "optional: the customer gets the receipt, 'ready for pickup' and "
            "'cancelled' (with the reason) by e-mail. An international domain is accepted "
            "(stored in its IDNA form); before the @ only ASCII letters, digits and . _ + - "
            "and the like. 400 naming `email` when malformed. Never returned: an Order is "
            "readable by anyone holding its id",
        },
        "phone": {
            "type": ["string", "null"],
            "maxLength": MAX_PHONE,
            # ordering/order_input.py's rule on the trimmed text: white space around it is
            # dropped, so the number itself ends in a digit or a sign
            "pattern": "^\\s*\\+?[0-9][0-9 ()./-]{3,29}[0-9()./-]\\s*$",
            "description": "optional: for the restaurant only (no text messages are sent). "
            "400 naming `phone` when malformed. Never returned, like `email`",
        },
        "pickup_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "a pickup time (ISO 8601 with its offset, e.g. one of "
            "GET /api/v1/pickup-slots) at least prep_minutes from now, within opening hours, "
            "at most 7 days ahead; null or absent: as soon as possible. 422 for a time the "
            "restaurant cannot serve; 409 with next_slot when its slot is full, with "
            "resumes_at during a pause",
        },
        "tip": {
            "description": "only when the restaurant takes tips (else 409); a preset "
            "percentage of the subtotal (another percentage: 409), or an amount in minor "
            "units, at most the subtotal (422)",
            "oneOf": [
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["percent"],
                    "properties": {"percent": {"type": "integer", "minimum": 1, "maximum": 100}},
                },
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["amount"],
                    "properties": {
                        "amount": {"type": "integer", "minimum": 0, "maximum": MAX_TIP_AMOUNT}
                    },
                },
            ],
        },
    },
}
PICKUP_SLOTS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slots", "asap_available", "notice"],
    "properties": {
        "slots": {
            "type": "array",
            "description": "slot starts a customer may choose now, in order (ISO 8601 with "
            "the restaurant's offset): from now + prep_minutes to 7 days ahead, within opening "
            "hours, without full slots and those during a timed pause",
            "items": {"type": "string", "format": "date-time"},
        },
        "asap_available": {
            "type": "boolean",
            "description": "whether an order without pickup_at is taken now (open, not paused)",
        },
        "notice": {
            "type": ["string", "null"],
            "description": "why not, as the storefront says it (closed, paused), else null",
        },
    },
}


URL_START = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\[\\]\\s]+([/?#]|\\s*$)"


def blank(most: int) -> dict:
    """White space only, which an optional one-line field reads as none."""
    return {"type": "string", "maxLength": most, "pattern": "^\\s*$"}


AMOUNT = {"type": "integer", "minimum": 0, "maximum": MAX_PRICE_CENTS, "description": "minor units"}
MENU_TEXT = line(MAX_TEXT["name"])
DOCUMENT_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "price"],
    "properties": {
        "name": MENU_TEXT,
        "description": {
            "type": ["string", "null"],
            "maxLength": MAX_TEXT["description"],
            "pattern": text_pattern(),
            "description": "a few lines, without other control characters",
        },
        "price": AMOUNT,
        "is_available": {"type": "boolean", "default": True},
        "image_url": {
            "description": "an http:// or https:// address; null or blank: none",
            "anyOf": [
                {
                    **line(MAX_TEXT["image_url"]),
                    # the host part (up to / ? #) without brackets, which urlparse refuses
                    "allOf": [{"pattern": URL_START}],
                },
                blank(MAX_TEXT["image_url"]),
                {"type": "null"},
            ],
        },
        "allergens": {"type": "array", "items": ALLERGEN, "default": []},
        "option_groups": {
            "type": "array",
            "maxItems": MAX_GROUPS_PER_ITEM,
            "default": [],
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": MENU_TEXT,
                    "min": {"type": "integer", "minimum": 0, "maximum": MAX_CHOICES, "default": 0},
                    "max": {"type": "integer", "minimum": 1, "maximum": MAX_CHOICES, "default": 1},
                    "options": {
                        "type": "array",
                        "maxItems": MAX_OPTIONS_PER_GROUP,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name"],
                            "properties": {
                                "name": MENU_TEXT,
                                "price_delta": {**AMOUNT, "default": 0},
                                "is_available": {"type": "boolean", "default": True},
                            },
                        },
                    },
                },
            },
        },
    },
}
MENU_DOCUMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["categories"],
    "description": "A whole menu: categories in menu order; `items` holds items without a "
    "category (exported only when there are some). Rules a schema cannot state (422, each "
    "at its path in `fields`): names are unique within their item (groups) or group "
    f"(options); a group's max ≥ min; at most {MAX_ITEMS} items in all.",
    "properties": {
        "categories": {
            "type": "array",
            "maxItems": MAX_CATEGORIES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": MENU_TEXT,
                    "station": {
                        "description": "The kitchen station its items go to (Grill, Cold, "
                        "Bar…); exported only when set. Null or blank: none.",
                        "anyOf": [
                            line(MAX_TEXT["station"]),
                            blank(MAX_TEXT["station"]),
                            {"type": "null"},
                        ],
                    },
                    "items": {"type": "array", "maxItems": MAX_ITEMS, "items": DOCUMENT_ITEM},
                },
            },
        },
        "items": {"type": "array", "maxItems": MAX_ITEMS, "items": DOCUMENT_ITEM},
    },
}
MENU_IMPORTED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["dry_run", "categories", "items", "option_groups", "options"],
    "properties": {
        "dry_run": {"type": "boolean"},
        **{
            count: {"type": "integer", "minimum": 0}
            for count in ("categories", "items", "option_groups", "options")
        },
    },
}


def _given(key: str) -> dict:
    """A provisioning field given (present and not null)."""
    return {"required": [key], "properties": {key: {"type": "string"}}}


PROVISION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "domain"],
    "properties": {
        "name": line(MAX_NAME_LENGTH),
        "domain": DOMAIN,
        "schema_name": {
            "type": ["string", "null"],
            "pattern": "^tenant_[a-z0-9_]+$",
            "maxLength": MAX_IDENTIFIER_BYTES,
            "description": "null or absent: tenant_ and the name's letters and digits",
        },
        "theme_config": {
            "type": ["object", "null"],
            "description": "the storefront's look; a property left out (or null for all) "
            f"keeps the default {DEFAULT_THEME}",
            "additionalProperties": False,
            "properties": {
                "preset": {"enum": list(PRESETS)},
                "primary_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
                "font_family": {"enum": list(FONT_STACKS)},
            },
        },
        "admin_email": {
            "type": ["string", "null"],
            "format": "email",
            "maxLength": 254,
            "description": "null or absent: admin@ and the domain",
        },
        "admin_password": {
            "type": ["string", "null"],
            "minLength": MIN_PASSWORD_LENGTH,
            "description": "null or absent: one is made and answered once",
        },
        "menu": {
            "anyOf": [{"$ref": "#/components/schemas/MenuDocument"}, {"type": "null"}],
            "description": "null or absent: the starter menu",
        },
    },
    "allOf": [
        {  # the schema name is made from the name's ASCII letters and digits
            "if": {"not": _given("schema_name")},
            "then": {"properties": {"name": {"pattern": "[A-Za-z0-9]"}}},
        },
        {  # the admin's e-mail is admin@<domain>, which needs a dot
            "if": {"not": _given("admin_email")},
            "then": {"properties": {"domain": {"pattern": "\\."}}},
        },
    ],
}
PROVISIONED = {
    "type": "object",
    "required": ["id", "name", "domain", "schema_name", "admin_email"],
    "properties": {
        "id": UUID,
        "name": {"type": "string"},
        "domain": {"type": "string"},
        "schema_name": {"type": "string"},
        "admin_email": {"type": "string"},
        "admin_password": {"type": "string"},
    },
}
FIGURES = {
    "orders": {"type": "integer"},
    "revenue_cents": {"type": "integer"},
    "items_sold": {"type": "integer"},
}
ANALYTICS = {
    "type": "object",
    "required": ["tenants", "total"],
    "properties": {
        "tenants": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["domain", "name", *FIGURES],
                "properties": {"domain": {"type": "string"}, "name": {"type": "string"}, **FIGURES},
            },
        },
        "total": {"type": "object", "required": list(FIGURES), "properties": FIGURES},
    },
}

TAX = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rate_bp", "inclusive"],
    "properties": {
        "rate_bp": {"type": "integer", "minimum": 0, "maximum": 10_000},
        "inclusive": {"type": "boolean"},
    },
}
TIPS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["enabled", "presets_percent"],
    "properties": {
        "enabled": {"type": "boolean"},
        "presets_percent": {
            "type": "array",
            "maxItems": 5,
            "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1, "maximum": 100},
        },
    },
}
_OPENING_RANGE = {
    "type": "array",
    "description": "[start, end] in local time, HH:MM: a start from 00:00 to 23:59, an end "
    "from 00:00 to 24:00; an end before the start is the next day. Rules a schema cannot "
    "state (422): a range opens and closes at different times, and the ranges of a day, and "
    "a range running past midnight and the next day's, do not overlap.",
    "minItems": 2,
    "maxItems": 2,
    "prefixItems": [
        {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"},
    ],
    "items": False,
}
# As answered: the same ranges, stated without prefixItems, which schemathesis 4 cannot read in
# a response schema (it checks answers against an older draft's tuple form).
_SAVED_RANGE = {
    "type": "array",
    "description": "[start, end] in local time, HH:MM (a start before 24:00)",
    "minItems": 2,
    "maxItems": 2,
    "items": {"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"},
}


def _hours(opening_range: dict) -> dict:
    return {
        "type": "object",
        "description": "Opening ranges per weekday, in the restaurant's time zone; a missing "
        "or empty day is closed. A PATCH merges days: the days it names replace theirs.",
        "additionalProperties": False,
        "properties": {
            day: {"type": "array", "maxItems": MAX_RANGES_PER_DAY, "items": opening_range}
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    }


ACCEPTED = accepted_values()
SETTINGS = {
    "type": "object",
    "description": "A restaurant's settings (omniorder/settings/document.py).",
    "additionalProperties": False,
    "required": [
        "timezone",
        "currency",
        "locale",
        "tax",
        "tips",
        "hours",
        "closed_dates",
        "prep_minutes",
        "slot_minutes",
        "max_orders_per_slot",
        "pause",
    ],
    "properties": {
        "timezone": {"enum": ACCEPTED["timezone"], "description": "IANA time zone"},
        "currency": {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217 code (one withdrawn since it was chosen stays until changed)",
        },
        "locale": {"enum": ACCEPTED["locale"], "description": "Babel locale"},
        "tax": TAX,
        "tips": TIPS,
        "hours": _hours(_SAVED_RANGE),
        "closed_dates": {
            "type": "array",
            "maxItems": MAX_CLOSED_DATES,
            "items": DATE,
            "description": "Local dates the restaurant is closed (a range starting the day "
            "before still runs to its end); saved sorted, each date once",
        },
        "prep_minutes": {"type": "integer", "minimum": 0, "maximum": 1440},
        "slot_minutes": {"type": "integer", "minimum": 5, "maximum": 1440},
        "max_orders_per_slot": {
            "type": "integer",
            "minimum": 0,
            "maximum": 10000,
            "description": "0: no cap",
        },
        "pause": {
            "type": ["object", "null"],
            "description": "Online orders paused from the kitchen board: null (taking "
            "orders), until a moment (at most 7 days ahead, and not before 2000: else 422), "
            "or until resumed (until: null)",
            "additionalProperties": False,
            "required": ["until"],
            "properties": {"until": {"type": ["string", "null"], "format": "date-time"}},
        },
    },
}
# A PATCH body: any of the keys; objects (tax, tips) are merged one level deep. A new currency
# is one in use today; the restaurant's own (even if withdrawn since) is accepted unchanged.
SETTINGS_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "description": "Rules a schema cannot state, across well-formed values (opening ranges "
    "that overlap or open and close at the same time, a pause beyond 7 days from now): 422, "
    "each at its path in `fields`.",
    "properties": {
        **{
            key: {k: v for k, v in schema.items() if k != "required"}
            for key, schema in SETTINGS["properties"].items()
        },
        "currency": {
            "enum": ACCEPTED["currency"],
            "description": "ISO 4217 code of a currency in use today",
        },
        "hours": _hours(_OPENING_RANGE),
    },
}


def _json(schema, description="OK"):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes, **texts):
    """The error answers of an operation; `texts` (``e422=…``) tells what a code means there."""
    text = {
        400: "Malformed input (each problem at its path in `fields`)",
        401: "Missing or wrong token",
        404: "Not found",
        409: "Conflict",
        413: "Body too large (over 256 KiB)",
        422: "Well-formed input that breaks a rule a schema cannot state (each at its path "
        "in `fields`)",
        429: "Too many requests (failed attempts, or orders from one address); "
        "retry after Retry-After seconds",
        503: "Database unavailable; retry after Retry-After seconds",
    }
    text |= {int(key.removeprefix("e")): value for key, value in texts.items()}
    return {str(code): _json({"$ref": "#/components/schemas/Error"}, text[code]) for code in codes}


def _restaurant_document(operation_id: str, schema: str) -> dict:
    """A restaurant's document under /api/v1/sys/tenants/{domain}/…: the path's domain and
    the GET that reads it (system token)."""
    return {
        "parameters": [{"name": "domain", "in": "path", "required": True, "schema": DOMAIN}],
        "get": {
            "operationId": operation_id,
            "security": [{"systemToken": []}],
            "responses": {
                "200": _json({"$ref": f"#/components/schemas/{schema}"}),
                **_errors(400, 401, 404, 429, 503),
            },
        },
    }


def openapi_document() -> dict:
    bearer = [{"systemToken": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OmniOrder API",
            "version": "1",
            "description": "Tenant endpoints answer for the restaurant named by the Host "
            "header; /api/v1/sys endpoints need the system token.",
        },
        "components": {
            "securitySchemes": {"systemToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "MenuItem": MENU_ITEM,
                "Order": ORDER,
                "NewOrder": NEW_ORDER,
                "PickupSlots": PICKUP_SLOTS,
                "Provision": PROVISION,
                "MenuDocument": MENU_DOCUMENT,
                "MenuImported": MENU_IMPORTED,
                "Provisioned": PROVISIONED,
                "Analytics": ANALYTICS,
                "Settings": SETTINGS,
                "SettingsChange": SETTINGS_CHANGE,
            },
        },
        "paths": {
            "/api/v1/menu": {
                "get": {
                    "operationId": "menu",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["currency", "items"],
                                "properties": {
                                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/MenuItem"},
                                    },
                                },
                            }
                        ),
                        **_errors(404, 503),
                    },
                }
            },
            "/api/v1/orders": {
                "post": {
                    "operationId": "placeOrder",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {
                                "type": "string",
                                "maxLength": 200,
                                # printable Latin-1 (an HTTP header's characters)
                                "pattern": "^[\\u0020-\\u007e\\u00a1-\\u00ac\\u00ae-\\u00ff]*$",
                            },
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewOrder"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/Order"}, "Placed"),
                        "200": _json(
                            {"$ref": "#/components/schemas/Order"},
                            "Already placed with this Idempotency-Key",
                        ),
                        **_errors(
                            400,
                            404,
                            409,
                            413,
                            422,
                            429,
                            503,
                            e409="The restaurant cannot take it now: closed (opens_at), "
                            "paused (resumes_at), its pickup slot full (next_slot), an item "
                            "sold out or no longer on the menu, a tip it does not take",
                            e422="Idempotency-Key already used for a different order, or a "
                            "rule a schema cannot state: a pickup time the restaurant cannot "
                            "serve, options that break a group's rules, a tip above the "
                            "subtotal, a total above the limit",
                        ),
                    },
                }
            },
            "/api/v1/pickup-slots": {
                "get": {
                    "operationId": "pickupSlots",
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/PickupSlots"}),
                        **_errors(404, 503),
                    },
                }
            },
            "/api/v1/orders/{order_id}": {
                "get": {
                    "operationId": "order",
                    "parameters": [
                        {
                            "name": "order_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Order"}),
                        **_errors(404, 503),
                    },
                }
            },
            "/api/v1/sys/provision": {
                "post": {
                    "operationId": "provision",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Provision"}
                            }
                        },
                    },
                    "responses": {
                        "201": _json({"$ref": "#/components/schemas/Provisioned"}, "Provisioned"),
                        **_errors(
                            400,
                            401,
                            404,
                            409,
                            413,
                            422,
                            429,
                            503,
                            e409="The domain or schema name is taken",
                            e422="The menu breaks a rule a schema cannot state (MenuDocument)",
                        ),
                    },
                }
            },
            "/api/v1/sys/tenants/{domain}/menu": {
                **_restaurant_document("exportMenu", "MenuDocument"),
                "put": {
                    "operationId": "importMenu",
                    "security": bearer,
                    "description": "Replace the whole menu in one transaction; any problem "
                    "(each reported at its path in `fields`) and nothing changes.",
                    "parameters": [
                        {
                            "name": "dry_run",
                            "in": "query",
                            "required": False,
                            "schema": {"enum": ["true", "false"]},
                        }
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/MenuDocument"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/MenuImported"}),
                        **_errors(400, 401, 404, 413, 422, 429, 503),
                    },
                },
            },
            "/api/v1/sys/analytics": {
                "get": {
                    "operationId": "analytics",
                    "description": "The warehouse's totals per tenant over [from, to] "
                    "(inclusive YYYY-MM-DD), as of its last refresh. A day is each "
                    "restaurant's local day, in the time zone of its settings.",
                    "security": bearer,
                    "parameters": [
                        {"name": name, "in": "query", "required": False, "schema": schema}
                        for name, schema in (("from", DATE), ("to", DATE), ("domain", DOMAIN))
                    ],
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Analytics"}),
                        **_errors(400, 401, 404, 429, 503),
                    },
                }
            },
            "/api/v1/sys/tenants/{domain}/settings": {
                **_restaurant_document("tenantSettings", "Settings"),
                "patch": {
                    "operationId": "changeTenantSettings",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/SettingsChange"}
                            }
                        },
                    },
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/Settings"}, "Saved"),
                        **_errors(400, 401, 404, 413, 422, 429, 503),
                    },
                },
            },
        },
    }
