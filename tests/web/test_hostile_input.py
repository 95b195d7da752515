"""Hostile input at every boundary (issue 13, items 1-3 and 14): a clear 4xx with our security
headers, never a 500, and nothing written; error pages in the restaurant's own layout."""

import json
import re
import uuid

import pytest
from sqlalchemy import text

from tests.support.app import SYS_TOKEN, make_app
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu, order_count

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}
BAD_HOSTS = [
    "pizza.localhost..",
    ".pizza.localhost",
    "a..b",
    "x" * 64 + ".test",
    "pizza.localhost:99999",
    "pizza_hut.localhost",
    "[::1",
]
PATHS = ["/", "/healthz", "/static/app.css", "/api/v1/menu", "/kitchen/board?since=x"]


pytestmark = pytest.mark.tenant(name="Hostile Bistro")


@pytest.fixture
def customer(app, tenant):
    return Customer(app.test_client(), tenant.domain)


@pytest.fixture(autouse=True)
def _forget_failed_token_attempts():
    from omniorder.blueprints import sysapi

    getattr(sysapi, "_failures", {}).clear()
    yield
    getattr(sysapi, "_failures", {}).clear()


def assert_security_headers(response):
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def registry_rows(db_connection, domain) -> int:
    count = db_connection.scalar(
        text("SELECT count(*) FROM public.tenants WHERE domain = :d"), {"d": domain}
    )
    db_connection.rollback()
    return count


def provision(client, body):
    return client.post("/api/v1/sys/provision", json=body, headers=AUTH)


# --- item 1: Host headers ------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_bad_host_header_is_400_with_security_headers(client, host, path):
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
    assert "Bad Host header" in response.text
    assert_security_headers(response)


@pytest.mark.parametrize("host", BAD_HOSTS[:4])
def test_a_bad_forwarded_host_is_400_behind_a_trusted_proxy(database_url, host):
    client = make_app(database_url, OMNIORDER_PROXY_HOPS=1).test_client()
    for path in PATHS:
        response = client.get(path, headers={"Host": "proxy.internal", "X-Forwarded-Host": host})
        assert response.status_code == 400, path
        assert "Bad Host header" in response.text
        assert_security_headers(response)


def test_the_host_is_checked_after_the_proxy_rewrote_it(database_url, tenant):
    """Behind a trusted proxy the forwarded host is the one that counts, in both directions."""
    client = make_app(database_url, OMNIORDER_PROXY_HOPS=1).test_client()
    served = client.get("/api/v1/menu", headers={"Host": "a..b", "X-Forwarded-Host": tenant.domain})
    assert served.status_code == 200 and served.json["items"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:5000",
        "127.0.0.1",
        "localhost",
        "localhost:5000",
        "[::1]",
        "[::1]:5000",
        "LOCALHOST.",
    ],
)
def test_addresses_and_localhost_still_work(client, host):
    assert client.get("/healthz", headers={"Host": host}).status_code == 200
    no_restaurant = client.get("/", headers={"Host": host})
    assert no_restaurant.status_code == 404 and "No restaurant" in no_restaurant.text


def test_a_restaurant_answers_with_a_port_a_trailing_dot_and_capitals(client, tenant):
    for host in (tenant.domain + ":5000", tenant.domain + ".", tenant.domain.upper()):
        assert client.get("/api/v1/menu", headers={"Host": host}).status_code == 200, host


def test_error_pages_render_without_a_url_adapter(app):
    """Should anything ever get past the Host check, the page still renders (no url_for)."""
    from werkzeug.exceptions import BadRequest

    with app.test_request_context("/", headers={"Host": "a..b"}) as context:
        assert context.url_adapter is None
        response = app.make_response(app.handle_user_exception(BadRequest("Broken")))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Broken" in page and "/static/app.css" in page


# --- item 2: lone surrogates ----------------------------------------------------------------


