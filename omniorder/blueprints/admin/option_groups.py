"""The Option groups page: the menu's groups (Size, Extras…), each attached to any number of
items, with their options (managers and admins). The same rules as the item page's forms
(menu/options.py), without an item: the group alone is locked."""

from flask import redirect, render_template, request, url_for

from omniorder.blueprints.admin.base import bp
from omniorder.core.errors import DomainError, NotFound
from omniorder.menu import catalog as menu_service
from omniorder.menu import options as options_service
from omniorder.staff.sessions import staff_required


def render_groups(message=None, status=200):
    return render_template(
        "admin/option_groups.html",
        groups=options_service.menu_option_groups(),
        message=message,
        example_amount=menu_service.amount_as_typed(100),
        amount_as_typed=menu_service.amount_as_typed,
        typed=request.form if status >= 400 else {},
    ), status


def groups_action(change):
    """Run a change; back to the page (303), or the page again with the reason and the
    error's status. A vanished group or option is a plain 404."""
    try:
        change()
    except NotFound:
        raise
    except DomainError as error:
        return render_groups(error.message, error.status_code)
    return redirect(url_for("admin.option_groups"), code=303)


def step() -> int:
    return -1 if request.form.get("direction") == "up" else 1


@bp.get("/option-groups")
@staff_required("manager")
def option_groups():
    return render_groups()


@bp.post("/option-groups")
@staff_required("manager")
def create_shared_group():
    form = request.form
    return groups_action(
        lambda: options_service.create_group(
            None, form.get("name"), form.get("min"), form.get("max")
        )
    )


@bp.post("/option-groups/<uuid:group_id>/edit")
@staff_required("manager")
def shared_update_group(group_id):
    form = request.form
    return groups_action(
        lambda: options_service.update_group(
            None, group_id, form.get("name"), form.get("min"), form.get("max")
        )
    )


@bp.get("/option-groups/<uuid:group_id>/delete")
@staff_required("manager")
def confirm_delete_group(group_id):
    """What deleting the group takes with it, and the button that does it."""
    group, options, items = options_service.option_group(group_id)
    return render_template(
        "admin/delete_option_group.html", group=group, options=options, items=items
    )


@bp.post("/option-groups/<uuid:group_id>/delete")
@staff_required("manager")
def shared_delete_group(group_id):
    return groups_action(lambda: options_service.delete_group(None, group_id))


@bp.post("/option-groups/<uuid:group_id>/options")
@staff_required("manager")
def shared_create_option(group_id):
    form = request.form
    return groups_action(
        lambda: options_service.create_option(
            None, group_id, form.get("name"), form.get("price_delta")
        )
    )


@bp.post("/option-groups/<uuid:group_id>/options/<uuid:option_id>/edit")
@staff_required("manager")
def shared_update_option(group_id, option_id):
    form = request.form
    return groups_action(
        lambda: options_service.update_option(
            None, group_id, option_id, form.get("name"), form.get("price_delta")
        )
    )


@bp.post("/option-groups/<uuid:group_id>/options/<uuid:option_id>/availability")
@staff_required("manager")
def shared_option_availability(group_id, option_id):
    available = request.form.get("available")
    return groups_action(
        lambda: options_service.set_option_available(None, group_id, option_id, available)
    )


@bp.post("/option-groups/<uuid:group_id>/options/<uuid:option_id>/move")
@staff_required("manager")
def shared_move_option(group_id, option_id):
    return groups_action(lambda: options_service.move_option(None, group_id, option_id, step()))


@bp.post("/option-groups/<uuid:group_id>/options/<uuid:option_id>/delete")
@staff_required("manager")
def shared_delete_option(group_id, option_id):
    return groups_action(lambda: options_service.delete_option(None, group_id, option_id))
