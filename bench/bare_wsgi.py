"""The bare limit: a plain WSGI callable, one persistent psycopg connection per worker, one
statement, the same JSON. No framework at all.

Run: PLAIN_SCHEMA=tenant_b0 DATABASE_URL=… gunicorn bench.bare_wsgi:app
"""

import json
import os

import psycopg
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
