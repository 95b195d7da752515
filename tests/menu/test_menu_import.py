"""A whole menu as one JSON document: `flask menu export|import`, GET/PUT
/api/v1/sys/tenants/<domain>/menu and provisioning with a menu. Import replaces the menu in
one transaction or changes nothing, naming every problem by its path."""

import json

import pytest
from sqlalchemy import text

from omniorder.core.errors import Invalid
from omniorder.core.unit_of_work import unit_of_work
from omniorder.menu.document import validate_menu_document
from omniorder.platform.demo import DEMO_TENANTS
from omniorder.platform.tenants import STARTER_MENU, drop_tenant, provision_tenant
from tests.support.app import SYS_TOKEN
from tests.support.orders import insert_orders

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
SIZE = {
    "name": "Size",
    "min": 1,
    "max": 1,
    "options": [
        {"name": "Regular", "price_delta": 0, "is_available": True},
        {"name": "Large", "price_delta": 300, "is_available": True},
    ],
}
EXTRAS = {
    "name": "Extras",
    "min": 0,
    "max": 3,
    "options": [
        {"name": "Extra basil", "price_delta": 50, "is_available": True},
        {"name": "Extra cheese", "price_delta": 100, "is_available": False},
        {"name": "No garlic", "price_delta": 0, "is_available": True},
    ],
}
# The earlier shape: each item with its option groups inline (still imported).
INLINE_PIZZERIA = {
    "categories": [
        {
            "name": "Pizzas",
            "items": [
                {
                    "name": "Margherita",
                    "description": "Tomato, mozzarella, basil.",
                    "price": 1100,
                    "is_available": True,
                    "image_url": "https://img.example/margherita.jpg",
                    "allergens": ["gluten", "milk"],
                    "option_groups": [SIZE, EXTRAS],
                },
                {
                    "name": "Marinara",
                    "description": None,
                    "price": 900,
                    "is_available": False,
                    "image_url": None,
                    "allergens": ["gluten"],
                    "option_groups": [EXTRAS],
                },
            ],
        },
        {"name": "Drinks", "items": []},
        {
            "name": "Desserts",
            "items": [
                {
                    "name": "Tiramisu",
                    "description": "Of the house.",
                    "price": 600,
                    "is_available": True,
                    "image_url": None,
                    "allergens": ["eggs", "milk"],
                    "option_groups": [],
                }
            ],
        },
    ],
    "items": [
        {
            "name": "Daily special",
            "description": "Ask the staff.",
            "price": 0,
            "is_available": True,
            "image_url": None,
            "allergens": [],
            "option_groups": [],
        }
    ],
}


def _named(item: dict) -> dict:
    return {**item, "option_groups": [group["name"] for group in item["option_groups"]]}


# As export writes it: every field, items and groups by name, categories, an item's groups and
# options in menu order; Extras is one group of the menu, on both pizzas.
PIZZERIA = {
    "option_groups": [EXTRAS, SIZE],
    "categories": [
        {**category, "items": [_named(item) for item in category["items"]]}
        for category in INLINE_PIZZERIA["categories"]
    ],
    "items": [_named(item) for item in INLINE_PIZZERIA["items"]],
}


def export(runner, domain) -> dict:
    result = runner.invoke(args=["menu", "export", domain])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def import_file(runner, tmp_path, domain, document, *options):
    path = tmp_path / "menu.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return runner.invoke(args=["menu", "import", domain, str(path), *options])


def api_items(client, domain) -> list[dict]:
    return client.get("/api/v1/menu", headers={"Host": domain}).json["items"]


def put_menu(client, domain, document, query=""):
    return client.put(f"/api/v1/sys/tenants/{domain}/menu{query}", json=document, headers=AUTH)


PIZZERIA_COUNTS = {"categories": 3, "items": 4, "option_groups": 2, "options": 5}
ITEM = {"name": "Bread", "price": 300}