def test_a_lone_surrogate_in_an_api_order_is_400_naming_the_field(app, client, tenant):
    fries = menu(app, tenant)["Fries"]
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={
            "customer_name": "a\ud800",
            "items": [{"menu_item_id": str(fries.id), "quantity": 1}],
        },
    )
    assert response.status_code == 400
    assert "customer_name" in response.json["fields"]
    assert_security_headers(response)
    assert order_count(app, tenant) == 0


def test_a_lone_surrogate_in_a_key_is_400_and_the_answer_is_still_valid(app, client, tenant):
    """The whole body is checked, not only the fields a view reads (it ignored this key)."""
    fries = menu(app, tenant)["Fries"]
    items = json.dumps([{"menu_item_id": str(fries.id), "quantity": 1}])
    body = f'{{"customer_name": "Ann", "items": {items}, "\\udc80": 1}}'
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json["fields"] == {"\\udc80": response.json["fields"]["\\udc80"]}
    response.text.encode()  # no surrogate echoed back
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize("field", ["name", "admin_password", "admin_email", "schema_name"])
def test_a_lone_surrogate_in_provisioning_is_400_and_nothing_is_made(client, db_connection, field):
    body = {
        "name": "Surrogate Diner",
        "domain": "surrogate.localhost",
        "admin_email": "boss@surrogate.localhost",
        "admin_password": "a long passphrase",
    }
    body[field] = {"schema_name": "tenant_surrogate\udfff"}.get(
        field, body.get(field, "") + "\ud800"
    )
    response = provision(client, body)
    assert response.status_code == 400
    assert field in response.json["fields"]
    assert registry_rows(db_connection, "surrogate.localhost") == 0


def test_a_lone_surrogate_in_a_form_post_is_400_and_no_order_is_placed(app, customer, tenant):
    """Flask-WTF also reads JSON bodies as form data: the boundary covers that way in too."""
    customer.add(menu(app, tenant)["Fries"].id)
    response = customer.client.post(
        "/checkout",
        base_url=customer.base_url,
        headers={"X-CSRFToken": customer.csrf_token()},
        json={"customer_name": "a\ud800", "idempotency_key": customer.checkout_key()},
    )
    assert response.status_code == 400
    assert "customer_name" in response.text
    assert_security_headers(response)
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"customer_name": {"a": 1}},
        {"customer_name": 12},
        ["customer_name"],
        {"customer_name": [["x"]]},
    ],
)
def test_a_json_body_on_a_form_must_hold_text(app, customer, tenant, body):
    customer.add(menu(app, tenant)["Fries"].id)
    response = customer.client.post(
        "/checkout",
        base_url=customer.base_url,
        headers={"X-CSRFToken": customer.csrf_token()},
        json=body,
    )
    assert response.status_code == 400
    assert order_count(app, tenant) == 0


# --- item 3: theme values -------------------------------------------------------------------


@pytest.mark.parametrize(
    "theme",
    [
        {"preset": ["dark"]},
        {"preset": {"dark": 1}},
        {"font_family": ["serif"]},
        {"font_family": {"serif": True}},
        {"primary_color": "#aabbcc\n"},
        {"primary_color": ["#aabbcc"]},
        {"preset": "dark\n"},
        {"font_family": 7},
    ],
)
def test_a_theme_value_of_the_wrong_kind_is_400_and_nothing_is_stored(client, db_connection, theme):
    response = provision(
        client,
        {
            "name": "Theme Trouble",
            "domain": "theme-trouble.localhost",
            "admin_email": "boss@theme-trouble.localhost",
            "theme_config": theme,
        },
    )
    assert response.status_code == 400
    [key] = theme
    assert f"theme_config.{key}" in response.json["fields"]
    assert registry_rows(db_connection, "theme-trouble.localhost") == 0


def stored_theme(db_connection, tenant) -> dict:
    theme = db_connection.scalar(
        text("SELECT theme_config FROM public.tenants WHERE domain = :d"), {"d": tenant.domain}
    )
    db_connection.rollback()
    return theme


