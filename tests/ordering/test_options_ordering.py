"""Ordering with options and notes: the JSON API's checks of every choice, the snapshot, the
idempotency digest; then the storefront (cart lines, tax and tip, checkout, receipt), the
kitchen ticket and the order history, on real PostgreSQL."""

import re
import uuid

import pytest

from omniorder.ordering.checkout import request_digest
from omniorder.ordering.order_input import OrderLine
from omniorder.ordering.pricing import Tip
from tests.support.choices import add_dish, add_pizza, change_option, delete_group, set_settings
from tests.support.staff import signed_in
from tests.support.storefront import Customer, change_item, order_count


def post_order(client, tenant, body, **headers):
    return client.post("/api/v1/orders", json=body, headers={"Host": tenant.domain, **headers})


def pizza_line(pizza, *options, quantity=1, **extra):
    return {
        "menu_item_id": str(pizza.id),
        "quantity": quantity,
        "options": [str(pizza.options[name]) for name in options],
        **extra,
    }


@pytest.fixture
def pizza(app, tenant):
    return add_pizza(app, tenant)


@pytest.fixture
def customer(client, tenant):
    return Customer(client, tenant.domain)


# --- the JSON API ---------------------------------------------------------------------------


def test_the_server_prices_options_and_snapshots_each_line(app, client, tenant, pizza):
    body = {
        "customer_name": "Ann",
        "items": [
            pizza_line(pizza, "Large", "Basil", quantity=2, note="  no garlic  ", unit_price=1),
            pizza_line(pizza, "Regular"),
        ],
        "note": "We are in a hurry",
    }
    response = post_order(client, tenant, body)
    assert response.status_code == 201, response.json
    order = response.json
    large, regular = order["items"]
    large_id, basil_id = str(pizza.options["Large"]), str(pizza.options["Basil"])
    assert large == {
        "menu_item_id": str(pizza.id),
        "name": "Margherita",
        "unit_price": 1100 + 300 + 50,
        "options": [
            {"id": large_id, "group": "Size", "name": "Large", "price_delta": 300},
            {"id": basil_id, "group": "Extras", "name": "Basil", "price_delta": 50},
        ],
        "quantity": 2,
        "line_total": 2900,
        "note": "no garlic",
    }
    assert regular["unit_price"] == 1100 and regular["note"] is None
    assert [option["name"] for option in regular["options"]] == ["Regular"]
    assert order["subtotal"] == order["total_amount"] == 4000
    assert order["note"] == "We are in a hurry"
    fetched = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain})
    assert fetched.json == order


def test_one_item_with_other_options_or_notes_is_two_lines(app, client, tenant, pizza):
    items = [
        pizza_line(pizza, "Large"),
        pizza_line(pizza, "Regular"),
        pizza_line(pizza, "Large", note="well done"),
    ]
    response = post_order(client, tenant, {"customer_name": "Bo", "items": items})
    assert response.status_code == 201 and len(response.json["items"]) == 3
    twice = [pizza_line(pizza, "Large", "Basil"), pizza_line(pizza, "Basil", "Large")]
    response = post_order(client, tenant, {"customer_name": "Bo", "items": twice})
    assert response.status_code == 400
    assert "appears twice" in response.json["fields"]["items[1].menu_item_id"]


OPTION_ERRORS = [
    # (label, how the line is built, field, words the message must hold)
    ("required choice missing", lambda p, o: [o["Basil"]], "options", "choose a Size"),
    ("no options at all", lambda p, o: [], "options", "Margherita: choose a Size"),
    ("two sizes", lambda p, o: [o["Regular"], o["Large"]], "options", "choose only one Size"),
    (
        "too many extras",
        lambda p, o: [o["Large"], o["Basil"], o["Olives"], o["Truffle"]],
        "options",
        "choose at most 2 of Extras",
    ),
    ("another item's option", lambda p, o: [o["Large"], o["Other"]], "options", "has no option"),
    ("unknown option", lambda p, o: [o["Large"], uuid.uuid4()], "options", "has no option"),
]
# Malformed: 400.
MALFORMED_OPTIONS = [
    ("option twice", lambda p, o: [o["Large"], o["Large"]], "options", "lists an option twice"),
    ("not a list", lambda p, o: str(o["Large"]), "options", "must be a list"),
    ("not an id", lambda p, o: [o["Large"], "large"], "options", "must be a list of option ids"),
    ("a number", lambda p, o: [o["Large"], 7], "options", "must be a list of option ids"),
    ("too many ids", lambda p, o: [uuid.uuid4() for _ in range(31)], "options", "at most 30"),
]


