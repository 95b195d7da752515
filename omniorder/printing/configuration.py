"""The Printers page's changes to the ``printers`` setting: one printer added or changed (by
name), or removed. Checked whole by the settings document (printing/printers.py)."""

from flask_babel import gettext as _

from omniorder.core.errors import Invalid, NotFound
from omniorder.printing.printers import DEFAULT_PORT
from omniorder.settings.document import current_settings, update_settings


def printer_from_form(form) -> dict:
    """A printer as the page's form gives it: stations comma-separated, numbers as text."""
    printer = {
        "name": form.get("name", ""),
        "stations": [part.strip() for part in form.get("stations", "").split(",") if part.strip()],
        "copies": _number("copies", form.get("copies", "1")),
        "enabled": form.get("enabled") == "on",
    }
    host = form.get("host", "").strip()
    if host:
        printer["host"] = host
        printer["port"] = _number("port", form.get("port", "").strip() or str(DEFAULT_PORT))
    return printer


def _number(field: str, text: str) -> int:
    try:
        return int(text.strip()[:6])
    except ValueError:
        raise Invalid(field, _("must be a whole number")) from None


def save_printer(printer: dict) -> list[dict]:
    """Add `printer`, or replace the one of the same name (letter case aside)."""
    printers = current_settings()["printers"]
    name = str(printer.get("name", "")).strip().casefold()
    kept = [p for p in printers if p["name"].casefold() != name]
    index = next((i for i, p in enumerate(printers) if p["name"].casefold() == name), len(kept))
    return _store(kept[:index] + [printer] + kept[index:])


def remove_printer(name: str) -> list[dict]:
    printers = current_settings()["printers"]
    kept = [p for p in printers if p["name"].casefold() != (name or "").casefold()]
    if len(kept) == len(printers):
        raise NotFound(_("No such printer."))
    return _store(kept)


def _store(printers: list[dict]) -> list[dict]:
    try:
        return update_settings({"printers": printers})["printers"]
    except Invalid as error:  # "printers[2].host: …" reads as the form's own field
        raise Invalid(
            fields={key.split(".", 1)[-1]: message for key, message in error.fields.items()}
        ) from None
