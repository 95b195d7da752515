"""Tickets pulled by a print agent: what a ticket holds, printers split by station, leases,
acknowledgements and the tokens of the pull API."""

import time

import pytest
from sqlalchemy import update

from omniorder.cache.changes import stop_change_feed
from omniorder.core.database import db
from omniorder.menu.models import MenuItem
from tests.support.app import make_app
from tests.support.choices import bound, set_settings
from tests.support.localstripe import CARD_OK
from tests.support.payments import card, pay, take_payments
from tests.support.payments import place as place_paid
from tests.support.printer import CUT
from tests.support.printing import (
    acknowledge,
    add_agent,
    add_burger_with_options,
    fetched,
    items_named,
    name_stations,
    place,
    poll,
    revoke_agent,
    set_printers,
)


@pytest.fixture
def agent(app, tenant):
    set_printers(app, tenant, [{"name": "Pass"}])
    return add_agent(app, tenant)[1]


def test_an_order_prints_one_ticket_with_its_lines_options_notes_and_cut(
    app, client, tenant, agent
):
    burger = add_burger_with_options(app, tenant)
    order = place(
        client,
        tenant,
        [
            {
                "menu_item_id": str(burger.id),
                "quantity": 2,
                "options": [str(burger.options["Double"])],
                "note": "no onions",
            }
        ],
        name="Zoë",
        note="Ring the bell",
    )
    jobs = fetched(poll(client, tenant, agent))
    assert [(printer) for _, printer, _ in jobs] == ["Pass"]
    ticket = jobs[0][2]
    assert f"#{order['number']}".encode() in ticket
    assert b"2 x Smash Burger" in ticket and b"Size: Double" in ticket
    assert b"NOTE: no onions" in ticket and b"ORDER NOTE: Ring the bell" in ticket
    assert b"Test Kitchen" in ticket and b"Ready " in ticket
    assert ticket.endswith(CUT + b"\x00")
    assert b"\x1dB\x01" in ticket  # the notes in inverted print (GS B 1), not colour alone

    assert poll(client, tenant, agent).status_code == 204  # leased: not offered twice
    assert acknowledge(client, tenant, agent, jobs[0][0]).status_code == 200
    assert acknowledge(client, tenant, agent, jobs[0][0]).status_code == 200  # twice is fine
    assert poll(client, tenant, agent).status_code == 204


def test_two_printers_split_an_order_by_station(app, client, tenant):
    name_stations(app, tenant, {"Mains": "Grill", "Drinks": "Bar"})
    set_printers(
        app,
        tenant,
        [
            {"name": "Grill", "stations": ["grill"]},
            {"name": "Bar", "stations": ["Bar"], "copies": 2},
        ],
    )
    token = add_agent(app, tenant)[1]
    items = items_named(app, tenant)
    place(client, tenant, [{"menu_item_id": items["Lemonade"], "quantity": 1}])  # the bar's only
    place(
        client,
        tenant,
        [
            {"menu_item_id": items["House Burger"], "quantity": 1},
            {"menu_item_id": items["Iced Tea"], "quantity": 3},
        ],
    )
    jobs = fetched(poll(client, tenant, token))
    grill = [data for _, printer, data in jobs if printer == "Grill"]
    bar = [data for _, printer, data in jobs if printer == "Bar"]
    assert len(grill) == 1 and len(bar) == 4  # 2 orders × 2 copies for the bar
    assert b"House Burger" in grill[0] and b"Iced Tea" not in grill[0]
    assert all(b"House Burger" not in data for data in bar)
    assert sum(b"3 x Iced Tea" in data for data in bar) == 2


def test_an_agent_asks_for_its_own_printers_only(app, client, tenant):
    set_printers(app, tenant, [{"name": "Pass"}, {"name": "Bar"}])
    token = add_agent(app, tenant)[1]
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    jobs = fetched(poll(client, tenant, token, printers=["bar"]))
    assert [printer for _, printer, _ in jobs] == ["Bar"]
    assert [printer for _, printer, _ in fetched(poll(client, tenant, token))] == ["Pass"]


