"""The operator's commands, end to end through Flask's CLI runner."""

import pytest
from sqlalchemy import text

from omniorder.platform.demo import DEMO_TENANTS
from omniorder.tenancy import migrate
from tests.support.app import schema_exists


def test_create_list_and_drop_a_tenant(runner, db_connection):
    result = runner.invoke(
        args=[
            "tenants",
            "create",
            "--name",
            "Pizza Hut",
            "--domain",
            "Cli-Pizza.Example.com",
            "--theme",
            '{"primary_color": "#d62300"}',
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("created Pizza Hut: domain cli-pizza.example.com, schema tenant_pizzahut")
    assert lines[1] == "admin login: admin@cli-pizza.example.com"
    assert lines[2].startswith("admin password (shown once): ")

    listed = runner.invoke(args=["tenants", "list"]).output.splitlines()
    row = next(line for line in listed if line.startswith("cli-pizza.example.com"))
    domain, schema, name, created = row.split("\t")
    assert (schema, name) == ("tenant_pizzahut", "Pizza Hut") and created[:2] == "20"

    refused = runner.invoke(args=["tenants", "drop", "cli-pizza.example.com"], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert schema_exists(db_connection, "tenant_pizzahut")

    dropped = runner.invoke(args=["tenants", "drop", "cli-pizza.example.com"], input="y\n")
    assert dropped.exit_code == 0, dropped.output
    assert "dropped cli-pizza.example.com (schema tenant_pizzahut)" in dropped.output
    assert not schema_exists(db_connection, "tenant_pizzahut")
    assert (
        db_connection.scalar(
            text("SELECT count(*) FROM public.tenants WHERE domain = 'cli-pizza.example.com'")
        )
        == 0
    )


def test_bad_input_is_one_line_and_exit_2(runner):
    result = runner.invoke(
        args=[
            "tenants",
            "create",
            "--name",
            "X",
            "--domain",
            "x.localhost",
            "--schema",
            "tenant_x; DROP SCHEMA public",
        ]
    )
    assert result.exit_code == 2
    assert "Error: schema_name: must match ^tenant_[a-z0-9_]+$" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(
        args=["tenants", "create", "--name", "X", "--domain", "x.localhost", "--theme", "{not json"]
    )
    assert result.exit_code == 2 and "must be a JSON object" in result.output


def test_conflicts_and_unknown_tenants_exit_1(runner, make_tenant):
    tenant = make_tenant()
    result = runner.invoke(args=["tenants", "create", "--name", "Again", "--domain", tenant.domain])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: domain {tenant.domain} is already taken"
    result = runner.invoke(args=["tenants", "drop", "ghost.localhost", "--yes"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: no tenant with domain ghost.localhost"


def test_demo_is_idempotent_and_prints_urls_and_logins(runner, app):
    try:
        first = runner.invoke(args=["demo"])
        assert first.exit_code == 0, first.output
        for demo in DEMO_TENANTS:
            assert f"http://{demo['domain']}:5000/ (created)" in first.output
            assert f"{demo['admin_email']} / {demo['admin_password']}" in first.output
        second = runner.invoke(args=["demo"])
        assert second.exit_code == 0 and second.output.count("(already there)") == 2
        client = app.test_client()
        names = {
            item["name"]
            for item in client.get("/api/v1/menu", headers={"Host": "pizza.localhost"}).get_json()[
                "items"
            ]
        }
        assert "Margherita" in names and "Salmon Nigiri" not in names
    finally:
        for demo in DEMO_TENANTS:
            runner.invoke(args=["tenants", "drop", demo["domain"], "--yes"])


def test_db_current_counts_tenants_per_revision(app, runner, make_tenant):
    make_tenant()
    make_tenant()
    with app.app_context():
        head, public_head = migrate.tenant_head_revision(), migrate.head_revision("public")
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0, result.output
    assert f"public: {public_head} (head)" in result.output
    assert f"tenants: 2 at {head} (head)" in result.output


def test_downgrade_needs_a_scope_for_relative_targets(runner):
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 2 and "give --scope" in result.output
    result = runner.invoke(args=["db", "downgrade", "nonexistent"])
    assert result.exit_code == 2 and "nonexistent" in result.output


@pytest.mark.parametrize("domain", ["Probe.Localhost", " probe.localhost. "])
def test_a_domain_means_the_same_to_the_cli_and_the_api(runner, client, make_tenant, domain):
    """`flask analytics report --domain Probe.Localhost` found nothing while the API did."""
    from tests.support.app import SYS_TOKEN

    tenant = make_tenant(domain="probe.localhost")
    result = runner.invoke(args=["analytics", "report", "--domain", domain])
    assert result.exit_code == 0, result.output
    assert tenant.domain in result.output
    answer = client.get(
        "/api/v1/sys/analytics",
        query_string={"domain": domain},
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    )
    assert [row["domain"] for row in answer.json["tenants"]] == [tenant.domain]


@pytest.mark.parametrize(
    "args",
    [
        ["analytics", "report", "--domain", "probe\x00.localhost"],
        ["tenants", "export", "nul\x00.localhost", "--out", "/tmp/x.zip"],
        ["tenants", "create", "--name", "Nul\x00", "--domain", "nul.localhost"],
        ["orders", "restore", "--domain", "nul\x00.localhost", "--month", "2026-01"],
    ],
)
def test_a_nul_byte_in_an_argument_is_one_line_and_exit_2(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len([line for line in result.output.splitlines() if line.startswith("Error")]) == 1
