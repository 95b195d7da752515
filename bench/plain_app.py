"""The plain baseline: the same query and JSON through Flask + Flask-SQLAlchemy with no
tenancy at all (one fixed schema): what our stack costs without routing.

Run: PLAIN_SCHEMA=tenant_b0 DATABASE_URL=… gunicorn bench.plain_app:app
"""

import os

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from omniorder.menu.catalog import MENU_STATEMENT

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 5, "max_overflow": 5}
app.json.sort_keys = False
plain_db = SQLAlchemy(app)
schema_engine = None


@app.get("/api/v1/menu")
def menu():
    global schema_engine
    if schema_engine is None:  # the schema is fixed: translated once, like a plain app's
        schema_engine = plain_db.engine.execution_options(
            schema_translate_map={"tenant": os.environ.get("PLAIN_SCHEMA", "tenant_b0")}
        )
    with schema_engine.connect() as connection:
        rows = connection.execute(MENU_STATEMENT).mappings().all()
    return {
        "items": [
            {
                "id": str(row["id"]),
                "category_id": str(row["category_id"]) if row["category_id"] else None,
                "name": row["name"],
                "description": row["description"],
                "price": row["price"],
                "image_url": row["image_url"],
                "is_available": row["is_available"],
            }
            for row in rows
        ]
    }
