"""The board's service control over HTTP, on real PostgreSQL: cancel, recall (and Undo),
picked up, pause and resume, stations, all-day counts, timer colours against the ready time."""

import datetime as dt
import json
import re

import pytest
from sqlalchemy import insert

from omniorder.ordering.models import Order
from omniorder.tenancy.names import TENANT_SCHEMA_PLACEHOLDER
from tests.support import clock
from tests.support.kitchen import place_named
from tests.support.races import Actions, race
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu


@pytest.fixture
def cook(app, tenant):
    return signed_in(app, tenant, "kitchen")


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def place(client, app, tenant, name="Ann", items=(("House Burger", 2),)):
    return place_named(client, app, tenant, name, items)


def tracked(client, tenant, order):
    """The order as the customer's app reads it."""
    return client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json


def column(html, title):
    section = html.split(f"<h2>{title} ")[1].split("</ol>")[0]
    return re.findall(r'class="number">#(\d+)<', section)


def urgencies(html):
    return {
        int(number): level
        for level, number in re.findall(r'<li class="card ([a-z]*)" data-number="(\d+)"', html)
    }


def sql(db_connection, tenant, statement, *values):
    statement = statement.replace("{schema}", f'"{tenant.schema_name}"')
    db_connection.exec_driver_sql(statement, values or None)
    db_connection.commit()


def move(staff, order, action, htmx=True, **form):
    return staff.post(f"/kitchen/orders/{order['id']}/{action}", form, htmx=htmx)


def to_done(cook, order):
    assert move(cook, order, "advance", **{"from": "PENDING"}).status_code == 200
    assert move(cook, order, "advance", **{"from": "COOKING"}).status_code == 200


# Cancel


def test_cancel_from_new_and_from_cooking_with_the_reason_the_customer_reads(
    app, client, tenant, cook
):
    waiting, cooking = place(client, app, tenant, "Ann"), place(client, app, tenant, "Bob")
    move(cook, cooking, "advance", **{"from": "PENDING"})
    board = move(cook, waiting, "cancel", reason="Out of buns")
    assert board.status_code == 200 and column(board.text, "New") == []
    board = move(cook, cooking, "cancel", reason="Customer called")
    assert board.status_code == 200 and column(board.text, "Cooking") == []
    assert tracked(client, tenant, waiting)["status"] == "CANCELLED"
    assert tracked(client, tenant, waiting)["cancel_reason"] == "Out of buns"
    assert tracked(client, tenant, cooking)["cancel_reason"] == "Customer called"


def test_the_kitchen_cannot_cancel_a_done_order_but_a_manager_can(
    app, client, tenant, cook, manager
):
    order = place(client, app, tenant)
    to_done(cook, order)
    refused = move(cook, order, "cancel", reason="Dropped it")
    assert refused.status_code == 409
    assert "Only a manager or an admin" in refused.text
    assert column(refused.text, "Done") == [str(order["number"])]  # a fresh board
    assert "Cancel #" not in refused.text.split("<h2>Done ")[1]  # not offered to the kitchen
    board = manager.get("/kitchen").text
    assert f'aria-label="Cancel #{order["number"]}…"' in board.split("<h2>Done ")[1]
    assert move(manager, order, "cancel", reason="Dropped it").status_code == 200
    assert tracked(client, tenant, order)["status"] == "CANCELLED"


@pytest.mark.parametrize(
    "reason, status", [("", 400), ("   ", 400), ("x" * 201, 400), ("x" * 200, 200), (None, 400)]
)
def test_cancel_needs_a_reason_of_at_most_200_characters(app, client, tenant, cook, reason, status):
    order = place(client, app, tenant)
    form = {} if reason is None else {"reason": reason}
    response = move(cook, order, "cancel", **form)
    assert response.status_code == status
    if status == 400:
        assert "reason" in response.text
        assert tracked(client, tenant, order)["status"] == "PENDING"


def test_a_picked_up_or_cancelled_order_cannot_be_cancelled(app, client, tenant, cook, manager):
    collected, cancelled = place(client, app, tenant, "Ann"), place(client, app, tenant, "Bob")
    to_done(cook, collected)
    move(cook, collected, "picked-up")
    move(cook, cancelled, "cancel", reason="Duplicate")
    collected_again = move(manager, collected, "cancel", reason="Too late")
    assert collected_again.status_code == 409 and "already picked up" in collected_again.text
    cancelled_again = move(manager, cancelled, "cancel", reason="Again")
    assert cancelled_again.status_code == 409 and "was cancelled" in cancelled_again.text


# Recall and Undo


