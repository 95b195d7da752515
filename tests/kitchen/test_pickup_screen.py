"""The pickup screen by the counter: numbers preparing and ready, first names only when the
restaurant allows it, no order awaiting its online payment, picked-up and cancelled orders
gone, no login, kept out of search engines."""

import re

import pytest

from tests.support.app import SYS_TOKEN
from tests.support.staff import signed_in
from tests.support.storefront import menu

SYS_AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


@pytest.fixture
def cook(app, tenant):
    return signed_in(app, tenant, "kitchen")


def place(client, app, tenant, name):
    item = str(menu(app, tenant)["House Burger"].id)
    response = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": name, "items": [{"menu_item_id": item, "quantity": 1}]},
    )
    assert response.status_code == 201, response.text
    return response.json


def screen(client, tenant, path="/pickup-screen"):
    return client.get(path, base_url=f"http://{tenant.domain}")


def shown(html, title):
    section = html.split(f">{title}</h2>")[1].split("</ol>")[0]
    return [int(number) for number in re.findall(r"<li>(\d+)", section)]


def advance(cook, order, *steps):
    for step in steps:
        path = f"/kitchen/orders/{order['id']}/advance"
        assert cook.post(path, {"from": step}, htmx=True).status_code == 200


def test_numbers_move_from_preparing_to_ready_and_leave_when_collected(app, client, tenant, cook):
    ann, bob, cyd = (place(client, app, tenant, name) for name in ("Ann Lee", "Bob", "Cyd"))
    advance(cook, bob, "PENDING", "COOKING")
    page = screen(client, tenant)
    assert page.status_code == 200  # no login
    assert page.headers["X-Robots-Tag"] == "noindex" and 'content="noindex"' in page.text
    assert shown(page.text, "Preparing") == [ann["number"], cyd["number"]]
    assert shown(page.text, "Ready for pickup") == [bob["number"]]
    assert "Ann" not in page.text and "Bob" not in page.text  # numbers only by default

    cook.post(f"/kitchen/orders/{bob['id']}/picked-up", {}, htmx=True)
    cook.post(f"/kitchen/orders/{cyd['id']}/cancel", {"reason": "Out of buns"}, htmx=True)
    page = screen(client, tenant).text
    assert shown(page, "Preparing") == [ann["number"]]
    assert shown(page, "Ready for pickup") == []


def test_first_names_when_the_restaurant_allows_them_escaped(app, client, tenant, cook):
    response = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"pickup_screen_names": True},
        headers=SYS_AUTH,
    )
    assert response.status_code == 200
    place(client, app, tenant, "Ann Lee")
    place(client, app, tenant, "<script>x</script> Evil")
    page = screen(client, tenant).text
    assert '<span class="pickup-name">Ann</span>' in page and "Lee" not in page
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_an_order_awaiting_its_online_payment_never_appears(app, client, tenant, db_connection):
    order = place(client, app, tenant, "Ann")
    db_connection.exec_driver_sql(
        f"UPDATE \"{tenant.schema_name}\".orders SET payment_status = 'requires_payment'"
        " WHERE id = %s",
        (order["id"],),
    )
    db_connection.commit()
    assert order["number"] not in shown(screen(client, tenant).text, "Preparing")


def test_the_poll_is_204_while_nothing_changed_and_the_columns_after_a_bump(
    app, client, tenant, cook
):
    order = place(client, app, tenant, "Ann")
    page = screen(client, tenant).text
    poll = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "/pickup-screen/orders?since=" in poll
    assert screen(client, tenant, poll).status_code == 204
    advance(cook, order, "PENDING", "COOKING")
    changed = screen(client, tenant, poll)
    assert changed.status_code == 200 and shown(changed.text, "Ready for pickup") == [
        order["number"]
    ]
    for hostile in ("", "'; DROP TABLE orders;--", "9" * 5000, "\x00"):
        answer = client.get(
            "/pickup-screen/orders",
            query_string={"since": hostile},
            base_url=f"http://{tenant.domain}",
        )
        assert answer.status_code == 200 and "Ready for pickup" in answer.text
