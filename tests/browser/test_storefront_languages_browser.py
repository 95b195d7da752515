"""The storefront's language switcher in a phone's browser: axe finds nothing in a left-to-right
and a right-to-left language, the row fits the screen, and a tap switches the page."""

import re

from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.choices import set_settings
from tests.support.languages import translated


def fits(locator) -> bool:
    """The element lies within the viewport's width (it wraps rather than overflows)."""
    box, width = locator.bounding_box(), locator.page.viewport_size["width"]
    return box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_language_switcher_is_accessible_and_fits_a_phone(
    browser, live_server, make_tenant, app
):
    tenant = make_tenant(name="Polyglot Diner")
    set_settings(app, tenant, languages=["en", "de", "fr", "es", "it", "nl", "pt", "ar"])
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 320, "height": 700}).new_page()
    page.goto(base + "/")
    switcher = page.get_by_role("navigation", name="Language")
    expect(switcher.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    assert_accessible(page)
    assert fits(switcher)
    switcher.get_by_role("link", name="العربية").click()
    page.wait_for_url(re.compile(r"lang=ar"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert_accessible(page)
    switcher = page.get_by_role("navigation", name=translated("ar", "Language"))  # its own words
    expect(switcher.get_by_role("link", name="العربية")).to_have_attribute("aria-current", "true")
    assert fits(switcher)
    page.context.close()
