"""The customer's storefront: themed menu, cart, checkout and tracking, with and without htmx."""

import re

import pytest
from sqlalchemy import text

from tests.support.storefront import Customer, change_item, menu, order_count

pytestmark = pytest.mark.tenant(
    name="Chez Test", theme_config={"preset": "dark", "primary_color": "#0ea5e9"}
)


@pytest.fixture
def customer(client, tenant):
    return Customer(client, tenant.domain)


def test_menu_page_is_themed_and_grouped_by_category_rank(app, customer, tenant):
    page = customer.get("/")
    assert page.status_code == 200
    html = page.text
    assert "<title>Chez Test</title>" in html and '<h1 class="brand">Chez Test</h1>' in html
    assert "--primary:#0ea5e9" in html and "--bg:#111827" in html  # dark preset
    categories = re.findall(r'<h2 class="category">([^<]+)</h2>', html)
    assert categories == ["Mains", "Sides", "Drinks"]
    mains = html.split('<h2 class="category">Mains')[1].split('<h2 class="category">')[0]
    assert re.findall(r'<h3 class="item-name"><a [^>]+>([^<]+)</a></h3>', mains) == [
        "Fish &amp; Chips",
        "Garden Bowl",
        "Grilled Chicken Plate",
        "House Burger",
    ]
    assert "$12.50" in html
    assert "https://" not in html.split("<body>")[0]  # no external assets at all


def test_sold_out_item_is_marked_and_cannot_be_added(app, customer, tenant):
    fries = menu(app, tenant)["Fries"]
    change_item(app, tenant, fries.id, is_available=False)
    html = customer.get("/").text
    fries_block = html.split("data-item-sheet>Fries</a></h3>")[1].split("</li>")[0]
    assert "Sold out" in fries_block and "/cart/add" not in fries_block
    response = customer.add(fries.id)
    assert response.status_code == 400 and "sold out" in response.text


def test_menu_text_is_escaped(app, customer, tenant):
    burger = menu(app, tenant)["House Burger"]
    change_item(
        app,
        tenant,
        burger.id,
        name="<script>alert(1)</script>",
        description='"><img src=x onerror=alert(2)>',
    )
    html = customer.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_hostile_stored_theme_is_dropped_when_rendered(app, customer, tenant, db_connection):
    db_connection.execute(
        text("UPDATE public.tenants SET theme_config = CAST(:theme AS jsonb) WHERE domain = :d"),
        {
            "theme": '{"primary_color": "red}</style><script>alert(1)</script>", '
            '"font_family": "x;background:url(//evil)", "preset": "nope", "junk": 1}',
            "d": tenant.domain,
        },
    )
    db_connection.commit()
    html = customer.get("/").text
    assert "<script>alert" not in html and "evil" not in html
    assert "--primary:#c2410c" in html and "--bg:#ffffff" in html  # the defaults


def test_cart_updates_with_htmx_partials(app, customer, tenant):
    items = menu(app, tenant)
    response = customer.add(items["House Burger"].id, htmx=True)
    assert response.status_code == 200
    assert response.text.startswith('<aside id="cart"')
    assert '<span id="cart-count" hx-swap-oob="true">1</span>' in response.text
    customer.add(items["House Burger"].id, htmx=True)
    response = customer.add(items["Fries"].id, htmx=True)
    assert '<span id="cart-count" hx-swap-oob="true">3</span>' in response.text
    assert 'id="cart-total">$29.50<' in response.text  # 2 × 12.50 + 4.50

    response = customer.set_quantity(items["House Burger"].id, 1, htmx=True)
    assert 'id="cart-total">$17.00<' in response.text
    response = customer.set_quantity(items["Fries"].id, 0, htmx=True)
    assert "Fries" not in response.text and 'id="cart-total">$12.50<' in response.text


