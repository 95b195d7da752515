"""One line of text that a person sets and others read: the name of a restaurant, a category,
an item, an option group, an option, a staff member, a kitchen station.

Such a name travels into mail headers (the restaurant's name is the sender's), kitchen tickets,
log lines and pages, so it is checked once, where it enters (the CLI, the JSON APIs and the
forms all call `clean_line` through their service): a line break would inject a header
("Bcc:"), a tab or NUL breaks a ticket or a log line, an ANSI escape repaints a terminal, a
bidirectional override turns a name around on screen, and a lone surrogate (JSON's "\\ud800",
a command line's undecodable byte) cannot be stored at all. Refused: every character of the
Unicode categories Cc (C0, DEL, C1), Cf (format: bidi controls, BOM, soft hyphen…), Cs (lone
surrogates), Zl and Zp (line and paragraph separators). The two joiners of category Cf stay
allowed, since emoji sequences (🧑‍🍳) and Persian or Indic spelling need them.
"""

import functools
import unicodedata

from flask_babel import gettext as _

from omniorder.core.errors import Invalid

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
JOINERS = frozenset({"\u200c", "\u200d"})  # zero-width non-joiner and joiner


def first_control_character(text: str) -> str | None:
    """The first character of `text` that `clean_line` refuses, or None."""
    for character in text:
        if unicodedata.category(character) in REFUSED_CATEGORIES and character not in JOINERS:
            return character
    return None


def clean_line(field: str, value, *, limit: int, required: bool = False) -> str | None:
    """`value` as one clean line: trimmed, in Unicode NFC, at most `limit` characters; None
    when empty (or `Invalid` when `required`). `Invalid` naming `field` for anything but text
    and for a control character, which the message names by its code point."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(field, _("must be text"))
    if len(value) > limit:  # as given, white space included: what a JSON Schema's maxLength counts
        raise Invalid(field, _("must be at most %(limit)s characters", limit=limit))
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        if required:
            raise Invalid(field, _("is required"))
        return None
    refused = first_control_character(value)
    if refused is not None:
        character = f"U+{ord(refused):04X}"
        raise Invalid(
            field,
            _(
                "must be one line of text without control characters (it holds %(character)s)",
                character=character,
            ),
        )
    if len(value) > limit:
        raise Invalid(field, _("must be at most %(limit)s characters", limit=limit))
    return value


# The OpenAPI pattern names the refused characters of the BMP only, outside the surrogates:
# regular expression engines (ECMA-262 without the u flag, schemathesis) differ beyond that.
PATTERN_SCANNED = (*range(0xD800), *range(0xE000, 0x10000))


def _escaped(code_point: int) -> str:
    return f"\\u{code_point:04x}"


@functools.cache
def _refused_class(allowed: str = "") -> str:
    """The refused characters but `allowed`, as the inside of a regular expression's class."""
    ranges: list[list[int]] = []
    for code_point in PATTERN_SCANNED:
        if first_control_character(chr(code_point)) is None or chr(code_point) in allowed:
            continue
        if ranges and ranges[-1][1] == code_point - 1:
            ranges[-1][1] = code_point
        else:
            ranges.append([code_point, code_point])
    return "".join(
        _escaped(low) if low == high else f"{_escaped(low)}-{_escaped(high)}"
        for low, high in ranges
    )


def line_pattern() -> str:
    """`clean_line`'s rule as a regular expression (for the OpenAPI document): at least one
    character that is neither white space nor refused, and no refused character."""
    refused = _refused_class()
    return f"^[^{refused}]*[^{refused}\\s][^{refused}]*$"


def blank_or_line_pattern() -> str:
    """`clean_line`'s rule for a field that may be left empty: no refused character."""
    return f"^[^{_refused_class()}]*$"


def text_pattern() -> str:
    """`clean_text`'s rule as a regular expression: no refused character but line breaks."""
    return f"^[^{_refused_class(LINE_BREAKS)}]*$"


LINE_BREAKS = "\n\r"


def clean_text(field: str, value, *, limit: int) -> str | None:
    """`value` as text of a few lines (a description): trimmed, at most `limit` characters,
    None when empty; line breaks are allowed, the other characters `clean_line` refuses not."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(field, _("must be text"))
    if len(value) > limit:  # as given, white space included: what a JSON Schema's maxLength counts
        raise Invalid(field, _("must be at most %(limit)s characters", limit=limit))
    value = value.strip()
    if not value:
        return None
    refused = first_control_character(value.replace("\n", "").replace("\r", ""))
    if refused is not None:
        character = f"U+{ord(refused):04X}"
        raise Invalid(
            field,
            _("must not contain control characters (it holds %(character)s)", character=character),
        )
    return value