def test_recall_moves_done_back_to_cooking_and_cooking_back_to_new(app, client, tenant, cook):
    order = place(client, app, tenant)
    to_done(cook, order)
    board = move(cook, order, "recall", **{"from": "DONE"})
    assert board.status_code == 200 and column(board.text, "Cooking") == [str(order["number"])]
    board = move(cook, order, "recall", **{"from": "COOKING"})
    assert board.status_code == 200 and column(board.text, "New") == [str(order["number"])]
    assert tracked(client, tenant, order)["status"] == "PENDING"


def test_recall_after_30_minutes_is_refused(app, client, tenant, cook, db_connection):
    order = place(client, app, tenant)
    to_done(cook, order)
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.orders SET status_changed_at = now() - interval '31 minutes' "
        f"WHERE id = '{order['id']}'",
    )
    response = move(cook, order, "recall", **{"from": "DONE"})
    assert response.status_code == 409 and "last 30 minutes" in response.text
    assert tracked(client, tenant, order)["status"] == "DONE"


@pytest.mark.parametrize("stale", ["DONE", "PICKED_UP"])
def test_recall_with_what_the_tablet_no_longer_shows_is_409(app, client, tenant, cook, stale):
    order = place(client, app, tenant)
    move(cook, order, "advance", **{"from": "PENDING"})  # COOKING now
    response = move(cook, order, "recall", **{"from": stale})
    assert response.status_code == 409
    assert column(response.text, "Cooking") == [str(order["number"])]


@pytest.mark.parametrize("shown", ["", "PENDING", "SERVED"])
def test_recall_from_something_that_cannot_be_recalled_is_400(app, client, tenant, cook, shown):
    order = place(client, app, tenant)
    assert move(cook, order, "recall", **{"from": shown}).status_code == 400


def undo_button(html):
    """(order id, from) of the Undo strip's recall, or None."""
    strip = re.search(
        r'class="undo-strip" data-undo-seconds="10".*?/kitchen/orders/([0-9a-f-]+)/recall".*?'
        r'name="from" value="([A-Z_]+)"',
        html,
        re.S,
    )
    return strip.groups() if strip else None


@pytest.mark.parametrize(
    "taps, undo_from, back_in",
    [
        ([("advance", "PENDING")], "COOKING", "New"),
        ([("advance", "PENDING"), ("advance", "COOKING")], "DONE", "Cooking"),
        (
            [("advance", "PENDING"), ("advance", "COOKING"), ("picked-up", None)],
            "PICKED_UP",
            "Done",
        ),
    ],
)
def test_every_tap_offers_an_undo_that_puts_the_order_back(
    app, client, tenant, cook, taps, undo_from, back_in
):
    order = place(client, app, tenant, "Ada")
    for action, shown in taps:
        board = move(cook, order, action, **({"from": shown} if shown else {}))
    assert undo_button(board.text) == (order["id"], undo_from)
    assert f"#{order['number']} Ada" in board.text.split('class="undo-strip"')[1]
    undone = move(cook, order, "recall", **{"from": undo_from})
    assert undone.status_code == 200 and undo_button(undone.text) is None
    assert column(undone.text, back_in) == [str(order["number"])]
    assert cook.get("/kitchen").text.count('class="undo-strip"') == 0  # only after a tap


# Picked up


