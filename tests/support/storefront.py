"""A customer's steps on a storefront, so tests read like what a person does."""

import re

from sqlalchemy import select, update

from omniorder.core.database import db
from omniorder.menu.models import MenuItem
from omniorder.ordering.cart import line_key
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry


class Customer:
    def __init__(self, client, domain):
        self.client = client
        self.base_url = f"http://{domain}"

    def get(self, path, **kwargs):
        return self.client.get(path, base_url=self.base_url, **kwargs)

    def post(self, path, data=None, htmx=False, **kwargs):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data=data, base_url=self.base_url, headers=headers, **kwargs)

    def csrf_token(self):
        page = self.get("/")
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert found, f"the storefront answered {page.status_code}: {page.text[:300]}"
        return found.group(1)

    def checkout_key(self):
        page = self.get("/")
        return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page.text).group(
            1
        )

    def add(self, item_id, htmx=False, quantity=1, options=(), note=None):
        data = {"csrf_token": self.csrf_token(), "item_id": str(item_id), "quantity": quantity}
        data["options"] = [str(option) for option in options]
        if note is not None:
            data["note"] = note
        return self.post("/cart/add", data, htmx=htmx)

    def set_quantity(self, item_id, quantity, htmx=False, options=(), note=None):
        """Change the cart line of this item with these options and note."""
        return self.post(
            "/cart/set",
            {
                "csrf_token": self.csrf_token(),
                "line": line_key(item_id, options, note),
                "quantity": quantity,
            },
            htmx=htmx,
        )

    def choose_tip(self, tip, amount="", htmx=False):
        """tip: "none", a preset percentage ("10") or "custom" with `amount` as typed."""
        return self.post(
            "/cart/tip",
            {"csrf_token": self.csrf_token(), "tip": tip, "tip_amount": amount},
            htmx=htmx,
        )

    def checkout(self, customer_name, key=None, htmx=False, note=None):
        key = key or self.checkout_key()
        data = {
            "csrf_token": self.csrf_token(),
            "idempotency_key": key,
            "customer_name": customer_name,
        }
        if note is not None:
            data["note"] = note
        return self.post("/checkout", data, htmx=htmx)


def menu(app, tenant) -> dict[str, MenuItem]:
    """The tenant's menu items by name (detached copies)."""
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        items = db.session.scalars(select(MenuItem)).all()
        db.session.expunge_all()
    return {item.name: item for item in items}


def menu_names(client, domain) -> set[str]:
    """The item names the public JSON menu of `domain` shows."""
    response = client.get("/api/v1/menu", headers={"Host": domain})
    assert response.status_code == 200, response.data
    return {item["name"] for item in response.get_json()["items"]}


def rename_menu(app, tenant, prefix):
    """Put `prefix` before every item's name, so a menu says whose it is."""
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        for item in db.session.scalars(select(MenuItem)):
            item.name = f"{prefix} {item.name}"
        db.session.commit()


def change_item(app, tenant, item_id, **values):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        db.session.execute(update(MenuItem).where(MenuItem.id == item_id).values(**values))
        db.session.commit()


def order_count(app, tenant) -> int:
    from omniorder.ordering.models import Order

    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        return db.session.scalar(select(db.func.count()).select_from(Order))
