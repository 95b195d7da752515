"""Printing in tests: a restaurant's printers and print agents, set through the services the
back office calls, and an order placed with the lines a ticket must show."""

import base64

from sqlalchemy import update

from omniorder.core.database import db
from omniorder.menu.models import Category, MenuItem
from omniorder.printing.devices import add_device, revoke_device
from omniorder.settings.document import update_settings
from tests.support.choices import add_dish, bound


def set_printers(app, tenant, printers: list[dict]) -> None:
    with bound(app, tenant):
        update_settings({"printers": printers})


def add_agent(app, tenant, name="Kitchen PC") -> tuple[str, str]:
    """(device id, token) of a new print agent."""
    with bound(app, tenant):
        device, token = add_device(name)
        return str(device.id), token


def revoke_agent(app, tenant, device_id) -> None:
    with bound(app, tenant):
        revoke_device(device_id)


def name_stations(app, tenant, stations: dict[str, str]) -> None:
    """Category name → station (Mains → Grill)."""
    with bound(app, tenant):
        for category, station in stations.items():
            db.session.execute(
                update(Category).where(Category.name == category).values(station=station)
            )


def add_burger_with_options(app, tenant):
    """A dish in Mains with a required size, to show options on a ticket."""
    dish = add_dish(
        app, tenant, "Smash Burger", 900, groups=[("Size", 1, 1, [("Double", 300), ("Single", 0)])]
    )
    with bound(app, tenant):
        mains = db.session.query(Category).filter_by(name="Mains").one()
        db.session.execute(
            update(MenuItem).where(MenuItem.id == dish.id).values(category_id=mains.id)
        )
    return dish


def items_named(app, tenant) -> dict:
    with bound(app, tenant):
        return {item.name: str(item.id) for item in db.session.query(MenuItem)}


def place(client, tenant, lines: list[dict], name="Ann", note=None):
    body = {"customer_name": name, "items": lines}
    if note:
        body["note"] = note
    response = client.post("/api/v1/orders", headers={"Host": tenant.domain}, json=body)
    assert response.status_code == 201, response.json
    return response.json


def poll(client, tenant, token, printers=()):
    query = "".join(f"&printer={name}" for name in printers).lstrip("&")
    return client.get(
        "/api/v1/print/jobs" + (f"?{query}" if query else ""),
        headers={"Host": tenant.domain, "Authorization": f"Bearer {token}"},
    )


def fetched(response) -> list[tuple[str, str, bytes]]:
    """(id, printer, bytes) of each job a 200 poll handed out."""
    assert response.status_code == 200, response.status_code
    return [
        (job["id"], job["printer"], base64.b64decode(job["data"])) for job in response.json["jobs"]
    ]


def acknowledge(client, tenant, token, job_id):
    return client.post(
        f"/api/v1/print/jobs/{job_id}/done",
        headers={"Host": tenant.domain, "Authorization": f"Bearer {token}"},
    )
