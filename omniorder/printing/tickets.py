"""A kitchen ticket as ESC/POS bytes, rendered by python-escpos's `Dummy` printer (no
hand-written control codes): the restaurant, the order number large, the customer, when it
is wanted (the restaurant's clock, with the date when not today), each line with its
quantity and options and its note set apart in inverted print (never colour alone: thermal
paper has one), the order's note, then a full cut (``GS V``).

Its words are the kitchen's: callers render it inside ``force_locale`` with the restaurant's
default language (printing/jobs.py), so a ticket printed for an order placed in French still
reads in the kitchen's German."""

from dataclasses import dataclass
from datetime import datetime

from escpos.printer import Dummy
from flask_babel import gettext as _

from omniorder.core.money import format_local_time
from omniorder.languages.serving import display_locale

WIDTH = 42  # characters of a line on 80 mm paper in font A


@dataclass(frozen=True)
class TicketHeading:
    restaurant: str
    number: int
    customer: str
    wanted: str  # "Pickup 12:30" or "Ready 12:30"


def heading_of(order, restaurant: str, settings: dict, now: datetime) -> TicketHeading:
    """What the top of `order`'s ticket says, in the restaurant's time zone and locale."""
    moment = order.pickup_at or order.ready_at or order.created_at
    locale = display_locale(settings["languages"][0], settings["locale"])  # the kitchen's words
    when = format_local_time(moment, settings["timezone"], locale, now=now)
    wanted = _("Pickup %(time)s", time=when) if order.pickup_at else _("Ready %(time)s", time=when)
    return TicketHeading(restaurant, order.number, order.customer_name, wanted)


def ticket_bytes(
    heading: TicketHeading, lines: list[dict], note: str | None, copy: str = ""
) -> bytes:
    """The ticket for `lines` (an order's snapshot lines, maybe one station's share)."""
    printer = Dummy()
    printer.set(align="center", bold=True)
    printer.textln(heading.restaurant)
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.textln(f"#{heading.number}")
    printer.set(align="center", bold=True, double_height=True)
    printer.textln(heading.customer)
    printer.set(align="center")
    printer.textln(heading.wanted + (f"  ({copy})" if copy else ""))
    printer.set_with_default()
    printer.textln("-" * WIDTH)
    for line in lines:
        printer.set(bold=True, double_height=True)
        printer.textln(f"{line['quantity']} x {line['name']}")
        printer.set_with_default()
        for option in line.get("options") or []:
            printer.textln(f"   + {option['group']}: {option['name']}")
        if line.get("note"):
            printer.set(invert=True, bold=True)
            printer.textln(" " + _("NOTE: %(note)s", note=line["note"]) + " ")
            printer.set_with_default()
    if note:
        printer.textln("-" * WIDTH)
        printer.set(invert=True, bold=True)
        printer.textln(" " + _("ORDER NOTE: %(note)s", note=note) + " ")
        printer.set_with_default()
    printer.textln("-" * WIDTH)
    printer.cut(mode="FULL")
    return printer.output


def test_page_bytes(restaurant: str, printer_name: str, stations: list[str], printed: str) -> bytes:
    """A short page that proves the way to this printer works, and says which printer it is."""
    printer = Dummy()
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.textln(_("TEST PAGE"))
    printer.set(align="center", bold=True)
    printer.textln(restaurant)
    printer.set_with_default()
    printer.textln(_("Printer: %(name)s", name=printer_name))
    shown = ", ".join(stations) if stations else _("every line")
    printer.textln(_("Stations: %(stations)s", stations=shown))
    printer.textln(_("Sent: %(time)s", time=printed))
    printer.cut(mode="FULL")
    return printer.output