@pytest.mark.parametrize(
    "values",
    [
        {"preset": "dark", "primary_color": {"#aabbcc": 1}, "font_family": "serif"},
        {"preset": "dark", "primary_color": 123, "font_family": "serif"},
        {"preset": {"dark": 1}, "primary_color": "#aabbcc", "font_family": "serif"},
        {"preset": "dark", "primary_color": "#aabbcc", "font_family": ["serif", {}]},
    ],
)
def test_the_admin_theme_form_refuses_values_of_the_wrong_kind(app, tenant, db_connection, values):
    admin = signed_in(app, tenant, "admin")
    before = stored_theme(db_connection, tenant)
    response = admin.client.post(
        "/admin/theme", base_url=admin.base_url, json=values, headers={"X-CSRFToken": admin.token()}
    )
    assert response.status_code == 400
    assert stored_theme(db_connection, tenant) == before


def test_the_admin_theme_form_stores_only_a_clean_colour(app, tenant, db_connection):
    admin = signed_in(app, tenant, "admin")
    response = admin.post(
        "/admin/theme", {"preset": "dark", "primary_color": " #aabbcc\n", "font_family": "serif"}
    )
    assert response.status_code == 303
    assert stored_theme(db_connection, tenant)["primary_color"] == "#aabbcc"


def test_a_stored_colour_with_a_newline_is_dropped_when_rendered():
    from omniorder.settings.theme import theme_css, theme_for_render

    theme = {"primary_color": "#aabbcc\n", "preset": ["dark"], "font_family": {"x": 1}}
    assert theme_for_render(theme)["primary_color"] == "#c2410c"
    assert "\n" not in theme_css(theme)


# --- item 14: friendlier pages --------------------------------------------------------------


def test_a_403_is_in_the_restaurants_layout_with_a_way_back(app, tenant):
    cook = signed_in(app, tenant, "kitchen")
    response = cook.get("/admin/menu")
    assert response.status_code == 403
    page = response.text
    assert "Hostile Bistro" in page and "<style nonce=" in page  # its name and theme
    assert 'href="/kitchen"' in page and 'href="/"' in page
    assert_security_headers(response)


def test_a_404_on_a_restaurant_links_back_to_its_menu(client, tenant):
    response = client.get("/no-such-page", headers={"Host": tenant.domain})
    assert response.status_code == 404
    assert "Hostile Bistro" in response.text and 'href="/"' in response.text
    assert "csrf-token" not in response.text and "Set-Cookie" not in response.headers


