"""The kitchen board: polling that costs one statement, first-tap-wins advances, sold-out."""

import re
import threading
import time

import pytest
from flask import request

from omniorder.core.database import db
from tests.support.app import make_app
from tests.support.kitchen import since_token
from tests.support.staff import add_staff, signed_in
from tests.support.storefront import menu, order_count


@pytest.fixture
def cook(app, tenant):
    return signed_in(app, tenant, "kitchen")


def place(client, app, tenant, name="Ann", item="House Burger"):
    item_id = str(menu(app, tenant)[item].id)
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": name, "items": [{"menu_item_id": item_id, "quantity": 2}]},
    )
    assert response.status_code == 201
    return response.json


def column(html, title):
    section = html.split(f"<h2>{title} ")[1].split("</ol>")[0]
    return re.findall(r'class="number">#(\d+)<', section)


def test_board_shows_orders_in_three_columns_oldest_first(app, client, tenant, cook):
    first, second = place(client, app, tenant, "Ann"), place(client, app, tenant, "Bob")
    page = cook.get("/kitchen").text
    assert column(page, "New") == [str(first["number"]), str(second["number"])]
    assert "2× House Burger" in page.replace("<strong>", "").replace("</strong>", "")
    assert "0 min" in page and "Ann" in page


def test_unchanged_poll_is_204_after_one_statement(database_url, tenant, count_statements):
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)  # a warm cache
    flask_requests = []
    app.before_request(lambda: flask_requests.append(request.path))
    client, cook = app.test_client(), signed_in(app, tenant, "kitchen")
    place(client, app, tenant)
    if time.time() % 60 > 57:  # the token carries the minute: stay inside one minute
        time.sleep(60 - time.time() % 60 + 0.1)
    token = since_token(cook.get("/kitchen").text)
    statements = count_statements(app)
    flask_requests.clear()
    response = cook.get(f"/kitchen/board?since={token}", htmx=True)
    assert response.status_code == 204 and response.data == b""
    assert len(statements) == 1, statements
    assert flask_requests == []  # answered by `unchanged_poll`, before Flask
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

    order = place(client, app, tenant, "Cyd")
    response = cook.get(f"/kitchen/board?since={token}", htmx=True)
    assert response.status_code == 200
    assert f"#{order['number']}" in response.text
    assert since_token(response.text) != token
    with app.app_context():
        db.engine.dispose()


def test_one_tap_moves_an_order_through_cooking_to_done(app, client, tenant, cook):
    order = place(client, app, tenant)
    path = f"/kitchen/orders/{order['id']}/advance"
    assert cook.post(path, {"from": "PENDING"}, htmx=True).status_code == 200
    board = cook.post(path, {"from": "COOKING"}, htmx=True)
    assert board.status_code == 200 and column(board.text, "Done") == [str(order["number"])]
    status = client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json
    assert status["status"] == "DONE"
    tracking = client.get(f"/orders/{order['id']}/status", base_url=f"http://{tenant.domain}")
    assert "Ready for pickup" in tracking.text


def test_stale_board_gets_409_and_a_fresh_board(app, client, tenant, cook):
    order = place(client, app, tenant)
    path = f"/kitchen/orders/{order['id']}/advance"
    cook.post(path, {"from": "PENDING"}, htmx=True)
    stale = cook.post(path, {"from": "PENDING"}, htmx=True)
    assert stale.status_code == 409
    assert "Someone else already moved this order." in stale.text
    assert column(stale.text, "Cooking") == [str(order["number"])]


@pytest.mark.parametrize("from_status, expected", [("DONE", 409), ("BURNT", 400), ("", 400)])
def test_bad_from_status(app, client, tenant, cook, from_status, expected):
    order = place(client, app, tenant)
    response = cook.post(f"/kitchen/orders/{order['id']}/advance", {"from": from_status}, htmx=True)
    assert response.status_code == expected


