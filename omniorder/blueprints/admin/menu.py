"""The Items board (categories and items in order, bulk changes, copies), deletes with
confirmation and undo, the trash, and each item's option groups and options (managers and
admins); the menu's option groups on their own page are in `option_groups`."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from omniorder.blueprints.admin.base import bp, change_then_return
from omniorder.blueprints.admin.forms import ItemForm
from omniorder.core.errors import DomainError, Invalid, NotFound
from omniorder.core.unit_of_work import commit_step
from omniorder.media.photos import store_photo
from omniorder.menu import arrange, trash
from omniorder.menu import catalog as menu_service
from omniorder.menu import options as options_service
from omniorder.menu.translations import posted_translations, translation_fieldsets
from omniorder.staff.sessions import staff_required
from omniorder.web.input import accepts_upload

bp.add_app_template_global(translation_fieldsets)  # admin/_translations.html


def render_menu(message=None, status=200):
    """The Items board: categories in rank order, each with its items; uncategorised last.
    After a delete (``?deleted=<trash id>``) it offers to undo it."""
    categories = menu_service.categories()
    sections: dict = {category.id: [] for category in categories}
    uncategorised = []
    for item in menu_service.menu_items():
        sections.get(item.category_id, uncategorised).append(item)
    return render_template(
        "admin/menu.html",
        categories=categories,
        sections=sections,
        uncategorised=uncategorised,
        deleted=just_deleted(),
        message=message,
    ), status


def just_deleted():
    """The trash entry a delete just made (to offer "Undo"), or None."""
    entry_id = request.args.get("deleted")
    if not entry_id:
        return None
    try:
        return trash.trash_entry(entry_id)
    except NotFound:
        return None


@bp.get("/menu")
@staff_required("manager")
def menu():
    return render_menu()


def menu_action(change):
    return change_then_return(change, render_menu, "admin.menu")


def deleted_then_return(delete):
    """Run a delete (it returns its trash entry); back to the board offering to undo it."""
    try:
        entry = delete()
    except DomainError as error:
        return render_menu(error.message, error.status_code)
    return redirect(url_for("admin.menu", deleted=entry.id), code=303)


@bp.post("/categories")
@staff_required("manager")
def create_category():
    form = request.form
    return menu_action(lambda: menu_service.create_category(form.get("name"), form.get("station")))


@bp.post("/categories/<uuid:category_id>/rename")
@staff_required("manager")
def rename_category(category_id):
    """Name and kitchen station; a post without a ``station`` field keeps the station."""
    form = request.form
    station = form.get("station", menu_service.KEEP)
    texts = posted_translations(form, description=False).get("name_i18n")
    return menu_action(
        lambda: menu_service.rename_category(category_id, form.get("name"), station, texts)
    )


@bp.post("/categories/<uuid:category_id>/move")
@staff_required("manager")
def move_category(category_id):
    step = -1 if request.form.get("direction") == "up" else 1
    return menu_action(lambda: menu_service.move_category(category_id, step))


@bp.get("/categories/<uuid:category_id>/delete")
@staff_required("manager")
def confirm_delete_category(category_id):
    """The confirmation step without JavaScript (with it, a dialog on the board asks)."""
    found = menu_service.category(category_id)
    count = trash.items_in_category(found.id)
    return render_template(
        "admin/menu_confirm.html",
        label=found.name,
        consequence=ngettext(
            "Its %(num)d item goes to the trash with it.",
            "Its %(num)d items go to the trash with it.",
            count,
        )
        if count
        else None,
        action=url_for("admin.delete_category", category_id=found.id),
    )


@bp.post("/categories/<uuid:category_id>/delete")
@staff_required("manager")
def delete_category(category_id):
    return deleted_then_return(lambda: trash.delete_category(category_id))


# --- the board: order, bulk changes, copies -------------------------------------------------


@bp.post("/menu/order")
@staff_required("manager")
def arrange_menu():
    """The whole order after a drag or a keyboard move (omniorder/static/menu-board.js):
    ``category`` (every category, in order) and ``item`` (``<category id|none>/<item id>``).
    Answers JSON: the script announces the message."""
    form = request.form
    try:
        arrange.arrange_menu(form.getlist("category"), form.getlist("item"))
    except DomainError as error:
        return jsonify(message=error.message), error.status_code
    return jsonify(message=_("Order saved."))


@bp.post("/items/<uuid:item_id>/move")
@staff_required("manager")
def move_item(item_id):
    return menu_action(lambda: arrange.move_item(item_id, step()))


@bp.post("/menu/bulk")
@staff_required("manager")
def bulk_change():
    form = request.form
    return menu_action(
        lambda: arrange.bulk_change(
            form.getlist("item"), form.get("action"), form.get("category_id")
        )
    )


@bp.post("/items/<uuid:item_id>/duplicate")
@staff_required("manager")
def duplicate_item(item_id):
    """The copy's page opens, to rename it."""
    try:
        copy = arrange.duplicate_item(item_id)
    except DomainError as error:
        return render_menu(error.message, error.status_code)
    return redirect(url_for("admin.edit_item", item_id=copy.id), code=303)


