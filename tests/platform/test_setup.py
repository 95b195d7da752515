"""A restaurant that is not published yet (omniorder/platform/setup.py): its storefront says
"Opening soon" and takes no order; its admin works through the setup checklist and publishes
once every item is done. Operators' restaurants start published."""

import re

import pytest

from omniorder.core.unit_of_work import unit_of_work
from omniorder.settings.document import default_settings, read_settings, update_settings
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.staff import signed_in
from tests.support.storefront import Customer, menu, order_count

AUTH = {"Authorization": f"Bearer {SYS_TOKEN}"}


def change_settings(app, tenant, change: dict) -> None:
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            update_settings(change)


def checklist(page) -> dict[str, str]:
    """Each checklist item's key → "Done" or "To do", as the setup page shows it."""
    return dict(
        re.findall(r'data-item="(\w+)">\s*<strong>[^<]+</strong>: <span>([^<]+)</span>', page.text)
    )


def test_an_operators_restaurant_starts_published(client, tenant):
    settings = client.get(f"/api/v1/sys/tenants/{tenant.domain}/settings", headers=AUTH)
    assert settings.get_json()["published"] is True
    assert "Opening soon" not in client.get("/", headers={"Host": tenant.domain}).text


def test_an_unpublished_storefront_says_opening_soon_and_takes_no_order(app, client, tenant):
    customer = Customer(client, tenant.domain)
    token = customer.csrf_token()
    item = next(iter(menu(app, tenant).values()))
    changed = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings", json={"published": False}, headers=AUTH
    )
    assert changed.status_code == 200 and changed.get_json()["published"] is False

    page = customer.get("/")
    assert page.status_code == 200 and "Opening soon" in page.text
    assert '<meta name="robots" content="noindex">' in page.text
    assert page.headers["X-Robots-Tag"] == "noindex"
    assert "Opening soon" in customer.get(f"/items/{item.id}").text

    added = customer.post("/cart/add", {"csrf_token": token, "item_id": str(item.id)})
    assert added.status_code == 409 and "not taking orders yet" in added.text
    ordered = client.post(
        "/api/v1/orders",
        headers={"Host": tenant.domain},
        json={"customer_name": "Ann", "items": [{"menu_item_id": str(item.id), "quantity": 1}]},
    )
    assert ordered.status_code == 409
    assert "not taking orders yet" in ordered.get_json()["error"]
    assert order_count(app, tenant) == 0


def test_publish_is_refused_until_the_checklist_is_done(app, tenant):
    change_settings(app, tenant, {"published": False})
    admin = signed_in(app, tenant, "admin")
    page = admin.get("/admin/setup")
    assert page.status_code == 200
    assert checklist(page) == {
        "region": "To do",
        "hours": "To do",
        "tax": "To do",
        "menu": "Done",  # the starter menu
        "profile": "To do",
    }
    assert "Not published yet" in admin.get("/admin/menu").text  # the banner

    refused = admin.post("/admin/setup/publish")
    assert refused.status_code == 409
    assert (
        "still to do: Time zone, currency and language, Opening hours, Tax, "
        "Address or phone number" in refused.text
    )

    change_settings(
        app,
        tenant,
        {
            "timezone": "Europe/Berlin",
            "currency": "EUR",
            "locale": "de_DE",
            "languages": ["en"],  # the checklist read in English
            "hours": {"mon": [["11:00", "22:00"]]},
            "tax": {"rate_bp": 1900, "inclusive": True},
        },
    )
    assert checklist(admin.get("/admin/setup")) == {
        "region": "Done",
        "hours": "Done",
        "tax": "Done",
        "menu": "Done",
        "profile": "To do",
    }
    assert "still to do: Address or phone number" in admin.post("/admin/setup/publish").text

    change_settings(app, tenant, {"profile": {"phone": "+49301234567"}})
    published = admin.post("/admin/setup/publish")
    assert published.status_code == 303, published.text
    page = admin.get("/admin/setup")
    assert "Published: your storefront takes orders." in page.text
    assert "Not published yet" not in admin.get("/admin/menu").text
    assert "Opening soon" not in admin.client.get("/", base_url=f"http://{tenant.domain}").text


@pytest.mark.parametrize("role", ["manager", "kitchen"])
def test_only_admins_see_the_checklist_and_publish(app, tenant, role):
    change_settings(app, tenant, {"published": False})
    staff = signed_in(app, tenant, role)
    assert staff.get("/admin/setup").status_code == 403
    assert staff.post("/admin/setup/publish").status_code == 403
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        assert read_settings()["published"] is False


def test_an_owner_can_keep_a_default_that_is_right(app, tenant):
    """A bar open around the clock, on UTC, adding no tax: each default confirmed as it is
    ticks its item; an item that is not a default (the menu) or unknown cannot be."""
    change_settings(app, tenant, {"published": False, "profile": {"phone": "+14155550100"}})
    admin = signed_in(app, tenant, "admin")
    assert "It is right as it is" in admin.get("/admin/setup").text
    for item in ("region", "hours", "tax"):
        assert admin.post(f"/admin/setup/confirm/{item}").status_code == 303
    for item in ("menu", "profile", "published", "..", "x" * 300):
        assert admin.post(f"/admin/setup/confirm/{item}").status_code == 404
    page = admin.get("/admin/setup")
    assert set(checklist(page).values()) == {"Done"}
    assert "It is right as it is" not in page.text
    assert admin.post("/admin/setup/publish").status_code == 303
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        settings = read_settings()
    assert settings["published"] is True
    assert settings["setup_confirmed"] == ["hours", "region", "tax"]
    defaults = default_settings()
    assert [settings[key] for key in ("timezone", "hours", "tax")] == [
        defaults[key] for key in ("timezone", "hours", "tax")
    ]
    assert signed_in(app, tenant, "manager").post("/admin/setup/confirm/tax").status_code == 403


def test_setup_confirmed_takes_only_checklist_items(client, tenant):
    for bad in ("hours", ["menu"], [1], ["hours", None], {"hours": True}):
        answer = client.patch(
            f"/api/v1/sys/tenants/{tenant.domain}/settings",
            json={"setup_confirmed": bad},
            headers=AUTH,
        )
        assert answer.status_code in (400, 422), (bad, answer.text)
    answer = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"setup_confirmed": ["tax", "tax"]},
        headers=AUTH,
    )
    assert answer.status_code == 200 and answer.get_json()["setup_confirmed"] == ["tax"]
