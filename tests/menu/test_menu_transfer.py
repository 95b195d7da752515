"""Menu import and export from the back office: download the JSON document and the items' CSV,
upload one, see what would change (nothing written), apply exactly that, or hear that the menu
changed since the preview."""

import io
import json
import re

import pytest

from omniorder.menu.transfer import preview
from tests.support.staff import signed_in

MENU = {
    "categories": [
        {
            "name": "Pizzas",
            "station": "Oven",
            "items": [
                {
                    "name": "Margherita",
                    "description": "Tomato, mozzarella.",
                    "price": 1100,
                    "is_available": True,
                    "image_url": None,
                    "allergens": ["gluten", "milk"],
                    "option_groups": [
                        {
                            "name": "Size",
                            "min": 1,
                            "max": 1,
                            "options": [
                                {"name": "Regular", "price_delta": 0, "is_available": True},
                                {"name": "Large", "price_delta": 300, "is_available": True},
                            ],
                        }
                    ],
                },
                {
                    "name": "Marinara",
                    "description": None,
                    "price": 900,
                    "is_available": False,
                    "image_url": None,
                    "allergens": ["gluten"],
                    "option_groups": [],
                },
            ],
        },
        {
            "name": "Drinks",
            "items": [
                {
                    "name": '=HYPERLINK("http://evil.example")',
                    "description": "-1+1 @once",
                    "price": 250,
                    "is_available": True,
                    "image_url": None,
                    "allergens": [],
                    "option_groups": [],
                }
            ],
        },
    ]
}

pytestmark = pytest.mark.tenant(name="Transfer Pizzeria", menu=MENU)


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def exported(manager) -> dict:
    response = manager.get("/admin/menu/transfer/menu.json")
    assert response.status_code == 200
    return json.loads(response.data)


def upload(manager, data: bytes | str, name="menu.json", **fields):
    body = data.encode() if isinstance(data, str) else data
    return manager.post(
        "/admin/menu/transfer/preview",
        {"file": (io.BytesIO(body), name), **fields},
        content_type="multipart/form-data",
    )


def sealed(page) -> str:
    return re.search(r'name="preview" value="([^"]+)"', page.text).group(1)


def apply(manager, token):
    return manager.post("/admin/menu/transfer/apply", {"preview": token})


def changed_menu() -> dict:
    menu = json.loads(json.dumps(MENU))
    pizzas = menu["categories"][0]
    pizzas["items"][0]["price"] = 1250
    pizzas["items"][0]["allergens"] = ["gluten"]
    del pizzas["items"][1]  # Marinara removed
    menu["categories"][1]["items"].append({"name": "Lemonade", "price": 300})
    menu["categories"].append({"name": "Desserts", "items": []})
    return menu


def test_the_items_page_links_to_import_and_export(manager):
    page = manager.get("/admin/menu")
    assert 'href="/admin/menu/transfer"' in page.text
    assert manager.get("/admin/menu/transfer").status_code == 200


def test_kitchen_staff_may_not_export_or_import(app, tenant):
    cook = signed_in(app, tenant, "kitchen")
    assert cook.get("/admin/menu/transfer/menu.json").status_code == 403
    assert cook.post("/admin/menu/transfer/apply", {"preview": "x"}).status_code == 403


def test_json_export_is_the_menu_document(manager, runner, tenant):
    result = runner.invoke(args=["menu", "export", tenant.domain])
    response = manager.get("/admin/menu/transfer/menu.json")
    assert "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.data) == json.loads(result.output)