def test_two_tablets_tapping_at_once_make_one_transition(app, client, tenant):
    order = place(client, app, tenant)
    tablets = [signed_in(app, tenant, "kitchen") for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses = []

    def tap(tablet):
        barrier.wait()
        statuses.append(
            tablet.post(
                f"/kitchen/orders/{order['id']}/advance", {"from": "PENDING"}, htmx=True
            ).status_code
        )

    threads = [threading.Thread(target=tap, args=(tablet,)) for tablet in tablets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    assert (
        client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json["status"]
        == "COOKING"
    )


def test_sold_out_toggle_is_seen_by_storefront_and_checkout(app, client, tenant, cook):
    fries = menu(app, tenant)["Fries"]
    panel = cook.post(f"/kitchen/items/{fries.id}/availability", {"available": "false"}, htmx=True)
    assert panel.status_code == 200 and "Back on sale: Fries" in panel.text
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": "Di", "items": [{"menu_item_id": str(fries.id), "quantity": 1}]},
    )
    assert response.status_code == 409 and order_count(app, tenant) == 0
    storefront = client.get("/", base_url=f"http://{tenant.domain}").text
    assert "Sold out" in storefront.split("Fries")[1].split("</li>")[0]

    cook.post(f"/kitchen/items/{fries.id}/availability", {"available": "true"}, htmx=True)
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": "Di", "items": [{"menu_item_id": str(fries.id), "quantity": 1}]},
    )
    assert response.status_code == 201


def test_unchanged_204_needs_this_apps_signature_and_this_tenants_session(
    app, tenant, make_tenant, cook
):
    """The shortcut says "nothing changed" only where the Flask view would."""
    other_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-secret")
    token = since_token(cook.get("/kitchen").text)
    path = f"/kitchen/board?since={token}"
    assert cook.get(path, htmx=True).status_code == 204
    cookie = cook.client.get_cookie("session", domain=tenant.domain).value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    forged = other_app.session_interface.get_signing_serializer(other_app).dumps(data)
    neighbour = make_tenant()

    def poll(host, session_cookie, since=token):
        return (
            app.test_client(use_cookies=False)
            .get(  # the jar would drop our header
                f"/kitchen/board?since={since}",
                base_url=f"http://{host}",
                headers={"Cookie": f"session={session_cookie}", "HX-Request": "true"},
            )
            .status_code
        )

    assert poll(tenant.domain, cookie) == 204
    assert poll(tenant.domain, forged) == 401  # signed with another key
    assert poll(tenant.domain, cookie[:-3] + "AAA") == 401  # tampered
    assert poll(neighbour.domain, cookie) == 401  # another tenant's host
    assert poll(tenant.domain, cookie, since="0-0") == 200  # changed: the full board
    with other_app.app_context():
        db.engine.dispose()


def test_an_ended_session_gets_no_204_from_the_poll_shortcut(database_url, tenant):
    """A copied cookie polls "unchanged" only until its session ends (here by a logout);
    then the shortcut passes it on and Flask asks for a login (before: 204 for 31 days)."""
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0)
    flask_requests = []
    app.before_request(lambda: flask_requests.append(request.path))
    cook = signed_in(app, tenant, "kitchen")
    thief = cook.copied(app)
    if time.time() % 60 > 57:  # the token carries the minute: stay inside one minute
        time.sleep(60 - time.time() % 60 + 0.1)
    token = since_token(cook.get("/kitchen").text)
    flask_requests.clear()
    assert thief.get(f"/kitchen/board?since={token}", htmx=True).status_code == 204
    assert flask_requests == []  # the shortcut answered
    assert cook.post("/logout").status_code == 303
    flask_requests.clear()
    response = thief.get(f"/kitchen/board?since={token}", htmx=True)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert flask_requests == ["/kitchen/board"]  # passed on to Flask, which refused it
    with app.app_context():
        db.engine.dispose()


