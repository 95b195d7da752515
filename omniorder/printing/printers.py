"""The restaurant's ticket printers (the ``printers`` setting) and where they may be reached.

A platform in a data centre cannot connect to a printer on a restaurant's LAN, and must never
connect to an address of the operator's own network because an admin typed it (SSRF with raw
bytes). So a printer is, by default, reached by a print agent the restaurant runs (it pulls
its tickets, printing/jobs.py); a printer with a ``host`` is refused unless the operator sets
``OMNIORDER_PRINT_DIRECT``: ``public`` (the job engine sends to public addresses only, checked
again at every send since a name may resolve elsewhere later) or ``any`` (the server sits on
the restaurant's network: private and loopback addresses too).
"""

import ipaddress
import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from omniorder.core.addresses import refused_kind
from omniorder.core.deadline import Deadline
from omniorder.core.errors import BrokenRule, Invalid
from omniorder.core.text_input import clean_line

MAX_PRINTERS = 10
MAX_STATIONS = 20
MAX_NAME = 60
MAX_COPIES = 3
DEFAULT_PORT = 9100
KNOWN = ("name", "stations", "copies", "enabled", "host", "port")
DIRECT_MODES = ("public", "any")
RESOLVE_SECONDS = 5
USE_AN_AGENT = _l(
    "cannot be reached from this server: leave host empty and run a print agent on the "
    "restaurant's network (omniorder-print-agent)"
)
_HOST_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9-]{1,63})*")


def direct_mode() -> str | None:
    """``public``, ``any`` or None (printers with a host are refused): the operator's switch."""
    mode = current_app.config.get("OMNIORDER_PRINT_DIRECT") or ""
    return mode if mode in DIRECT_MODES else None


def check_printers(value) -> list[dict]:
    """The ``printers`` setting, clean; `Invalid` naming each bad field (``printers[0].host``)."""
    if not isinstance(value, list):
        raise Invalid("printers", _("must be a list of printers"))
    if len(value) > MAX_PRINTERS:
        raise Invalid("printers", _("must hold at most %(limit)s printers", limit=MAX_PRINTERS))
    problems, duplicates, clean, names = {}, {}, [], set()
    for index, printer in enumerate(value):
        field = f"printers[{index}]"
        try:
            checked = _printer(field, printer)
        except Invalid as error:
            problems.update(error.fields)
            continue
        if checked["name"].casefold() in names:
            duplicates[f"{field}.name"] = _("is the name of another printer")
        names.add(checked["name"].casefold())
        clean.append(checked)
    if problems:
        raise Invalid(fields={**problems, **duplicates})
    if duplicates:  # well-formed names, one rule across them: 422
        raise BrokenRule(fields=duplicates)
    return clean


def _printer(field: str, value) -> dict:
    if not isinstance(value, dict):
        raise Invalid(
            field, _("must be an object with name, stations, copies, enabled, host, port")
        )
    problems = {
        f"{field}.{str(key)[:40]}": f"is not a printer setting ({', '.join(KNOWN)})"
        for key in value.keys() - set(KNOWN)
    }
    checks = {
        "name": lambda: clean_line(
            f"{field}.name", value.get("name"), limit=MAX_NAME, required=True
        ),
        "stations": lambda: _stations(f"{field}.stations", value.get("stations", [])),
        "copies": lambda: _whole(f"{field}.copies", value.get("copies", 1), 1, MAX_COPIES),
        "enabled": lambda: _flag(f"{field}.enabled", value.get("enabled", True)),
        "port": lambda: _whole(f"{field}.port", value.get("port", DEFAULT_PORT), 1, 65535),
        "host": lambda: _host(f"{field}.host", value.get("host")),
    }
    clean = {}
    for key, check in checks.items():
        try:
            clean[key] = check()
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(fields=problems)
    if clean["host"] is None:
        if "port" in value:
            raise Invalid(f"{field}.port", _("is only for a printer with a host"))
        clean.pop("host")
        clean.pop("port")
    else:
        _refuse_unreachable(f"{field}.host", clean["host"], clean["port"])
    return clean


def _stations(field: str, value) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_STATIONS:
        raise Invalid(
            field, _("must be a list of at most %(limit)s station names", limit=MAX_STATIONS)
        )
    stations = [clean_line(field, station, limit=MAX_NAME, required=True) for station in value]
    return list(dict.fromkeys(stations))


def _whole(field: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            field, _("must be a whole number from %(low)s to %(high)s", low=low, high=high)
        )
    return value


def _flag(field: str, value) -> bool:
    if not isinstance(value, bool):
        raise Invalid(field, _("must be true or false"))
    return value


def _host(field: str, value) -> str | None:
    """An IP address or a host name, lower case; None when absent or empty."""
    host = clean_line(field, value, limit=253)
    if host is None:
        return None
    host = host.lower().strip("[]")
    if _address(host) is None and not _HOST_NAME.fullmatch(host):
        raise Invalid(field, _("must be an IP address (192.168.1.50) or a host name"))
    return host


def _address(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refuse_unreachable(field: str, host: str, port: int) -> None:
    """`Invalid` (400) when this server may not send to `host`: no direct printing at all,
    or an address that is not public under ``public``."""
    mode = direct_mode()
    if mode is None:
        raise Invalid(field, str(USE_AN_AGENT))
    if mode == "public":
        try:
            checked_printer_addresses(host, port)
        except OSError as error:
            raise Invalid(field, str(error)) from None


class AddressRefused(OSError):
    """The printer's host is, or resolves to, an address this server may not connect to."""


def checked_printer_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` may be reached at under the operator's mode; `AddressRefused` (an
    OSError, like a failed lookup) when any of them is not public under ``public``."""
    literal = _address(host)
    if literal is not None:
        found = [literal]
    else:
        with Deadline(RESOLVE_SECONDS) as deadline:
            infos = deadline.resolve(host, port)
        found = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if direct_mode() == "public":
        for address in found:
            kind = refused_kind(address)
            if kind:
                raise AddressRefused(
                    _(
                        "%(host)s is %(address)s, a %(kind)s address, which this server may "
                        "not connect to: use a print agent on the restaurant's network",
                        host=host,
                        address=address,
                        kind=kind,
                    )
                )
    return [str(address) for address in found]


def printers_of(settings: dict) -> list[dict]:
    """The enabled printers of a settings document."""
    return [printer for printer in settings.get("printers", []) if printer.get("enabled", True)]


def printer_named(settings: dict, name: str) -> dict | None:
    wanted = (name or "").casefold()
    return next((p for p in settings.get("printers", []) if p["name"].casefold() == wanted), None)
