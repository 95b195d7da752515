"""An admin invites a cook by e-mail in chromium; the cook opens the mailed link, chooses a
password (a refused one first, its problem beside the field) and lands on the board; a used
link and "Forgot your password?" show their pages. Every page passes axe."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.app import make_app
from tests.support.jobs import run_queue
from tests.support.staff import PASSWORD, add_staff

LINK = re.compile(r"http://[^/\s]+(/login/invitation/[A-Za-z0-9_.-]+)")


@pytest.fixture
def app(database_url, inbox):
    app = make_app(database_url, OMNIORDER_SMTP_URL=f"smtp://127.0.0.1:{inbox.port}?timeout=10")
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_an_invited_cook_sets_a_password_and_lands_on_the_board(
    browser, live_server, make_tenant, app, inbox
):
    tenant = make_tenant(name="Invite Diner")
    add_staff(app, tenant, "owner@invite.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.goto(f"{base}/login")
    admin.get_by_label("Email").fill("owner@invite.example")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url(re.compile(r"/admin/menu$"))

    admin.goto(f"{base}/admin/staff")
    admin.get_by_label("Email").fill("not an address")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_text("Email must be an email address.")).to_be_visible()
    assert_accessible(admin)  # the problem beside its field
    admin.get_by_label("Email").fill("cook@invite.example")
    admin.get_by_label("Name (optional)").fill("Carla Cook")
    admin.get_by_label("Role", exact=True).select_option("kitchen")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("Invitation sent to cook@invite.example")
    expect(admin.get_by_role("button", name="Resend the invitation to cook@invite.example"))
    assert_accessible(admin)  # with a pending invitation

    run_queue(app, "mail")
    (message,) = inbox.to("cook@invite.example")
    text = message.get_body(preferencelist=("plain",)).get_content()
    path = LINK.search(text).group(1)

    cook = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    cook.goto(base + path)
    expect(cook.get_by_role("heading", name="Welcome to Invite Diner")).to_be_visible()
    assert_accessible(cook)
    cook.get_by_label("New password", exact=True).fill("short")
    cook.get_by_label("New password again").fill("short")
    cook.get_by_role("button", name="Set my password and log in").click()
    expect(cook.get_by_text("New password must be at least 8 characters.")).to_be_visible()
    assert_accessible(cook)
    cook.get_by_label("New password", exact=True).fill("carla's own password")
    cook.get_by_label("New password again").fill("carla's own password")
    cook.get_by_role("button", name="Set my password and log in").click()
    cook.wait_for_url(re.compile(r"/kitchen$"))
    expect(cook.get_by_role("button", name="Log out cook@invite.example")).to_be_visible()

    used = browser.new_context().new_page()
    response = used.goto(base + path)
    assert response.status == 410
    expect(used.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert_accessible(used)
    used.get_by_role("link", name="Forgot your password?").click()
    used.get_by_label("Email").fill("cook@invite.example")
    used.get_by_role("button", name="Send the link").click()
    expect(used.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert_accessible(used)
    for page in (admin, cook, used):
        page.context.close()