@pytest.mark.parametrize(
    "label, options, field, message, status",
    [(*e, 422) for e in OPTION_ERRORS] + [(*e, 400) for e in MALFORMED_OPTIONS],
    ids=[e[0] for e in OPTION_ERRORS + MALFORMED_OPTIONS],
)
def test_every_bad_choice_is_refused_with_its_message(
    app, client, tenant, pizza, label, options, field, message, status
):
    """Well-formed option ids that break the item's group rules are 422 (no schema can state
    those rules); a malformed list is 400."""
    other = add_dish(app, tenant, "Calzone", 1200, [("Filling", 1, 1, [("Other", 0)])])
    ids = options(pizza, {**pizza.options, **other.options})
    line = {
        "menu_item_id": str(pizza.id),
        "quantity": 1,
        "options": [str(i) if isinstance(i, uuid.UUID) else i for i in ids]
        if isinstance(ids, list)
        else ids,
    }
    response = post_order(client, tenant, {"customer_name": "Cy", "items": [line]})
    assert response.status_code == status, response.json
    assert message in response.json["fields"][f"items[0].{field}"]
    assert order_count(app, tenant) == 0


def test_each_bad_line_is_named_in_one_answer(app, client, tenant, pizza):
    items = [pizza_line(pizza, "Basil"), pizza_line(pizza, "Large"), pizza_line(pizza)]
    response = post_order(client, tenant, {"customer_name": "Di", "items": items})
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"items[0].options", "items[2].options"}


@pytest.mark.parametrize(
    "where, value, field, message",
    [
        ("line", "x" * 141, "items[0].note", "at most 140 characters"),
        ("line", "no\ngarlic", "items[0].note", "control characters"),
        ("line", 12, "items[0].note", "must be text"),
        ("order", "x" * 281, "note", "at most 280 characters"),
        ("order", "a\x00b", "note", "control characters"),
        ("order", ["x"], "note", "must be text"),
    ],
)
def test_bad_notes_are_400(app, client, tenant, pizza, where, value, field, message):
    line = pizza_line(pizza, "Large")
    body = {"customer_name": "Ed", "items": [line]}
    if where == "line":
        line["note"] = value
    else:
        body["note"] = value
    response = post_order(client, tenant, body)
    assert response.status_code == 400 and message in response.json["fields"][field]
    assert order_count(app, tenant) == 0


def test_notes_at_their_limits_are_kept(app, client, tenant, pizza):
    body = {
        "customer_name": "Flo",
        "items": [pizza_line(pizza, "Large", note="n" * 140)],
        "note": "line one\r\nline two" + "o" * 263,  # 281 sent, 280 once CRLF is LF
    }
    order = post_order(client, tenant, body).json
    assert order["items"][0]["note"] == "n" * 140
    assert order["note"].startswith("line one\nline two") and len(order["note"]) == 280


def test_sold_out_option_or_item_is_409(app, client, tenant, pizza):
    response = post_order(
        client, tenant, {"customer_name": "Gus", "items": [pizza_line(pizza, "Large", "Truffle")]}
    )
    assert response.status_code == 409
    assert response.json["error"] == "Sorry, Margherita (Truffle) just sold out."
    change_item(app, tenant, pizza.id, is_available=False)
    response = post_order(
        client, tenant, {"customer_name": "Gus", "items": [pizza_line(pizza, "Large")]}
    )
    assert response.status_code == 409 and "Margherita just sold out" in response.json["error"]
    assert order_count(app, tenant) == 0


