"""An order's e-mails in every shipped language: subject, HTML and plain text without an
English message of the catalog, through a real SMTP server on loopback."""

import re

import pytest

from omniorder.languages import SHIPPED
from tests.support.app import running_app
from tests.support.choices import set_settings
from tests.support.jobs import run_queue
from tests.support.languages import english_left
from tests.support.mail import fries_order, plain


@pytest.fixture
def app(database_url, inbox):
    with running_app(database_url, OMNIORDER_SMTP_URL=inbox.url) as app:
        yield app


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != "en"])
def test_an_orders_receipt_is_in_the_customers_language(app, client, tenant, inbox, language):
    set_settings(app, tenant, languages=["en", language])
    placed = client.post(
        "/api/v1/orders",
        json=fries_order(app, tenant, email="guest@example.com", note="Ring"),
        headers={"Host": tenant.domain, "Accept-Language": language},
    )
    assert placed.status_code == 201, placed.json
    run_queue(app, "mail")
    [receipt] = inbox.to("guest@example.com")
    html = receipt.get_body(preferencelist=("html",)).get_content()
    assert re.search(rf'<html lang="{language}"', html)
    assert english_left(html, language) == []
    assert english_left(plain(receipt), language) == []
    assert english_left(receipt["Subject"], language) == []
