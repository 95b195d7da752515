"""Staff steps: sign in on a tenant's host, then use the board and the back office."""

import re
import uuid

from omniorder.core.unit_of_work import unit_of_work
from omniorder.staff.accounts import create_staff
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry

PASSWORD = "staff password 1"


class Staff:
    """A browser on `domain`; `address` is the client address the app sees (REMOTE_ADDR)."""

    def __init__(self, client, domain, address="127.0.0.1"):
        self.client = client
        self.domain = domain
        self.base_url = f"http://{domain}"
        self.environ = {"REMOTE_ADDR": address}

    def get(self, path, htmx=False, **kwargs):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.get(
            path, base_url=self.base_url, headers=headers, environ_base=self.environ, **kwargs
        )

    def token(self):
        page = self.get("/login")
        return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)

    def post(self, path, data=None, htmx=False, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self.token()
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(
            path,
            data=data,
            base_url=self.base_url,
            headers=headers,
            environ_base=self.environ,
            **kwargs,
        )

    def login(self, email, password=PASSWORD, next_page=None):
        path = "/login" + (f"?next={next_page}" if next_page else "")
        return self.post(path, {"email": email, "password": password})

    def copied(self, app):
        """Another browser holding a copy of this one's session cookie (a stolen cookie)."""
        thief = Staff(app.test_client(), self.domain)
        cookie = self.client.get_cookie("session", domain=self.domain)
        thief.client.set_cookie("session", cookie.value, domain=self.domain)
        return thief


def add_staff(app, tenant, email, role, password=PASSWORD):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)), unit_of_work():
        user = create_staff(email, role, password=password)
        return user.id


def signed_in(app, tenant, role):
    """A fresh test client signed in on `tenant` as a new staff member with `role`."""
    email = f"{role}-{uuid.uuid4().hex[:6]}@{tenant.domain}"
    add_staff(app, tenant, email, role)
    staff = Staff(app.test_client(), tenant.domain)
    response = staff.login(email)
    assert response.status_code == 303, response.text
    return staff