def test_csv_export_lists_items_with_prices_as_typed_and_escapes_formulas(manager):
    response = manager.get("/admin/menu/transfer/items.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "category,name,description,price,available,allergens"
    assert 'Pizzas,Margherita,"Tomato, mozzarella.",11.00,yes,"gluten, milk"' in lines
    assert "Pizzas,Marinara,,9.00,no,gluten" in lines
    # a spreadsheet must not run a cell as a formula
    assert 'Drinks,"\'=HYPERLINK(""http://evil.example"")",\'-1+1 @once,2.50,yes,' in lines


def test_csv_round_trip_previews_no_change(manager):
    csv_text = manager.get("/admin/menu/transfer/items.csv").data
    page = upload(manager, csv_text, "items.csv")
    assert page.status_code == 200, page.text
    assert "importing it changes nothing" in page.text
    assert 'name="preview"' not in page.text


def test_json_round_trip_previews_no_change(manager):
    page = upload(manager, json.dumps(exported(manager)))
    assert page.status_code == 200
    assert "importing it changes nothing" in page.text


def test_preview_lists_the_changes_and_writes_nothing(manager):
    before = exported(manager)
    page = upload(manager, json.dumps(changed_menu()))
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", page.text)
    assert "Categories: 1 added, 0 changed, 0 removed" in text
    assert "Items: 1 added, 1 changed, 1 removed" in text
    assert "Added: Desserts" in text
    assert re.search(r"Margherita.*price</td> <td>\$11\.00</td> <td>\$12\.50</td>", text)
    assert "<td>gluten, milk</td> <td>gluten</td>" in text
    assert re.search(r"Items removed.*Marinara", text)
    assert re.search(r"Items added.*Lemonade", text)
    assert exported(manager) == before


def test_apply_writes_exactly_the_previewed_menu(manager):
    page = upload(manager, json.dumps(changed_menu()))
    response = apply(manager, sealed(page))
    assert response.status_code == 303
    assert "imported=1" in response.headers["Location"]
    after = exported(manager)
    pizzas, drinks, desserts = after["categories"]
    assert [i["name"] for i in pizzas["items"]] == ["Margherita"]
    assert pizzas["items"][0]["price"] == 1250
    assert pizzas["items"][0]["option_groups"] == ["Size"]
    assert [group["name"] for group in after["option_groups"]] == ["Size"]
    assert [i["name"] for i in drinks["items"]][-1] == "Lemonade"
    assert desserts == {"name": "Desserts", "items": []}
    # and a preview of the same file now shows nothing left to change
    assert "changes nothing" in upload(manager, json.dumps(changed_menu())).text


def test_a_menu_changed_since_the_preview_is_refused_with_409(manager):
    page = upload(manager, json.dumps(changed_menu()))
    assert manager.post("/admin/categories", {"name": "Salads"}).status_code == 303
    before = exported(manager)
    response = apply(manager, sealed(page))
    assert response.status_code == 409
    assert "The menu changed since the preview" in response.text
    assert exported(manager) == before


def test_a_preview_of_another_restaurant_or_tampered_does_not_apply(app, manager, make_tenant):
    other = signed_in(app, make_tenant(name="Other", menu=MENU), "manager")
    token = sealed(upload(other, json.dumps(changed_menu())))
    before = exported(manager)
    for forged in (token, token[:-2] + "xx", "", "not a token"):
        response = apply(manager, forged)
        assert response.status_code == 400, forged
        assert "upload the file again" in response.text or "not a preview" in response.text
    assert exported(manager) == before


def test_csv_updates_listed_items_adds_new_ones_and_keeps_the_rest(manager):
    csv_text = (
        "category,name,description,price,available,allergens\r\n"
        "pizzas,margherita,Tomato.,12.00,no,gluten\r\n"
        "Salads,Green salad,,7.50,yes,\r\n"
    )
    page = upload(manager, csv_text, "items.csv")
    text = re.sub(r"\s+", " ", page.text)
    assert "Items: 1 added, 1 changed, 0 removed" in text
    assert apply(manager, sealed(page)).status_code == 303
    after = exported(manager)
    margherita = next(i for i in after["categories"][0]["items"] if i["name"] == "margherita")
    assert margherita["price"] == 1200 and margherita["is_available"] is False
    assert margherita["option_groups"] == ["Size"]  # options kept
    # in the board's order: the new item after the ones there before
    assert [i["name"] for i in after["categories"][0]["items"]] == ["margherita", "Marinara"]
    assert after["categories"][-1]["name"] == "Salads"


def test_csv_with_replace_removes_the_items_it_does_not_list(manager):
    csv_text = (
        "category,name,description,price,available,allergens\nPizzas,Marinara,,9.00,no,gluten\n"
    )
    page = upload(manager, csv_text, "items.csv", replace="yes")
    text = re.sub(r"\s+", " ", page.text)
    assert "Items: 0 added, 0 changed, 2 removed" in text
    apply(manager, sealed(page))
    after = exported(manager)
    assert [c["name"] for c in after["categories"]] == ["Pizzas", "Drinks"]
    assert [i["name"] for c in after["categories"] for i in c["items"]] == ["Marinara"]


@pytest.mark.parametrize(
    ("body", "name", "message"),
    [
        (b"", "menu.json", "is empty"),
        (b"{broken", "menu.json", "is not JSON"),
        (b'{"categories": 3}', "menu.json", "categories: must be a list"),
        (
            b'{"categories": [{"name": "A", "items": [{"name": "B", "price": -1}]}]}',
            "m.json",
            "must be an amount in minor units",
        ),
        (b"name,price\nA,1\n", "items.csv", "first line names the columns"),
        (
            b"category,name,description,price,available,allergens\nA,B,,ten,yes,\n",
            "i.csv",
            "line 2, price: must be an amount",
        ),
        (
            b"category,name,description,price,available,allergens\nA,B,,1,maybe,fish\n",
            "i.csv",
            "line 2, available: must be yes or no",
        ),
        (
            b"category,name,description,price,available,allergens\nA,B,,1\n",
            "i.csv",
            "line 2: has 4 cells",
        ),
        (
            b"category,name,description,price,available,allergens\nA,B,,1,,\nA,b,,2,,\n",
            "i.csv",
            "repeats the item of line 2",
        ),
        (
            b'category,name,description,price,available,allergens\nA,"B\n',
            "i.csv",
            "not a readable CSV",
        ),
        (
            "category,name,description,price,available,allergens\nA,Caf\xe9,,1,,\n".encode(
                "latin-1"
            ),
            "i.csv",
            "must be UTF-8",
        ),
        (b"category,name\x00", "i.csv", "NUL"),
        (b" " * (2 * 1024 * 1024 + 1), "big.json", "larger than 2 MB"),
        (b"[" * 100_000, "deep.json", "is not JSON"),
        (b"[]", "list.json", "must be an object"),
        (b'{"categories": [{"name": "\\ud800"}]}', "surrogate.json", "it holds U+D800"),
    ],
)
def test_hostile_files_are_refused_with_a_readable_400(manager, body, name, message):
    before = exported(manager)
    response = upload(manager, body, name)
    assert response.status_code == 400, response.text
    assert message in response.text.replace("&#39;", "'")
    assert "Nothing was changed" in response.text
    assert exported(manager) == before


def test_a_post_without_a_file_is_a_400(manager):
    response = manager.post("/admin/menu/transfer/preview", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "choose a menu file" in response.text


def test_preview_compares_any_fields_of_the_document():
    """Pure: categories by name, items by category and name, any field, extra top-level keys."""
    current = {"categories": [{"name": "A", "items": [{"name": "X", "price": 1, "new": [1]}]}]}
    incoming = {
        "categories": [{"name": "a", "station": "Bar", "items": [{"name": "x", "price": 1}]}],
        "items": [{"name": "Loose", "price": 2}],
        "option_groups": [{"name": "Extras"}],
    }
    result = preview(current, incoming)
    assert [c.field for c in result.categories_changed[0][1]] == ["name", "station"]
    assert [(c.field, c.old, c.new) for c in result.items_changed[0].changes] == [
        ("name", "X", "x"),
        ("new", [1], None),
    ]
    assert [(r.category, r.name) for r in result.items_added] == [(None, "Loose")]
    assert result.other_changes == ["option_groups"]
    assert preview(incoming, incoming).empty
