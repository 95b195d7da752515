"""Schemathesis 4 against a live gunicorn, as an outside API client runs it: every check but the
two about authorization (`--checks all --exclude-checks ignored_auth,object_level_authorization`),
the repository's schemathesis.toml (422 is how the server refuses a well-formed request that
breaks a rule JSON Schema cannot state), a fixed seed and a bounded number of examples. The
tenant API answers for a real restaurant, and the system API's `{domain}` is that restaurant, so
generated menus and settings reach the validators instead of a 404. Any failure fails the test.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from harness.processes import gunicorn
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant, list_tenants
from tests.support.app import REPOSITORY, SYS_TOKEN

BIN = Path(sys.executable).parent
# Fixed, so a run is repeatable; set these to explore further (another seed, more examples).
SEED = int(os.environ.get("OMNIORDER_SCHEMATHESIS_SEED", "1"))
EXAMPLES = int(os.environ.get("OMNIORDER_SCHEMATHESIS_EXAMPLES", "25"))


def run_schemathesis(
    port: int, domain: str, config: Path, suspended_domain: str
) -> subprocess.CompletedProcess:
    """`suspended_domain`: the restaurant the suspension endpoint is fuzzed on, another than
    `domain`, whose customer API would otherwise answer 503 to the rest of the run."""
    config.write_text(
        (REPOSITORY / "schemathesis.toml").read_text()
        + "\n[[operations]]\n"
        + 'include-path = "/api/v1/sys/tenants/{domain}/suspension"\n'
        + f'parameters = {{ "path.domain" = "{suspended_domain}" }}\n'
        + f'\n[parameters]\n"path.domain" = "{domain}"\n'
    )
    return subprocess.run(
        [
            str(BIN / "st"),
            "--config-file",
            str(config),
            "run",
            f"http://127.0.0.1:{port}/api/v1/openapi.json",
            "-H",
            f"Host: {domain}",
            "-H",
            f"Authorization: Bearer {SYS_TOKEN}",
            "--checks",
            "all",
            "--exclude-checks",
            "ignored_auth,object_level_authorization",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            str(SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=config.parent,
    )


def test_an_outside_client_finds_no_failure(app, make_tenant, database_url, tmp_path):
    tenant = make_tenant(name="Fuzzed Diner")
    suspended = make_tenant(name="Suspended Diner")
    with app.app_context():
        before = {t.domain for t in list_tenants()}
    environment = {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_BCRYPT_ROUNDS": "4",
        "OMNIORDER_ACCESS_LOG": "",
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
    }
    try:
        # The production settings file, so the suite also proves it serves the app.
        with gunicorn(
            "wsgi:app", environment, config=REPOSITORY / "deploy/gunicorn.conf.py"
        ) as port:
            result = run_schemathesis(
                port, tenant.domain, tmp_path / "schemathesis.toml", suspended.domain
            )
    finally:
        with app.app_context(), unit_of_work():
            for created in {t.domain for t in list_tenants()} - before:
                drop_tenant(created)  # tenants the fuzzer provisioned through the system API
    summary = result.stdout.split("SUMMARY")[-1]
    # On a failure: each failure's headline (the request follows it, often long), the summary.
    failures = re.findall(r"\n(_{3,} .+ _{3,}\n(?:.*\n){1,12})", result.stdout)
    assert result.returncode == 0, "".join(failures)[:8000] + summary + result.stderr[-2000:]
    # Every operation of the document tested, every generated case passed (none errored).
    assert re.search(r"Selected: (\d+)/\1\s+Tested: \1\b", summary), summary
    assert re.search(r"(\d+) generated, \1 passed", summary), summary
