"""JSON as the JSON API and the CLI read it: with the one number type JSON has.

JSON does not tell 2 from 2.0, and JSON Schema counts 2.0 as an integer, so a client (a
JavaScript one that computed 200.0, schemathesis) may write a whole number as a float. Read
here, such a number is the `int` it is, so every check that takes an integer (a quantity, a
price, minutes, a tax rate) accepts it, and still refuses 2.5 (a float) and true (a bool). The
JSON API reads its bodies through `JSONProvider` (the app's), the CLI its files and values
through `loads`: both mean the same by a number.
"""

import json

from flask.json.provider import DefaultJSONProvider


def whole_or_float(text: str) -> int | float:
    """A JSON number with a fraction or an exponent: an `int` when it is whole ("2.0", "2e3"),
    else the float ("2.5"; "1e400" stays infinite, so no huge integer is ever made)."""
    number = float(text)
    return int(number) if number.is_integer() else number


def loads(text: str | bytes):
    """`json.loads`, reading whole numbers written as floats as integers."""
    return json.loads(text, parse_float=whole_or_float)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies as `loads` does."""

    def loads(self, s: str | bytes, **kwargs):
        kwargs.setdefault("parse_float", whole_or_float)
        return super().loads(s, **kwargs)