def test_a_404_of_an_htmx_request_is_a_fragment(client, tenant):
    response = client.get("/no-such-page", headers={"Host": tenant.domain, "HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text


def test_staff_error_pages_link_to_the_board_and_for_managers_the_back_office(app, tenant):
    admin = signed_in(app, tenant, "admin")
    gone = admin.get(f"/admin/items/{uuid.uuid4()}/edit")  # the view loaded the admin
    assert gone.status_code == 404
    assert 'href="/kitchen"' in gone.text and 'href="/admin/menu"' in gone.text
    unknown = admin.get("/no-such-page")  # nobody loaded the user: no query for an error page
    assert unknown.status_code == 404 and 'href="/kitchen"' in unknown.text


def test_an_anonymous_error_on_a_staff_path_links_to_the_login(client, tenant):
    response = client.get("/admin/no-such-page", headers={"Host": tenant.domain})
    assert response.status_code == 404 and 'href="/login"' in response.text


def test_the_favicon_is_served_without_a_tenant(client, tenant):
    for host in ("127.0.0.1:5000", tenant.domain):
        icon = client.get("/favicon.ico", headers={"Host": host})
        assert icon.status_code == 200 and icon.mimetype.startswith("image/")
    page = client.get("/", headers={"Host": tenant.domain}).text
    svg = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert client.get(svg, headers={"Host": tenant.domain}).status_code == 200


def test_the_storefront_has_a_meta_description(client, tenant):
    page = client.get("/", headers={"Host": tenant.domain}).text
    description = re.search(r'<meta name="description" content="([^"]+)"', page)
    assert description and "Hostile Bistro" in description.group(1)


def test_a_cart_error_without_javascript_is_shown_once(app, customer, tenant):
    fries = menu(app, tenant)["Fries"]
    response = customer.add(fries.id, quantity=100)  # over the per-line maximum
    assert response.status_code == 400
    assert response.text.count('role="alert"') == 1
    htmx = customer.add(fries.id, quantity=100, htmx=True)
    assert htmx.status_code == 400 and htmx.text.count('role="alert"') == 1


# --- issue 24 item 4: control characters in the names an operator or admin sets -----------

# Each would end up in a mail header, a kitchen ticket or a page: a line break injects a header
# ("Bcc:"), a tab or NUL breaks a ticket, a bidi override turns a name around on screen.
CONTROL_NAMES = {
    "CR LF": "Evil\r\nBcc: x@example.com",
    "LF": "Two\nlines",
    "tab": "Tab\tbed",
    "NUL": "Nul\x00led",
    "ESC": "Esc\x1b[31mred",
    "DEL": "Del\x7fete",
    "C1 NEL": "Next\x85line",
    "line separator": "Line\u2028break",
    "right-to-left override": "Evil\u202egnp.exe",
    "byte order mark": "Bom\ufeffb",
}
CONTROL_IDS = list(CONTROL_NAMES)


def assert_refused_name(response, field):
    assert response.status_code == 400, response.text
    assert "control characters" in response.json["fields"][field], response.json
    response.text.encode()  # the character is named, not echoed: the answer is valid UTF-8
    assert_security_headers(response)


@pytest.mark.parametrize("name", CONTROL_NAMES.values(), ids=CONTROL_IDS)
def test_a_control_character_in_a_restaurant_name_is_refused_at_provisioning(
    client, db_connection, name
):
    """Before: "Evil\\r\\nBcc: x@example.com" was accepted, and every e-mail of the restaurant
    then failed."""
    response = provision(client, {"name": name, "domain": "evil.localhost"})
    assert_refused_name(response, "name")
    assert registry_rows(db_connection, "evil.localhost") == 0


@pytest.mark.parametrize(
    "name", [*CONTROL_NAMES.values(), "Undecodable \udcff byte"], ids=[*CONTROL_IDS, "surrogate"]
)
def test_flask_tenants_create_refuses_a_control_character_in_the_name(runner, db_connection, name):
    result = runner.invoke(
        args=["tenants", "create", "--name", name, "--domain", "evil-cli.localhost"]
    )
    assert result.exit_code == 2, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and error[0].startswith("Error: name: must be one line of text")
    assert "Traceback" not in result.output
    assert registry_rows(db_connection, "evil-cli.localhost") == 0


MENU_NAME_PATHS = {  # where a name sits in a menu document → the path the answer names
    "category": ("categories[0].name", lambda d, v: d["categories"][0].update(name=v)),
    "station": ("categories[0].station", lambda d, v: d["categories"][0].update(station=v)),
    "item": (
        "categories[0].items[0].name",
        lambda d, v: d["categories"][0]["items"][0].update(name=v),
    ),
    "option group": (
        "categories[0].items[0].option_groups[0].name",
        lambda d, v: d["categories"][0]["items"][0]["option_groups"][0].update(name=v),
    ),
    "option": (
        "categories[0].items[0].option_groups[0].options[0].name",
        lambda d, v: d["categories"][0]["items"][0]["option_groups"][0]["options"][0].update(
            name=v
        ),
    ),
}


def menu_document() -> dict:
    return {
        "categories": [
            {
                "name": "Pizzas",
                "station": "Oven",
                "items": [
                    {
                        "name": "Margherita",
                        "price": 1100,
                        "option_groups": [
                            {"name": "Size", "min": 1, "max": 1, "options": [{"name": "Large"}]}
                        ],
                    }
                ],
            }
        ]
    }


@pytest.mark.parametrize("where", MENU_NAME_PATHS)
@pytest.mark.parametrize("name", ["Evil\r\nBcc: x@example.com", "Tab\tbed", "Evil\u202egnp"])
def test_a_control_character_in_a_menu_name_is_400_at_its_path(client, tenant, where, name):
    path, put_name = MENU_NAME_PATHS[where]
    url = f"/api/v1/sys/tenants/{tenant.domain}/menu"
    before = client.get(url, headers=AUTH).json
    document = menu_document()
    put_name(document, name)
    response = client.put(url, json=document, headers=AUTH)
    assert_refused_name(response, path)
    assert client.get(url, headers=AUTH).json == before
    clean = client.put(f"{url}?dry_run=true", json=menu_document(), headers=AUTH)
    assert clean.status_code == 200  # the document is fine but for the name


def test_the_documented_name_pattern_is_the_rule_the_server_applies():
    """The OpenAPI document's pattern for names refuses exactly what `clean_line` refuses, in
    the Basic Multilingual Plane (schemathesis generates from it)."""
    import re as regex

    from omniorder.core.text_input import first_control_character, line_pattern

    pattern = regex.compile(line_pattern())
    for code_point in (*range(0xD800), *range(0xE000, 0x10000)):
        character = chr(code_point)
        documented = pattern.search(f"a{character}b") is not None
        assert documented == (first_control_character(character) is None), hex(code_point)


def test_the_documented_description_pattern_is_the_rule_the_server_applies():
    """An item's description: line breaks allowed, the other refused characters not."""
    import re as regex

    from omniorder.core.errors import Invalid
    from omniorder.core.text_input import clean_text, text_pattern

    pattern = regex.compile(text_pattern())
    for code_point in (*range(0xD800), *range(0xE000, 0x10000)):
        text = f"a{chr(code_point)}b"
        try:
            taken = clean_text("description", text, limit=10) is not None
        except Invalid:
            taken = False
        assert bool(pattern.search(text)) == taken, hex(code_point)


# JSON has one number type: a whole number written as a float is that integer (as JSON Schema
# counts it), anything else where an integer belongs is a 400, never a 500.
NUMBERS = [("2.0", 200), ("2e0", 200), ("2.5", 400), ("true", 400), ('"2"', 400)]
NUMBERS += [("1e400", 400), ("-1e400", 400), ("NaN", 400), ("1e20", 400), ("2.0000001", 400)]


@pytest.mark.parametrize("number, status", NUMBERS, ids=[n for n, _ in NUMBERS])
def test_a_number_where_an_integer_belongs_in_the_settings(client, tenant, number, status):
    url = f"/api/v1/sys/tenants/{tenant.domain}/settings"
    body = f'{{"prep_minutes": {number.replace("2", "20", 1)}, "tax": {{"rate_bp": 1900}}}}'
    response = client.patch(url, data=body, content_type="application/json", headers=AUTH)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json["prep_minutes"] == 20 and '"prep_minutes":20,' in response.text


@pytest.mark.parametrize("number, status", NUMBERS, ids=[n for n, _ in NUMBERS])
def test_a_number_where_an_integer_belongs_in_an_order(app, client, tenant, number, status):
    fries = menu(app, tenant)["Fries"]
    body = (
        f'{{"customer_name": "N", "items": [{{"menu_item_id": "{fries.id}", '
        f'"quantity": {number}}}]}}'
    )
    response = client.post(
        "/api/v1/orders",
        data=body,
        content_type="application/json",
        headers={"Host": tenant.domain},
    )
    assert response.status_code == (201 if status == 200 else 400), response.text
    if status == 200:
        assert response.json["items"][0]["quantity"] == 2
    assert order_count(app, tenant) == (1 if status == 200 else 0)
