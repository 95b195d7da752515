"""axe-core in the page as chromium renders it: every violation, with the elements it names."""

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
