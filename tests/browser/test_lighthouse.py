"""Lighthouse on the storefront a phone opens: a restaurant with 40 items in 5 categories, each
with its photo, a logo and a banner, as Lighthouse's mobile run sees it (412×823, touch).
Accessibility, best practices and SEO are audits of the page, not timings, so they are held
here at 100; performance is a timing and lives in bench/lighthouse.py. A failure names the
audits that cost points."""

import pytest

from harness.lighthouse import (
    ensure_lighthouse,
    furnish_with_photos,
    lighthouse,
    lighthouse_menu,
)
from tests.browser.conftest import CHROMIUM


@pytest.fixture(scope="module")
def lighthouse_cli():
    if ensure_lighthouse() is None:
        pytest.skip("Lighthouse needs Node.js and npm (apt-get install nodejs npm)")


def test_the_storefront_scores_100_for_accessibility_best_practices_and_seo(
    lighthouse_cli, app, browser, live_server, make_tenant
):
    tenant = make_tenant(name="Lighthouse Trattoria", menu=lighthouse_menu())
    with app.app_context():
        furnish_with_photos(tenant.domain)
    result = lighthouse(
        f"http://{tenant.domain}:{live_server}/",
        CHROMIUM,
        ("accessibility", "best-practices", "seo"),
    )
    assert result["scores"] == {"accessibility": 100, "best-practices": 100, "seo": 100}, result[
        "losing"
    ]