def test_the_snapshot_keeps_names_and_prices_after_the_menu_changes(app, client, tenant, pizza):
    order = post_order(
        client,
        tenant,
        {"customer_name": "Hal", "items": [pizza_line(pizza, "Large", "Olives", note="crispy")]},
    ).json
    change_item(app, tenant, pizza.id, name="Margherita DOP", price=1500)
    change_option(app, tenant, pizza.options["Large"], name="Family", price_delta=900)
    delete_group(app, tenant, pizza.groups["Extras"])
    again = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json
    assert again == order
    line = again["items"][0]
    assert line["name"] == "Margherita" and line["unit_price"] == 1100 + 300 + 80
    assert [(o["name"], o["price_delta"]) for o in line["options"]] == [
        ("Large", 300),
        ("Olives", 80),
    ]


def test_the_idempotency_digest_covers_options_notes_and_tip(app, client, tenant, pizza):
    set_settings(app, tenant, tips={"enabled": True, "presets_percent": [10, 15]})
    first = {"customer_name": "Ivy", "items": [pizza_line(pizza, "Large")]}
    key = {"Idempotency-Key": "one-key"}
    assert post_order(client, tenant, first, **key).status_code == 201
    variants = [
        {**first, "items": [pizza_line(pizza, "Regular")]},
        {**first, "items": [pizza_line(pizza, "Large", "Basil")]},
        {**first, "items": [pizza_line(pizza, "Large", note="no garlic")]},
        {**first, "note": "at the door"},
        {**first, "tip": {"percent": 10}},
        {**first, "tip": {"amount": 0}},
    ]
    for body in variants:
        response = post_order(client, tenant, body, **key)
        assert response.status_code == 422, body
    same = {"items": [pizza_line(pizza, "Large", note="  ")], "customer_name": " Ivy "}
    assert post_order(client, tenant, same, **key).status_code == 200
    assert order_count(app, tenant) == 1


def test_the_digest_of_a_plain_order_is_the_one_it_always_had():
    """Orders placed before options existed keep their keys' meaning after the upgrade."""
    import hashlib
    import json

    item = uuid.uuid4()
    before = json.dumps({"customer_name": "Jo", "items": [[str(item), 2]]}, separators=(",", ":"))
    plain = request_digest("Jo", [OrderLine(item, 2)])
    assert plain == hashlib.sha256(before.encode()).hexdigest()
    option = uuid.uuid4()
    others = {
        request_digest("Jo", [OrderLine(item, 2, (option,))]),
        request_digest("Jo", [OrderLine(item, 2, (), "note")]),
        request_digest("Jo", [OrderLine(item, 2)], note="order note"),
        request_digest("Jo", [OrderLine(item, 2)], tip=Tip(percent=10)),
        request_digest("Jo", [OrderLine(item, 2)], tip=Tip(amount=10)),
        request_digest("Jo", [OrderLine(item, 2)], tip=Tip(amount=0)),
    }
    assert len(others) == 6 and plain not in others


# --- the storefront -------------------------------------------------------------------------


def test_the_menu_offers_choices_and_names_allergens_in_words(customer, pizza):
    html = customer.get("/").text
    row = item_card(html, "Margherita")
    assert "from $11.00" in row and "<fieldset" not in row  # the choices are on its sheet
    card = customer.get(f"/items/{pizza.id}").text
    assert '<span class="allergens-label">Allergens:</span> gluten, milk' in card
    size = card.split("<legend>Size")[1].split("</fieldset>")[0]
    assert size.count('type="radio"') == 2 and size.count(" required") == 2
    assert "(choose one)" in size and "+$3.00" in size
    extras = card.split("<legend>Extras")[1].split("</fieldset>")[0]
    assert extras.count('type="checkbox"') == 3 and "(optional, up to 2)" in extras
    truffle = extras.split("Truffle")[0].rsplit("<label", 1)[1]
    assert "disabled" in truffle and "Truffle +$9.00 (sold out)" in re.sub(r"<[^>]+>", "", extras)
    assert 'name="note"' in card and 'maxlength="140"' in card


