"""With DATABASE_URL unset the app starts its own PostgreSQL, whose data survives restarts."""

import os
import subprocess
import sys
from pathlib import Path

from tests.support.app import REPOSITORY

SCRIPT = """
import sys
from omniorder import create_app
from omniorder.tenancy import migrate
from omniorder.platform.tenants import list_tenants, provision_tenant
from omniorder.core.unit_of_work import unit_of_work
from omniorder.core.database import db

app = create_app({"BCRYPT_ROUNDS": 4, "TESTING": True}, instance_path=sys.argv[1])
with app.app_context():
    print(app.config["SQLALCHEMY_DATABASE_URI"])
    if sys.argv[2] == "create":
        migrate.migrate(db.engine, scope="public", direction="upgrade")
        with unit_of_work():
            provision_tenant(name="Embedded", domain="embedded.localhost",
                             admin_email="a@embedded.localhost")
    print([tenant.domain for tenant in list_tenants()])
    with db.engine.connect() as connection:
        print(connection.exec_driver_sql("SHOW server_version_num").scalar())
    db.engine.dispose()
"""


def run(instance, step):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(instance), step],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_embedded_server_starts_on_a_socket_and_keeps_data_across_restarts(tmp_path):
    url, domains, version = run(tmp_path, "create")
    socket_dir = tmp_path / "postgres"
    assert url == f"postgresql+psycopg://postgres@/omniorder?host={socket_dir}"
    assert domains == "['embedded.localhost']"
    assert int(version) >= 150000
    # The first process stopped the server on exit; the second starts it on the same data.
    assert not (socket_dir / "postmaster.pid").exists()
    url_again, domains_again, _ = run(tmp_path, "read")
    assert (url_again, domains_again) == (url, domains)


def test_a_terminated_app_stops_its_embedded_server(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    code = (
        "import time; from omniorder import create_app; "
        "from omniorder.core.database import db; "
        f"app = create_app({{'TESTING': True}}, instance_path={str(tmp_path)!r}); "
        "app.app_context().push(); db.engine.connect().close(); "
        "print('up', flush=True); "
        "time.sleep(60)"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "up"
    assert (tmp_path / "postgres" / "postmaster.pid").exists()
    process.terminate()  # SIGTERM, as `kill` or a service manager sends
    process.wait(timeout=30)
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()


def test_commands_without_a_database_start_no_server(tmp_path):
    """`flask --help` (and making the app) must not boot PostgreSQL; the first connection
    does."""
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    environment.update(
        OMNIORDER_DEV="1", FLASK_APP=f"omniorder:create_app(instance_path={str(tmp_path)!r})"
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--help"],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "tenants" in result.stdout
    assert not (tmp_path / "postgres").exists()