def test_a_new_restaurant_exports_the_starter_menu(runner, tenant):
    assert export(runner, tenant.domain) == STARTER_MENU


def test_import_replaces_the_menu_and_export_gives_the_same_document(
    runner, client, tenant, tmp_path, db_connection
):
    insert_orders(db_connection, tenant, ["Ann"], item="Fries", unit_price=450)
    db_connection.commit()

    result = import_file(runner, tmp_path, tenant.domain, PIZZERIA)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"imported the menu of {tenant.domain}: 3 categories, 4 items, 2 option groups, 5 options"
    )
    assert export(runner, tenant.domain) == PIZZERIA
    items = api_items(client, tenant.domain)
    assert [item["name"] for item in items] == [  # by category, uncategorised last
        "Margherita",
        "Marinara",
        "Tiramisu",
        "Daily special",
    ]
    margherita = items[0]
    assert [g["name"] for g in margherita["option_groups"]] == ["Size", "Extras"]
    assert [o["name"] for o in margherita["option_groups"][1]["options"]] == [
        "Extra basil",
        "Extra cheese",
        "No garlic",
    ]
    # Past orders are snapshots: untouched.
    lines = db_connection.scalar(text(f'SELECT items FROM "{tenant.schema_name}".orders'))
    assert lines[0]["name"] == "Fries" and lines[0]["unit_price"] == 450

    # Export → import → export is a round trip, also from a file export wrote itself.
    out = tmp_path / "exported.json"
    assert runner.invoke(args=["menu", "export", tenant.domain, "--out", str(out)]).exit_code == 0
    again = runner.invoke(args=["menu", "import", tenant.domain, str(out)])
    assert again.exit_code == 0, again.output
    assert export(runner, tenant.domain) == PIZZERIA


def test_a_short_document_gets_the_defaults_and_then_round_trips(runner, tenant, tmp_path):
    short = {
        "categories": [
            {
                "name": "Soups",
                "items": [
                    {
                        "name": "Miso",
                        "price": 400,
                        "allergens": ["soya", "gluten", "soya"],
                        "option_groups": [{"name": "Tofu", "options": [{"name": "Extra tofu"}]}],
                    }
                ],
            },
            {"name": "Later"},
        ]
    }
    assert import_file(runner, tmp_path, tenant.domain, short).exit_code == 0
    exported = export(runner, tenant.domain)
    assert exported == {
        "option_groups": [
            {
                "name": "Tofu",
                "min": 0,
                "max": 1,
                "options": [{"name": "Extra tofu", "price_delta": 0, "is_available": True}],
            }
        ],
        "categories": [
            {
                "name": "Soups",
                "items": [
                    {
                        "name": "Miso",
                        "description": None,
                        "price": 400,
                        "is_available": True,
                        "image_url": None,
                        "allergens": ["gluten", "soya"],
                        "option_groups": ["Tofu"],
                    }
                ],
            },
            {"name": "Later", "items": []},
        ],
    }
    assert import_file(runner, tmp_path, tenant.domain, exported).exit_code == 0
    assert export(runner, tenant.domain) == exported


def broken_pizzeria() -> dict:
    document = json.loads(json.dumps(INLINE_PIZZERIA))  # no shared groups, unlike a deepcopy
    pizzas = document["categories"][0]["items"]
    pizzas[0]["option_groups"][0]["max"] = 0
    pizzas[0]["option_groups"][0]["min"] = 2
    pizzas[0]["option_groups"][1]["options"][2]["name"] = "extra BASIL"
    pizzas[0]["allergens"] = ["gluten", "shellfish"]
    pizzas[1]["price"] = "9.00"
    pizzas[1]["option_groups"][0]["max"] = 1
    pizzas[1]["option_groups"][0]["min"] = 2
    regular = {"name": "Regular", "price_delta": -50}
    calzone_size = {"name": "Size", "min": 1, "max": 1, "options": [regular]}
    pizzas.append({"name": "Calzone", "price": 1200, "option_groups": [calzone_size]})
    document["categories"][1]["colour"] = "red"
    document["categories"][2]["items"][0]["image_url"] = "javascript:alert(1)"
    document["items"][0]["is_available"] = "yes"
    return document


