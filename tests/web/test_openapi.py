"""The published OpenAPI document stays true: real responses are checked against it."""

import uuid

import jsonschema
import pytest

from omniorder.core.text_input import line_pattern, text_pattern
from omniorder.menu.catalog import ALLERGENS, MAX_PRICE_CENTS, MAX_TEXT
from omniorder.menu.document import MAX_CATEGORIES, MAX_ITEMS
from omniorder.menu.options import (
    MAX_CHOICES,
    MAX_GROUPS,
    MAX_GROUPS_PER_ITEM,
    MAX_OPTIONS_PER_GROUP,
)
from omniorder.ordering.order_input import MAX_EMAIL, MAX_PHONE
from omniorder.ordering.pricing import MAX_TIP_AMOUNT
from omniorder.platform.tenants import MAX_NAME_LENGTH
from omniorder.settings.document import MAX_CLOSED_DATES, MAX_RANGES_PER_DAY, accepted_values
from omniorder.settings.payments import KEY_PATTERNS, ONLINE_MODES
from omniorder.settings.profile import MAX_ADDRESS_LINES, MAX_DESCRIPTION, PATTERNS
from omniorder.settings.theme import DEFAULT_THEME, FONT_STACKS, PRESETS
from omniorder.staff.accounts import MIN_PASSWORD_LENGTH
from omniorder.tenancy.names import MAX_HOST_NAME, MAX_IDENTIFIER_BYTES
from tests.support.app import SYS_TOKEN
from tests.support.choices import add_pizza, change_option, set_settings
from tests.support.openapi import conforms
from tests.support.storefront import change_item, menu


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json", headers={"Host": "any.invalid"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["openapi"].startswith("3.1")
    return body


AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


def test_real_responses_match_the_document(app, client, make_tenant, document):
    tenant, other = make_tenant(), make_tenant()
    host = {"Host": tenant.domain}
    conforms(document, "/api/v1/menu", "get", client.get("/api/v1/menu", headers=host))
    conforms(
        document,
        "/api/v1/menu",
        "get",
        client.get("/api/v1/menu", headers={"Host": "nobody.invalid"}),
    )

    fries = menu(app, tenant)["Fries"]
    body = {"customer_name": "Ann", "items": [{"menu_item_id": str(fries.id), "quantity": 2}]}
    placed = client.post("/api/v1/orders", json=body, headers={**host, "Idempotency-Key": "a"})
    conforms(document, "/api/v1/orders", "post", placed)
    conforms(
        document,
        "/api/v1/orders",
        "post",
        client.post("/api/v1/orders", json=body, headers={**host, "Idempotency-Key": "a"}),
    )
    conforms(
        document,
        "/api/v1/orders",
        "post",
        client.post("/api/v1/orders", json={"items": []}, headers=host),
    )
    conforms(
        document,
        "/api/v1/orders",
        "post",
        client.post(
            "/api/v1/orders", data=b"x" * 300_000, headers=host, content_type="application/json"
        ),
    )
    change_item(app, tenant, fries.id, is_available=False)
    conforms(
        document, "/api/v1/orders", "post", client.post("/api/v1/orders", json=body, headers=host)
    )

    order_path = "/api/v1/orders/{order_id}"
    conforms(
        document, order_path, "get", client.get(f"/api/v1/orders/{placed.json['id']}", headers=host)
    )
    conforms(
        document,
        order_path,
        "get",
        client.get(f"/api/v1/orders/{placed.json['id']}", headers={"Host": other.domain}),
    )

    provision = "/api/v1/sys/provision"
    created = client.post(
        provision,
        headers=AUTH,
        json={"name": "Spec Diner", "domain": "spec.localhost", "admin_email": "a@spec.localhost"},
    )
    try:
        conforms(document, provision, "post", created)
        conforms(
            document,
            provision,
            "post",
            client.post(
                provision,
                headers=AUTH,
                json={
                    "name": "Spec Diner",
                    "domain": "spec.localhost",
                    "admin_email": "a@b.example",
                },
            ),
        )
        conforms(document, provision, "post", client.post(provision, headers=AUTH, json={}))
        conforms(document, provision, "post", client.post(provision, json={}))
    finally:
        app.test_cli_runner().invoke(args=["tenants", "drop", "spec.localhost", "--yes"])

    analytics = "/api/v1/sys/analytics"
    conforms(document, analytics, "get", client.get(analytics, headers=AUTH))
    conforms(document, analytics, "get", client.get(f"{analytics}?from=nope", headers=AUTH))
    conforms(
        document,
        analytics,
        "get",
        client.get(f"{analytics}?domain={uuid.uuid4().hex}.invalid", headers=AUTH),
    )


