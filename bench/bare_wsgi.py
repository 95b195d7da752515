"""The bare limits: plain WSGI callables, one persistent psycopg connection per worker, the
fewest statements, the same JSON. No framework at all.

`app`: the menu, one statement on one schema whatever the Host.
`orders`: ``POST /api/v1/orders`` on our tenant schemas (Host → schema from public.tenants,
read once per worker): ONE SELECT of the items' prices and availability and ONE
``INSERT … RETURNING`` into the schema's orders, in one transaction.

Run: PLAIN_SCHEMA=tenant_b0 DATABASE_URL=… gunicorn bench.bare_wsgi:app   (or :orders)
"""

import json
import os
import uuid

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy.engine import make_url

URL = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
SCHEMA = os.environ.get("PLAIN_SCHEMA", "tenant_b0")
QUERY = (
    f"SELECT id::text, category_id::text, name, description, price, image_url, "
    f'is_available FROM "{SCHEMA}".menu_items ORDER BY name, id'
)
KEYS = ("id", "category_id", "name", "description", "price", "image_url", "is_available")
connection = None


def app(environ, start_response):
    global connection
    if connection is None:
        connection = psycopg.connect(URL.render_as_string(hide_password=False), autocommit=True)
    rows = connection.execute(QUERY).fetchall()
    body = json.dumps({"items": [dict(zip(KEYS, row, strict=True)) for row in rows]}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


ORDER_ITEMS = 'SELECT id, name, price, is_available FROM "{}".menu_items WHERE id = ANY(%s)'
# Every NOT NULL column without a server default; the database fills the rest.
ORDER_INSERT = (
    'INSERT INTO "{}".orders (customer_name, items, subtotal, total_amount) '
    "VALUES (%s, %s, %s, %s) RETURNING id::text, number, status, subtotal, tax, tax_inclusive, "
    "tip, total_amount, currency, note, created_at"
)
ORDER_KEYS = (
    "id",
    "number",
    "status",
    "subtotal",
    "tax",
    "tax_inclusive",
    "tip",
    "total_amount",
    "currency",
    "note",
    "created_at",
)
order_connection = None
schemas = None  # Host → tenant schema, read from public.tenants at the first request


class Refused(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def respond(start_response, status: str, document: dict):
    body = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def order_request(environ) -> tuple[str, str, list[tuple[uuid.UUID, int]]]:
    """(schema, customer name, [(item id, quantity)]) or `Refused`."""
    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/api/v1/orders":
        raise Refused("404 Not Found", "No such page.")
    schema = schemas.get(environ.get("HTTP_HOST", "").split(":")[0].lower())
    if schema is None:
        raise Refused("404 Not Found", "No such restaurant.")
    try:
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        name, lines = body["customer_name"], body["items"]
        if not isinstance(name, str) or not name.strip() or not isinstance(lines, list):
            raise ValueError
        parsed = [(uuid.UUID(line["menu_item_id"]), line["quantity"]) for line in lines]
        if not parsed or any(type(q) is not int or not 1 <= q <= 99 for _, q in parsed):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refused("400 Bad Request", "Malformed order.") from None
    return schema, name.strip(), parsed


def place(schema: str, name: str, lines: list[tuple[uuid.UUID, int]]) -> dict:
    with order_connection.transaction():
        rows = order_connection.execute(
            ORDER_ITEMS.format(schema), ([item for item, _ in lines],)
        ).fetchall()
        items = {row[0]: row for row in rows}
        if any(item not in items for item, _ in lines):
            raise Refused("409 Conflict", "An item is not on this restaurant's menu.")
        if not all(row[3] for row in rows):
            raise Refused("409 Conflict", "An item just sold out.")
        snapshot = [
            {
                "menu_item_id": str(item),
                "name": items[item][1],
                "unit_price": items[item][2],
                "options": [],
                "quantity": quantity,
                "line_total": items[item][2] * quantity,
                "note": None,
            }
            for item, quantity in lines
        ]
        subtotal = sum(line["line_total"] for line in snapshot)
        row = order_connection.execute(
            ORDER_INSERT.format(schema), (name, Jsonb(snapshot), subtotal, subtotal)
        ).fetchone()
    order = dict(zip(ORDER_KEYS, row, strict=True))
    order["created_at"] = order["created_at"].isoformat()
    return {**order, "customer_name": name, "items": snapshot}


def orders(environ, start_response):
    global order_connection, schemas
    if order_connection is None:
        order_connection = psycopg.connect(URL.render_as_string(hide_password=False))
        rows = order_connection.execute("SELECT domain, schema_name FROM public.tenants")
        schemas = dict(rows.fetchall())
        order_connection.commit()
    try:
        schema, name, lines = order_request(environ)
        return respond(start_response, "201 Created", place(schema, name, lines))
    except Refused as refused:
        return respond(start_response, refused.status, {"error": str(refused)})
