"""A manager exports the menu, uploads a changed one, reads the preview and applies it; an
admin copies Monday's hours to the weekdays without a round trip. Every page passes axe."""

import json
import re

from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.staff import PASSWORD, add_staff


def signed_in_page(browser, base, email):
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = page.new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin"))
    return page


def test_a_manager_previews_and_applies_a_menu_import(
    browser, live_server, make_tenant, app, tmp_path
):
    tenant = make_tenant(name="Import Diner")
    add_staff(app, tenant, "manager@import.example", "manager")
    base = f"http://{tenant.domain}:{live_server}"
    page = signed_in_page(browser, base, "manager@import.example")
    page.goto(f"{base}/admin/menu")
    page.get_by_role("link", name="Import / export").click()
    expect(page.get_by_role("heading", name="Import and export the menu")).to_be_visible()
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download menu (JSON)").click()
    menu = json.loads(open(download.value.path(), encoding="utf-8").read())
    menu["categories"].append({"name": "Desserts", "items": [{"name": "Tiramisu", "price": 650}]})
    changed = tmp_path / "menu.json"
    changed.write_text(json.dumps(menu), encoding="utf-8")

    page.get_by_label(re.compile("Menu file")).set_input_files(str(changed))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="Preview of the import")).to_be_visible()
    expect(page.locator("#import-counts")).to_contain_text("Items: 1 added, 0 changed, 0 removed")
    assert_accessible(page)

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status")).to_have_text("The menu was imported.")
    assert_accessible(page)
    page.goto(f"{base}/admin/menu")
    expect(page.get_by_role("link", name="Tiramisu", exact=True)).to_be_visible()

    # a CSV changing a price: the preview's table of changed fields
    csv_file = tmp_path / "items.csv"
    csv_file.write_text(
        "category,name,description,price,available,allergens\nDesserts,Tiramisu,,7.00,no,eggs\n",
        encoding="utf-8",
    )
    page.goto(f"{base}/admin/menu/transfer")
    page.get_by_label(re.compile("Menu file")).set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("cell", name="$7.00")).to_be_visible()
    assert_accessible(page)

    # a file that is no menu: the page again, saying why
    bad = tmp_path / "bad.csv"
    bad.write_text("name,price\nSoup,4\n", encoding="utf-8")
    page.goto(f"{base}/admin/menu/transfer")
    page.get_by_label(re.compile("Menu file")).set_input_files(str(bad))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("alert")).to_contain_text("first line names the columns")
    assert_accessible(page)

    # the menu's own CSV: nothing to change, nothing to apply
    with page.expect_download() as download:
        page.get_by_role("link", name="Download items (CSV)").click()
    page.get_by_label(re.compile("Menu file")).set_input_files(download.value.path())
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("status")).to_contain_text("changes nothing")
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)
    assert_accessible(page)
    page.context.close()


def test_an_admin_copies_monday_to_the_weekdays_at_once(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Copy Diner")
    add_staff(app, tenant, "owner@copy.example", "admin")
    base = f"http://{tenant.domain}:{live_server}"
    page = signed_in_page(browser, base, "owner@copy.example")
    page.goto(f"{base}/admin/settings")
    page.get_by_label("Monday, range 1, opens").fill("11:30")
    page.get_by_label("Monday, range 1, closes").fill("14:30")
    page.get_by_label("Closed on Sunday").check()
    page.get_by_role("button", name="Copy Monday to all weekdays").click()
    expect(page.get_by_label("Friday, range 1, opens")).to_have_value("11:30")
    expect(page.get_by_label("Tuesday, range 1, closes")).to_have_value("14:30")
    expect(page.locator("#hours-notice")).to_contain_text("copied to Tuesday–Friday")
    assert page.url.endswith("/admin/settings")  # no round trip
    page.get_by_role("button", name="Remove Saturday, range 1").click()
    expect(page.get_by_label("Saturday, range 1, opens")).to_have_value("")
    expect(page.get_by_label("Saturday, range 1, closes")).to_have_value("")
    assert_accessible(page)
    page.get_by_label("Preparation time (minutes)").fill("25")
    page.get_by_label("Preparation time (minutes)").press("Enter")  # saves, copies nothing
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_label("Preparation time (minutes)")).to_have_value("25")
    expect(page.get_by_label("Thursday, range 1, opens")).to_have_value("11:30")
    expect(page.get_by_label("Closed on Sunday")).to_be_checked()
    expect(page.get_by_label("Closed on Saturday")).to_be_checked()  # no range left
    page.context.close()
