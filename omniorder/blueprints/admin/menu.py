"""Categories and items (managers and admins)."""

from flask import redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from omniorder.blueprints.admin import bp, change_then_return
from omniorder.blueprints.admin.forms import ItemForm
from omniorder.errors import Invalid
from omniorder.money import amount_for_input
from omniorder.services import menu as menu_service
from omniorder.staff_sessions import staff_required


def render_menu(message=None, status=200):
    return render_template(
        "admin/menu.html",
        categories=menu_service.categories(),
        items=menu_service.menu_items(),
        message=message,
    ), status


@bp.get("/menu")
@staff_required("manager")
def menu():
    return render_menu()


def menu_action(change):
    return change_then_return(change, render_menu, "admin.menu")


@bp.post("/categories")
@staff_required("manager")
def create_category():
    return menu_action(lambda: menu_service.create_category(request.form.get("name")))


@bp.post("/categories/<uuid:category_id>/rename")
@staff_required("manager")
def rename_category(category_id):
    return menu_action(lambda: menu_service.rename_category(category_id, request.form.get("name")))


@bp.post("/categories/<uuid:category_id>/move")
@staff_required("manager")
def move_category(category_id):
    step = -1 if request.form.get("direction") == "up" else 1
    return menu_action(lambda: menu_service.move_category(category_id, step))


@bp.post("/categories/<uuid:category_id>/delete")
@staff_required("manager")
def delete_category(category_id):
    return menu_action(lambda: menu_service.delete_category(category_id))


def item_form(item=None) -> ItemForm:
    form = ItemForm(obj=None)
    if item is not None and request.method == "GET":
        form = ItemForm(
            data={
                "name": item.name,
                "description": item.description,
                "price": amount_for_input(item.price),
                "image_url": item.image_url,
                "category_id": str(item.category_id or ""),
                "is_available": item.is_available,
            }
        )
    form.category_id.choices = [SelectChoice("", "— none —")] + [
        SelectChoice(str(category.id), category.name) for category in menu_service.categories()
    ]
    return form


def save_item(form, item_id=None):
    if not form.validate():
        return render_template(
            "admin/item_form.html",
            form=form,
            item_id=item_id,
            errors={k: v[0] for k, v in form.errors.items()},
        ), 400
    try:
        if item_id is None:
            menu_service.create_item(form.data)
        else:
            menu_service.update_item(item_id, form.data)
    except Invalid as error:
        return render_template(
            "admin/item_form.html", form=form, item_id=item_id, errors=error.fields
        ), 400
    return redirect(url_for("admin.menu"), code=303)


@bp.route("/items/new", methods=["GET", "POST"])
@staff_required("manager")
def new_item():
    form = item_form()
    if request.method == "POST":
        return save_item(form)
    return render_template("admin/item_form.html", form=form, item_id=None, errors={})


@bp.route("/items/<uuid:item_id>/edit", methods=["GET", "POST"])
@staff_required("manager")
def edit_item(item_id):
    item = menu_service.menu_item(item_id)
    form = item_form(item)
    if request.method == "POST":
        return save_item(form, item_id)
    return render_template("admin/item_form.html", form=form, item_id=item_id, errors={})


@bp.post("/items/<uuid:item_id>/delete")
@staff_required("manager")
def delete_item(item_id):
    return menu_action(lambda: menu_service.delete_item(item_id))
