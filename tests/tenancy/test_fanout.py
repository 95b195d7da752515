"""Work across tenants (analytics, archival, ``flask db``): one transaction per tenant, a
failure rolled back and reported in one line, the same whether it ran here or in a worker."""

import functools

import pytest
from sqlalchemy import insert, text

from omniorder.core.database import db
from omniorder.menu.models import Category
from omniorder.tenancy.fanout import for_each_tenant, tenant_refs


def add_category(connection, tenant, *, python_error, driver_error):
    """Writes in the tenant's schema, then fails after the write in two of them."""
    connection.execute(insert(Category).values(name="Fan-out"))
    if tenant.schema_name == python_error:
        raise ValueError("first line\nsecond line")
    if tenant.schema_name == driver_error:
        connection.execute(text("SELECT 1 / 0"))
    return tenant.domain


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_tenant_is_rolled_back_and_reported_in_one_line(
    app, make_tenant, db_connection, jobs
):
    made = [make_tenant() for _ in range(4)]
    heard = []
    with app.app_context():
        tenants = [tenant_refs(db.engine, tenant.domain)[0] for tenant in made]
        work = functools.partial(
            add_category, python_error=tenants[1].schema_name, driver_error=tenants[2].schema_name
        )
        outcomes = for_each_tenant(
            db.engine,
            tenants,
            work,
            jobs=jobs,
            on_result=lambda tenant, error: heard.append((tenant, error)),
        )

    assert outcomes[tenants[0]] == (None, tenants[0].domain)
    assert outcomes[tenants[1]] == ("ValueError: first line", None)
    assert outcomes[tenants[2]] == ("DivisionByZero: division by zero", None)
    assert outcomes[tenants[3]] == (None, tenants[3].domain)
    assert sorted(heard, key=str) == sorted(
        ((tenant, outcome.error) for tenant, outcome in outcomes.items()), key=str
    )
    written = [
        db_connection.scalar(
            text(f"SELECT count(*) FROM \"{tenant.schema_name}\".categories WHERE name = 'Fan-out'")
        )
        for tenant in tenants
    ]
    assert written == [1, 0, 0, 1]