def test_settings_responses_match_the_document(client, tenant, document):
    path = "/api/v1/sys/tenants/{domain}/settings"
    url = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    conforms(document, path, "get", client.get(url, headers=AUTH))
    changed = client.patch(url, headers=AUTH, json={"tax": {"rate_bp": 1900}, "locale": "de_DE"})
    assert changed.status_code == 200
    conforms(document, path, "patch", changed)
    refused = client.patch(url, headers=AUTH, json={"tax": {"rate_bp": -1}, "nope": 1})
    assert refused.status_code == 400
    conforms(document, path, "patch", refused)
    conforms(document, path, "patch", client.patch(url, headers=AUTH, data="[]"))
    ghost = "/api/v1/sys/tenants/ghost.invalid/settings"
    conforms(document, path, "get", client.get(ghost, headers=AUTH))
    conforms(document, path, "patch", client.patch(ghost, headers=AUTH, json={}))
    conforms(
        document,
        path,
        "get",
        client.get("/api/v1/sys/tenants/not%20a%20host/settings", headers=AUTH),
    )
    conforms(document, path, "get", client.get(url))
    overlapping = {"hours": {"mon": [["11:00", "15:00"], ["14:00", "22:00"]]}}
    assert schema_errors(document, "SettingsChange", overlapping) == []  # no schema can say it
    broken = client.patch(url, headers=AUTH, json=overlapping)
    assert broken.status_code == 422 and broken.json["fields"] == {
        "hours.mon[1]": "overlaps another opening range"
    }
    conforms(document, path, "patch", broken)


def schema_errors(document, schema: str, instance) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    return [error.message for error in validator.iter_errors(instance)]


@pytest.mark.parametrize(
    "schema, instance",
    [
        # a range starts before 24:00; it may end at 24:00 (the server refuses the first)
        ("SettingsChange", {"hours": {"mon": [["24:00", "02:00"]]}}),
        ("SettingsChange", {"hours": {"mon": [["10:00", "24:01"]]}}),
        ("SettingsChange", {"hours": {"mon": [["10:00", "12:00", "14:00"]]}}),
        # a new currency is one in use today
        ("SettingsChange", {"currency": "ADP"}),
        ("Provision", {"name": "A", "domain": "a.example", "theme_config": {"colour": "red"}}),
        ("Provision", {"name": "A", "domain": "a.example", "theme_config": {"preset": "neon"}}),
        (
            "Provision",
            {"name": "A", "domain": "a.example", "theme_config": {"primary_color": "red"}},
        ),
        (
            "NewOrder",
            {
                "customer_name": "\x07",
                "items": [{"menu_item_id": str(uuid.uuid4()), "quantity": 1}],
            },
        ),
        (
            "NewOrder",
            {"customer_name": "G", "items": [{"menu_item_id": str(uuid.uuid4()), "quantity": 2.5}]},
        ),
        (
            "MenuDocument",
            {"categories": [], "items": [{"name": "B", "price": 1, "image_url": "ftp://x"}]},
        ),
    ],
)
def test_the_document_states_what_the_server_refuses(document, schema, instance):
    assert schema_errors(document, schema, instance)


@pytest.mark.parametrize(
    "schema, instance",
    [
        ("SettingsChange", {"hours": {"mon": [["17:00", "24:00"], ["00:00", "02:00"]]}}),
        ("SettingsChange", {"currency": "EUR", "tax": {"rate_bp": 1900.0}}),
        (
            "Provision",
            {
                "name": "A",
                "domain": "a.example",
                "theme_config": {"preset": "dark", "primary_color": "#D62300"},
            },
        ),
        (
            "NewOrder",
            {"customer_name": "G", "items": [{"menu_item_id": str(uuid.uuid4()), "quantity": 2.0}]},
        ),
        ("MenuDocument", {"categories": [{"name": "A", "station": " "}], "items": []}),
    ],
)
def test_the_document_takes_what_the_server_takes(document, schema, instance):
    assert schema_errors(document, schema, instance) == []


