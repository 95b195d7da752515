"""The Items board in chromium: an item reordered with the keyboard only (the storefront
follows), a delete confirmed in its dialog and undone, and axe on the board and the Trash."""

import re

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.staff import PASSWORD, add_staff


@pytest.fixture
def board(browser, live_server, make_tenant, app):
    tenant = make_tenant(name="Board Diner")
    add_staff(app, tenant, "boss@board.example", "manager")
    base = f"http://{tenant.domain}:{live_server}"
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("boss@board.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/(admin|kitchen)"))
    page.goto(base + "/admin/menu")
    yield base, page
    page.context.close()


def storefront_order(page, base, names) -> list[str]:
    page.goto(base + "/")
    text = page.content()
    return sorted(names, key=lambda name: text.index(name))


def test_an_item_is_moved_with_the_keyboard_and_the_storefront_follows(board):
    base, page = board
    assert_accessible(page)
    handle = page.get_by_role("button", name="Move Fries", exact=True)
    handle.focus()
    page.keyboard.press("Space")
    status = page.locator("#board-status")
    expect(status).to_contain_text("Picked up Fries, position 1 of 3 in Sides")
    page.keyboard.press("ArrowDown")
    expect(status).to_contain_text("Fries: position 2 of 3 in Sides")
    assert_accessible(page)  # while an item is held
    page.keyboard.press("Space")
    expect(status).to_have_text("Order saved.")
    expect(handle).to_be_focused()

    assert storefront_order(page, base, ["Fries", "Onion Rings", "Side Salad"]) == [
        "Onion Rings",
        "Fries",
        "Side Salad",
    ]
    page.goto(base + "/admin/menu")  # and after a reload, the board shows the saved order
    names = page.locator(".board-items[aria-labelledby] .board-item-name").all_inner_texts()
    assert names.index("Onion Rings") < names.index("Fries") < names.index("Side Salad")


def test_escape_puts_a_held_item_back(board):
    base, page = board
    page.get_by_role("button", name="Move Fries", exact=True).focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    expect(page.locator("#board-status")).to_contain_text("Cancelled: Fries is back at position 1")


def test_a_delete_asks_in_a_dialog_and_undo_brings_the_item_back(board):
    base, page = board
    page.get_by_role("link", name="Delete Onion Rings").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete Onion Rings?")
    assert_accessible(page)  # the open dialog
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("link", name="Delete Onion Rings").click()
    dialog.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"deleted="))
    expect(page.get_by_role("status")).to_contain_text("Deleted Onion Rings")
    expect(page.locator(".board-item-name", has_text="Onion Rings")).to_have_count(0)
    assert_accessible(page)  # the board offering to undo

    page.goto(base + "/admin/menu/trash")
    expect(page.get_by_role("cell", name="Onion Rings", exact=True)).to_be_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Restored Onion Rings.")).to_be_visible()
    expect(page.locator(".board-item-name", has_text="Onion Rings")).to_have_count(1)
    page.goto(base + "/admin/menu/trash")
    expect(page.get_by_text("The trash is empty.")).to_be_visible()


def test_an_item_is_dragged_into_another_category(board):
    base, page = board
    page.set_viewport_size({"width": 1280, "height": 2000})  # both rows in view
    source = page.get_by_role("button", name="Move Fries", exact=True).bounding_box()
    target = page.locator(".board-item", has_text="Lemonade").bounding_box()
    page.mouse.move(source["x"] + 5, source["y"] + 5)
    page.mouse.down()
    page.mouse.move(source["x"] + 15, source["y"] + 15, steps=5)
    page.mouse.move(target["x"] + 40, target["y"] + 5, steps=10)
    page.mouse.up()
    expect(page.locator("#board-status")).to_have_text("Order saved.")
    page.goto(base + "/admin/menu")
    drinks = page.locator("section.board-category", has=page.get_by_role("heading", name="Drinks"))
    expect(drinks.locator(".board-item-name", has_text="Fries")).to_have_count(1)
