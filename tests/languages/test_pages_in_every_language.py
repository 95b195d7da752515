"""Every page a customer or a cook reads, in every shipped language: no English message of the
catalog left on it, `<html lang dir>` naming what is served (tests/support/languages.py)."""

import re

import pytest
from sqlalchemy import update

from omniorder.core.database import db
from omniorder.languages import SHIPPED
from omniorder.staff.models import User
from tests.support.choices import bound, set_settings
from tests.support.kitchen import place_named
from tests.support.languages import english_left
from tests.support.staff import Staff, add_staff
from tests.support.storefront import Customer, menu

TRANSLATED = [code for code in SHIPPED if code != "en"]


def served_as(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1), found.group(2)


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_customer_reads_the_storefront_checkout_and_tracking_in_their_language(
    app, client, make_tenant, language
):
    tenant = make_tenant(name="Polyglot Diner")
    set_settings(app, tenant, languages=["en", language], tips={"enabled": True})
    customer = Customer(client, tenant.domain)
    headers = {"Accept-Language": f"{language};q=0.9, en;q=0.5"}
    fries = menu(app, tenant)["Fries"]
    client.set_cookie("lang", language, domain=tenant.domain)

    page = customer.get("/", headers=headers)
    assert served_as(page.text) == (language, "rtl" if language == "ar" else "ltr")
    assert english_left(page.text, language) == []
    assert customer.add(fries.id).status_code in (200, 303)
    cart = customer.get("/", headers=headers)
    assert english_left(cart.text, language) == []
    placed = customer.checkout("Ada")
    assert placed.status_code == 303, placed.text
    tracking = customer.get(placed.location, headers=headers)
    assert served_as(tracking.text)[0] == language
    assert english_left(tracking.text, language) == []
    receipt = customer.get(placed.location.rstrip("/") + "/receipt", headers=headers)
    assert english_left(receipt.text, language) == []
    item = customer.get(f"/items/{fries.id}", headers=headers)
    assert english_left(item.text, language) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_cook_reads_the_board_in_their_own_language(app, client, make_tenant, language):
    tenant = make_tenant(name="Polyglot Grill")
    add_staff(app, tenant, "cook@polyglot.example", "kitchen")
    with bound(app, tenant):
        db.session.execute(
            update(User).where(User.email == "cook@polyglot.example").values(language=language)
        )
    for name in ("Ada", "Bob"):
        place_named(client, app, tenant, name, [("Fries", 1)])
    cook = Staff(app.test_client(), tenant.domain)
    assert cook.login("cook@polyglot.example").status_code == 303
    board = cook.get("/kitchen")
    assert served_as(board.text)[0] == language
    assert english_left(board.text, language) == []