MARGHERITA, MARINARA, CALZONE = (f"categories[0].items[{i}]" for i in range(3))
BROKEN = {
    f"{MARGHERITA}.option_groups[0].max": "must be a whole number from 1 to 50",
    f"{MARGHERITA}.option_groups[1].options[2].name": "another option here is called extra BASIL",
    f"{MARGHERITA}.allergens": "'shellfish' is not one of the 14 EU allergens",
    f"{MARINARA}.price": "must be an amount in minor units (an integer) from 0 to 1000000",
    f"{MARINARA}.option_groups[0].max": "must be ≥ min",
    f"{CALZONE}.option_groups[0].options[0].price_delta": "must be an amount in minor units",
    "categories[1].colour": "is not a menu field",
    "categories[2].items[0].image_url": "must be an http:// or https:// address",
    "items[0].is_available": "must be true or false",
}


def test_an_invalid_document_changes_nothing_and_names_every_problem(
    runner, client, tenant, tmp_path
):
    before = export(runner, tenant.domain)
    result = import_file(runner, tmp_path, tenant.domain, broken_pizzeria())
    assert result.exit_code == 2 and "Traceback" not in result.output
    for path, message in BROKEN.items():
        assert f"{path}: {message}" in result.output, path
    assert export(runner, tenant.domain) == before

    answer = put_menu(client, tenant.domain, broken_pizzeria())
    assert answer.status_code == 400
    fields = answer.json["fields"]
    assert set(fields) == set(BROKEN)
    for path, message in BROKEN.items():
        assert fields[path].startswith(message), (path, fields[path])
    assert export(runner, tenant.domain) == before


@pytest.mark.parametrize(
    "document, problem",
    [
        ([], "menu: must be an object"),
        ({}, "categories: is required"),
        ({"categories": {}}, "categories: must be a list"),
        ({"categories": [], "extra": 1}, "extra: is not a menu field"),
        ({"categories": ["Pizzas"]}, "categories[0]: must be an object"),
        ({"categories": [{"name": 7}]}, "categories[0].name: must be text"),
        ({"categories": [{"name": "x" * 101}]}, "categories[0].name: must be at most 100"),
        (
            {"categories": [{"name": "\ud800"}]},
            "categories[0].name: must be one line of text without control",
        ),
        ({"categories": [{"name": "A", "items": [{"name": "B"}]}]}, "items[0].price: must be"),
        ({"items": [{"name": "B", "price": True}], "categories": []}, "items[0].price: must be"),
        ({"items": [{"name": "B", "price": 10**30}], "categories": []}, "items[0].price: must be"),
        ({"items": [{"name": "B", "price": 1.5}], "categories": []}, "items[0].price: must be"),
        ({"categories": [{"name": "A"}] * 101}, "categories: must have at most 100 entries"),
        ({"categories": [{"name": "A", "station": 7}]}, "categories[0].station: must be text"),
        ({"categories": [{"name": "A", "station": "G" * 41}]}, "station: must be at most 40"),
        ({"categories": [{"name": "A", "station": "Gr\x00ill"}]}, "station: must be one line"),
        ({"categories": [{"name": "A", "station": "Gr\nill"}]}, "station: must be one line"),
        # null is no list: before, {"categories": null} emptied the whole menu (issue 24)
        ({"categories": None}, "categories: must be a list"),
        ({"categories": "Pizzas"}, "categories: must be a list"),
        ({"categories": {"name": "Pizzas"}}, "categories: must be a list"),
        ({"categories": [], "items": None}, "items: must be a list"),
        ({"categories": [{"name": "A", "items": None}]}, "categories[0].items: must be a list"),
        ({"categories": [], "items": [ITEM | {"option_groups": None}]}, "option_groups: must be a"),
        ({"categories": [], "items": [ITEM | {"allergens": None}]}, "allergens: must be a list"),
        ({"categories": [], "items": [ITEM | {"allergens": "milk"}]}, "allergens: must be a list"),
        (
            {
                "categories": [],
                "items": [ITEM | {"option_groups": [{"name": "S", "options": None}]}],
            },
            "option_groups[0].options: must be a list",
        ),
    ],
)
def test_wrong_shapes_and_types_are_refused_with_their_path(document, problem):
    with pytest.raises(Invalid) as refused:
        validate_menu_document(document)
    assert problem in refused.value.message


