"""The Printers page, the `printers` setting's checks (direct printing only where the operator
allows it), test pages, reprints and `flask print devices`."""

import datetime

import pytest
from sqlalchemy import select, update

from omniorder.core.database import db
from omniorder.printing.models import PrintDevice, PrintJob
from tests.support.app import SYS_TOKEN, make_app
from tests.support.choices import bound
from tests.support.printing import add_agent, fetched, items_named, place, poll, set_printers
from tests.support.staff import signed_in

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


def settings_patch(client, tenant, printers):
    return client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings", json={"printers": printers}, headers=AUTH
    )


@pytest.mark.parametrize(
    "printers, field",
    [
        ("Pass", "printers"),
        ([{"name": ""}], "printers[0].name"),
        ([{"name": "A\u0000B"}], "printers[0].name"),
        ([{"name": "x" * 61}], "printers[0].name"),
        ([{"name": "Pass", "port": 9100}], "printers[0].port"),
        ([{"name": "Pass", "copies": 4}], "printers[0].copies"),
        ([{"name": "Pass", "copies": True}], "printers[0].copies"),
        ([{"name": "Pass", "copies": 10**30}], "printers[0].copies"),
        ([{"name": "Pass", "stations": "Grill"}], "printers[0].stations"),
        ([{"name": "Pass", "stations": [7]}], "printers[0].stations"),
        ([{"name": "Pass", "enabled": "yes"}], "printers[0].enabled"),
        ([{"name": "Pass", "colour": "red"}], "printers[0].colour"),
        ([{"name": f"P{n}"} for n in range(11)], "printers"),
        (["Pass"], "printers[0]"),
    ],
)
def test_bad_printers_are_400_naming_the_field(client, tenant, printers, field):
    response = settings_patch(client, tenant, printers)
    assert response.status_code == 400 and field in response.json["fields"], response.json


def test_two_printers_of_one_name_are_422(client, tenant):
    response = settings_patch(client, tenant, [{"name": "Pass"}, {"name": " pass"}])
    assert response.status_code == 422 and "printers[1].name" in response.json["fields"]


def test_a_printer_with_a_host_is_refused_unless_the_operator_allows_direct_printing(
    client, tenant
):
    response = settings_patch(client, tenant, [{"name": "Pass", "host": "192.168.1.50"}])
    assert response.status_code == 400
    assert "print agent" in response.json["fields"]["printers[0].host"]
    stored = client.get(f"/api/v1/sys/tenants/{tenant.domain}/settings", headers=AUTH).json
    assert stored["printers"] == []


@pytest.mark.parametrize(
    "host", ["192.168.1.50", "127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:10.0.0.1"]
)
def test_private_addresses_are_refused_under_public(database_url, tenant, host):
    client = make_app(database_url, OMNIORDER_PRINT_DIRECT="public").test_client()
    response = settings_patch(client, tenant, [{"name": "Pass", "host": host}])
    assert response.status_code == 400, response.json
    assert "print agent" in response.json["fields"]["printers[0].host"]


def test_public_and_any_allow_what_they_say(database_url, tenant):
    public = make_app(database_url, OMNIORDER_PRINT_DIRECT="public").test_client()
    response = settings_patch(public, tenant, [{"name": "Pass", "host": "8.8.8.8"}])
    assert response.status_code == 200
    assert response.json["printers"] == [
        {
            "name": "Pass",
            "stations": [],
            "copies": 1,
            "enabled": True,
            "host": "8.8.8.8",
            "port": 9100,
        }
    ]
    anywhere = make_app(database_url, OMNIORDER_PRINT_DIRECT="any").test_client()
    response = settings_patch(
        anywhere, tenant, [{"name": "Pass", "host": "192.168.1.50", "port": 9101}]
    )
    assert response.status_code == 200 and response.json["printers"][0]["port"] == 9101


@pytest.fixture
def admin(app, tenant):
    return signed_in(app, tenant, "admin")


