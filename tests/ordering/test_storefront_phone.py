"""The storefront on a phone, over HTTP without a browser (issue 28): an item's own page (the
item sheet without JavaScript), "Order again" from a past order, and the pickup picker's form
post. The browser side is tests/browser/test_storefront_phone_browser.py."""

import datetime
import html as html_module
import re
import uuid

import pytest

from tests.support.choices import add_pizza, bound, set_settings
from tests.support.storefront import Customer, change_item, menu

pytestmark = pytest.mark.tenant(name="Phone Pizzeria")


@pytest.fixture
def customer(client, tenant):
    return Customer(client, tenant.domain)


def cart_of(customer) -> str:
    html = customer.get("/").text
    return html.split('<aside id="cart"')[1].split("</aside>")[0]


def place(customer, name="Ada"):
    response = customer.checkout(name)
    assert response.status_code == 303, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


# --- GET /items/<id> -------------------------------------------------------------------------


def test_an_items_page_has_its_allergens_options_note_and_quantity(app, customer, tenant):
    pizza = add_pizza(app, tenant)
    page = customer.get(f"/items/{pizza.id}")
    assert page.status_code == 200
    html = page.text
    assert "<title>Margherita · Phone Pizzeria</title>" in html
    assert "Allergens:</span> gluten, milk" in html
    assert f'value="{pizza.options["Large"]}" data-delta="300" required>' in html
    assert 'name="note"' in html and 'name="quantity" type="number" min="1" max="99"' in html
    assert 'action="/cart/add"' in html and "Add to order · <span data-item-total>$11.00" in html
    assert html.count("<form") == html.count('name="csrf_token"')

    fragment = customer.get(f"/items/{pizza.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div class="item-sheet">')
    assert "HX-Request" in fragment.headers["Vary"]
    assert 'id="item-sheet-title"' in fragment.text


def test_the_menu_row_links_to_the_items_page_and_has_no_options(app, customer, tenant):
    pizza = add_pizza(app, tenant)
    html = customer.get("/").text
    row = html.split(f'id="item-{pizza.id}"')[1].split("</li>")[0]
    assert f'href="/items/{pizza.id}" data-item-sheet>Margherita</a>' in row
    assert "from $11.00" in row and 'name="options"' not in row and "/cart/add" not in row
    assert 'data-allergens="gluten milk"' in row
    fries = html.split("data-item-sheet>Fries</a>")[1].split("</li>")[0]
    assert 'aria-label="Add Fries to your order"' in fries  # one tap: no options


def test_an_item_added_from_its_page_without_javascript(app, customer, tenant):
    pizza = add_pizza(app, tenant)
    token = re.search(r'name="csrf_token" value="([^"]+)"', customer.get(f"/items/{pizza.id}").text)
    response = customer.post(
        "/cart/add",
        {
            "csrf_token": token.group(1),
            "item_id": str(pizza.id),
            "options": [str(pizza.options["Large"]), str(pizza.options["Basil"])],
            "note": "crispy",
            "quantity": "2",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/#item-{pizza.id}")
    cart = cart_of(customer)
    assert "Size: Large (+$3.00); Extras: Basil (+$0.50)" in cart and "Note: crispy" in cart
    assert 'value="2"' in cart and "$29.00" in cart


def test_a_sold_out_items_page_offers_no_form(app, customer, tenant):
    fries = menu(app, tenant)["Fries"]
    change_item(app, tenant, fries.id, is_available=False)
    html = customer.get(f"/items/{fries.id}").text
    assert "Sold out" in html and "/cart/add" not in html


def test_an_unknown_or_another_restaurants_item_is_404(app, customer, make_tenant):
    assert customer.get(f"/items/{uuid.uuid4()}").status_code == 404
    assert customer.get("/items/not-a-uuid").status_code == 404
    other = make_tenant(name="Elsewhere")
    theirs = menu(app, other)["Fries"]
    assert customer.get(f"/items/{theirs.id}").status_code == 404
    assert Customer(customer.client, other.domain).get(f"/items/{theirs.id}").status_code == 200


# --- GET /orders/<id>/again -----------------------------------------------------------------


def test_order_again_puts_the_lines_into_a_new_cart(app, client, customer, tenant):
    pizza = add_pizza(app, tenant)
    fries = menu(app, tenant)["Fries"]
    customer.add(pizza.id, quantity=2, options=[pizza.options["Large"]], note="crispy")
    customer.add(fries.id)
    order_id = place(customer)

    assert (
        f'href="/orders/{order_id}/again">Order again</a>'
        in customer.get(f"/orders/{order_id}").text
    )
    later = Customer(app.test_client(), tenant.domain)  # another visit, an empty cart
    response = later.get(f"/orders/{order_id}/again")
    assert response.status_code == 303 and response.headers["Location"].endswith("/#cart")
    page = later.get("/").text
    cart = page.split('<aside id="cart"')[1].split("</aside>")[0]
    assert cart.startswith(' class="cart" aria-labelledby="cart-title" data-open-sheet>')
    assert "Order #1001 is in your cart again." in cart
    assert "Size: Large (+$3.00)" in cart and "Note: crispy" in cart and "Fries" in cart
    assert 'Cart (<span id="cart-count">3</span>)' in page
    assert "data-open-sheet" not in cart_of(later)  # the notice is shown once


def test_order_again_leaves_out_what_is_no_longer_sold_and_says_so(app, customer, tenant):
    from omniorder.core.database import db
    from omniorder.menu.models import MenuItem

    pizza = add_pizza(app, tenant, name="Funghi")
    items = menu(app, tenant)
    customer.add(pizza.id, options=[pizza.options["Regular"], pizza.options["Olives"]])
    customer.add(items["Fries"].id)
    customer.add(items["Lemonade"].id)
    customer.add(items["House Burger"].id)
    order_id = place(customer)
    change_item(app, tenant, items["Fries"].id, is_available=False)  # sold out
    with bound(app, tenant):
        db.session.delete(db.session.get(MenuItem, items["Lemonade"].id))  # deleted
    from tests.support.choices import change_option

    change_option(app, tenant, pizza.options["Olives"], is_available=False)  # an option

    response = customer.get(f"/orders/{order_id}/again")
    assert response.status_code == 303
    cart = cart_of(customer)
    assert "No longer available, left out: Funghi, Fries, Lemonade." in cart
    assert "The rest of order #1001 is in your cart." in cart
    lines = re.findall(r'<span class="cart-line-name">([^<]+)', cart)
    assert lines == ["House Burger"]


def test_order_again_of_an_unknown_order_is_404(customer):
    assert customer.get(f"/orders/{uuid.uuid4()}/again").status_code == 404
    assert customer.get("/orders/1001/again").status_code == 404


# --- the pickup picker without JavaScript -------------------------------------------------


def test_the_pickup_picker_posts_a_slot_of_tomorrow_without_javascript(app, customer, tenant):
    berlin = "Europe/Berlin"
    week = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    set_settings(app, tenant, timezone=berlin, hours=week)
    customer.add(menu(app, tenant)["Fries"].id)
    html = customer.get("/").text
    from zoneinfo import ZoneInfo

    tomorrow = datetime.datetime.now(ZoneInfo(berlin)).date() + datetime.timedelta(days=1)
    noon = datetime.datetime.combine(tomorrow, datetime.time(12, 30), ZoneInfo(berlin))
    picker = html.split('<fieldset class="pickup-time" data-pickup>')[1]
    # checked when no slot is left today (late in the evening, Berlin time)
    day_button = f'name="pickup_day" value="{tomorrow}"( checked)?><span>Tomorrow</span>'
    assert re.search(day_button, picker)
    tomorrows = picker.split(f'data-day="{tomorrow.isoformat()}">')[1].split("</fieldset>")[0]
    assert tomorrows.startswith("\n    <legend>Tomorrow</legend>")
    assert f'name="pickup_at" value="{noon.isoformat()}">12:30\u202fPM</label>' in tomorrows
    response = customer.post(
        "/checkout",
        {
            "csrf_token": customer.csrf_token(),
            "idempotency_key": customer.checkout_key(),
            "customer_name": "Ada",
            "pickup_day": tomorrow.isoformat(),  # the day buttons' radio comes along, unread
            "pickup_at": noon.isoformat(),
        },
    )
    assert response.status_code == 303, response.text
    tracking = customer.get(response.headers["Location"]).text
    utc = noon.astimezone(datetime.UTC).isoformat()
    assert f'Pickup <time datetime="{utc}">' in tracking


# --- Search without JavaScript: the same form, sent ------------------------------------------


def item_names(html: str) -> list[str]:
    return [html_module.unescape(name) for name in re.findall(r"data-item-sheet>([^<]+)</a>", html)]


def test_the_search_form_filters_the_menu_without_javascript(customer):
    everything = item_names(customer.get("/").text)
    assert "Fish & Chips" in everything and "Garden Bowl" in everything

    page = customer.get("/?q=BOWL").text
    assert item_names(page) == ["Garden Bowl"]
    assert 'value="bowl"' in page and "1 item matches" in page

    # the words of the name and of the description, all of them
    assert item_names(customer.get("/?q=beer+cod").text) == ["Fish & Chips"]

    without_fish = item_names(customer.get("/?without=fish").text)
    assert "Fish & Chips" not in without_fish and "Garden Bowl" in without_fish
    assert 'value="fish" data-without checked' in customer.get("/?without=fish").text

    none = customer.get("/?q=%3Cscript%3Ezzz").text
    assert item_names(none) == [] and "No items match" in none
    assert "Show the whole menu" in none and "<script>zzz" not in none
    # an allergen we do not know and an overlong query are ignored, not an error
    assert customer.get("/?without=plutonium&q=" + "a" * 5000).status_code == 200