def test_picked_up_leaves_the_done_column_and_the_customer_sees_when(app, client, tenant, cook):
    order = place(client, app, tenant)
    to_done(cook, order)
    assert tracked(client, tenant, order)["picked_up_at"] is None
    board = move(cook, order, "picked-up")
    assert board.status_code == 200 and column(board.text, "Done") == []
    status = tracked(client, tenant, order)
    assert status["status"] == "DONE" and status["picked_up_at"] is not None
    picked_up_at = dt.datetime.fromisoformat(status["picked_up_at"])
    assert abs(picked_up_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    again = move(cook, order, "picked-up")
    assert again.status_code == 409 and "already picked up" in again.text


def test_an_order_not_ready_cannot_be_picked_up(app, client, tenant, cook):
    order = place(client, app, tenant)
    response = move(cook, order, "picked-up")
    assert response.status_code == 409 and "not ready yet" in response.text


def test_without_javascript_a_board_action_returns_to_the_board(app, client, tenant, cook):
    order = place(client, app, tenant)
    response = move(cook, order, "advance", htmx=False, **{"from": "PENDING"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/kitchen?")  # with the Undo (below)
    refused = move(cook, order, "picked-up", htmx=False)
    assert refused.status_code == 409 and "not ready yet" in refused.text  # the error page


def test_an_unknown_order_is_404(app, client, tenant, cook):
    missing = {"id": "00000000-0000-4000-8000-000000000000"}
    assert move(cook, missing, "picked-up").status_code == 404
    assert move(cook, missing, "cancel", reason="Gone").status_code == 404
    assert move(cook, missing, "recall", **{"from": "DONE"}).status_code == 404


@pytest.mark.parametrize(
    "before, action, form",
    [
        ("PENDING", "cancel", {"reason": "Out of stock"}),
        ("COOKING", "recall", {"from": "COOKING"}),
        ("DONE", "recall", {"from": "DONE"}),
        ("DONE", "picked-up", {}),
    ],
)
def test_two_tablets_racing_on_one_transition_make_it_once(
    app, client, tenant, before, action, form
):
    order = place(client, app, tenant)
    first, second = (Actions(signed_in(app, tenant, "kitchen")) for _ in range(2))
    steps = {"PENDING": [], "COOKING": ["PENDING"], "DONE": ["PENDING", "COOKING"]}[before]
    for shown in steps:
        first.staff.post(f"/kitchen/orders/{order['id']}/advance", {"from": shown}, htmx=True)
    path = f"/kitchen/orders/{order['id']}/{action}"
    statuses = race(first.post(path, **form), second.post(path, **form))
    assert sorted(statuses) == [303, 409]
    expected = {
        "cancel": "CANCELLED",
        "recall": {"COOKING": "PENDING", "DONE": "COOKING"}.get(before),
        "picked-up": "DONE",
    }[action]
    assert tracked(client, tenant, order)["status"] == expected


# Pause and resume


def stored_settings(db_connection, tenant):
    document = db_connection.exec_driver_sql(
        f'SELECT document FROM "{tenant.schema_name}".settings'
    ).scalar()
    return document if isinstance(document, dict) else json.loads(document)


def test_pause_for_15_minutes_shows_on_every_tablet_and_refuses_orders_until_resumed(
    app, client, tenant, cook, db_connection
):
    other_tablet = signed_in(app, tenant, "kitchen")
    token = re.search(r"since=([0-9-]+)", other_tablet.get("/kitchen").text).group(1)
    board = cook.post("/kitchen/pause", {"minutes": "15"}, htmx=True)
    assert board.status_code == 200
    assert "Online orders are paused · back at " in board.text
    until = dt.datetime.fromisoformat(stored_settings(db_connection, tenant)["pause"]["until"])
    expected = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    assert abs(until - expected) < dt.timedelta(minutes=1)
    back = clock.shown(until.astimezone(dt.UTC), today=dt.datetime.now(dt.UTC).date())  # zone UTC
    assert f"back at {back}" in board.text

    polled = other_tablet.get(f"/kitchen/board?since={token}", htmx=True)
    assert polled.status_code == 200 and "Online orders are paused" in polled.text

    item = str(menu(app, tenant)["Fries"].id)
    order = {"customer_name": "Eve", "items": [{"menu_item_id": item, "quantity": 1}]}
    refused = client.post("/api/v1/orders", headers={"Host": tenant.domain}, json=order)
    assert refused.status_code == 409
    assert dt.datetime.fromisoformat(refused.json["resumes_at"]) == until

    board = cook.post("/kitchen/resume", htmx=True)
    assert board.status_code == 200 and "paused" not in board.text
    assert stored_settings(db_connection, tenant)["pause"] is None
    assert (
        client.post("/api/v1/orders", headers={"Host": tenant.domain}, json=order).status_code
        == 201
    )


def test_pause_until_resumed_says_so_without_a_time(app, client, tenant, cook):
    response = cook.post("/kitchen/pause", {"minutes": "0"}, htmx=False)
    assert response.status_code == 303
    board = cook.get("/kitchen").text
    assert "Online orders are paused</strong>" in board and ">Resume</button>" in board


@pytest.mark.parametrize("minutes", ["7", "", "15.0", "-15", "fifteen", " 15"])
def test_pause_for_another_time_is_400(app, tenant, cook, minutes):
    assert cook.post("/kitchen/pause", {"minutes": minutes}, htmx=True).status_code == 400
    assert cook.post("/kitchen/pause", {"minutes": minutes}).status_code == 400


# Who may act


ACTIONS = [
    ("orders/{id}/cancel", {"reason": "x"}),
    ("orders/{id}/recall", {"from": "DONE"}),
    ("orders/{id}/picked-up", {}),
    ("pause", {"minutes": "15"}),
    ("resume", {}),
]


@pytest.mark.parametrize("path, form", ACTIONS)
def test_board_actions_need_the_csrf_token(app, client, tenant, cook, path, form):
    order = place(client, app, tenant)
    response = cook.post("/kitchen/" + path.format(id=order["id"]), form, csrf=False)
    assert response.status_code == 400


@pytest.mark.parametrize("path, form", ACTIONS)
def test_a_customer_is_sent_to_the_login_page(app, client, tenant, path, form):
    order = place(client, app, tenant)
    customer = Customer(app.test_client(), tenant.domain)
    form = {**form, "csrf_token": customer.csrf_token()}  # a valid token of their own session
    response = customer.post("/kitchen/" + path.format(id=order["id"]), form)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert tracked(client, tenant, order)["status"] == "PENDING"


# Stations


def test_a_station_sees_only_its_lines_and_the_tablet_remembers_it(
    app, client, tenant, cook, db_connection
):
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.categories SET station = 'Grill' WHERE name = 'Mains'",
    )
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.categories SET station = 'Cold' WHERE name = 'Drinks'",
    )
    both = place(client, app, tenant, "Ann", (("House Burger", 1), ("Lemonade", 2)))
    drinks = place(client, app, tenant, "Bob", (("Iced Tea", 1),))

    grill = cook.get("/kitchen?station=grill")
    assert column(grill.text, "New") == [str(both["number"])]
    new = grill.text.split("<h2>New ")[1].split("</ol>")[0]
    assert "House Burger" in new and "Lemonade" not in new
    assert (
        "Station: grill" in grill.text and ">Grill</a>" in grill.text and ">Cold</a>" in grill.text
    )
    assert "kitchen_station=grill" in grill.headers["Set-Cookie"]
    assert "station=grill" in re.search(r'hx-get="([^"]+)"', grill.text).group(1)

    remembered = cook.get("/kitchen").text  # no ?station=: the cookie's
    assert column(remembered, "New") == [str(both["number"])]
    poll = cook.get("/kitchen/board?since=0-0&station=grill", htmx=True).text
    assert column(poll, "New") == [str(both["number"])]

    expo = cook.get("/kitchen?station=")
    assert column(expo.text, "New") == [str(both["number"]), str(drinks["number"])]
    assert column(cook.get("/kitchen").text, "New") == [str(both["number"]), str(drinks["number"])]


def test_the_picker_lists_a_station_once_whatever_its_case(app, tenant, cook, db_connection):
    """The board matches stations without regard to case, so its picker does too."""
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.categories SET station = 'Grill' WHERE name = 'Mains'",
    )
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.categories SET station = 'grill' WHERE name = 'Drinks'",
    )
    page = cook.get("/kitchen").text
    assert len(re.findall(r">[Gg]rill</a>", page)) == 1