def test_cart_works_without_javascript(app, customer, tenant):
    burger = menu(app, tenant)["House Burger"]
    response = customer.add(burger.id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#item-{burger.id}")
    page = customer.get("/").text
    assert 'Cart (<span id="cart-count">1</span>)' in page


def test_checkout_creates_the_order_and_tracking_page_follows_it(
    app, customer, tenant, db_connection
):
    items = menu(app, tenant)
    customer.add(items["House Burger"].id)
    customer.add(items["Lemonade"].id)
    response = customer.checkout("  Grace  ")
    assert response.status_code == 303
    tracking_url = response.headers["Location"]
    assert re.fullmatch(r"/orders/[0-9a-f-]{36}", tracking_url)

    page = customer.get(tracking_url).text
    assert 'Order #<span id="order-number">1001</span>' in page
    assert "Thank you, Grace!" in page and "$16.00" in page
    assert "Received — waiting for the kitchen" in page and 'hx-trigger="every 3s"' in page
    assert 'Cart (<span id="cart-count">0</span>)' in customer.get("/").text

    order_id = tracking_url.rsplit("/", 1)[1]
    db_connection.exec_driver_sql(
        f"UPDATE \"{tenant.schema_name}\".orders SET status = 'DONE' WHERE id = '{order_id}'"
    )
    db_connection.commit()
    status = customer.get(tracking_url + "/status").text
    assert "Ready for pickup" in status and 'hx-trigger="every 10s"' in status  # until collected

    db_connection.exec_driver_sql(
        f"UPDATE \"{tenant.schema_name}\".orders SET picked_up_at = now() WHERE id = '{order_id}'"
    )
    db_connection.commit()
    status = customer.get(tracking_url + "/status").text
    assert "Picked up" in status and "hx-trigger" not in status  # polling stops


def test_double_submitted_checkout_creates_one_order(app, customer, tenant):
    customer.add(menu(app, tenant)["Fries"].id)
    key = customer.checkout_key()
    first = customer.checkout("Hal", key=key)
    customer.add(menu(app, tenant)["Fries"].id)  # the cart may even have changed meanwhile
    second = customer.checkout("Hal", key=key)
    assert first.headers["Location"] == second.headers["Location"]
    assert order_count(app, tenant) == 1


def test_item_sold_out_between_cart_and_checkout(app, customer, tenant):
    fries = menu(app, tenant)["Fries"]
    customer.add(fries.id)
    change_item(app, tenant, fries.id, is_available=False)
    response = customer.checkout("Ivy", htmx=True)
    assert response.status_code == 409
    assert "Fries just sold out" in response.text and 'id="cart"' in response.text
    assert order_count(app, tenant) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_checkout_needs_a_sensible_name(app, customer, tenant, name):
    customer.add(menu(app, tenant)["Fries"].id)
    response = customer.checkout(name)
    assert response.status_code == 400
    assert order_count(app, tenant) == 0


def test_forms_without_csrf_token_are_refused(app, customer, tenant):
    fries = menu(app, tenant)["Fries"]
    response = customer.post("/cart/add", {"item_id": str(fries.id)})
    assert response.status_code == 400
    customer.add(fries.id)
    response = customer.post("/checkout", {"customer_name": "Jo", "idempotency_key": "k"})
    assert response.status_code == 400 and order_count(app, tenant) == 0


def test_empty_cart_checkout_is_refused(customer):
    response = customer.checkout("Kim", key="a-key-from-an-old-page")
    assert response.status_code == 400 and "Your cart is empty" in response.text


def test_unknown_order_is_404(customer):
    assert customer.get("/orders/00000000-0000-0000-0000-000000000000").status_code == 404
    assert customer.get("/orders/nope").status_code == 404


def test_checkout_takes_an_optional_email_and_phone_for_the_restaurant_only(app, customer, tenant):
    from sqlalchemy import select

    from omniorder.core.database import db
    from omniorder.ordering.models import Order
    from tests.support.choices import bound

    customer.add(menu(app, tenant)["Fries"].id)
    page = customer.get("/").text
    assert 'type="email"' in page and 'type="tel"' in page
    assert "Only the restaurant sees your phone number" in page
    bad = {
        "csrf_token": customer.csrf_token(),
        "idempotency_key": customer.checkout_key(),
        "customer_name": "Kim",
        "email": "kim@",
        "phone": "<script>",
    }
    refused = customer.post("/checkout", bad, htmx=True)
    assert refused.status_code == 400
    assert "E-mail must be an e-mail address" in refused.text
    assert "Phone must be a phone number" in refused.text
    assert 'value="kim@"' in refused.text and "&lt;script&gt;" in refused.text  # kept, escaped
    assert "<script>" not in refused.text.split('id="cart"')[1]
    assert order_count(app, tenant) == 0

    placed = customer.post("/checkout", {**bad, "email": "kim@example.org", "phone": ""})
    assert placed.status_code == 303
    with bound(app, tenant):
        order = db.session.scalars(select(Order)).one()
        assert (order.customer_email, order.customer_phone) == ("kim@example.org", None)


FLASK_STUB = """#!/bin/sh
log="$(dirname "$0")/../../calls.log"
echo "$1 ${OMNIORDER_PUBLIC_PORT-unset}" >> "$log"
if [ "$1" = run ]; then  # serve until the worker has started, as the real server would
  for _ in $(seq 100); do grep -q '^worker ' "$log" && exit 0; sleep 0.1; done
fi
"""


@pytest.mark.parametrize(
    "environment, link",
    [
        ({}, "http://pizza.localhost:5000/orders/"),
        ({"PORT": "8123"}, "http://pizza.localhost:8123/orders/"),
        ({"PORT": "8123", "OMNIORDER_PUBLIC_PORT": "443"}, "http://pizza.localhost:443/orders/"),
        ({"PORT": "8123", "OMNIORDER_PUBLIC_PORT": ""}, "http://pizza.localhost/orders/"),
    ],
)
def test_scripts_run_gives_its_worker_the_port_it_serves_on(tmp_path, environment, link):
    """scripts/run, its flask and python replaced by stubs that log what they were run with:
    the worker (which e-mails the tracking links) gets the port the web server serves on,
    unless OMNIORDER_PUBLIC_PORT is set (even empty)."""
    import shutil
    import subprocess
    import uuid

    from omniorder import create_app
    from omniorder.notifications.mail import tracking_url
    from tests.support import REPOSITORY

    shutil.copytree(REPOSITORY / "scripts", tmp_path / "scripts")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("flask", "python"):
        (bin_dir / name).write_text(FLASK_STUB)
        (bin_dir / name).chmod(0o755)
    subprocess.run(  # its exit status is the stopped worker's, so not checked
        [str(tmp_path / "scripts" / "run")],
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 40, **environment},
        capture_output=True,
        timeout=60,
    )
    calls = dict(line.split(" ", 1) for line in (tmp_path / "calls.log").read_text().splitlines())
    assert calls["run"] == calls["worker"]  # the web server and the worker agree
    port = None if calls["worker"] in ("unset", "") else calls["worker"]
    app = create_app({"TESTING": True, "OMNIORDER_PUBLIC_PORT": port})
    with app.app_context():
        assert tracking_url(app, "pizza.localhost", uuid.UUID(int=1)).startswith(link)


