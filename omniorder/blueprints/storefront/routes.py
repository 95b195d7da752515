import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded

from omniorder.blueprints.storefront.forms import (
    AddToCartForm,
    CheckoutForm,
    SetQuantityForm,
    TipForm,
)
from omniorder.core.database import reads_only
from omniorder.core.errors import Conflict, DomainError, Invalid, SlotFull
from omniorder.languages.serving import serve_in_order_language, time_locale
from omniorder.menu.catalog import (
    MenuFilter,
    allergens_on_menu,
    item_on_menu,
    menu_by_category,
)
from omniorder.ordering.cart import (
    add_to_cart,
    cart_from_session,
    checkout_times,
    checkout_tip,
    choose_tip,
    empty_cart,
    menu_groups,
    order_again,
    order_lines,
    set_quantity,
    tip_from_form,
    tip_value,
    unavailable_reason,
    view_cart,
)
from omniorder.ordering.checkout import order_by_id, place_order
from omniorder.ordering.models import AWAITING_PAYMENT
from omniorder.ordering.order_input import clean_contact, clean_pickup_at
from omniorder.ordering.pickup import pause_notice, utc_now
from omniorder.payments.gateway import stripe_js_sources, stripe_js_url
from omniorder.payments.online import PAYMENT_WINDOW, pay_with_card, refresh_payment
from omniorder.platform.setup import NOT_PUBLISHED
from omniorder.platform.suspension import refuse_while_suspended
from omniorder.settings.document import current_settings
from omniorder.settings.hours import closed_notice
from omniorder.settings.payments import online_payment_mode, publishable_key
from omniorder.tenancy.bind import current_tenant
from omniorder.web.headers import allow_sources
from omniorder.web.input import json_object
from omniorder.web.ratelimit import order_limit, retry_after_seconds

bp = Blueprint("storefront", __name__)

# Browsers drop a cookie over 4096 bytes without a word; the cart lives in the session cookie,
# so a change that would outgrow it is refused with a message instead.
MAX_SESSION_COOKIE = 3800
CART_FULL = _l("Your cart is full; please place this order or remove something first.")
NO_FILTER = MenuFilter()  # the whole menu


@bp.before_request
def closed_to_customers():
    """A suspended restaurant answers 503 everywhere here; one not yet published shows its
    "Opening soon" page (200, kept out of search engines) and refuses every change (409)."""
    refuse_while_suspended()
    if not current_settings()["published"]:
        if not reads_only():
            raise Conflict(NOT_PUBLISHED)
        response = make_response(render_template("storefront/opening_soon.html"))
        response.headers["X-Robots-Tag"] = "noindex"
        return response
    return None


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def load_cart() -> dict:
    """This tenant's cart from the signed session (one cart per restaurant)."""
    return cart_from_session(session.get("carts", {}).get(str(current_tenant().id)))


def save_cart(cart: dict) -> None:
    """Keep `cart` in the session, or `Invalid` when the session cookie would be too big."""
    carts = {**session.get("carts", {}), str(current_tenant().id): cart}
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if len(serializer.dumps({**session, "carts": carts})) > MAX_SESSION_COOKIE:
        raise Invalid("cart", CART_FULL)
    session["carts"] = carts


def cart_panel(settings: dict, now: datetime.datetime, checkout_form=None) -> dict:
    """What _cart.html needs: the cart, the checkout form and, with something in the cart,
    the pickup times it offers (the ASAP estimate costs a query, so not for an empty cart)."""
    cart = view_cart(load_cart(), settings)
    return {
        "cart": cart,
        "checkout_form": checkout_form or CheckoutForm(formdata=None),
        "times": checkout_times(settings, now) if cart.lines else None,
        "payment_mode": online_payment_mode(settings),  # off, optional or required
    }


def match_count_forms() -> dict[str, str]:
    """The menu filter's "3 items match" for static/storefront.js: the sentence for each
    plural category of the page's language (CLDR's, as Intl.PluralRules names them), made
    from the first count in that category, with ``{count}`` where the number goes."""
    plural_form = get_locale().plural_form
    forms = {}
    for count in range(1, 200):
        category = plural_form(count)
        if category not in forms:
            forms[category] = ngettext(
                "%(count)s item matches", "%(count)s items match", count, count="{count}"
            )
    return forms


def render_storefront(checkout_form=None, message=None, status=200, menu_filter=NO_FILTER):
    settings, now = current_settings(), utc_now()
    sections = menu_by_category()
    shown = menu_filter.applied(sections) if menu_filter else sections
    return render_template(
        "storefront/index.html",
        sections=shown,
        allergens=allergens_on_menu(sections),
        menu_filter=menu_filter,
        matching=sum(len(items) for _category, items in shown),
        match_counts=match_count_forms(),
        menu_groups=menu_groups,
        unavailable_reason=unavailable_reason,
        message=message,
        closed=closed_notice(settings, now, time_locale(settings)),
        paused=pause_notice(settings, now),
        **cart_panel(settings, now, checkout_form),
    ), status