# --- the trash ------------------------------------------------------------------------------


def render_trash(message=None, status=200):
    return render_template(
        "admin/menu_trash.html", entries=trash.trash_entries(), message=message
    ), status


@bp.get("/menu/trash")
@staff_required("manager")
def menu_trash():
    return render_trash()


@bp.post("/menu/trash/<uuid:entry_id>/restore")
@staff_required("manager")
def restore_deleted(entry_id):
    """Undo (from the board's notice) and Restore (from the Trash page): back where it came
    from; a refusal is shown on the page it came from."""
    back_to_trash = request.form.get("from") == "trash"
    try:
        label = trash.restore(entry_id)
    except DomainError as error:
        render = render_trash if back_to_trash else render_menu
        return render(error.message, error.status_code)
    flash(_("Restored %(name)s.", name=label), "menu")
    return redirect(url_for("admin.menu_trash" if back_to_trash else "admin.menu"), code=303)


def item_form(item=None, as_stored: bool = False) -> ItemForm:
    """The item form: what was posted, else (a GET, or `as_stored`) the item as stored."""
    form = ItemForm(obj=None)
    if item is not None and (not form.is_submitted() or as_stored):
        form = ItemForm(
            formdata=None,
            data={
                "name": item.name,
                "description": item.description,
                "price": menu_service.amount_as_typed(item.price),
                "image_url": item.image_url,
                "category_id": str(item.category_id or ""),
                "is_available": item.is_available,
                "allergens": list(item.allergens),
                "photo_alt": item.photo_alt,
            },
        )
    form.price.label.text = _("Price (e.g. %(amount)s)", amount=menu_service.amount_as_typed(1250))
    form.category_id.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(str(category.id), category.name) for category in menu_service.categories()
    ]
    return form


def render_item(form, item_id=None, errors=None, message=None, status=200):
    """The item's page: its form and, for an existing item, its photo and option groups."""
    item = menu_service.menu_item(item_id) if item_id else None
    return render_template(
        "admin/item_form.html",
        form=form,
        item_id=item_id,
        item=item,
        errors=errors or {},
        message=message,
        groups=options_service.option_groups(item_id) if item_id else [],
        sharing=options_service.item_sharing(item_id) if item_id else {},
        attachable=options_service.attachable_groups(item_id) if item_id else [],
        example_amount=menu_service.amount_as_typed(100),
        amount_as_typed=menu_service.amount_as_typed,
        field_label=menu_service.field_label,
        typed=request.form if status >= 400 else {},
    ), status


def chosen_photo(form, item_id):
    """The photo the form asks for: a new upload's reference (stored now), None (remove) or
    `KEEP`. `Invalid` on ``photo`` when the file is not a usable image: nothing is stored."""
    if form.photo.data:
        # No transaction may be open while the store is written (media/photos.py): end the
        # one the login check began (it wrote nothing) before the upload goes to S3.
        commit_step()
        return store_photo(form.photo.data.stream)
    if form.remove_photo.data and item_id is not None:
        return None
    return menu_service.KEEP


def save_item(form, item_id=None):
    """Decode and store an uploaded photo first, then write the item with its reference in
    a new transaction. If that write fails the stored files stay unreferenced (an orphan:
    harmless, erased with the restaurant)."""
    if not form.validate():
        return render_item(form, item_id, {k: v[0] for k, v in form.errors.items()}, status=400)
    fields = {**form.data, **posted_translations(request.form)}
    try:
        photo = chosen_photo(form, item_id)
        if item_id is None:
            menu_service.create_item(fields, None if photo is menu_service.KEEP else photo)
        else:
            menu_service.update_item(item_id, fields, photo)
    except Invalid as error:
        return render_item(form, item_id, error.fields, status=400)
    return redirect(url_for("admin.menu"), code=303)