def test_cart_lines_per_options_and_note(customer, pizza):
    large_basil = [pizza.options["Large"], pizza.options["Basil"]]
    customer.add(pizza.id, options=large_basil)
    customer.add(pizza.id, options=large_basil[::-1])  # the same line again
    customer.add(pizza.id, options=[pizza.options["Regular"]])
    response = customer.add(pizza.id, options=large_basil, note="no garlic", htmx=True)
    assert response.status_code == 200
    cart = response.text
    assert cart.count('class="cart-line"') == 3
    assert "Size: Large (+$3.00); Extras: Basil (+$0.50)" in cart
    assert "Note: no garlic" in cart
    assert 'id="cart-total">$54.50<' in cart  # 2 × 14.50 + 11.00 + 14.50
    assert '<span id="cart-count" hx-swap-oob="true">4</span>' in cart

    response = customer.set_quantity(pizza.id, 0, options=large_basil, note="no garlic", htmx=True)
    assert "no garlic" not in response.text and 'id="cart-total">$40.00<' in response.text
    response = customer.set_quantity(pizza.id, 1, options=large_basil, htmx=True)
    assert 'id="cart-total">$25.50<' in response.text


def test_a_missing_choice_is_refused_at_once_with_and_without_javascript(customer, pizza):
    response = customer.add(pizza.id, options=[pizza.options["Basil"]], htmx=True)
    assert response.status_code == 400 and "Margherita: choose a Size" in response.text
    assert response.text.count('role="alert"') == 1
    page = customer.add(pizza.id)
    assert page.status_code == 400 and "Margherita: choose a Size" in page.text
    response = customer.add(pizza.id, options=[pizza.options["Large"]], note="x" * 141)
    assert response.status_code == 400 and "at most 140 characters" in response.text
    response = customer.add(pizza.id, options=[pizza.options["Large"], pizza.options["Truffle"]])
    assert response.status_code == 400 and "Truffle is sold out" in response.text
    assert 'Cart (<span id="cart-count">0</span>)' in customer.get("/").text


def checkout_order(app, customer, tenant, name="Grace", note=None):
    """Check out and return the order as the API shows it."""
    response = customer.checkout(name, note=note)
    assert response.status_code == 303, response.text
    order_id = response.headers["Location"].rsplit("/", 1)[1]
    return customer.client.get(f"/api/v1/orders/{order_id}", headers={"Host": tenant.domain}).json


def test_checkout_with_options_notes_tax_and_a_preset_tip(app, customer, tenant, pizza):
    set_settings(
        app,
        tenant,
        tax={"rate_bp": 825, "inclusive": False},
        tips={"enabled": True, "presets_percent": [10, 15, 20]},
    )
    customer.add(
        pizza.id, options=[pizza.options["Large"], pizza.options["Basil"]], note="no garlic"
    )
    cart = customer.choose_tip("15", htmx=True).text
    assert 'id="cart-subtotal">$14.50<' in cart
    assert "Tax (8.25%)" in cart and 'id="cart-tax">$1.20<' in cart  # 1.19625
    assert 'id="cart-tip">$2.18<' in cart  # 15% of 14.50 = 2.175
    assert 'value="15" checked' in cart and "15% ($2.18)" in cart and "No tip" in cart
    assert 'id="cart-total">$17.88<' in cart
    page = customer.get("/").text
    assert "Payment at the counter" in page and 'name="note"' in page

    order = checkout_order(app, customer, tenant, note="Ring the bell")
    assert (order["subtotal"], order["tax"], order["tip"], order["total_amount"]) == (
        1450,
        120,
        218,
        1788,
    )
    assert order["note"] == "Ring the bell" and order["items"][0]["note"] == "no garlic"
    tracking = customer.get(f"/orders/{order['id']}").text
    for text in ("Size: Large", "Extras: Basil", "Note: no garlic", "Ring the bell", "$17.88"):
        assert text in tracking
    assert "Pay at pickup" in tracking and f"/orders/{order['id']}/receipt" in tracking
    assert 'Cart (<span id="cart-count">0</span>)' in customer.get("/").text


