"""The setup checklist and the Publish button (admins): the rules are
omniorder/platform/setup.py's; this page shows them and asks for publishing."""

from flask import redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import Conflict
from omniorder.platform.setup import confirm_default, publish, setup_checklist
from omniorder.settings.document import CONFIRMABLE_SETUP_ITEMS, current_settings
from omniorder.staff.sessions import staff_required

# Where each checklist item is done.
PAGES = {
    "region": "admin.settings",
    "hours": "admin.settings",
    "tax": "admin.settings",
    "menu": "admin.menu",
    "profile": "admin.profile",
}
# Each item's link to its page, a whole phrase (not "Go to" and a lowered label: languages
# capitalise nouns and inflect them differently).
LINKS = {
    "region": _l("Go to time zone, currency and language"),
    "hours": _l("Go to opening hours"),
    "tax": _l("Go to tax"),
    "menu": _l("Go to at least one menu item"),
    "profile": _l("Go to address or phone number"),
}


def render_setup(message=None, status=200):
    settings = current_settings()
    return render_template(
        "admin/setup.html",
        checklist=setup_checklist(settings),
        published=settings["published"],
        pages=PAGES,
        links=LINKS,
        confirmable=CONFIRMABLE_SETUP_ITEMS,
        message=message,
    ), status


@bp.get("/setup")
@staff_required("admin")
def setup():
    return render_setup()


@bp.post("/setup/publish")
@staff_required("admin")
def publish_restaurant():
    """Publish once the checklist is done; 409 with what is missing otherwise."""
    try:
        publish()
    except Conflict as error:
        return render_setup(error.message, 409)
    return redirect(url_for("admin.setup"), code=303)


@bp.post("/setup/confirm/<item>")
@staff_required("admin")
def confirm_setup_item(item):
    """ "It is right as it is" for an item still holding its default (404 for any other)."""
    confirm_default(item)
    return redirect(url_for("admin.setup"), code=303)
