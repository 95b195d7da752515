"""Stations bump their own lines (marks per line, race-safe), the expo sees them checked and
bumps the order, or (the `expo` setting false) the last station's bump makes it Done; the bump
bar's Recall key; waiting minutes."""

import re

import pytest

from omniorder.settings.document import read_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.kitchen import place_named
from tests.support.races import Actions, race
from tests.support.settings import PAGE_FIELDS
from tests.support.staff import signed_in

SYS_AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


@pytest.fixture
def cook(app, tenant):
    return signed_in(app, tenant, "kitchen")


@pytest.fixture
def stations(tenant, db_connection):
    """Mains on the Grill, Drinks at the Bar."""
    for station, category in (("Grill", "Mains"), ("Bar", "Drinks")):
        db_connection.exec_driver_sql(
            f'UPDATE "{tenant.schema_name}".categories SET station = %s WHERE name = %s',
            (station, category),
        )
    db_connection.commit()


def place(client, app, tenant, name="Ann", items=(("House Burger", 1), ("Lemonade", 2))):
    return place_named(client, app, tenant, name, items)


def status(client, tenant, order):
    return client.get(f"/api/v1/orders/{order['id']}", headers={"Host": tenant.domain}).json[
        "status"
    ]


def column(html, title):
    section = html.split(f"<h2>{title} ")[1].split("</ol>")[0]
    return re.findall(r'class="number">#(\d+)<', section)


def bump_lines(staff, order, station, htmx=True):
    return staff.post(f"/kitchen/orders/{order['id']}/lines-done", {"station": station}, htmx=htmx)


def set_expo(client, tenant, expo: bool):
    response = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings", json={"expo": expo}, headers=SYS_AUTH
    )
    assert response.status_code == 200, response.text


def test_a_station_bumps_its_lines_and_the_expo_sees_them_checked(
    app, client, tenant, cook, stations
):
    order = place(client, app, tenant)
    grill = cook.get("/kitchen?station=Grill").text
    assert column(grill, "New") == [str(order["number"])]
    assert "lines-done" in grill and "Lemonade" not in grill.split("<h2>New ")[1]

    bumped = bump_lines(cook, order, "Grill")
    assert bumped.status_code == 200
    assert column(bumped.text, "New") == [] and column(bumped.text, "Cooking") == []
    assert "done at Grill" in bumped.text  # the Undo strip
    assert status(client, tenant, order) == "COOKING"  # a station started it

    expo = cook.get("/kitchen?station=").text
    assert column(expo, "Cooking") == [str(order["number"])]
    card = expo.split("<h2>Cooking ")[1].split("</ol>")[0]
    checked = r'line line-done"><span class="line-item"><span class="line-check">✓ done:</span> '
    assert re.search(checked, card)
    assert card.count("line-done") == 1  # the Lemonade is not done
    assert "done: 1× House Burger" in card  # in the button's name too

    again = bump_lines(cook, order, "grill")  # another grill tablet, any case
    assert again.status_code == 409 and "already bumped" in again.text
    assert bump_lines(cook, order, "Bar").status_code == 200
    assert status(client, tenant, order) == "COOKING"  # with an expo, the expo bumps it
    expo = cook.get("/kitchen?station=").text
    assert expo.split("<h2>Cooking ")[1].split("</ol>")[0].count("line-done") == 2
    assert (
        cook.post(
            f"/kitchen/orders/{order['id']}/advance", {"from": "COOKING"}, htmx=True
        ).status_code
        == 200
    )
    assert status(client, tenant, order) == "DONE"


def test_without_an_expo_the_last_station_makes_the_order_done(app, client, tenant, cook, stations):
    set_expo(client, tenant, False)
    order = place(client, app, tenant)
    bump_lines(cook, order, "Bar")
    assert status(client, tenant, order) == "COOKING"
    assert bump_lines(cook, order, "Grill").status_code == 200
    assert status(client, tenant, order) == "DONE"
    # The Grill takes its bump back: the order is cooking again, the Bar's mark kept.
    undone = cook.post(
        f"/kitchen/orders/{order['id']}/lines-undone", {"station": "Grill"}, htmx=True
    )
    assert undone.status_code == 200 and status(client, tenant, order) == "COOKING"
    assert column(cook.get("/kitchen?station=Grill").text, "Cooking") == [str(order["number"])]
    assert column(cook.get("/kitchen?station=Bar").text, "Cooking") == []


@pytest.mark.parametrize("expo", [True, False])
def test_two_stations_bumping_at_once_both_count(app, client, tenant, stations, expo):
    """The row lock serializes them and the later one sees the earlier one's mark: with no
    expo, exactly one of them makes the order Done, never neither."""
    set_expo(client, tenant, expo)
    orders = [place(client, app, tenant, f"Guest {n}") for n in range(4)]
    grill = Actions(signed_in(app, tenant, "kitchen"))
    bar = Actions(signed_in(app, tenant, "kitchen"))
    for order in orders:
        path = f"/kitchen/orders/{order['id']}/lines-done"
        statuses = race(grill.post(path, station="Grill"), bar.post(path, station="Bar"))
        assert statuses == [303, 303]
        assert status(client, tenant, order) == ("COOKING" if expo else "DONE")
    expo_board = signed_in(app, tenant, "kitchen").get("/kitchen?station=").text
    if expo:
        section = expo_board.split("<h2>Cooking ")[1].split("</ol>")[0]
        assert section.count("line-done") == 2 * len(orders)