def test_menu_documents_and_choices_match_the_document(client, tenant, document):
    path = "/api/v1/sys/tenants/{domain}/menu"
    url = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    exported = client.get(url, headers=AUTH)
    conforms(document, path, "get", exported)
    size = {"name": "Size", "min": 1, "max": 1, "options": [{"name": "Large", "price_delta": 300}]}
    fries = {"name": "Fries", "price": 450, "allergens": ["gluten"], "option_groups": [size]}
    menu = {
        "categories": [{"name": "Sides", "items": [fries]}],
        "items": [{"name": "X", "price": 0}],
    }
    for query in ("?dry_run=true", ""):
        replaced = client.put(url + query, headers=AUTH, json=menu)
        assert replaced.status_code == 200
        conforms(document, path, "put", replaced)
    conforms(document, path, "get", client.get(url, headers=AUTH))
    conforms(
        document, "/api/v1/menu", "get", client.get("/api/v1/menu", headers={"Host": tenant.domain})
    )  # noqa: E501
    refused = client.put(url, headers=AUTH, json={"categories": [{"name": ""}]})
    assert refused.status_code == 400
    conforms(document, path, "put", refused)
    ghost = "/api/v1/sys/tenants/ghost.invalid/menu"
    conforms(document, path, "get", client.get(ghost, headers=AUTH))
    conforms(document, path, "put", client.put(ghost, headers=AUTH, json=menu))
    conforms(document, path, "get", client.get(url))


def test_orders_with_options_notes_and_tips_match_the_document(app, client, tenant, document):
    pizza = add_pizza(app, tenant)
    set_settings(app, tenant, tax={"rate_bp": 825, "inclusive": False}, tips={"enabled": True})
    host = {"Host": tenant.domain}
    body = {
        "customer_name": "Opt",
        "items": [
            {
                "menu_item_id": str(pizza.id),
                "quantity": 2,
                "options": [str(pizza.options["Large"]), str(pizza.options["Basil"])],
                "note": "no garlic",
            }
        ],
        "note": "at the door",
        "tip": {"percent": 10},
    }
    jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/NewOrder", "components": document["components"]}
    ).validate(body)  # what the server accepts, the document allows
    placed = client.post("/api/v1/orders", json=body, headers=host)
    assert placed.status_code == 201
    conforms(document, "/api/v1/orders", "post", placed)
    path = f"/api/v1/orders/{placed.json['id']}"
    conforms(document, "/api/v1/orders/{order_id}", "get", client.get(path, headers=host))
    for bad in (
        {**body, "tip": {"percent": 12}},
        {**body, "items": [{**body["items"][0], "options": []}]},
    ):
        conforms(
            document,
            "/api/v1/orders",
            "post",
            client.post("/api/v1/orders", json=bad, headers=host),
        )
    change_option(app, tenant, pizza.options["Basil"], is_available=False)
    sold_out = client.post("/api/v1/orders", json=body, headers=host)
    assert sold_out.status_code == 409
    conforms(document, "/api/v1/orders", "post", sold_out)


def test_pickup_times_and_the_order_lifecycle_match_the_document(app, client, tenant, document):
    from omniorder.kitchen.board import advance_order, cancel_order, mark_picked_up
    from tests.support.choices import bound

    host = {"Host": tenant.domain}
    slots_path = "/api/v1/pickup-slots"
    offered = client.get(slots_path, headers=host)
    conforms(document, slots_path, "get", offered)
    conforms(document, slots_path, "get", client.get(slots_path, headers={"Host": "x.invalid"}))
    fries = menu(app, tenant)["Fries"]
    body = {
        "customer_name": "Pat",
        "items": [{"menu_item_id": str(fries.id), "quantity": 1}],
        "pickup_at": offered.json["slots"][0],
    }
    jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/NewOrder", "components": document["components"]}
    ).validate(body)
    order_path = "/api/v1/orders/{order_id}"
    scheduled = client.post("/api/v1/orders", json=body, headers=host)
    assert scheduled.status_code == 201 and scheduled.json["pickup_at"] is not None
    conforms(document, "/api/v1/orders", "post", scheduled)
    asap = client.post("/api/v1/orders", json={**body, "pickup_at": None}, headers=host)
    assert asap.status_code == 201 and asap.json["ready_at"] is not None
    conforms(document, "/api/v1/orders", "post", asap)
    for bad, status in (("soon", 400), ("2026-12-01T12:00:00", 400), ("2020-01-01T12:00:00Z", 422)):
        refused = client.post("/api/v1/orders", json={**body, "pickup_at": bad}, headers=host)
        assert refused.status_code == status, refused.data
        conforms(document, "/api/v1/orders", "post", refused)

    set_settings(app, tenant, max_orders_per_slot=1)
    full = client.post("/api/v1/orders", json=body, headers=host)
    assert full.status_code == 409 and full.json["next_slot"]
    conforms(document, "/api/v1/orders", "post", full)
    set_settings(app, tenant, pause={"until": None})
    paused = client.post("/api/v1/orders", json={**body, "pickup_at": None}, headers=host)
    assert paused.status_code == 409 and paused.json["resumes_at"] is None
    conforms(document, "/api/v1/orders", "post", paused)
    conforms(document, slots_path, "get", client.get(slots_path, headers=host))

    with bound(app, tenant):
        cancel_order(scheduled.json["id"], "Out of fries", "kitchen")
        advance_order(asap.json["id"], "PENDING")
        advance_order(asap.json["id"], "COOKING")
        mark_picked_up(asap.json["id"])
    for placed, field in ((scheduled, "cancel_reason"), (asap, "picked_up_at")):
        shown = client.get(f"/api/v1/orders/{placed.json['id']}", headers=host)
        assert shown.json[field] is not None
        conforms(document, order_path, "get", shown)


