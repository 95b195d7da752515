"""One transaction per unit of work: a writing request commits once on success and leaves
nothing on an error answer or an exception; a GET cannot write at all."""

import pytest
from flask import abort
from sqlalchemy import func, insert, select

from omniorder.core.database import db
from omniorder.core.unit_of_work import WriteDuringRead, after_commit, unit_of_work
from omniorder.menu import catalog as menu_service
from omniorder.menu.models import MenuItem
from omniorder.web.extensions import csrf
from tests.support.storefront import menu


def test_a_get_that_writes_fails_loudly(app, client, tenant):
    @app.get("/write-in-get")
    def write_in_get():
        db.session.execute(insert(MenuItem).values(name="Written by a GET", price=1))
        return "written"

    with pytest.raises(WriteDuringRead):
        client.get("/write-in-get", headers={"Host": tenant.domain})
    assert "Written by a GET" not in menu(app, tenant)


def test_two_service_calls_share_one_transaction_and_an_error_answer_rolls_both_back(
    app, client, tenant
):
    @app.post("/two-changes/<int:status>")
    @csrf.exempt
    def two_changes(status):
        category = menu_service.create_category("Late Night")
        menu_service.create_item(
            {"name": "Midnight Toast", "price": "4.00", "category_id": str(category.id)}
        )
        if status >= 400:
            abort(status)
        return "", status

    assert client.post("/two-changes/409", headers={"Host": tenant.domain}).status_code == 409
    assert "Midnight Toast" not in menu(app, tenant)
    assert client.post("/two-changes/201", headers={"Host": tenant.domain}).status_code == 201
    assert menu(app, tenant)["Midnight Toast"].category_id is not None


def test_after_commit_runs_only_when_the_unit_of_work_commits(app, tenant):
    from omniorder.tenancy.bind import tenant_context
    from omniorder.tenancy.registry import tenant_registry

    ran = []
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with pytest.raises(RuntimeError), unit_of_work():
            menu_service.create_category("Never")
            after_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("the command failed")
        with unit_of_work():
            menu_service.create_category("Brunch")
            after_commit(lambda: ran.append("committed"))
            assert ran == []  # not before the commit
        assert ran == ["committed"]
        names = db.session.scalars(select(func.array_agg(menu_service.Category.name))).one()
    assert "Brunch" in names and "Never" not in names
