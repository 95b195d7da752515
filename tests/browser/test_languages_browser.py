"""The storefront in German and in Arabic on a phone (chromium, 390×844): `<html lang dir>`
right, no English message of the catalog left, axe without a violation, the layout mirrored
in Arabic (the brand at the right, the add buttons at the left) with prices still in the
restaurant's locale; screenshots of both for a person to look at."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.choices import set_settings
from tests.support.languages import english_left

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(("language", "direction"), [("de", "ltr"), ("ar", "rtl")])
def test_the_storefront_on_a_phone_in_german_and_in_arabic(
    app, browser, live_server, make_tenant, tmp_path, language, direction
):
    tenant = make_tenant(name="Café Babel")
    set_settings(app, tenant, languages=["de", "ar", "en"], locale="de_DE", currency="EUR")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(f"http://{tenant.domain}:{live_server}/?lang={language}")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", direction)
    assert english_left(page.content(), language) == []
    assert_accessible(page)

    brand = page.locator(".brand").bounding_box()
    add = page.locator("form.quick-add button").first.bounding_box()
    if direction == "rtl":
        assert brand["x"] + brand["width"] > PHONE["width"] - 40  # starts at the right
        assert add["x"] < PHONE["width"] / 2  # the row's end is at the left
    else:
        assert brand["x"] < 40
        assert add["x"] > PHONE["width"] / 2
    expect(page.get_by_text(re.compile(r"11,00\s€")).first).to_be_visible()  # de_DE money
    page.screenshot(path=str(tmp_path / f"storefront-{language}.png"), full_page=True)
    assert (tmp_path / f"storefront-{language}.png").stat().st_size > 5000
    context.close()
