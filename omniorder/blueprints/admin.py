"""The back office: menu, orders and sales (managers and admins), staff and theme (admins).

Ids in paths go through Werkzeug's ``uuid`` converter: a view gets a `uuid.UUID` (compared
as one, whatever the letter case of the URL), and a malformed id is a 404 before any view.
"""

import uuid

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from omniorder.auth import staff_required
from omniorder.errors import DomainError, Invalid
from omniorder.models import ORDER_STATUSES, ROLES
from omniorder.money import amount_for_input
from omniorder.services import analytics, ordering
from omniorder.services import menu as menu_service
from omniorder.services import staff as staff_service
from omniorder.services.theme import FONT_STACKS, PRESETS, theme_for_render, update_theme
from omniorder.tenancy.bind import current_tenant
from omniorder.tenancy.http import tenant_registry

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ItemForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    description = TextAreaField("Description", validators=[Length(max=1000)])
    price = StringField("Price (e.g. 12.50)", validators=[DataRequired()])
    image_url = StringField("Image URL (http or https)", validators=[Length(max=2000)])
    category_id = SelectField("Category", choices=[], validate_choice=False)
    is_available = BooleanField("Available", default=True)


class StaffForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    full_name = StringField("Name", validators=[Length(max=100)])
    role = SelectField("Role", choices=list(ROLES), default="kitchen")


class ThemeForm(FlaskForm):
    preset = SelectField("Preset", choices=list(PRESETS))
    primary_color = StringField("Primary colour (#rrggbb)", validators=[DataRequired()])
    font_family = SelectField("Font", choices=list(FONT_STACKS))


@bp.get("")
@staff_required("manager")
def index():
    return redirect(url_for("admin.menu"))


# --- menu ---------------------------------------------------------------------------------

def render_menu(message=None, status=200):
    return render_template("admin/menu.html", categories=menu_service.categories(),
                           items=menu_service.menu_items(), message=message), status


@bp.get("/menu")
@staff_required("manager")
def menu():
    return render_menu()


def menu_action(action):
    """Run a menu change; back to the menu page, or the page with the error and its status."""
    try:
        action()
    except DomainError as error:
        return render_menu(error.message, error.status_code)
    return redirect(url_for("admin.menu"), code=303)


@bp.post("/categories")
@staff_required("manager")
def create_category():
    return menu_action(lambda: menu_service.create_category(request.form.get("name")))


@bp.post("/categories/<uuid:category_id>/rename")
@staff_required("manager")
def rename_category(category_id):
    return menu_action(lambda: menu_service.rename_category(category_id,
                                                            request.form.get("name")))


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
        form = ItemForm(data={"name": item.name, "description": item.description,
                              "price": amount_for_input(item.price), "image_url": item.image_url,
                              "category_id": str(item.category_id or ""),
                              "is_available": item.is_available})
    form.category_id.choices = [SelectChoice("", "— none —")] + [
        SelectChoice(str(category.id), category.name) for category in menu_service.categories()]
    return form


def save_item(form, item_id=None):
    if not form.validate():
        return render_template("admin/item_form.html", form=form, item_id=item_id,
                               errors={k: v[0] for k, v in form.errors.items()}), 400
    try:
        if item_id is None:
            menu_service.create_item(form.data)
        else:
            menu_service.update_item(item_id, form.data)
    except Invalid as error:
        return render_template("admin/item_form.html", form=form, item_id=item_id,
                               errors=error.fields), 400
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


# --- sales ----------------------------------------------------------------------------------

@bp.get("/sales")
@staff_required("manager")
def sales():
    """The last 30 or 90 days of this restaurant, from the warehouse (its own rows only)."""
    days = 90 if request.args.get("days") == "90" else 30
    series = analytics.daily_sales(current_tenant().id, days)
    orders = sum(day.orders for day in series)
    revenue = sum(day.revenue_cents for day in series)
    return render_template("admin/sales.html", series=series, days=days, orders=orders,
                           revenue=revenue, average=revenue // orders if orders else 0,
                           peak=max((day.revenue_cents for day in series), default=0),
                           updated=max((day.updated_at for day in series if day.updated_at),
                                       default=None))


