"""A real server and a real browser: Debian's chromium driven by Playwright.

Chromium comes from Debian (`apt-get install chromium`, done by scripts/test), never from
Playwright's own download (no internet here). Without it these tests skip locally; in CI a
skip is a failure (tests/conftest.py).
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# axe-core's rules for every page a browser test opens (tests call assert_accessible). The
# experimental label-content-name-mismatch is switched on: the kitchen card's accessible name
# must include what the card shows (issue 16).
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}


def assert_accessible(page, skip_rules=()):
    """Fail with each axe violation (rule id, impact, the offending elements) on `page` as it
    is now. `skip_rules`: rule ids a caller must justify where it passes them."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        **AXE_OPTIONS,
        "rules": {
            **AXE_OPTIONS["rules"],
            **{rule: {"enabled": False} for rule in skip_rules},
        },
    }
    violations = Axe().run(page, options=options).response["violations"]
    report = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '')}" for node in violation["nodes"]
        )
        for violation in violations
    ]
    assert not violations, "axe found:\n" + "\n".join(report)
