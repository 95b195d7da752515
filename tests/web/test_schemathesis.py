"""Schemathesis against a live gunicorn: generated requests from the OpenAPI document, a
fixed seed and a bounded time; no server error, every response as documented."""

import subprocess
import sys
from pathlib import Path

from harness.processes import gunicorn
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant, list_tenants
from tests.support.app import REPOSITORY, SYS_TOKEN

BIN = Path(sys.executable).parent


def test_generated_requests_get_no_5xx_and_documented_answers(app, make_tenant, database_url):
    tenant = make_tenant(name="Fuzzed Diner")
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
            result = subprocess.run(
                [
                    str(BIN / "st"),
                    "run",
                    f"http://127.0.0.1:{port}/api/v1/openapi.json",
                    "-H",
                    f"Host: {tenant.domain}",
                    "-H",
                    f"Authorization: Bearer {SYS_TOKEN}",
                    "-c",
                    "not_a_server_error,status_code_conformance,response_schema_conformance,"
                    "content_type_conformance",
                    "-n",
                    "20",
                    "--seed",
                    "1",
                    "--max-time",
                    "30",
                ],
                capture_output=True,
                text=True,
                timeout=180,
            )
    finally:
        with app.app_context(), unit_of_work():
            for created in {t.domain for t in list_tenants()} - before:
                drop_tenant(created)  # tenants the fuzzer provisioned through the system API
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout.split("SUMMARY")[-1]