def test_custom_tips_and_refused_tips_on_the_storefront(app, customer, tenant, pizza):
    set_settings(app, tenant, tips={"enabled": True, "presets_percent": [10, 15]})
    customer.add(pizza.id, options=[pizza.options["Regular"]])
    cart = customer.choose_tip("custom", "2.00", htmx=True).text
    assert 'id="cart-tip">$2.00<' in cart and 'value="2.00"' in cart
    assert customer.choose_tip("custom", "2,50", htmx=True).status_code == 400  # ambiguous
    assert customer.choose_tip("12", htmx=True).status_code == 409  # not a preset
    assert customer.choose_tip("lots", htmx=True).status_code == 400

    cart = customer.choose_tip("custom", "99.00", htmx=True).text  # the cart may still grow
    assert "Tip: must be at most the subtotal" in cart
    refused = customer.checkout("Hal")
    assert refused.status_code == 422 and "at most the subtotal" in refused.text
    customer.choose_tip("none")
    assert checkout_order(app, customer, tenant)["tip"] == 0

    set_settings(app, tenant, tips={"enabled": False})
    customer.add(pizza.id, options=[pizza.options["Regular"]])
    response = customer.choose_tip("10", htmx=True)
    assert response.status_code == 409 and "does not take tips" in response.text


def test_a_tip_chosen_before_tips_were_turned_off_is_not_charged(app, customer, tenant, pizza):
    set_settings(app, tenant, tips={"enabled": True, "presets_percent": [10]})
    customer.add(pizza.id, options=[pizza.options["Regular"]])
    customer.choose_tip("10")
    set_settings(app, tenant, tips={"enabled": False})
    assert "cart-tip" not in customer.get("/").text
    assert checkout_order(app, customer, tenant)["tip"] == 0


def test_inclusive_tax_is_shown_as_contained_in_the_restaurants_money(app, customer, tenant, pizza):
    set_settings(  # English words, German money
        app,
        tenant,
        currency="EUR",
        locale="de_DE",
        languages=["en"],
        tax={"rate_bp": 1900, "inclusive": True},
    )
    customer.add(pizza.id, options=[pizza.options["Large"], pizza.options["Basil"]])
    page = customer.get("/").text
    assert "Includes tax (19%)" in page
    assert 'id="cart-tax">2,32\xa0€<' in page  # 14.50 × 19 / 119 = 2.315
    assert 'id="cart-total">14,50\xa0€<' in page
    order = checkout_order(app, customer, tenant)
    assert (order["tax"], order["total_amount"], order["currency"]) == (232, 1450, "EUR")


def test_an_option_sold_out_after_adding_is_409_at_checkout(app, customer, tenant, pizza):
    customer.add(pizza.id, options=[pizza.options["Large"]])
    change_option(app, tenant, pizza.options["Large"], is_available=False)
    assert "Sold out" in customer.get("/").text.split('id="cart"')[1]
    response = customer.checkout("Ivy", htmx=True)
    assert response.status_code == 409
    assert "Margherita (Large) just sold out" in response.text
    assert order_count(app, tenant) == 0


def test_an_option_removed_after_adding_is_explained_in_the_cart(app, customer, tenant, pizza):
    customer.add(pizza.id, options=[pizza.options["Large"], pizza.options["Olives"]])
    delete_group(app, tenant, pizza.groups["Size"])
    cart = customer.get("/").text.split('id="cart"')[1]
    assert "Please remove this line and add it again: Margherita has no option" in cart
    response = customer.checkout("Jo")
    assert response.status_code == 422 and "has no option" in response.text
    assert order_count(app, tenant) == 0


def test_a_cart_that_would_outgrow_its_cookie_is_refused_with_a_message(customer, pizza):
    import random
    import string

    chooser = random.Random(15)
    answers = []
    for _ in range(50):
        note = "".join(chooser.choice(string.ascii_letters) for _ in range(140))
        answers.append(customer.add(pizza.id, options=[pizza.options["Large"]], note=note))
        if answers[-1].status_code != 303:
            break
    assert answers[-1].status_code == 400
    assert "Your cart is full; please place this order" in answers[-1].text
    cookie = customer.client.get_cookie("session", domain=customer.base_url.split("//")[1])
    assert len(cookie.value) < 4000
    assert customer.get("/").status_code == 200