def test_a_station_name_is_escaped_and_at_most_40_characters(app, client, tenant, cook):
    place(client, app, tenant)
    assert cook.get("/kitchen?station=" + "g" * 41).status_code == 400
    page = cook.get("/kitchen?station=<b>Grill</b>")
    assert page.status_code == 200 and "<b>Grill</b>" not in page.text
    assert "&lt;b&gt;Grill&lt;/b&gt;" in page.text
    assert column(page.text, "New") == []


# All-day counts and timer colours


def insert_ticket(db_connection, tenant, name, status, lines):
    """An order as the storefront snapshots it, with options on its lines."""
    items = [
        {
            "menu_item_id": "x",
            "name": item,
            "unit_price": 500,
            "quantity": quantity,
            "line_total": 500 * quantity,
            "options": [{"group": "Size", "name": option} for option in options],
        }
        for item, quantity, options in lines
    ]
    table = Order.__table__
    db_connection.execute(
        insert(table),
        {"status": status, "items": items, "total_amount": 0, "subtotal": 0, "customer_name": name},
        execution_options={"schema_translate_map": {TENANT_SCHEMA_PLACEHOLDER: tenant.schema_name}},
    )
    db_connection.commit()


def test_all_day_counts_sum_open_orders_by_item_and_options(app, tenant, cook, db_connection):
    insert_ticket(
        db_connection, tenant, "Ann", "PENDING", [("Pizza", 2, ["Large"]), ("Cola", 1, [])]
    )
    insert_ticket(
        db_connection, tenant, "Bob", "COOKING", [("Pizza", 1, ["Large"]), ("Pizza", 1, [])]
    )
    insert_ticket(db_connection, tenant, "Cyd", "DONE", [("Pizza", 5, ["Large"])])  # not open
    panel = cook.get("/kitchen").text.split('id="all-day"')[1].split("</details>")[0]
    counts = re.findall(r"<li><strong>(\d+)×</strong> ([^<]+)</li>", panel)
    assert counts == [("3", "Pizza (Large)"), ("1", "Cola"), ("1", "Pizza")]


