"""A manager uploads an item's photo in the back office; a customer on a phone (chromium,
390×844) sees it on the item's row and in its sheet: loaded from /media, WebP, a srcset of
the renditions, lazy, with the item's name as its alt text."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.images import image_file
from tests.support.staff import PASSWORD, add_staff

pytestmark = pytest.mark.tenant(name="Photo Bistro")


def test_a_photo_uploaded_in_the_back_office_shows_on_the_storefront(
    app, browser, live_server, tenant, tmp_path
):
    add_staff(app, tenant, "manager@photo.example", "manager")
    base = f"http://{tenant.domain}:{live_server}"
    photo = tmp_path / "bowl.jpg"
    photo.write_bytes(image_file("JPEG", size=(1600, 1200)))

    office = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    office.goto(base + "/login")
    office.get_by_label("Email").fill("manager@photo.example")
    office.get_by_label("Password").fill(PASSWORD)
    office.get_by_role("button", name="Log in").click()
    office.wait_for_url(re.compile(r"/(admin|kitchen)"))
    office.goto(base + "/admin/menu")
    office.get_by_role("link", name=re.compile("Garden Bowl")).first.click()
    office.get_by_label(re.compile("^Photo \\(")).set_input_files(str(photo))
    office.get_by_role("button", name="Save").click()
    expect(office.locator(".notice[role=alert]")).to_have_count(0)
    office.context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(base + "/")
    row = phone.locator(".item", has_text="Garden Bowl")
    image = row.locator("img.item-image")
    expect(image).to_have_attribute("alt", "Garden Bowl")
    expect(image).to_have_attribute("loading", "lazy")
    assert re.search(r"/media/[0-9a-f]{32}-320\.webp 320w", image.get_attribute("srcset"))
    image.scroll_into_view_if_needed()
    phone.wait_for_function(
        "element => element.complete && element.naturalWidth > 0", arg=image.element_handle()
    )
    assert image.evaluate("element => element.currentSrc").endswith(".webp")

    row.locator(".item-link").click()
    sheet_image = phone.locator("#item-sheet img.item-sheet-image")
    expect(sheet_image).to_be_visible()
    expect(sheet_image).to_have_attribute("alt", "Garden Bowl")
    phone.context.close()
