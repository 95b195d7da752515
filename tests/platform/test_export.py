"""`flask tenants export`: everything of one tenant, nothing of another, no password hashes."""

import datetime as dt
import json
import zipfile

from tests.support.orders import insert_orders
from tests.support.storefront import menu


def test_export_contains_the_tenant_and_only_the_tenant(app, client, make_tenant, tmp_path):
    mine, other = make_tenant(name="Mine"), make_tenant(name="Other")
    item = menu(app, mine)["Fries"]
    for name in ("Ann", "Bob"):
        assert (
            client.post(
                "/api/v1/orders",
                headers={"Host": mine.domain},
                json={
                    "customer_name": name,
                    "items": [{"menu_item_id": str(item.id), "quantity": 1}],
                },
            ).status_code
            == 201
        )
    client.post(
        "/api/v1/orders",
        headers={"Host": other.domain},
        json={
            "customer_name": "Zed",
            "items": [{"menu_item_id": str(menu(app, other)["Fries"].id), "quantity": 1}],
        },
    )
    out = tmp_path / "mine.zip"
    result = app.test_cli_runner().invoke(
        args=["tenants", "export", mine.domain.upper(), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "2 orders" in result.output
    with zipfile.ZipFile(out) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        tables = {
            name: json.loads(archive.read(f"{name}.json"))
            for name in ("users", "categories", "menu_items", "orders")
        }
    assert manifest["counts"] == {
        "users": 1,
        "categories": 3,
        "menu_items": 10,
        "orders": 2,
        "archived_orders": 0,
        "media": 0,
    }
    assert manifest["tenant"]["schema_name"] == mine.schema_name
    assert [o["customer_name"] for o in tables["orders"]] == ["Ann", "Bob"]
    assert tables["orders"][0]["items"][0]["name"] == "Fries"
    assert tables["users"] == [
        {
            "id": tables["users"][0]["id"],
            "email": mine.admin_email,
            "full_name": "Administrator",
            "role": "admin",
        }
    ]
    assert b"hashed_password" not in everything and b"$2b$" not in everything
    assert "Zed" not in json.dumps(tables)


def test_export_of_an_unknown_tenant_is_one_line_and_exit_1(runner, tmp_path):
    result = runner.invoke(
        args=["tenants", "export", "ghost.localhost", "--out", str(tmp_path / "x.zip")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no tenant with domain ghost.localhost"


def test_export_includes_archived_orders(database_url, make_tenant, db_connection, tmp_path):
    from tests.support.app import make_app

    app = make_app(database_url, OMNIORDER_ARCHIVE_URI=str(tmp_path / "archive"))
    tenant = make_tenant()
    [archived] = insert_orders(
        db_connection,
        tenant,
        ["Ancient"],
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31 * 14),
    )
    db_connection.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["orders", "archive"]).exit_code == 0
    out = tmp_path / "t.zip"
    assert (
        runner.invoke(args=["tenants", "export", tenant.domain, "--out", str(out)]).exit_code == 0
    )
    with zipfile.ZipFile(out) as archive:
        rows = json.loads(archive.read("archived_orders.json"))
        assert json.loads(archive.read("manifest.json"))["counts"]["archived_orders"] == 1
    assert [(r["id"], r["customer_name"]) for r in rows] == [(archived, "Ancient")]
    assert rows[0]["items"][0]["name"] == "Pie"