@bp.route("/items/new", methods=["GET", "POST"])
@accepts_upload
@staff_required("manager")
def new_item():
    form = item_form()
    if form.is_submitted():
        return save_item(form)
    return render_item(form)


@bp.route("/items/<uuid:item_id>/edit", methods=["GET", "POST"])
@accepts_upload
@staff_required("manager")
def edit_item(item_id):
    item = menu_service.menu_item(item_id)
    form = item_form(item)
    if form.is_submitted():
        return save_item(form, item_id)
    return render_item(form, item_id)


@bp.get("/items/<uuid:item_id>/delete")
@staff_required("manager")
def confirm_delete_item(item_id):
    found = menu_service.menu_item(item_id)
    return render_template(
        "admin/menu_confirm.html",
        label=found.name,
        consequence=None,
        action=url_for("admin.delete_item", item_id=found.id),
    )


@bp.post("/items/<uuid:item_id>/delete")
@staff_required("manager")
def delete_item(item_id):
    return deleted_then_return(lambda: trash.delete_item(item_id))


# --- option groups and options, on the item's page -----------------------------------------


def choices_action(item_id, change):
    """Run a change to the item's choices; back to its page (303), or the page again with
    the reason and the error's status. A vanished item, group or option is a plain 404."""
    try:
        change()
    except NotFound:
        raise
    except DomainError as error:
        form = item_form(menu_service.menu_item(item_id), as_stored=True)
        return render_item(form, item_id, message=error.message, status=error.status_code)
    return redirect(url_for("admin.edit_item", item_id=item_id) + "#choices", code=303)


def step() -> int:
    return -1 if request.form.get("direction") == "up" else 1


@bp.post("/items/<uuid:item_id>/groups")
@staff_required("manager")
def create_group(item_id):
    form = request.form
    return choices_action(
        item_id,
        lambda: options_service.create_group(
            item_id, form.get("name"), form.get("min"), form.get("max")
        ),
    )


@bp.post("/items/<uuid:item_id>/groups/attach")
@staff_required("manager")
def attach_group(item_id):
    """Offer a group of the menu on this item too (``group_id``, from the page's list)."""
    group_id = request.form.get("group_id", "")
    return choices_action(item_id, lambda: options_service.attach_group(item_id, group_id))


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/detach")
@staff_required("manager")
def detach_group(item_id, group_id):
    return choices_action(item_id, lambda: options_service.detach_group(item_id, group_id))


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/edit")
@staff_required("manager")
def update_group(item_id, group_id):
    form = request.form
    return choices_action(
        item_id,
        lambda: options_service.update_group(
            item_id, group_id, form.get("name"), form.get("min"), form.get("max")
        ),
    )


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/move")
@staff_required("manager")
def move_group(item_id, group_id):
    return choices_action(item_id, lambda: options_service.move_group(item_id, group_id, step()))


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/delete")
@staff_required("manager")
def delete_group(item_id, group_id):
    return choices_action(item_id, lambda: options_service.delete_group(item_id, group_id))


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/options")
@staff_required("manager")
def create_option(item_id, group_id):
    form = request.form
    return choices_action(
        item_id,
        lambda: options_service.create_option(
            item_id, group_id, form.get("name"), form.get("price_delta")
        ),
    )


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/options/<uuid:option_id>/edit")
@staff_required("manager")
def update_option(item_id, group_id, option_id):
    form = request.form
    return choices_action(
        item_id,
        lambda: options_service.update_option(
            item_id, group_id, option_id, form.get("name"), form.get("price_delta")
        ),
    )


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/options/<uuid:option_id>/availability")
@staff_required("manager")
def option_availability(item_id, group_id, option_id):
    available = request.form.get("available")
    return choices_action(
        item_id,
        lambda: options_service.set_option_available(item_id, group_id, option_id, available),
    )


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/options/<uuid:option_id>/move")
@staff_required("manager")
def move_option(item_id, group_id, option_id):
    return choices_action(
        item_id, lambda: options_service.move_option(item_id, group_id, option_id, step())
    )


@bp.post("/items/<uuid:item_id>/groups/<uuid:group_id>/options/<uuid:option_id>/delete")
@staff_required("manager")
def delete_option(item_id, group_id, option_id):
    return choices_action(
        item_id, lambda: options_service.delete_option(item_id, group_id, option_id)
    )