def test_the_receipt_shows_the_order_in_local_time(app, customer, tenant, pizza):
    from datetime import datetime

    from omniorder.core.money import format_local_time

    set_settings(
        app,
        tenant,
        timezone="America/New_York",
        tax={"rate_bp": 1000, "inclusive": False},
        tips={"enabled": True, "presets_percent": [10]},
    )
    customer.add(
        pizza.id, options=[pizza.options["Large"], pizza.options["Olives"]], note="cut in 8"
    )
    customer.choose_tip("10")
    order = checkout_order(app, customer, tenant, name="Ken", note="Extra napkins")
    receipt = customer.get(f"/orders/{order['id']}/receipt")
    assert receipt.status_code == 200
    html = receipt.text
    local = format_local_time(
        datetime.fromisoformat(order["created_at"]), "America/New_York", "en_US"
    )
    assert f">{local}</time>" in html
    for text in (
        '<h2 class="receipt-restaurant">Test Kitchen</h2>',
        "<strong>#1001</strong>",
        "1 × Margherita",
        "Size: Large (+$3.00)",
        "Extras: Olives (+$0.80)",
        "Note: cut in 8",
        "Extra napkins",
        "<dt>Subtotal</dt><dd>$14.80</dd>",
        "<dt>Tax</dt><dd>$1.48</dd>",
        "<dt>Tip</dt><dd>$1.48</dd>",
        "<strong>$17.76</strong>",
        "data-print",
    ):
        assert text in html, text
    css = customer.get("/static/app.css").text
    assert "@media print" in css
    assert customer.get(f"/orders/{uuid.uuid4()}/receipt").status_code == 404


def test_another_restaurants_receipt_is_404(app, client, make_tenant):
    a, b = make_tenant(), make_tenant()
    dish = add_dish(app, a, "Soup", 500)
    order = post_order(
        client, a, {"customer_name": "Lu", "items": [{"menu_item_id": str(dish.id), "quantity": 1}]}
    ).json
    assert (
        client.get(f"/orders/{order['id']}/receipt", headers={"Host": a.domain}).status_code == 200
    )
    assert (
        client.get(f"/orders/{order['id']}/receipt", headers={"Host": b.domain}).status_code == 404
    )


# --- the kitchen and the back office --------------------------------------------------------


@pytest.fixture
def noted_order(client, tenant, pizza):
    body = {
        "customer_name": "Mo",
        "items": [
            pizza_line(pizza, "Large", "Basil", note="no garlic"),
            pizza_line(pizza, "Regular"),
        ],
        "note": "Allergic to nuts",
    }
    return post_order(client, tenant, body).json


def test_the_kitchen_ticket_shows_options_and_marks_notes(app, tenant, noted_order):
    board = signed_in(app, tenant, "kitchen").get("/kitchen").text
    card = board.split(f'data-number="{noted_order["number"]}"')[1].split("</li>")[0]
    assert '<span class="line-option">+ Size: <strong>Large</strong></span>' in card
    assert '<span class="line-option">+ Extras: <strong>Basil</strong></span>' in card
    assert '<span class="line-option">+ Size: <strong>Regular</strong></span>' in card
    assert (
        '<span class="ticket-note"><span class="note-marker">NOTE:</span> no garlic</span>' in card
    )
    assert '<span class="note-marker">ORDER NOTE:</span> Allergic to nuts' in card


def test_the_order_history_shows_options_and_notes(app, tenant, noted_order):
    page = signed_in(app, tenant, "manager").get("/admin/orders").text
    row = page.split(f'data-number="{noted_order["number"]}"')[1].split("</tr>")[0]
    assert "Size: Large; Extras: Basil" in row and "Note: no garlic" in row
    assert "Order note: Allergic to nuts" in row