def test_orders_with_contact_details_match_the_document(app, client, tenant, document):
    """email and phone are in NewOrder; the Order answered never carries them."""
    host = {"Host": tenant.domain}
    body = {
        "customer_name": "Lu",
        "items": [{"menu_item_id": str(menu(app, tenant)["Fries"].id), "quantity": 1}],
        "email": "lu@example.com",
        "phone": "+1 555 0100",
    }
    jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/NewOrder", "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    ).validate(body)
    placed = client.post("/api/v1/orders", json=body, headers=host)
    assert placed.status_code == 201
    conforms(document, "/api/v1/orders", "post", placed)
    assert not {"email", "phone"} & set(document["components"]["schemas"]["Order"]["properties"])
    assert not {"email", "phone", "customer_email", "customer_phone"} & set(placed.json)
    refused = client.post("/api/v1/orders", json={**body, "phone": "none"}, headers=host)
    assert refused.status_code == 400 and "phone" in refused.json["fields"]
    conforms(document, "/api/v1/orders", "post", refused)


def test_every_405_names_the_allowed_methods(client, tenant, document):
    """RFC 9110: a 405 carries `Allow` (before: the JSON error answer dropped it, on every
    path of the document; schemathesis's unsupported_method check)."""
    for path, operations in document["paths"].items():
        documented = {method.upper() for method in operations if method != "parameters"}
        url = path.replace("{domain}", tenant.domain).replace("{order_id}", str(uuid.uuid4()))
        for method in ("TRACE", "DELETE", "PATCH", "PUT", "POST"):
            if method in documented:
                continue
            response = client.open(url, method=method, headers={"Host": tenant.domain, **AUTH})
            assert response.status_code == 405, (method, path, response.status_code)
            allowed = {name.strip() for name in response.headers.get("Allow", "").split(",")}
            assert documented <= allowed, (method, path, response.headers.get("Allow"))
            assert response.get_json()["error"]