def test_an_admin_adds_a_printer_prints_a_test_page_and_removes_it(app, tenant, admin):
    page = admin.post(
        "/admin/printers",
        {"name": "Pass", "stations": "Grill, Bar", "copies": "2", "enabled": "on"},
    )
    assert page.status_code == 200 and "Printer saved." in page.text
    assert "Grill, Bar" in page.text
    token = add_agent(app, tenant)[1]
    page = admin.post("/admin/printers/test-page", {"name": "pass"})
    assert page.status_code == 200 and "Test page sent" in page.text
    ((_, printer, data),) = fetched(poll(admin.client, tenant, token))
    assert printer == "Pass" and b"TEST PAGE" in data and b"Grill, Bar" in data and b"\x1dV" in data
    refused = admin.post("/admin/printers", {"name": "Bar", "host": "192.168.1.50"})
    assert refused.status_code == 400 and "print agent" in refused.text
    assert admin.post("/admin/printers/test-page", {"name": "Nope"}).status_code == 404
    assert admin.post("/admin/printers", {"name": "Pass", "copies": "x"}).status_code == 400
    page = admin.post("/admin/printers/remove", {"name": "Pass"})
    assert page.status_code == 200 and "No printer yet." in page.text


def test_forms_without_csrf_are_refused(admin):
    assert admin.post("/admin/printers", {"name": "Pass"}, csrf=False).status_code == 400


def test_a_manager_may_not_open_the_printers_page(app, tenant):
    manager = signed_in(app, tenant, "manager")
    assert manager.get("/admin/printers").status_code == 403


def test_an_admin_registers_and_revokes_an_agent_whose_token_is_shown_once(app, tenant, admin):
    set_printers(app, tenant, [{"name": "Pass"}])
    page = admin.post("/admin/printers/agents", {"name": "Kitchen PC"})
    assert page.status_code == 201
    token = page.text.split('<code id="agent-token">')[1].split("</code>")[0]
    assert poll(admin.client, tenant, token).status_code == 204
    page = admin.get("/admin/printers")
    assert token not in page.text and "Kitchen PC" in page.text
    with bound(app, tenant):
        device_id = db.session.scalar(select(PrintDevice.id))
    page = admin.post(f"/admin/printers/agents/{device_id}/revoke")
    assert page.status_code == 200 and "revoked" in page.text
    assert poll(admin.client, tenant, token).status_code == 401
    assert admin.post("/admin/printers/agents", {"name": ""}).status_code == 400


def test_reprint_from_the_board_and_the_order_page(app, client, tenant, admin):
    set_printers(app, tenant, [{"name": "Pass"}])
    token = add_agent(app, tenant)[1]
    order = place(
        client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}]
    )
    assert len(fetched(poll(client, tenant, token))) == 1
    cook = signed_in(app, tenant, "kitchen")
    assert "Reprint" in cook.get("/kitchen").text
    board = cook.post(f"/kitchen/orders/{order['id']}/reprint", htmx=True)
    assert board.status_code == 200
    page = admin.post(f"/admin/orders/{order['id']}/reprint")
    assert page.status_code == 303
    jobs = fetched(poll(client, tenant, token))
    assert len(jobs) == 2 and all(f"#{order['number']}".encode() in data for _, _, data in jobs)


def test_the_board_warns_of_tickets_nobody_took_for_two_minutes(app, client, tenant):
    set_printers(app, tenant, [{"name": "Pass"}])
    place(client, tenant, [{"menu_item_id": items_named(app, tenant)["Fries"], "quantity": 1}])
    cook = signed_in(app, tenant, "kitchen")
    assert "tickets waiting" not in cook.get("/kitchen").text
    with bound(app, tenant):
        db.session.execute(
            update(PrintJob).values(  # a value: Citus computes no timestamp per row here
                created_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=3)
            )
        )
    assert "Printer Pass: 1 ticket waiting" in cook.get("/kitchen").text


def test_flask_print_devices_add_list_revoke(app, runner, tenant):
    set_printers(app, tenant, [{"name": "Pass"}])
    added = runner.invoke(args=["print", "devices", "add", tenant.domain, "--name", "Back PC"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("opa_")
    client = app.test_client()
    assert poll(client, tenant, token).status_code == 204
    listed = runner.invoke(args=["print", "devices", "list", tenant.domain])
    assert "Back PC" in listed.output and "active" in listed.output and token not in listed.output
    device_id = listed.output.split("\t")[0]
    revoked = runner.invoke(args=["print", "devices", "revoke", tenant.domain, device_id])
    assert revoked.exit_code == 0 and poll(client, tenant, token).status_code == 401
    assert runner.invoke(args=["print", "devices", "revoke", tenant.domain, "nope"]).exit_code != 0
    assert (
        runner.invoke(args=["print", "devices", "add", "nowhere.example", "--name", "x"]).exit_code
        != 0
    )
