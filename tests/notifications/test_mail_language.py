"""Each order's e-mails speak the language the order was placed in (``?lang``, else
Accept-Language), whatever the restaurant's default has become since; an order from before
languages gets the default's. On real PostgreSQL and a real SMTP server on loopback."""

import uuid

import pytest

from omniorder.core.database import db
from omniorder.kitchen.board import advance_order
from omniorder.ordering.checkout import place_order
from omniorder.ordering.models import Order
from omniorder.ordering.order_input import Contact, OrderLine
from tests.support.app import running_app
from tests.support.choices import bound, set_settings
from tests.support.jobs import run_queue
from tests.support.mail import fries_order
from tests.support.storefront import menu


@pytest.fixture
def app(database_url, inbox):
    with running_app(database_url, OMNIORDER_SMTP_URL=inbox.url) as app:
        yield app


def html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def stored_language(app, tenant, order_id) -> str | None:
    with bound(app, tenant):
        return db.session.get(Order, uuid.UUID(order_id)).language


def test_an_orders_mails_keep_its_language_after_the_default_changes(app, client, tenant, inbox):
    set_settings(app, tenant, languages=["de", "fr", "ar"])
    french = client.post(
        "/api/v1/orders",
        json=fries_order(app, tenant, email="fr@example.com"),
        headers={"Host": tenant.domain, "Accept-Language": "fr, de;q=0.5"},
    )
    arabic = client.post(
        "/api/v1/orders?lang=ar",
        json=fries_order(app, tenant, email="ar@example.com"),
        headers={"Host": tenant.domain, "Accept-Language": "fr"},
    )
    assert french.status_code == 201 and arabic.status_code == 201, (french.json, arabic.json)
    assert french.json["language"] == "fr" and arabic.json["language"] == "ar"
    assert stored_language(app, tenant, french.json["id"]) == "fr"
    fries = menu(app, tenant)["Fries"]
    with bound(app, tenant):  # placed without a request (no language): the default's
        older = place_order(
            "Bo", [OrderLine(fries.id, 1)], contact=Contact(email="bo@example.com", phone=None)
        ).order.id
    set_settings(app, tenant, languages=["es", "de"])  # a new default; French no longer offered
    with bound(app, tenant):
        advance_order(french.json["id"], "PENDING")
        advance_order(french.json["id"], "COOKING")
    run_queue(app, "mail")

    mails = inbox.to("fr@example.com")
    assert len(mails) == 2  # the receipt and "ready"
    for message in mails:
        assert '<html lang="fr" dir="ltr">' in html(message)
    [arabic_mail] = inbox.to("ar@example.com")
    assert '<html lang="ar" dir="rtl">' in html(arabic_mail)
    [older_mail] = inbox.to("bo@example.com")
    assert '<html lang="es" dir="ltr">' in html(older_mail)
    assert stored_language(app, tenant, str(older)) is None
