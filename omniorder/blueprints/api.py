"""The tenant JSON API (Host picks the restaurant): what scripts and benchmarks use."""

from flask import Blueprint, request

from omniorder.blueprints.error_pages import json_object
from omniorder.extensions import csrf
from omniorder.ratelimit import order_limit
from omniorder.services.menu import read_menu
from omniorder.services.order_input import clean_contact, clean_pickup_at, parse_lines
from omniorder.services.ordering import order_as_json, order_by_id, place_order
from omniorder.services.pickup import local_iso, pickup_offer, utc_now
from omniorder.services.pricing import parse_tip
from omniorder.services.settings import current_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie-authenticated state changes here


@bp.get("/menu")
def menu():
    """Every item with its allergens and option groups, and the currency: one statement."""
    menu = read_menu()
    return {
        "currency": menu.currency,
        "items": [
            {
                "id": str(item.id),
                "category_id": str(item.category_id) if item.category_id else None,
                "name": item.name,
                "description": item.description,
                "price": item.price,
                "image_url": item.image_url,
                "is_available": item.is_available,
                "allergens": list(item.allergens),
                "option_groups": item.option_groups,
            }
            for item in menu.items
        ],
    }


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
