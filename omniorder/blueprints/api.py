"""The tenant JSON API (Host picks the restaurant): what scripts and benchmarks use."""

from flask import Blueprint

from omniorder.extensions import csrf
from omniorder.services.menu import menu_items

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookie-authenticated state changes here


@bp.get("/menu")
def menu():
    return {"items": [
        {"id": str(item.id), "category_id": str(item.category_id) if item.category_id else None,
         "name": item.name, "description": item.description, "price": item.price,
         "image_url": item.image_url, "is_available": item.is_available}
        for item in menu_items()
    ]}
