"""The tenant JSON API (Host picks the restaurant): what scripts and benchmarks use."""

from flask import Blueprint, current_app, request
from werkzeug.http import is_resource_modified, parse_cookie

from omniorder.languages.choice import COOKIE, choose_language, offered
from omniorder.menu.catalog import menu_api_body
from omniorder.ordering.checkout import order_as_json, order_by_id, place_order
from omniorder.ordering.models import AWAITING_PAYMENT
from omniorder.ordering.order_input import clean_contact, clean_pickup_at, parse_lines
from omniorder.ordering.pickup import local_iso, pickup_offer, utc_now
from omniorder.ordering.pricing import parse_tip
from omniorder.payments.online import (
    open_payment_intent,
    pay_with_card,
    payment_for,
    refresh_payment,
)
from omniorder.payments.webhook import receive_event
from omniorder.platform.suspension import refuse_while_suspended
from omniorder.settings.document import current_settings
from omniorder.web.extensions import csrf
from omniorder.web.input import json_object
from omniorder.web.ratelimit import order_limit
from omniorder.web.shortcuts import ShortAnswer, ShortRequest

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie-authenticated state changes here


@bp.before_request
def closed_while_suspended():
    """503 for every customer call while an operator has the restaurant suspended; Stripe's
    webhook still lands (an order paid before the suspension must still become paid), and
    OPTIONS still names the methods (it reads nothing)."""
    if request.endpoint != "api.stripe_webhook" and request.method != "OPTIONS":
        refuse_while_suspended()


@bp.get("/menu")
def menu():
    """Every item with its allergens and option groups, and the currency: one statement, none
    when this worker holds it already; ``304`` for a client that has this version. A menu
    the worker holds rarely gets here: `held_menu` answers it before Flask."""
    body, etag = menu_api_body()
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True  # keep it, but ask again before using it
    response.vary.update(("Accept-Language", "Cookie"))  # its language was chosen by them
    return response.make_conditional(request)


# As the view's answer has them (Vary: its words follow the request's language, chosen from
# Accept-Language and the lang cookie; the request hooks look at the session).
MENU_HEADERS = [("Cache-Control", "no-cache"), ("Vary", "Accept-Language, Cookie")]


def held_menu(request: ShortRequest) -> ShortAnswer | None:
    """A menu this worker holds (`menu_api_body` filled it, the change feed keeps it fresh),
    answered before Flask with the view's own bytes, ETag and headers, in the language Flask
    would choose (the restaurant's languages from the settings the worker holds); None when
    either is not held (or the feed is not listening), so Flask answers it. A ``?lang`` that
    Flask would remember in its cookie is Flask's to answer too."""
    feed = request.feed
    if feed is None or not feed.healthy or request.tenant is None or request.tenant.suspended:
        return None  # Flask answers (a suspended restaurant's 503 included)
    schema = request.tenant.schema_name
    settings = feed.held(schema, "menu", "settings")
    if settings is None:
        return None
    languages = settings["languages"]
    cookie = parse_cookie(request.environ).get(COOKIE)
    asked = offered(request.arg("lang"), languages)
    if asked and asked != cookie:
        return None  # Flask sets the cookie
    language = choose_language(
        languages, request.arg("lang"), cookie, request.environ.get("HTTP_ACCEPT_LANGUAGE")
    )
    held = feed.held(schema, "menu", f"api:{language}")
    if held is None:
        return None
    body, etag = held
    headers = [("ETag", f'"{etag}"'), *MENU_HEADERS]
    if not is_resource_modified(request.environ, etag=etag):
        return "304 NOT MODIFIED", headers, []
    return (
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers],
        [body],
    )


@bp.post("/orders")
@order_limit
def create_order():
    """Place an order. The customer's e-mail (for the receipt and status mails) and phone
    (for the restaurant) are stored but never answered back: anyone holding an order's id
    may GET it, so the Order JSON carries no contact details (omniorder/blueprints/openapi.yaml)."""
    body = json_object()
    placed = place_order(
        body.get("customer_name"),
        parse_lines(body.get("items")),
        idempotency_key=request.headers.get("Idempotency-Key"),
        note=body.get("note"),
        tip=parse_tip(body.get("tip")),
        pickup_at=clean_pickup_at(body.get("pickup_at")),
        contact=clean_contact(body.get("email"), body.get("phone")),
        payment=body.get("payment"),
        open_payment=open_payment_intent,
    )
    answer = order_as_json(placed.order)
    if placed.order.payment_status == AWAITING_PAYMENT:
        answer["payment"] = payment_for(placed).as_json()
    return answer, 201 if placed.created else 200


@bp.post("/orders/<uuid:order_id>/payment")
@order_limit
def pay_order(order_id):
    """Pay an order awaiting its online payment with a PaymentMethod from Stripe.js (the browser
    sends the card to Stripe, never here): 200 with the order and the PaymentIntent's status,
    ``requires_action`` with its client secret when the bank asks for 3-D Secure; 402 with the
    bank's words when the card is declined."""
    attempt = pay_with_card(order_id, json_object().get("payment_method"))
    return {**order_as_json(attempt.order), "payment": attempt.as_json()}


@bp.post("/orders/<uuid:order_id>/payment/refresh")
def refresh_order_payment(order_id):
    """Ask Stripe how the order's payment stands (the customer is back from paying)."""
    return order_as_json(refresh_payment(order_id))


@bp.post("/payments/stripe/webhook")
def stripe_webhook():
    """The restaurant's Stripe account reports a payment (payments/webhook.py)."""
    outcome = receive_event(request.get_data(), request.headers.get("Stripe-Signature"))
    return {"received": outcome}


@bp.get("/orders/<uuid:order_id>")
def get_order(order_id):
    return order_as_json(order_by_id(order_id))


@bp.get("/pickup-slots")
def pickup_slots():
    """The pickup times a customer may choose now (up to a week ahead), and whether "as soon
    as possible" is taken: the settings, plus one query only when slots are capped."""
    settings = current_settings()
    offer = pickup_offer(settings, utc_now())
    return {
        "slots": [local_iso(settings, start) for start in offer.slots],
        "asap_available": offer.asap_available,
        "notice": offer.notice,
    }