def test_a_job_not_acknowledged_within_the_lease_is_offered_again(
    app, client, tenant, agent, db_connection
):
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    ((job_id, _, _),) = fetched(poll(client, tenant, agent))
    db_connection.exec_driver_sql(
        f"UPDATE {tenant.schema_name}.print_jobs SET leased_until = now() - interval '1 second'"
    )
    db_connection.commit()
    assert [job[0] for job in fetched(poll(client, tenant, agent))] == [job_id]


def test_the_pull_api_refuses_missing_revoked_and_other_restaurants_tokens(
    app, client, tenant, make_tenant, agent
):
    other = make_tenant("Other Kitchen")
    set_printers(app, other, [{"name": "Pass"}])
    others_token = add_agent(app, other)[1]
    device_id, revoked = add_agent(app, tenant, "Old PC")
    revoke_agent(app, tenant, device_id)
    for token in (others_token, revoked, "", "opa_made-up", "\u00ff" * 300):
        response = poll(client, tenant, token)
        assert response.status_code == 401, token
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/print/jobs", headers={"Host": tenant.domain}).status_code == 401
    assert acknowledge(client, tenant, others_token, "x").status_code == 401
    assert poll(client, other, others_token).status_code == 204


@pytest.mark.parametrize("job_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_acknowledging_an_unknown_job_is_404(client, tenant, agent, job_id):
    assert acknowledge(client, tenant, agent, job_id).status_code == 404


def test_a_restaurant_without_printers_writes_no_job(app, client, tenant, agent):
    set_printers(app, tenant, [])
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    assert poll(client, tenant, agent).status_code == 204


def test_an_unchanged_poll_issues_no_statement(database_url, tenant, count_statements):
    app = make_app(
        database_url, OMNIORDER_PUSH_INVALIDATION=True, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0
    )
    client = app.test_client()
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    ((job_id, _, _),) = fetched(poll(client, tenant, token))
    acknowledge(client, tenant, token, job_id)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # until this worker's feed listens and holds both
        assert poll(client, tenant, token).status_code == 204
        statements = count_statements(app)
        assert poll(client, tenant, token).status_code == 204
        if not statements:
            break
        time.sleep(0.1)
    assert statements == []
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    deadline = time.monotonic() + 5
    while (response := poll(client, tenant, token)).status_code == 204:  # the notice arrives
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert len(fetched(response)) == 1
    stop_change_feed(app)
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_an_order_paid_online_prints_once_paid(app, client, tenant, agent, localstripe):
    take_payments(app, tenant, localstripe)
    order = place_paid(client, app, tenant).json
    assert poll(client, tenant, agent).status_code == 204  # awaiting its payment: not yet
    assert pay(client, tenant, order["id"], card(localstripe, CARD_OK)).status_code == 200
    ((_, _, ticket),) = fetched(poll(client, tenant, agent))
    assert f"#{order['number']}".encode() in ticket


def test_a_ticket_reads_in_the_kitchens_language_whatever_the_customers(app, client, tenant, agent):
    set_settings(app, tenant, languages=["de", "en"])
    burger = add_burger_with_options(app, tenant)
    with bound(app, tenant):
        db.session.execute(
            update(MenuItem).where(MenuItem.id == burger.id).values(name_i18n={"de": "Smashburger"})
        )
    line = {"menu_item_id": str(burger.id), "quantity": 1, "note": "no onions"}
    line["options"] = [str(burger.options["Double"])]
    body = {"customer_name": "Ann", "items": [line], "note": "Ring the bell"}
    placed = client.post(
        "/api/v1/orders?lang=en", headers={"Host": tenant.domain}, json=body
    )  # the customer reads English
    assert placed.status_code == 201 and placed.json["language"] == "en"
    [(_, _, ticket)] = fetched(poll(client, tenant, agent))
    assert b"HINWEIS: no onions" in ticket and b"HINWEIS ZUR BESTELLUNG: Ring the bell" in ticket
    assert b"Smashburger (Smash Burger)" in ticket  # the cook's words, the customer's beside
    assert b"NOTE:" not in ticket
