"""The back office's blueprint and what its pages share."""

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