# --- orders -------------------------------------------------------------------------------

@bp.get("/orders")
@staff_required("manager")
def orders():
    """Find an order: by number or customer, by status, newest first, 50 a page."""
    search, status = request.args.get("q", ""), request.args.get("status", "")
    found, more = ordering.find_orders(search, status, request.args.get("before", ""))
    return render_template("admin/orders.html", orders=found, more=more, search=search,
                           status=status, statuses=ORDER_STATUSES)


# --- staff --------------------------------------------------------------------------------

def render_staff(message=None, status=200, form=None, password_for=None):
    return render_template("admin/staff.html", staff=staff_service.list_staff(),
                           form=form or StaffForm(formdata=None), roles=ROLES,
                           message=message, password_for=password_for), status


@bp.get("/staff")
@staff_required("admin")
def staff():
    return render_staff()


@bp.post("/staff")
@staff_required("admin")
def create_staff():
    form = StaffForm()
    if not form.validate():
        return render_staff("Please give an email address and a role.", 400, form)
    try:
        user, password = staff_service.create_staff(form.email.data, form.role.data,
                                                    form.full_name.data)
    except DomainError as error:
        return render_staff(error.message, error.status_code, form)
    return render_staff(f"{user.email} can now log in.", 201,
                        password_for=(user.email, password))


def staff_action(action):
    try:
        action()
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    return redirect(url_for("admin.staff"), code=303)


@bp.post("/staff/<uuid:user_id>/role")
@staff_required("admin")
def change_role(user_id):
    return staff_action(lambda: staff_service.change_role(user_id, request.form.get("role")))


@bp.post("/staff/<uuid:user_id>/reset-password")
@staff_required("admin")
def reset_password(user_id):
    try:
        user, password = staff_service.reset_password(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    return render_staff(f"New password for {user.email}.", password_for=(user.email, password))


@bp.post("/staff/<uuid:user_id>/delete")
@staff_required("admin")
def remove_staff(user_id: uuid.UUID):
    if user_id == current_user.id:
        return render_staff("You cannot remove yourself.", 409)
    return staff_action(lambda: staff_service.remove_staff(user_id))


@bp.post("/staff/<uuid:user_id>/logout-everywhere")
@staff_required("kitchen")
def logout_everywhere(user_id: uuid.UUID):
    """End every session of a staff member: anyone's for an admin, one's own for anyone."""
    own = user_id == current_user.id
    if not own and not current_user.may("admin"):
        abort(403, description="Only an admin may end someone else's sessions.")
    try:
        user = staff_service.end_sessions(user_id)
    except DomainError as error:
        return render_staff(error.message, error.status_code)
    if own:
        logout_user()
        session.clear()
        return redirect(url_for("auth.login"), code=303)
    return render_staff(f"Every session of {user.email} has ended.")


# --- theme --------------------------------------------------------------------------------

@bp.route("/theme", methods=["GET", "POST"])
@staff_required("admin")
def theme():
    current = theme_for_render(current_tenant().theme_config)
    form = ThemeForm(data={key: current[key] for key in ("preset", "primary_color",
                                                         "font_family")})
    if request.method == "GET":
        return render_template("admin/theme.html", form=form, preview=current, message=None)
    if not form.validate():
        return render_template("admin/theme.html", form=form, preview=current,
                               message="Please fill in every field."), 400
    try:
        update_theme(current_tenant().id, {"preset": form.preset.data,
                                           "primary_color": form.primary_color.data.strip(),
                                           "font_family": form.font_family.data})
    except Invalid as error:
        return render_template("admin/theme.html", form=form, preview=current,
                               message=error.message), 400
    tenant_registry().invalidate()
    return redirect(url_for("admin.theme"), code=303)


@bp.get("/theme/preview")
@staff_required("admin")
def theme_preview():
    """The candidate theme on a sample card; invalid values fall back to the defaults."""
    candidate = {key: request.args.get(key) for key in ("preset", "primary_color",
                                                        "font_family") if request.args.get(key)}
    return render_template("admin/_theme_preview.html", preview=theme_for_render(candidate))
