"""A restaurant provisioned on one worker answers on every worker at once: a registry miss
re-checks the database before its 404 (bounded to one check per worker every 50 ms)."""

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import event, text

from harness.processes import gunicorn
from omniorder.core.database import db
from omniorder.core.errors import NotFound
from omniorder.core.unit_of_work import unit_of_work
from omniorder.platform.tenants import drop_tenant
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.workers import get_status, provision


def test_a_new_restaurant_answers_on_every_worker_at_once(app, make_tenant, database_url):
    known = make_tenant()
    domain = f"fresh{uuid.uuid4().hex[:8]}.test.localhost"
    # A long check interval: without the re-check on a miss, every worker that has read the
    # registry would answer 404 for the new restaurant for the next 30 seconds.
    environment = {
        "DATABASE_URL": database_url,
        "OMNIORDER_DEV": "1",
        "OMNIORDER_SYS_TOKEN": SYS_TOKEN,
        "OMNIORDER_BCRYPT_ROUNDS": "4",
        "OMNIORDER_REGISTRY_CHECK_INTERVAL": "30",
        "OMNIORDER_ORDER_RATE_LIMIT": "off",
        # The fallback under test: no change feed (tests/cache/test_push_workers.py tests the feed).
        "OMNIORDER_PUSH_INVALIDATION": "0",
    }
    try:
        with gunicorn("wsgi:app", environment, workers=4) as port, ThreadPoolExecutor(40) as pool:
            warm = list(pool.map(lambda _: get_status(port, known.domain), range(80)))
            assert warm == [200] * 80  # every worker has cached the registry by now
            status, body = provision(port, domain)
            assert status == 201, body
            answers = list(pool.map(lambda _: get_status(port, domain), range(40)))
            assert answers.count(404) == 0, answers
            assert answers == [200] * 40
            unknown = list(pool.map(lambda _: get_status(port, "nobody.test.localhost"), range(40)))
            assert unknown == [404] * 40
    finally:
        try:
            with app.app_context(), unit_of_work():
                drop_tenant(domain)
        except NotFound:  # provisioning failed
            pass


def test_a_reread_reads_again_only_the_rows_that_changed(app, make_tenant, db_connection):
    """Every worker re-reads the registry after each provisioning: it reads each row's xmin,
    then only the rows that moved, and keeps the records of the others as they were."""
    retheme, kept = make_tenant(), make_tenant()
    with app.app_context():
        registry = tenant_registry()
        registry.refresh(max_age=0)
        unchanged = registry.lookup(kept.domain)
        db_connection.execute(
            text("UPDATE public.tenants SET theme_config = :theme WHERE domain = :domain"),
            {"theme": '{"primary_color": "#123456"}', "domain": retheme.domain},
        )
        db_connection.commit()
        added = make_tenant()
        reread = []

        def record(connection, cursor, statement, parameters, *rest):
            if "theme_config" in statement:
                reread.append(parameters)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            registry.refresh(max_age=0)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert [sorted(parameters["schemas"]) for parameters in reread] == [
            sorted([retheme.schema_name, added.schema_name])
        ]
        assert registry.lookup(retheme.domain).theme_config == {"primary_color": "#123456"}
        assert registry.lookup(added.domain).schema_name == added.schema_name
        assert registry.lookup(kept.domain) is unchanged
        with unit_of_work():
            drop_tenant(added.domain)
        registry.refresh(max_age=0)
        assert registry.lookup(added.domain) is None
