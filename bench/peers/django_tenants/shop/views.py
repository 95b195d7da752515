"""The peer's checkout: `POST /api/v1/orders` with ``{"customer_name": …, "items":
[{"menu_item_id": …, "quantity": …}, …]}``: the items in one query, unknown or unavailable
ones refused (409), priced from the menu, the order inserted, all in one transaction; 201
with id, number and total."""

import json
import uuid

from django.db import transaction
from django.http import JsonResponse

from bench.peers.django_tenants.shop.models import MenuItem, Order

MAX_LINES = 50
MAX_QUANTITY = 99


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


def parse_order(raw: bytes) -> tuple[str, list[tuple[uuid.UUID, int]]]:
    """The customer's name and (item id, quantity) lines; ValueError for anything else."""
    body = json.loads(raw)
    name, lines = body.get("customer_name"), body.get("items")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValueError("customer_name: a name of 1-200 characters")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise ValueError(f"items: 1-{MAX_LINES} lines")
    parsed = []
    for line in lines:
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            raise ValueError(f"quantity: 1-{MAX_QUANTITY}")
        parsed.append((uuid.UUID(str(line.get("menu_item_id"))), quantity))
    return name.strip(), parsed


def checkout(request):
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    try:
        name, lines = parse_order(request.body)
    except (ValueError, AttributeError) as error:  # JSONDecodeError is a ValueError
        return bad_request(str(error))
    with transaction.atomic():
        items = {item.id: item for item in MenuItem.objects.filter(id__in={i for i, _ in lines})}
        unknown = [str(i) for i, _ in lines if i not in items]
        if unknown:
            return JsonResponse({"error": f"Menu item {unknown[0]} is not on the menu"}, status=409)
        sold_out = sorted({item.name for item in items.values() if not item.is_available})
        if sold_out:
            return JsonResponse({"error": f"Sorry, {', '.join(sold_out)} sold out"}, status=409)
        snapshot = [
            {
                "menu_item_id": str(item_id),
                "name": items[item_id].name,
                "unit_price": items[item_id].price,
                "quantity": quantity,
                "line_total": items[item_id].price * quantity,
            }
            for item_id, quantity in lines
        ]
        subtotal = sum(line["line_total"] for line in snapshot)
        order = Order.objects.create(
            customer_name=name, items=snapshot, subtotal=subtotal, total=subtotal
        )
    return JsonResponse(
        {"id": str(order.id), "number": order.number, "total": order.total}, status=201
    )
