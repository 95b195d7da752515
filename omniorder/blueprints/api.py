"""The tenant JSON API (Host picks the restaurant): what scripts and benchmarks use."""

from flask import Blueprint, current_app, request

from omniorder.blueprints.error_pages import json_object
from omniorder.extensions import csrf
from omniorder.ratelimit import order_limit
from omniorder.services.menu import menu_api_body
from omniorder.services.order_input import clean_contact, clean_pickup_at, parse_lines
from omniorder.services.ordering import order_as_json, order_by_id, place_order
from omniorder.services.pickup import local_iso, pickup_offer, utc_now
from omniorder.services.pricing import parse_tip
from omniorder.services.settings import current_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie-authenticated state changes here


@bp.get("/menu")
def menu():
    """Every item with its allergens and option groups, and the currency: one statement, none
    when this worker holds it already; ``304`` for a client that has this version."""
    body, etag = menu_api_body()
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True  # keep it, but ask again before using it
    return response.make_conditional(request)


@bp.post("/orders")
@order_limit
def create_order():
    """Place an order. The customer's e-mail (for the receipt and status mails) and phone
    (for the restaurant) are stored but never answered back: anyone holding an order's id
    may GET it, so the Order JSON carries no contact details (omniorder/openapi.py)."""
    body = json_object()
    placed = place_order(
        body.get("customer_name"),
        parse_lines(body.get("items")),
        idempotency_key=request.headers.get("Idempotency-Key"),
        note=body.get("note"),
        tip=parse_tip(body.get("tip")),
        pickup_at=clean_pickup_at(body.get("pickup_at")),
        contact=clean_contact(body.get("email"), body.get("phone")),
    )
    return order_as_json(placed.order), 201 if placed.created else 200


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