def render_cart(message=None, status=200, checkout_form=None, added=None):
    """The cart panel alone for htmx (plus the header count and the cart bar, out of band),
    else the page."""
    if not is_htmx():
        if status == 200:
            return redirect(url_for("storefront.menu") + "#cart", code=303)
        return render_storefront(checkout_form, message, status)
    return render_template(
        "storefront/_cart.html",
        oob_count=True,
        message=message,
        added=added,
        **cart_panel(current_settings(), utc_now(), checkout_form),
    ), status


def first_error(form) -> str:
    for field, errors in form.errors.items():
        label = getattr(form, field).label.text if hasattr(form, field) else field
        if field == "csrf_token":
            return _("Your session expired; please try again.")
        return _("%(field)s: %(problem)s", field=label, problem=errors[0])
    return _("Please check your input.")


CONTACT_LABELS = {"email": _l("E-mail"), "phone": _l("Phone")}


def shown(error: DomainError) -> str:
    """A service's message without its field name (the form around it says what it is);
    the pickup time's, which the form labels "When?", says what it is about."""
    if isinstance(error, Invalid) and "pickup_at" in error.fields:
        return _("Pickup time %(problem)s.", problem=error.fields["pickup_at"])
    if isinstance(error, Invalid) and error.fields.keys() & CONTACT_LABELS:
        return " ".join(
            _("%(field)s %(problem)s.", field=CONTACT_LABELS[field], problem=message)
            for field, message in error.fields.items()
        )
    return error.message.split(": ", 1)[-1]


@bp.get("/")
def menu():
    """The menu; ``?q=…&without=…`` is its search form sent without JavaScript."""
    return render_storefront(
        menu_filter=MenuFilter.from_query(request.args.get("q"), request.args.getlist("without"))
    )


@bp.get("/items/<uuid:item_id>")
def item(item_id):
    """An item's own page: its photo, description, allergens and the form with its options,
    note and quantity, posting to /cart/add. The menu's row links here, so it works without
    JavaScript; with it, the menu's item sheet (a <dialog>) fetches the form alone (htmx).
    From memory like the menu page: no statement when warm."""
    found, settings = item_on_menu(item_id), current_settings()
    context = {
        "item": found,
        "price_locale": settings["locale"].replace("_", "-"),  # for Intl.NumberFormat
        "price_currency": settings["currency"],
        "groups": menu_groups(found),
        "unavailable": found.is_available and unavailable_reason(found),
    }
    if is_htmx():
        page = render_template("storefront/_item_sheet.html", **context)
    else:
        page = render_template("storefront/item.html", cart=bar_cart(), **context)
    return page, 200, {"Vary": "HX-Request"}


def change_cart(form, change):
    """Validate the form, apply `change(cart)`, answer with the cart."""
    if not form.validate():
        return render_cart(first_error(form), 400)
    try:
        save_cart(change(load_cart()))
    except Invalid as error:
        return render_cart(shown(error), 400)
    return render_cart()


@bp.post("/cart/add")
def cart_add():
    """Add a line; the customer stays where they are, and the cart bar at the bottom of the
    screen says what was added (without JavaScript: back at the item, the bar flashed)."""
    form = AddToCartForm()
    if not form.validate():
        return render_cart(first_error(form), 400)
    try:
        cart, item = add_to_cart(
            load_cart(), form.item_id.data, form.quantity.data, form.options.data, form.note.data
        )
        save_cart(cart)
    except Invalid as error:
        return render_cart(shown(error), 400)
    added = _("Added %(name)s to your order.", name=item.name)
    if is_htmx():
        return render_cart(added=added)
    flash(added, "cart")
    return redirect(url_for("storefront.menu") + f"#item-{item.id}", code=303)


@bp.post("/cart/set")
def cart_set():
    form = SetQuantityForm()
    return change_cart(form, lambda cart: set_quantity(cart, form.line.data, form.quantity.data))


@bp.post("/cart/tip")
def cart_tip():
    """The customer's tip choice; htmx sends the checkout fields along (hx-include), so the
    name and note typed so far come back in the re-rendered cart."""
    form = TipForm()
    if not form.validate():
        return render_cart(first_error(form), 400)
    settings, cart = current_settings(), load_cart()
    try:
        checked = tip_value(checkout_tip(cart, settings))  # the radio the form was shown with
        tip = tip_from_form(form.tip.data, form.tip_amount.data, settings, checked)
        save_cart(choose_tip(cart, tip, settings))
    except DomainError as error:
        return render_cart(shown(error), error.status_code, checkout_form=CheckoutForm())
    return render_cart(checkout_form=CheckoutForm())


