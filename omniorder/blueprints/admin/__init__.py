"""The back office: menu, orders and sales (managers and admins), staff, theme and settings
(admins).

One module per capability; ids in paths go through Werkzeug's ``uuid`` converter, so a view
gets a `uuid.UUID` (compared as one, whatever the letter case of the URL) and a malformed id
is a 404 before any view.
"""

from flask import Blueprint, redirect, url_for

from omniorder.core.errors import DomainError
from omniorder.staff.sessions import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def change_then_return(change, render_page, endpoint: str):
    """Run a change; back to `endpoint` when it worked (303), else `render_page(message,
    status)`: the page again with the reason and the error's status."""
    try:
        change()
    except DomainError as error:
        return render_page(error.message, error.status_code)
    return redirect(url_for(endpoint), code=303)


@bp.get("")
@staff_required("manager")
def index():
    return redirect(url_for("admin.menu"))


from omniorder.blueprints.admin import (  # noqa: E402, F401
    emails,
    menu,
    orders,
    settings,
    staff,
    theme,
    webhooks,
)
