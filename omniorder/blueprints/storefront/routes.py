from flask import make_response, redirect, render_template, request, session, url_for
from flask_limiter import RateLimitExceeded

from omniorder.blueprints.storefront import bp
from omniorder.blueprints.storefront.forms import AddToCartForm, CheckoutForm, SetQuantityForm
from omniorder.errors import DomainError, Invalid
from omniorder.ratelimit import order_limit, retry_after_seconds
from omniorder.services.cart import add_to_cart, order_lines, set_quantity, view_cart
from omniorder.services.menu import menu_by_category
from omniorder.services.ordering import order_by_id, place_order
from omniorder.tenancy.bind import current_tenant


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def load_cart() -> dict:
    """This tenant's cart from the signed session (one cart per restaurant)."""
    return dict(session.get("carts", {}).get(str(current_tenant().id), {}))


def save_cart(cart: dict) -> None:
    carts = dict(session.get("carts", {}))
    carts[str(current_tenant().id)] = cart
    session["carts"] = carts


def render_storefront(checkout_form=None, message=None, status=200):
    cart = view_cart(load_cart())
    return render_template(
        "storefront/index.html",
        sections=menu_by_category(),
        cart=cart,
        checkout_form=checkout_form or CheckoutForm(formdata=None),
        add_form=AddToCartForm(),
        quantity_form=SetQuantityForm(),
        message=message,
    ), status


def render_cart(message=None, status=200, checkout_form=None):
    """The cart panel alone for htmx (plus the header count, out of band), else the page."""
    if not is_htmx():
        if status == 200:
            return redirect(url_for("storefront.menu") + "#cart", code=303)
        return render_storefront(checkout_form, message, status)
    return render_template(
        "storefront/_cart.html",
        cart=view_cart(load_cart()),
        oob_count=True,
        checkout_form=checkout_form or CheckoutForm(formdata=None),
        quantity_form=SetQuantityForm(),
        message=message,
    ), status


def first_error(form) -> str:
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        return (
            f"{label}: {errors[0]}"
            if field != "csrf_token"
            else "Your session expired; please try again."
        )
    return "Please check your input."


@bp.get("/")
def menu():
    return render_storefront()


def change_cart(form, change):
    """Validate the form, apply `change(cart, item_id, quantity)`, answer with the cart."""
    if not form.validate():
        return render_cart(first_error(form), 400)
    try:
        save_cart(change(load_cart(), form.item_id.data, form.quantity.data))
    except Invalid as error:
        return render_cart(error.message.split(": ", 1)[-1], 400)
    return render_cart()


@bp.post("/cart/add")
def cart_add():
    return change_cart(AddToCartForm(), add_to_cart)


@bp.post("/cart/set")
def cart_set():
    return change_cart(SetQuantityForm(), set_quantity)


@bp.post("/checkout")
@order_limit
def checkout():
    form = CheckoutForm()
    if not form.validate():
        return render_cart(first_error(form), 400, checkout_form=form)
    cart = load_cart()
    if not cart:
        return render_cart("Your cart is empty.", 400, checkout_form=form)
    try:
        placed = place_order(
            form.customer_name.data, order_lines(cart), idempotency_key=form.idempotency_key.data
        )
    except DomainError as error:
        return render_cart(error.message.split(": ", 1)[-1], error.status_code, checkout_form=form)
    save_cart({})
    target = url_for("storefront.order", order_id=placed.order.id)
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


@bp.get("/orders/<uuid:order_id>")
def order(order_id):
    return render_template("storefront/order.html", order=order_by_id(order_id))


@bp.get("/orders/<uuid:order_id>/status")
def order_status(order_id):
    return render_template("storefront/_order_status.html", order=order_by_id(order_id))


@bp.errorhandler(RateLimitExceeded)
def too_many_orders(error):
    """Over the order rate limit at checkout: the cart with the message (htmx swaps it in),
    429 and Retry-After; the cart and the typed name stay for the retry."""
    page, status = render_cart(error.description, 429, checkout_form=CheckoutForm())
    return page, status, {"Retry-After": str(retry_after_seconds())}