@bp.post("/checkout")
@order_limit
def checkout():
    form = CheckoutForm()
    if not form.validate():
        return render_cart(first_error(form), 400, checkout_form=form)
    cart = load_cart()
    if not cart["lines"]:
        return render_cart(_("Your cart is empty."), 400, checkout_form=form)
    try:
        placed = place_order(
            form.customer_name.data,
            order_lines(cart),
            idempotency_key=form.idempotency_key.data,
            note=form.note.data,
            tip=checkout_tip(cart, current_settings()),
            pickup_at=clean_pickup_at(form.pickup_at.data),
            contact=clean_contact(form.email.data, form.phone.data),
            payment=form.payment.data or None,  # none sent: the restaurant's default
        )
    except SlotFull as error:  # the next free slot comes back chosen
        if error.details["next_slot"] is not None:
            form.pickup_at.data = error.details["next_slot"]
        return render_cart(shown(error), error.status_code, checkout_form=form)
    except DomainError as error:
        return render_cart(shown(error), error.status_code, checkout_form=form)
    save_cart(empty_cart())
    # An order paid online is paid on its own page: its PaymentIntent is made with the first
    # card (payments/online.pay_with_card), so placing it asks nothing of Stripe.
    target = url_for("storefront.order", order_id=placed.order.id)
    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


def placed_order(order_id):
    """The order of a tracking page or receipt, which speaks the order's language."""
    order = order_by_id(order_id)
    serve_in_order_language(order)
    return order


def bar_cart():
    """The cart for the cart bar of a page without the cart panel (no query when empty)."""
    return view_cart(load_cart(), current_settings())


def card_payment(order) -> dict | None:
    """What the page's card field needs while `order` awaits its payment (the restaurant's
    publishable key, Stripe.js's URL), the page's CSP widened for Stripe.js alone; None when
    there is nothing to pay online, or the restaurant has no key any more."""
    if order.payment_status != AWAITING_PAYMENT or order.status == "CANCELLED":
        return None
    key = publishable_key(current_settings())
    if key is None:
        return None
    allow_sources(stripe_js_sources())
    return {"publishable_key": key, "script": stripe_js_url()}


@bp.get("/orders/<uuid:order_id>")
def order(order_id):
    order = placed_order(order_id)
    return render_template(
        "storefront/order.html",
        order=order,
        cart=bar_cart(),
        card_payment=card_payment(order),
        payment_minutes=int(PAYMENT_WINDOW.total_seconds() // 60),
    )


@bp.get("/orders/<uuid:order_id>/again")
def again(order_id):
    """Put a past order's lines into this restaurant's cart and open the storefront with the
    cart shown; lines no longer sold are left out, and a notice names them.

    A GET that writes, on purpose: it is the link in the receipt e-mail and on the tracking
    page, and a mail client can only follow links. It changes nothing but the visitor's own
    cart cookie (no row is written, the order is only read), so a prefetch or a forged link
    can at worst fill the visitor's own cart, which they see and can empty; the order's id is
    the capability, as for its tracking page."""
    past = order_by_id(order_id)
    cart, left_out = order_again(load_cart(), past)
    try:
        save_cart(cart)
    except Invalid as error:
        flash(shown(error), "again")
        return redirect(url_for("storefront.menu") + "#cart", code=303)
    if left_out:
        flash(
            _(
                "No longer available, left out: %(names)s. "
                "The rest of order #%(number)s is in your cart.",
                names=", ".join(left_out),
                number=past.number,
            ),
            "again",
        )
    else:
        flash(_("Order #%(number)s is in your cart again.", number=past.number), "again")
    return redirect(url_for("storefront.menu") + "#cart", code=303)


@bp.post("/orders/<uuid:order_id>/pay")
@order_limit
def pay(order_id):
    """The order's page pays with the PaymentMethod Stripe.js made from the card field (the
    card itself went to Stripe, never here): JSON for the page's script (static/pay.js).
    ``succeeded``; ``requires_action`` with the client secret for Stripe.js's 3-D Secure step;
    402 with the bank's words on a decline. CSRF-protected (X-CSRFToken, as htmx sends it)."""
    attempt = pay_with_card(order_id, json_object().get("payment_method"))
    return {"payment_status": attempt.order.payment_status, **attempt.as_json()}


@bp.post("/orders/<uuid:order_id>/pay/refresh")
def refresh_pay(order_id):
    """After Stripe.js's 3-D Secure step: how the payment stands, asked of Stripe (never
    taken from the browser), with the decline's words when it failed."""
    order = refresh_payment(order_id)
    return {"payment_status": order.payment_status, "payment_error": order.payment_error}


@bp.get("/orders/<uuid:order_id>/status")
def order_status(order_id):
    return render_template("storefront/_order_status.html", order=placed_order(order_id))


@bp.get("/orders/<uuid:order_id>/receipt")
def receipt(order_id):
    """A printable receipt: what was bought, the tax, the tip and the total, in local time."""
    return render_template("storefront/receipt.html", order=placed_order(order_id), cart=bar_cart())


@bp.errorhandler(RateLimitExceeded)
def too_many_orders(error):
    """Over the order rate limit at checkout: the cart with the message (htmx swaps it in),
    429 and Retry-After; the cart and the typed name stay for the retry. A card payment's
    (the order page's script) gets JSON."""
    if request.endpoint == "storefront.pay":
        return {"error": error.description}, 429, {"Retry-After": str(retry_after_seconds())}
    page, status = render_cart(error.description, 429, checkout_form=CheckoutForm())
    return page, status, {"Retry-After": str(retry_after_seconds())}