def stated(document: dict, pointer: str):
    """The value at a JSON pointer of the document."""
    node = document
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# Where the document states what the code enforces: each constant and the places it appears
# (found by changing the constant and rebuilding the document, when it was still built in code).
STATED = [
    pytest.param(
        line_pattern(),
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/image_url/anyOf/0/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/station/anyOf/0/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/image_url/anyOf/0/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/0/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/0/pattern",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/name/pattern",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/options/items/properties/name/pattern",
            "/components/schemas/Printer/properties/name/pattern",
            "/components/schemas/Printer/properties/stations/items/pattern",
            "/components/schemas/PrinterChange/properties/name/pattern",
            "/components/schemas/PrinterChange/properties/stations/items/pattern",
            "/components/schemas/Provision/properties/name/pattern",
        ],
        id="line_pattern()",
    ),
    pytest.param(
        text_pattern(),
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/description/pattern",
            "/components/schemas/MenuDocument/properties/items/items/properties/description/pattern",
        ],
        id="text_pattern()",
    ),
    pytest.param(
        list(ALLERGENS),
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/allergens/items/enum",
            "/components/schemas/MenuDocument/properties/items/items/properties/allergens/items/enum",
            "/components/schemas/MenuItem/properties/allergens/items/enum",
        ],
        id="ALLERGENS",
    ),
    pytest.param(
        MAX_PRICE_CENTS,
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/price_delta/maximum",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/price/maximum",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/price_delta/maximum",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/options/items/properties/price_delta/maximum",
            "/components/schemas/MenuDocument/properties/items/items/properties/price/maximum",
        ],
        id="MAX_PRICE_CENTS",
    ),
    pytest.param(
        MAX_TEXT["name"],
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/0/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/0/maxLength",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/name/maxLength",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/options/items/properties/name/maxLength",
        ],
        id="MAX_TEXT.name",
    ),
    pytest.param(
        MAX_TEXT["description"],
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/description/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/description/maxLength",
        ],
        id="MAX_TEXT.description",
    ),
    pytest.param(
        MAX_TEXT["image_url"],
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/image_url/anyOf/0/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/image_url/anyOf/1/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/image_url/anyOf/0/maxLength",
            "/components/schemas/MenuDocument/properties/items/items/properties/image_url/anyOf/1/maxLength",
        ],
        id="MAX_TEXT.image_url",
    ),
    pytest.param(
        MAX_TEXT["station"],
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/station/anyOf/0/maxLength",
            "/components/schemas/MenuDocument/properties/categories/items/properties/station/anyOf/1/maxLength",
        ],
        id="MAX_TEXT.station",
    ),
    pytest.param(
        MAX_CATEGORIES,
        [
            "/components/schemas/MenuDocument/properties/categories/maxItems",
        ],
        id="MAX_CATEGORIES",
    ),
    pytest.param(
        MAX_ITEMS,
        [
            "/components/schemas/MenuDocument/description",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/maxItems",
            "/components/schemas/MenuDocument/properties/items/maxItems",
        ],
        id="MAX_ITEMS",
    ),
    pytest.param(
        MAX_CHOICES,
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/max/maximum",
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/min/maximum",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/max/maximum",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/min/maximum",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/max/maximum",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/min/maximum",
        ],
        id="MAX_CHOICES",
    ),
    pytest.param(
        MAX_GROUPS,
        [
            "/components/schemas/MenuDocument/properties/option_groups/maxItems",
        ],
        id="MAX_GROUPS",
    ),
    pytest.param(
        MAX_GROUPS_PER_ITEM,
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/maxItems",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/maxItems",
        ],
        id="MAX_GROUPS_PER_ITEM",
    ),
    pytest.param(
        MAX_OPTIONS_PER_GROUP,
        [
            "/components/schemas/MenuDocument/properties/categories/items/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/maxItems",
            "/components/schemas/MenuDocument/properties/items/items/properties/option_groups/items/anyOf/1/properties/options/maxItems",
            "/components/schemas/MenuDocument/properties/option_groups/items/properties/options/maxItems",
        ],
        id="MAX_OPTIONS_PER_GROUP",
    ),
    pytest.param(
        MAX_EMAIL,
        [
            "/components/schemas/NewOrder/properties/email/maxLength",
        ],
        id="MAX_EMAIL",
    ),
    pytest.param(
        MAX_PHONE,
        [
            "/components/schemas/NewOrder/properties/phone/maxLength",
        ],
        id="MAX_PHONE",
    ),
    pytest.param(
        MAX_TIP_AMOUNT,
        [
            "/components/schemas/NewOrder/properties/tip/oneOf/1/properties/amount/maximum",
        ],
        id="MAX_TIP_AMOUNT",
    ),
    pytest.param(
        MAX_NAME_LENGTH,
        [
            "/components/schemas/Provision/properties/name/maxLength",
        ],
        id="MAX_NAME_LENGTH",
    ),
    pytest.param(
        MAX_CLOSED_DATES,
        [
            "/components/schemas/Settings/properties/closed_dates/maxItems",
            "/components/schemas/SettingsChange/properties/closed_dates/maxItems",
        ],
        id="MAX_CLOSED_DATES",
    ),
    pytest.param(
        MAX_RANGES_PER_DAY,
        [
            "/components/schemas/Settings/properties/hours/properties/fri/maxItems",
            "/components/schemas/Settings/properties/hours/properties/mon/maxItems",
            "/components/schemas/Settings/properties/hours/properties/sat/maxItems",
            "/components/schemas/Settings/properties/hours/properties/sun/maxItems",
            "/components/schemas/Settings/properties/hours/properties/thu/maxItems",
            "/components/schemas/Settings/properties/hours/properties/tue/maxItems",
            "/components/schemas/Settings/properties/hours/properties/wed/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/fri/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/mon/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/sat/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/sun/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/thu/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/tue/maxItems",
            "/components/schemas/SettingsChange/properties/hours/properties/wed/maxItems",
        ],
        id="MAX_RANGES_PER_DAY",
    ),
    pytest.param(
        DEFAULT_THEME,
        [
            "/components/schemas/Provision/properties/theme_config/description",
        ],
        id="DEFAULT_THEME",
    ),
    pytest.param(
        list(FONT_STACKS),
        [
            "/components/schemas/Provision/properties/theme_config/properties/font_family/enum",
        ],
        id="FONT_STACKS",
    ),
    pytest.param(
        list(PRESETS),
        [
            "/components/schemas/Provision/properties/theme_config/properties/preset/enum",
        ],
        id="PRESETS",
    ),
    pytest.param(
        MIN_PASSWORD_LENGTH,
        [
            "/components/schemas/Provision/properties/admin_password/minLength",
        ],
        id="MIN_PASSWORD_LENGTH",
    ),
    pytest.param(
        MAX_HOST_NAME,
        [
            "/components/schemas/Provision/properties/domain/maxLength",
            "/paths/~1api~1v1~1sys~1analytics/get/parameters/2/schema/maxLength",
            "/paths/~1api~1v1~1sys~1tenants~1{domain}~1menu/parameters/0/schema/maxLength",
            "/paths/~1api~1v1~1sys~1tenants~1{domain}~1settings/parameters/0/schema/maxLength",
        ],
        id="MAX_HOST_NAME",
    ),
    pytest.param(
        list(ONLINE_MODES),
        [
            "/components/schemas/Settings/properties/payments/properties/online/enum",
            "/components/schemas/SettingsChange/properties/payments/properties/online/enum",
        ],
        id="ONLINE_MODES",
    ),
    *(
        pytest.param(
            f"^{pattern}$",
            [
                f"/components/schemas/SettingsChange/properties/payments/properties/stripe/properties/{name}/pattern"
            ],
            id=f"KEY_PATTERNS[{name}]",
        )
        for name, pattern in KEY_PATTERNS.items()
    ),
    pytest.param(
        MAX_DESCRIPTION,
        [
            "/components/schemas/Settings/properties/profile/properties/description/maxLength",
            "/components/schemas/SettingsChange/properties/profile/properties/description/maxLength",
        ],
        id="MAX_DESCRIPTION",
    ),
    pytest.param(
        MAX_ADDRESS_LINES,
        [
            "/components/schemas/SettingsChange/properties/profile/properties/address/properties/lines/maxItems",
        ],
        id="MAX_ADDRESS_LINES",
    ),
    *(
        pytest.param(
            f"^{PATTERNS[shape]}$",
            [f"/components/schemas/SettingsChange/properties/profile/properties/{name}/pattern"],
            id=f"PROFILE_PATTERNS[{name}]",
        )
        for name, shape in (
            ("phone", "phone"),
            ("email", "email"),
            ("website", "url"),
            ("vat_id", "vat_id"),
        )
    ),
    pytest.param(
        MAX_IDENTIFIER_BYTES,
        [
            "/components/schemas/Provision/properties/schema_name/maxLength",
        ],
        id="MAX_IDENTIFIER_BYTES",
    ),
]


@pytest.mark.parametrize(("expected", "pointers"), STATED)
def test_the_document_states_what_the_code_enforces(document, expected, pointers):
    """The document is data kept by hand (omniorder/blueprints/openapi.yaml): every limit,
    pattern and list in it must be the one the server enforces. A description that names a
    limit must name its current value."""
    for pointer in pointers:
        value = stated(document, pointer)
        if isinstance(value, str) and not isinstance(expected, str):
            assert str(expected) in value or repr(expected) in value, pointer
        else:
            assert value == expected, pointer


def test_the_long_lists_are_the_values_the_server_takes(document):
    """Time zones, currencies and locales follow the installed tz and CLDR data, so the
    document names them and they are filled in when it is served."""
    accepted = accepted_values()
    change = document["components"]["schemas"]["SettingsChange"]["properties"]
    for name in ("timezone", "currency", "locale"):
        assert change[name]["enum"] == list(accepted[name])
    assert "x-omniorder-values" not in str(document)