def test_notes_are_escaped_wherever_they_are_shown(app, client, tenant, pizza):
    hostile = "<script>alert(1)</script>"
    body = {
        "customer_name": "Ned",
        "items": [pizza_line(pizza, "Large", note=hostile)],
        "note": '"><img src=x onerror=alert(2)>',
    }
    order = post_order(client, tenant, body).json
    pages = [
        client.get(f"/orders/{order['id']}", headers={"Host": tenant.domain}).text,
        client.get(f"/orders/{order['id']}/receipt", headers={"Host": tenant.domain}).text,
        signed_in(app, tenant, "kitchen").get("/kitchen").text,
        signed_in(app, tenant, "manager").get("/admin/orders").text,
    ]
    for html in pages:
        assert hostile not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_amount_typed_in_other_amount_counts_without_picking_its_radio(
    app, customer, tenant, pizza
):
    """Without JavaScript typing cannot pick "Other amount": a typed amount counts with the
    choice the form was shown with (or none), and loses only to another choice picked."""
    set_settings(app, tenant, tips={"enabled": True, "presets_percent": [10, 15]})
    customer.add(pizza.id, options=[pizza.options["Regular"]])
    assert customer.choose_tip("none", "2.00").status_code == 303  # shown with "No tip" checked
    cart = customer.get("/").text
    assert 'id="cart-tip">$2.00<' in cart and 'value="custom" checked' in cart
    cart = customer.choose_tip("", "2.50", htmx=True).text  # no choice at all
    assert 'id="cart-tip">$2.50<' in cart
    cart = customer.choose_tip("none", "2.50", htmx=True).text  # "No tip" picked instead
    assert 'id="cart-tip">$0.00<' in cart and 'value="none" checked' in cart
    cart = customer.choose_tip("10", htmx=True).text
    assert 'id="cart-tip">$1.10<' in cart
    cart = customer.choose_tip("10", "3.00", htmx=True).text  # shown with 10% checked
    assert 'id="cart-tip">$3.00<' in cart and 'value="3.00"' in cart
    cart = customer.choose_tip("15", "3.00", htmx=True).text  # 15% picked, the amount left
    assert 'id="cart-tip">$1.65<' in cart and 'value="15" checked' in cart
    assert checkout_order(app, customer, tenant)["tip"] == 165


# --- option groups without an available option --------------------------------------------


def item_card(html, name):
    return html.split(f"data-item-sheet>{name}</a></h3>")[1].split("</li>")[0]


def test_a_group_without_an_available_option_is_hidden(app, client, customer, tenant):
    """An optional group with no options, or only sold-out ones, offers nothing: the card
    does not show it, and the item is ordered without it (the JSON menu lists it as it is)."""
    salad = add_dish(
        app,
        tenant,
        "Salad",
        700,
        [("Extras", 0, 2, []), ("Dressing", 0, 1, [("Ranch", 50, False)])],
    )
    card = item_card(customer.get("/").text, "Salad")
    assert "<fieldset" not in card and "Extras" not in card and "Dressing" not in card
    assert "from $7.00" not in card and "/cart/add" in card
    assert customer.add(salad.id).status_code == 303
    groups = {
        item["name"]: item["option_groups"]
        for item in client.get("/api/v1/menu", headers={"Host": tenant.domain}).json["items"]
    }["Salad"]
    assert [group["name"] for group in groups] == ["Extras", "Dressing"]
    response = post_order(
        client,
        tenant,
        {"customer_name": "Una", "items": [{"menu_item_id": str(salad.id), "quantity": 1}]},
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    "size_options",
    [[], [("Regular", 0, False), ("Large", 300, False)]],
    ids=["no options", "all sold out"],
)
def test_an_item_whose_required_group_has_no_available_option_is_unavailable(
    app, client, customer, tenant, size_options
):
    soup = add_dish(
        app, tenant, "Soup", 600, [("Size", 1, 1, size_options), ("Extras", 0, 1, [("Bread", 90)])]
    )
    card = item_card(customer.get("/").text, "Soup")
    assert '<span class="badge">Unavailable</span>' in card and "/cart/add" not in card
    response = customer.add(soup.id, htmx=True)
    assert response.status_code == 400
    assert "Soup cannot be ordered right now: no Size is available" in response.text
    response = post_order(
        client,
        tenant,
        {"customer_name": "Vi", "items": [{"menu_item_id": str(soup.id), "quantity": 1}]},
    )
    assert response.status_code == 409
    assert response.json["error"] == (
        "Sorry, Soup cannot be ordered right now: no Size is available."
    )
    assert order_count(app, tenant) == 0