def test_timers_count_against_the_ready_time(app, client, tenant, cook, db_connection):
    soon, past, later, old = (
        place(client, app, tenant, n) for n in ("Soon", "Past", "Later", "Old")
    )
    for order, ready, created in (
        (soon, "now() + interval '3 minutes'", "now()"),
        (past, "now() - interval '1 minute'", "now()"),
        (later, "now() + interval '30 minutes'", "now() - interval '25 minutes'"),
        (old, "NULL", "now() - interval '25 minutes'"),
    ):
        sql(
            db_connection,
            tenant,
            f"UPDATE {{schema}}.orders SET ready_at = {ready}, created_at = {created} "
            f"WHERE id = '{order['id']}'",
        )
    page = cook.get("/kitchen").text
    levels = urgencies(page)
    assert levels[soon["number"]] == "warn" and levels[past["number"]] == "late"
    assert levels[later["number"]] == "" and levels[old["number"]] == "late"  # age: fallback
    ready = dt.datetime.fromisoformat(tracked(client, tenant, later)["ready_at"])
    today = dt.datetime.now(dt.UTC).date()
    assert f"Ready {clock.shown(ready.astimezone(dt.UTC), today=today)}" in page


def test_a_scheduled_ticket_shows_its_pickup_time(app, client, tenant, cook, db_connection):
    order = place(client, app, tenant, "Pat")
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.orders SET pickup_at = timestamptz '2026-11-26 18:30+00', "
        f"ready_at = timestamptz '2026-11-26 18:30+00' WHERE id = '{order['id']}'",
    )
    card = cook.get("/kitchen").text.split(f'data-number="{order["number"]}"')[1].split("</li>")[0]
    # another day: with its weekday and date; ready at the pickup time
    assert f"Pickup Thu, Nov 26, 6:30{clock.NNBSP}PM" in card and "Ready" not in card


def test_the_card_names_its_action_order_customer_and_items(app, client, tenant, cook):
    order = place(client, app, tenant, "Ada", (("House Burger", 2), ("Lemonade", 1)))
    label = f'aria-label="Start cooking #{order["number"]} Ada: 2× House Burger, 1× Lemonade"'
    assert label in cook.get("/kitchen").text


@pytest.mark.parametrize("name", ["Café Bar", 'Grill "A"; x=1', "Sushi, cold"])
def test_any_station_name_is_remembered_as_typed(app, client, tenant, cook, db_connection, name):
    sql(
        db_connection,
        tenant,
        "UPDATE {schema}.categories SET station = %s WHERE name = 'Mains'",
        name,
    )
    order = place(client, app, tenant, "Ann", (("House Burger", 1),))
    place(client, app, tenant, "Bob", (("Iced Tea", 1),))
    assert column(cook.get("/kitchen", query_string={"station": name}).text, "New") == [
        str(order["number"])
    ]
    assert column(cook.get("/kitchen").text, "New") == [str(order["number"])]


@pytest.mark.parametrize(
    "query",
    [
        "%00",
        "%ED%A0%80",  # a lone surrogate, as the bytes a browser would send
        "%FF%FE",
        "x" * 5000,
        "Grill%0D%0ASet-Cookie:%20a=b",
        "%C3%A4" * 40,
    ],
)
def test_a_hostile_station_is_a_board_or_a_400_never_a_500(app, tenant, cook, query):
    response = cook.get("/kitchen?station=" + query)
    assert response.status_code in (200, 400)
    assert "Set-Cookie: a=b" not in str(response.headers)
    assert cook.get("/kitchen").status_code == 200  # whatever the cookie now holds


def test_without_javascript_the_undo_comes_back_with_the_board(app, client, tenant, cook):
    order = place(client, app, tenant, "Ada")
    response = move(cook, order, "advance", htmx=False, **{"from": "PENDING"})
    assert response.status_code == 303
    board = cook.get(response.headers["Location"]).text
    assert undo_button(board) == (order["id"], "COOKING")
    assert undo_button(cook.get("/kitchen?undo=nonsense&undo_from=COOKING").text) is None
    assert undo_button(cook.get(f"/kitchen?undo={order['id']}&undo_from=BURNT").text) is None
    undone = move(cook, order, "recall", htmx=False, **{"from": "COOKING"})
    assert undone.headers["Location"].endswith("/kitchen")  # an undo offers no undo
    assert column(cook.get("/kitchen").text, "New") == [str(order["number"])]
