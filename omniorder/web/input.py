"""The input boundary's checks on every request: the one text check (`refuse_unstorable_text`)
that JSON bodies, form values and query arguments pass before a view uses them, a JSON body
read as an object (`json_object`), and whether the client wants JSON (`wants_json`)."""

import re

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l

from omniorder.core.database import reads_only
from omniorder.core.errors import Invalid

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
UNSTORABLE = _l("contains a character that cannot be stored (a lone UTF-16 surrogate)")


def _field_name(path: str, key) -> str:
    """A field's name for a message: printable even when the key itself is the bad text."""
    key = str(key).encode("utf-8", "backslashreplace").decode()[:40]
    return f"{path}.{key}" if path else key


def refuse_unstorable_text(value, field: str = "") -> None:
    """Raise `Invalid` naming the field when any text in `value` (a string, or JSON lists and
    objects of them, keys included) holds a lone surrogate: JSON's "\\ud800" decodes to one,
    and no UTF-8 database, page or log can take it. Iterative, so depth cannot hurt."""
    pending = [(field, value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _LONE_SURROGATE.search(item):
                raise Invalid(path or "body", UNSTORABLE)
        elif isinstance(item, dict):
            for key, inner in item.items():
                name = _field_name(path, key)
                if isinstance(key, str) and not key.isascii() and _LONE_SURROGATE.search(key):
                    raise Invalid(name, UNSTORABLE)
                pending.append((name, inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", inner) for index, inner in enumerate(item))


def request_json():
    """The parsed JSON body, or None when it is missing, malformed or nested to hurt."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def json_object() -> dict:
    """The request's JSON object body, or `Invalid` (malformed, not an object, nested to hurt,
    or holding text that cannot be stored)."""
    body = request_json()
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object")
    refuse_unstorable_text(body)
    return body


def check_form_input() -> None:
    """Before every view: query arguments and form values pass `refuse_unstorable_text`.

    Outside /api a JSON body is form data too (Flask-WTF reads it as one), so there it must be
    an object of text fields (or lists of text) like a real form; else a dict or a number
    reached code that expects a string. The JSON API checks its bodies in `json_object`.
    """
    for source in (request.args, request.form):
        for key, value in source.items(multi=True):
            refuse_unstorable_text({key: value})
    if request.path.startswith("/api/") or reads_only() or not request.is_json:
        return
    body = request_json()
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object of form fields")
    refuse_unstorable_text(body)
    for key, value in body.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise Invalid(_field_name("", key), "must be text")


def accepts_upload(view):
    """Mark a view whose form carries a file: its body may be up to MAX_UPLOAD_LENGTH, every
    other request's stays within MAX_CONTENT_LENGTH."""
    view.accepts_upload = True
    return view


def allow_upload_size() -> None:
    """Raise this request's body limit when its view takes an upload. Called before any hook
    (the CSRF check reads the form first), from `UnitOfWorkFlask.preprocess_request`; a
    bigger body is then a 413 page, never a 500."""
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "accepts_upload", False):
        request.max_content_length = current_app.config["MAX_UPLOAD_LENGTH"]


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    app.before_request(check_form_input)
