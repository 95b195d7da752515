"""The storefront's language switcher and its words in the customer's language."""

import re

import pytest

from tests.support.choices import set_settings
from tests.support.storefront import Customer

pytestmark = pytest.mark.tenant(name="Chez Langues")


@pytest.fixture
def customer(client, tenant):
    return Customer(client, tenant.domain)


def test_one_language_shows_no_switcher(customer):
    assert 'class="language-switcher"' not in customer.get("/").text


def test_the_switcher_links_each_language_in_itself_and_marks_the_current(app, tenant, customer):
    set_settings(app, tenant, languages=["en", "de"])
    html = customer.get("/?lang=de").text
    switcher = html.split('<nav class="language-switcher"')[1].split("</nav>")[0]
    links = re.findall(r"<a ([^>]+)>([^<]+)</a>", switcher)
    assert [text for _attrs, text in links] == ["English", "Deutsch"]
    english, german = (attrs for attrs, _text in links)
    assert 'lang="en"' in english and 'hreflang="en"' in english and "lang=en" in english
    assert 'aria-current="true"' in german and "aria-current" not in english


def test_the_menu_count_sentences_cover_each_plural_category(app, tenant, customer):
    """static/storefront.js picks the sentence by Intl.PluralRules: English has one and other."""
    html = customer.get("/").text
    counts = re.search(r"data-counts='([^']+)'", html).group(1)
    assert '"one": "{count} item matches"' in counts.replace("&#34;", '"')
    assert '"other": "{count} items match"' in counts.replace("&#34;", '"')