def test_removed_staff_member_is_logged_out_by_the_next_poll(app, tenant, db_connection):
    cook = signed_in(app, tenant, "kitchen")
    token = since_token(cook.get("/kitchen").text)
    db_connection.exec_driver_sql(
        f"DELETE FROM \"{tenant.schema_name}\".users WHERE role = 'kitchen'"
    )
    db_connection.commit()
    response = cook.get(f"/kitchen/board?since={token}", htmx=True)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_poll_without_a_session_asks_for_login(app, tenant):
    add_staff(app, tenant, "k@x.example", "kitchen")
    response = app.test_client().get(
        "/kitchen/board", base_url=f"http://{tenant.domain}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 401


def test_ages_escalate_and_done_orders_leave_after_30_minutes(
    app, client, tenant, cook, db_connection
):
    """Orders from before ready times (ready_at NULL) still turn amber at 10 and red at 20
    minutes of age (the fallback; tests/kitchen/test_kitchen_lifecycle.py colours by ready time)."""
    fresh, waiting, late, done_recently, done_long_ago = (
        place(client, app, tenant, name) for name in ("Fresh", "Wait", "Late", "Dn", "Old")
    )
    schema = tenant.schema_name
    db_connection.exec_driver_sql(f'UPDATE "{schema}".orders SET ready_at = NULL')
    for order, minutes in ((waiting, 12), (late, 25)):
        db_connection.exec_driver_sql(
            f"UPDATE \"{schema}\".orders SET created_at = now() - interval '{minutes} minutes' "
            f"WHERE id = '{order['id']}'"
        )
    for order, minutes in ((done_recently, 29), (done_long_ago, 31)):
        db_connection.exec_driver_sql(
            f"UPDATE \"{schema}\".orders SET status = 'DONE', "
            f"status_changed_at = now() - interval '{minutes} minutes' WHERE id = '{order['id']}'"
        )
    db_connection.commit()
    page = cook.get("/kitchen").text
    urgency = {
        int(number): level
        for level, number in re.findall(r'<li class="card ([a-z]*)" data-number="(\d+)"', page)
    }
    assert urgency[fresh["number"]] == "" and urgency[waiting["number"]] == "warn"
    assert urgency[late["number"]] == "late" and "12 min" in page and "25 min" in page
    assert column(page, "New")[0] == str(late["number"])  # oldest first
    assert column(page, "Done") == [str(done_recently["number"])]


def test_done_column_shows_the_latest_dozen_newest_first(app, client, tenant, cook, db_connection):
    """After a busy lunch the pass sees the latest done orders, not a wall of cards."""
    from omniorder.kitchen.board import DONE_SHOWN

    orders = [place(client, app, tenant, f"Guest {n}") for n in range(DONE_SHOWN + 3)]
    for minutes_ago, order in enumerate(reversed(orders)):  # the last placed, done last
        db_connection.exec_driver_sql(
            f"UPDATE \"{tenant.schema_name}\".orders SET status = 'DONE', status_changed_at = "
            f"now() - interval '{minutes_ago} minutes' WHERE id = '{order['id']}'"
        )
    db_connection.commit()
    done = column(cook.get("/kitchen").text, "Done")
    assert done == [str(order["number"]) for order in reversed(orders)][:DONE_SHOWN]


def test_csrf_token_may_come_as_an_htmx_header(app, client, tenant, cook):
    order = place(client, app, tenant)
    response = cook.client.post(
        f"/kitchen/orders/{order['id']}/advance",
        data={"from": "PENDING"},
        base_url=cook.base_url,
        headers={"X-CSRFToken": cook.token(), "HX-Request": "true"},
    )
    assert response.status_code == 200


def test_the_shortcut_and_the_view_answer_every_poll_alike(app, tenant, make_tenant, cook):
    """One decision (`answer_poll`) behind two doors: the WSGI shortcut in front of Flask and
    the Flask view alone must give the same answer to each case."""
    from werkzeug.test import Client

    from omniorder.blueprints.kitchen.poll import unchanged_poll

    layer = app.wsgi_app
    while getattr(layer, "answer", None) is not unchanged_poll:
        layer = layer.wsgi_app
    doors = {
        "shortcut": Client(app.wsgi_app, use_cookies=False),  # our Cookie header wins
        "view": Client(layer.wsgi_app, use_cookies=False),
    }
    if time.time() % 60 > 55:  # the token carries the minute: stay inside one minute
        time.sleep(60 - time.time() % 60 + 0.1)
    token = since_token(cook.get("/kitchen").text)
    cookie = cook.client.get_cookie("session", domain=tenant.domain).value
    other_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-secret")
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    forged = other_app.session_interface.get_signing_serializer(other_app).dumps(data)
    neighbour = make_tenant().domain
    cases = {  # (host, cookie, since) → what the tablet must hear
        "unchanged": ((tenant.domain, cookie, token), 204),
        "changed board": ((tenant.domain, cookie, "0-0"), 200),
        "no cookie": ((tenant.domain, "", token), 401),
        "another app's key": ((tenant.domain, forged, token), 401),
        "tampered": ((tenant.domain, cookie[:-3] + "AAA", token), 401),
        "another tenant's host": ((neighbour, cookie, token), 401),
    }

    def poll(door, host, session_cookie, since):
        return door.get(
            f"/kitchen/board?since={since}",
            base_url=f"http://{host}",
            headers={"Cookie": f"session={session_cookie}", "HX-Request": "true"},
        )

    for name, (request_args, expected) in cases.items():
        answers = {door: poll(client, *request_args).status_code for door, client in doors.items()}
        assert answers == {"shortcut": expected, "view": expected}, name
    assert cook.post("/logout").status_code == 303  # the session ends for every copy of it
    answers = {
        door: poll(client, tenant.domain, cookie, token).status_code
        for door, client in doors.items()
    }
    assert answers == {"shortcut": 401, "view": 401}
    with other_app.app_context():
        db.engine.dispose()