def test_a_dry_run_checks_and_changes_nothing(runner, client, tenant, tmp_path):
    before = export(runner, tenant.domain)
    result = import_file(runner, tmp_path, tenant.domain, PIZZERIA, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "valid (3 categories, 4 items, 2 option groups, 5 options); nothing changed" in (
        result.output
    )
    broken = import_file(runner, tmp_path, tenant.domain, broken_pizzeria(), "--dry-run")
    assert broken.exit_code == 2
    checked = put_menu(client, tenant.domain, PIZZERIA, "?dry_run=true")
    assert checked.status_code == 200
    assert checked.json == {"dry_run": True, **PIZZERIA_COUNTS}
    assert export(runner, tenant.domain) == before


@pytest.mark.parametrize("categories", [None, "Pizzas", {}, 0], ids=["null", "text", "object", "0"])
def test_a_menu_without_a_list_of_categories_changes_nothing(
    runner, client, tenant, tmp_path, categories
):
    """Before: `PUT …/menu` and `flask menu import` with {"categories": null} emptied the whole
    menu (200); the list is required (README), so it is 400 / exit 2 and the menu stays."""
    before = export(runner, tenant.domain)
    refused = put_menu(client, tenant.domain, {"categories": categories})
    assert refused.status_code == 400
    assert refused.json["fields"] == {"categories": "must be a list"}
    result = import_file(runner, tmp_path, tenant.domain, {"categories": categories})
    assert result.exit_code == 2 and "categories: must be a list" in result.output
    assert "Traceback" not in result.output
    assert export(runner, tenant.domain) == before
    assert before["categories"]  # there was a menu to lose


LONE_SURROGATE_KEY = '{"categories": [{"name": "A", "\\ud800": 1}]}'
NUL_NAME = '{"categories": [{"name": "A\\u0000B"}]}'


def test_cli_exit_codes_bad_input_2_unknown_restaurant_1(runner, tenant, tmp_path):
    missing = str(tmp_path / "missing.json")
    ghost = "no tenant with domain ghost.localhost"
    cases = [
        (import_file(runner, tmp_path, tenant.domain, "{not json"), 2, "FILE: is not JSON"),
        (import_file(runner, tmp_path, tenant.domain, "[]"), 2, "menu: must be an object"),
        (runner.invoke(args=["menu", "import", tenant.domain, missing]), 2, "No such file"),
        (import_file(runner, tmp_path, "ghost.localhost", PIZZERIA), 1, ghost),
        (runner.invoke(args=["menu", "export", "ghost.localhost"]), 1, ghost),
        (runner.invoke(args=["menu", "export", "bad\x00domain"]), 2, "Error: domain"),
        (import_file(runner, tmp_path, tenant.domain, LONE_SURROGATE_KEY), 2, r"\ud800: is not a"),
        (
            import_file(runner, tmp_path, tenant.domain, NUL_NAME),
            2,
            "must be one line of text without control",
        ),
    ]
    for result, code, message in cases:
        assert result.exit_code == code, result.output
        assert message in result.output and "Traceback" not in result.output
    (tmp_path / "latin1.json").write_bytes(b'{"categories": [{"name": "Caf\xe9"}]}')
    latin1 = runner.invoke(args=["menu", "import", tenant.domain, str(tmp_path / "latin1.json")])
    assert latin1.exit_code == 2 and "FILE: must be UTF-8 text" in latin1.output


def test_the_system_api_reads_and_replaces_a_menu(app, runner, client, tenant, count_statements):
    path = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    statements = count_statements(app)
    assert client.get(path, headers=AUTH).json == export(runner, tenant.domain)
    reads = [s for s in statements if f"{tenant.schema_name}.menu_items" in s]
    assert len(reads) == 2  # one statement per export (API, CLI): one snapshot of the menu
    replaced = put_menu(client, tenant.domain, PIZZERIA)
    assert replaced.status_code == 200, replaced.data
    assert replaced.json == {"dry_run": False, **PIZZERIA_COUNTS}
    assert client.get(path, headers=AUTH).json == PIZZERIA
    upper = client.get(f"/api/v1/sys/tenants/{tenant.domain.upper()}/menu", headers=AUTH)
    assert upper.json == PIZZERIA

    assert client.get(path).status_code == 401
    assert client.put(path, json=STARTER_MENU).status_code == 401
    assert client.get("/api/v1/sys/tenants/ghost.localhost/menu", headers=AUTH).status_code == 404
    assert put_menu(client, "ghost.localhost", PIZZERIA).status_code == 404
    assert put_menu(client, "bad..domain", PIZZERIA).status_code == 400
    for body in (b"[]", b"{not json", b'"menu"'):
        refused = client.put(path, data=body, headers=AUTH, content_type="application/json")
        assert refused.status_code == 400, body
    assert put_menu(client, tenant.domain, PIZZERIA, "?dry_run=maybe").status_code == 400
    assert client.get(path, headers=AUTH).json == PIZZERIA


def test_a_well_formed_document_breaking_the_rules_is_422_and_changes_nothing(
    runner, client, tenant
):
    """Rules no JSON Schema can state (a group's max ≥ min, names unique in their group) are
    the only problems: 422, so a client tells them from a malformed document (400)."""
    before = export(runner, tenant.domain)
    size = {"name": "Size", "min": 2, "max": 1, "options": [{"name": "S"}, {"name": "s"}]}
    document = {"categories": [], "items": [{**ITEM, "option_groups": [size]}]}
    answer = put_menu(client, tenant.domain, document)
    assert answer.status_code == 422, answer.data
    assert answer.json["fields"] == {
        "items[0].option_groups[0].max": "must be ≥ min",
        "items[0].option_groups[0].options[1].name": "another option here is called s",
    }
    malformed = {"categories": [], "items": [{**ITEM, "price": "3", "option_groups": [size]}]}
    assert put_menu(client, tenant.domain, malformed).status_code == 400
    provisioned = client.post(
        "/api/v1/sys/provision",
        json={"name": "Rules", "domain": "rules.localhost", "menu": document},
        headers=AUTH,
    )
    assert provisioned.status_code == 422
    assert "menu.items[0].option_groups[0].max" in provisioned.json["fields"]
    assert export(runner, tenant.domain) == before


def test_whole_numbers_written_as_floats_are_integers_in_the_api_and_the_cli(
    runner, client, tenant, tmp_path
):
    """JSON has one number type: 1100.0 is the price 1100, for `flask menu import` and the
    system API alike; 1100.5 is refused by both."""
    group = {
        "name": "Size",
        "min": 1.0,
        "max": 1.0,
        "options": [{"name": "L", "price_delta": 50.0}],
    }
    document = {
        "categories": [],
        "items": [{"name": "Pie", "price": 1100.0, "option_groups": [group]}],
    }
    imported = import_file(runner, tmp_path, tenant.domain, document)
    assert imported.exit_code == 0, imported.output
    exported = export(runner, tenant.domain)
    assert exported["items"][0]["price"] == 1100 and type(exported["items"][0]["price"]) is int
    assert exported["option_groups"][0]["options"][0]["price_delta"] == 50
    assert put_menu(client, tenant.domain, document).status_code == 200
    fraction = {"categories": [], "items": [{"name": "Pie", "price": 1100.5}]}
    assert import_file(runner, tmp_path, tenant.domain, fraction).exit_code == 2
    assert put_menu(client, tenant.domain, fraction).status_code == 400


# --- provisioning takes the same document ---------------------------------------------------


def test_provisioning_takes_a_menu_document(app, client, runner):
    body = {"name": "Luigi's", "domain": "luigi.localhost", "menu": PIZZERIA}
    try:
        created = client.post("/api/v1/sys/provision", json=body, headers=AUTH)
        assert created.status_code == 201, created.data
        assert export(runner, "luigi.localhost") == PIZZERIA
    finally:
        with app.app_context(), unit_of_work():
            drop_tenant("luigi.localhost")


def test_provisioning_with_an_invalid_menu_is_400_and_makes_nothing(client, db_connection):
    body = {"name": "", "domain": "bad-menu.localhost", "menu": broken_pizzeria()}
    refused = client.post("/api/v1/sys/provision", json=body, headers=AUTH)
    assert refused.status_code == 400
    fields = refused.json["fields"]
    assert fields["name"] == "is required"  # the other fields' problems come too
    assert fields["menu.categories[0].items[1].option_groups[0].max"] == "must be ≥ min"
    assert set(fields) == {"name", *(f"menu.{path}" for path in BROKEN)}
    refused = client.post(
        "/api/v1/sys/provision",
        json={"name": "X", "domain": "bad-menu.localhost", "menu": "Pizzas"},
        headers=AUTH,
    )
    assert refused.status_code == 400 and refused.json["fields"] == {"menu": "must be an object"}
    assert (
        db_connection.scalar(
            text("SELECT count(*) FROM public.tenants WHERE domain = 'bad-menu.localhost'")
        )
        == 0
    )


def test_provision_tenant_seeds_the_document_with_its_choices(app, runner):
    try:
        with app.app_context(), unit_of_work():
            provision_tenant(name="Seeded", domain="seeded.localhost", menu=PIZZERIA)
        assert export(runner, "seeded.localhost") == PIZZERIA
    finally:
        with app.app_context(), unit_of_work():
            drop_tenant("seeded.localhost")


def test_the_demo_and_starter_menus_are_valid_documents():
    # Both are written as export writes them, so what a restaurant starts with round-trips.
    assert validate_menu_document(STARTER_MENU) == {**STARTER_MENU, "items": []}
    # The demo pizzeria is in the earlier shape (groups inline): its pizzas share them.
    pizza = next(demo for demo in DEMO_TENANTS if demo["domain"] == "pizza.localhost")
    clean = validate_menu_document(pizza["menu"])
    margherita = next(i for i in clean["categories"][0]["items"] if i["name"] == "Margherita")
    assert margherita["allergens"] == ["gluten", "milk"]
    assert margherita["option_groups"] == ["Size", "Extras"]
    all_extras = [{**option, "is_available": True} for option in EXTRAS["options"]]
    untranslated = [
        {
            **{key: value for key, value in group.items() if key != "name_i18n"},
            "options": [
                {key: value for key, value in option.items() if key != "name_i18n"}
                for option in group["options"]
            ],
        }
        for group in clean["option_groups"]
    ]
    assert untranslated == [{**EXTRAS, "options": all_extras}, SIZE]  # as exported
    # … in English, German and Italian (the demo offers all three)
    assert pizza["settings"]["languages"] == ["en", "de", "it"]
    assert clean["option_groups"][1]["name_i18n"] == {"de": "Größe", "it": "Dimensione"}
    assert all(
        option["name_i18n"].keys() == {"de", "it"}
        for g in clean["option_groups"]
        for option in g["options"]
    )
    assert margherita["description_i18n"]["de"] == "Tomate, Mozzarella, Basilikum."
    # The demo pizzeria's board has stations to filter by (issue 16).
    assert [c.get("station") for c in clean["categories"]] == ["Oven", "Prep", "Bar"]


# --- shared option groups --------------------------------------------------------------------


def test_the_earlier_inline_shape_is_imported_as_shared_groups(runner, client, tenant, tmp_path):
    """Each inline group becomes a group of the menu: identical ones (Extras on both pizzas)
    are one group, a different one of a taken name is named after its item. The clean
    document is the one export writes."""
    assert validate_menu_document(INLINE_PIZZERIA) == PIZZERIA
    result = import_file(runner, tmp_path, tenant.domain, INLINE_PIZZERIA)
    assert result.exit_code == 0, result.output
    assert "2 option groups, 5 options" in result.output
    assert export(runner, tenant.domain) == PIZZERIA

    cheap_size = {**SIZE, "options": [{**SIZE["options"][1], "price_delta": 200}]}
    document = {
        "categories": [],
        "items": [
            {**ITEM, "name": "Margherita", "option_groups": [SIZE]},
            {**ITEM, "name": "Marinara", "option_groups": [cheap_size]},
        ],
    }
    assert put_menu(client, tenant.domain, document).status_code == 200
    exported = export(runner, tenant.domain)
    assert [g["name"] for g in exported["option_groups"]] == ["Size", "Size (Marinara)"]
    assert [i["option_groups"] for i in exported["items"]] == [["Size"], ["Size (Marinara)"]]
    items = {item["name"]: item for item in api_items(client, tenant.domain)}
    assert items["Marinara"]["option_groups"][0]["options"][0]["price_delta"] == 200
    assert items["Margherita"]["option_groups"][0]["options"][1]["price_delta"] == 300


@pytest.mark.parametrize(
    "document, path, message",
    [
        (
            {"categories": [], "items": [ITEM | {"option_groups": ["Size"]}]},
            "items[0].option_groups[0]",
            "no option group is called Size",
        ),
        (
            {
                "option_groups": [SIZE],
                "categories": [],
                "items": [ITEM | {"option_groups": ["Size", "SIZE"]}],
            },
            "items[0].option_groups[1].name",
            "another group here is called SIZE",
        ),
        (
            {"option_groups": [SIZE, {**SIZE, "name": "size"}], "categories": []},
            "option_groups[1].name",
            "another option group here is called size",
        ),
        (
            {
                "option_groups": [SIZE, SIZE | {"name": "Size (Bread)"}],
                "categories": [],
                "items": [ITEM | {"option_groups": [SIZE | {"max": 2}]}],
            },
            "items[0].option_groups[0].name",
            "another option group of that name has other choices",
        ),
    ],
)
def test_groups_named_wrongly_break_the_rules(client, tenant, document, path, message):
    refused = put_menu(client, tenant.domain, document)
    assert refused.status_code == 422, refused.data
    assert refused.json["fields"][path] == message


@pytest.mark.parametrize(
    "document, problem",
    [
        ({"option_groups": None, "categories": []}, "option_groups: must be a list"),
        ({"option_groups": ["Size"], "categories": []}, "option_groups[0]: must be an object"),
        ({"option_groups": [SIZE] * 501, "categories": []}, "option_groups: must have at most 500"),
        (
            {"categories": [], "items": [ITEM | {"option_groups": [7]}]},
            "option_groups[0]: must be an object",
        ),
        (
            {"categories": [], "items": [ITEM | {"option_groups": ["\ud800"]}]},
            "option_groups[0]: must be one line of text",
        ),
        (
            {"categories": [], "items": [ITEM | {"option_groups": ["x" * 101]}]},
            "option_groups[0]: must be at most 100",
        ),
    ],
)
def test_malformed_groups_are_refused_with_their_path(document, problem):
    with pytest.raises(Invalid) as refused:
        validate_menu_document(document)
    assert problem in refused.value.message