def test_a_cancelled_order_says_nothing_about_paying(app, customer, tenant):
    """The payment line lives in the polled status, so an open page loses it when the kitchen
    cancels; the receipt of a cancelled order does not mention payment either."""
    from tests.support.orders import cancel

    customer.add(menu(app, tenant)["House Burger"].id)
    tracking = customer.checkout("Ada").headers["Location"]
    order_id = tracking.rsplit("/", 1)[1]
    status = customer.get(tracking + "/status").text
    assert "Pay at pickup:" in status and "please pay at the counter when you pick up" in status
    assert "Pay at pickup" in customer.get(tracking + "/receipt").text

    cancel(app, tenant, order_id)
    for path in (tracking, tracking + "/status", tracking + "/receipt"):
        page = customer.get(path).text
        assert "Cancelled" in page, path
        assert not re.search(r"\bpay", page, re.IGNORECASE), path


def cart_bar(html):
    return html.split('id="cart-bar"')[1].split("</div>")[0]


def test_the_cart_bar_confirms_an_add_with_and_without_javascript(app, customer, tenant):
    items = menu(app, tenant)
    assert "View cart" not in cart_bar(customer.get("/").text)  # empty cart: no bar

    response = customer.add(items["House Burger"].id, htmx=True)
    bar = response.text.split('<div id="cart-bar"')[1].split("</div>")[0]
    assert 'hx-swap-oob="innerHTML"' in bar  # swapped inside: the live region stays
    assert "Added House Burger to your order." in bar
    assert '<span id="cart-bar-count">1 item</span>' in bar and ">$12.50</strong>" in bar

    fries = items["Fries"]
    response = customer.add(fries.id)  # without JavaScript: back at the item
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#item-{fries.id}")
    page = customer.get("/").text
    assert f'id="item-{fries.id}"' in page
    bar = cart_bar(page)
    assert "Added Fries to your order." in bar and 'href="/#cart"' in bar
    assert '<span id="cart-bar-count">2 items</span>' in bar and ">$17.00</strong>" in bar
    assert "Added" not in cart_bar(customer.get("/").text)  # said once
    response = customer.set_quantity(fries.id, 0, htmx=True)
    assert '<span id="cart-bar-count">1 item</span>' in response.text

    tracking = customer.checkout("Ada").headers["Location"]
    assert "View cart" not in cart_bar(customer.get(tracking).text)  # checked out: empty
    customer.add(fries.id)
    for path in (tracking, tracking + "/receipt"):  # on every storefront page
        assert '<span id="cart-bar-count">1 item</span>' in cart_bar(customer.get(path).text)