def test_the_same_station_on_two_tablets_bumps_once(app, client, tenant, stations):
    order = place(client, app, tenant)
    tablets = [Actions(signed_in(app, tenant, "kitchen")) for _ in range(2)]
    path = f"/kitchen/orders/{order['id']}/lines-done"
    statuses = race(*(tablet.post(path, station="Grill") for tablet in tablets))
    assert sorted(statuses) == [303, 409]


@pytest.mark.parametrize(
    "station, expected",
    [("", 400), ("Pastry", 409), ("g" * 41, 400), ("<b>Grill</b>", 409), ("Gr\x00ill", 400)],
)
def test_a_bad_station_is_refused(app, client, tenant, cook, stations, station, expected):
    order = place(client, app, tenant)
    response = bump_lines(cook, order, station)
    assert response.status_code == expected
    assert "<b>Grill</b>" not in response.text
    assert status(client, tenant, order) == "PENDING"


def test_an_unknown_order_is_404(cook, stations):
    response = cook.post(
        "/kitchen/orders/00000000-0000-0000-0000-000000000000/lines-done",
        {"station": "Grill"},
        htmx=True,
    )
    assert response.status_code == 404


def test_recall_last_brings_back_the_last_bumped_order(app, client, tenant, cook):
    first, second = place(client, app, tenant, "Ann"), place(client, app, tenant, "Bob")
    for order in (first, second):
        for step in ("PENDING", "COOKING"):
            cook.post(f"/kitchen/orders/{order['id']}/advance", {"from": step}, htmx=True)
    recalled = cook.post("/kitchen/recall-last", {}, htmx=True)
    assert recalled.status_code == 200
    assert column(recalled.text, "Cooking") == [str(second["number"])]
    assert column(recalled.text, "Done") == [str(first["number"])]
    cook.post("/kitchen/recall-last", {}, htmx=True)
    assert status(client, tenant, first) == "COOKING"
    nothing = cook.post("/kitchen/recall-last", {}, htmx=True)
    assert nothing.status_code == 404 and "No order was bumped" in nothing.text


def test_the_board_carries_the_key_map_and_its_overlay(app, client, tenant, cook):
    client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"kitchen_keys": {"bump": "b", "recall": "Enter"}},
        headers=SYS_AUTH,
    )
    page = cook.get("/kitchen").text
    keys = re.search(r'<script type="application/json" id="kitchen-keys"[^>]*>([^<]*)<', page)
    assert '"bump": "b"' in keys.group(1) and '"recall": "Enter"' in keys.group(1)
    assert '<dialog id="keys-dialog"' in page and "<kbd>b</kbd>" in page


def test_tickets_say_how_long_they_have_waited(app, client, tenant, cook):
    place(client, app, tenant, items=(("House Burger", 1),))
    assert 'class="visually-hidden">waiting </span>0 min' in cook.get("/kitchen").text


@pytest.mark.parametrize("path", ["lines-done", "lines-undone"])
def test_only_kitchen_staff_bump_lines(app, client, tenant, stations, path):
    order = place(client, app, tenant)
    response = client.post(
        f"/kitchen/orders/{order['id']}/{path}",
        data={"station": "Grill"},
        base_url=f"http://{tenant.domain}",
    )
    assert response.status_code in (302, 400)  # to the login page, or CSRF refused
    assert status(client, tenant, order) == "PENDING"


def test_undoing_lines_never_bumped_is_409(app, client, tenant, cook, stations):
    order = place(client, app, tenant)
    bump_lines(cook, order, "Bar")
    response = cook.post(
        f"/kitchen/orders/{order['id']}/lines-undone", {"station": "Grill"}, htmx=True
    )
    assert response.status_code == 409 and "are not bumped" in response.text


def test_an_admin_turns_the_expo_off_and_names_on_from_the_settings_page(app, tenant):
    """The two kitchen switches on the Settings page: unticked expo, ticked names."""
    admin = signed_in(app, tenant, "admin")
    page = admin.get("/admin/settings").text
    tags = re.findall(r'<input[^>]*name="kitchen-[a-z_]+"[^>]*>', page)
    ticked = {re.search(r'name="([^"]+)"', tag)[1]: " checked" in tag for tag in tags}
    assert ticked == {"kitchen-expo": True, "kitchen-pickup_screen_names": False}
    fields = {**PAGE_FIELDS, "kitchen-pickup_screen_names": "y"}
    del fields["kitchen-expo"]
    assert admin.post("/admin/settings", fields).status_code == 303
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        settings = read_settings()
    assert (settings["expo"], settings["pickup_screen_names"]) == (False, True)
