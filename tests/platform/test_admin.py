"""The back office: menu and order history for managers, staff and theme for admins."""

import datetime
import re

import pytest
from sqlalchemy import select, text

from omniorder.core.database import db
from omniorder.core.money import format_local_time
from omniorder.languages.serving import display_locale
from omniorder.menu.models import Category
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import SYS_TOKEN
from tests.support.orders import insert_orders
from tests.support.staff import Staff, add_staff, signed_in
from tests.support.storefront import menu


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


@pytest.fixture
def admin(app, tenant):
    return signed_in(app, tenant, "admin")


def category_names(app, tenant):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        return [c.name for c in db.session.scalars(select(Category).order_by(Category.rank))]


def category_id(app, tenant, name):
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        return db.session.scalars(select(Category.id).where(Category.name == name)).one()


def test_categories_create_rename_reorder_and_delete(app, tenant, manager):
    assert manager.post("/admin/categories", {"name": "Desserts"}).status_code == 303
    assert category_names(app, tenant) == ["Mains", "Sides", "Drinks", "Desserts"]
    desserts = category_id(app, tenant, "Desserts")
    manager.post(f"/admin/categories/{desserts}/move", {"direction": "up"})
    assert category_names(app, tenant) == ["Mains", "Sides", "Desserts", "Drinks"]
    manager.post(f"/admin/categories/{desserts}/rename", {"name": "Sweets"})
    assert category_names(app, tenant)[2] == "Sweets"
    storefront = app.test_client().get("/", base_url=f"http://{tenant.domain}").text
    assert "Sweets" not in storefront  # empty categories are not shown to customers

    mains = category_id(app, tenant, "Mains")
    asked = manager.get(f"/admin/categories/{mains}/delete")  # a confirmation first
    assert asked.status_code == 200 and "Its 4 items go to the trash with it." in asked.text
    assert manager.post(f"/admin/categories/{desserts}/delete").status_code == 303
    assert "Sweets" not in category_names(app, tenant)
    assert manager.post("/admin/categories", {"name": "  "}).status_code == 400


def test_item_price_is_entered_as_an_amount_and_stored_in_cents(app, tenant, manager):
    mains = category_id(app, tenant, "Mains")
    response = manager.post(
        "/admin/items/new",
        {
            "name": "Truffle Fries",
            "description": "With parmesan.",
            "price": "12.50",
            "image_url": "https://img.example/fries.jpg",
            "category_id": str(mains),
            "is_available": "y",
        },
    )
    assert response.status_code == 303, response.text
    item = menu(app, tenant)["Truffle Fries"]
    assert (item.price, item.category_id, item.is_available) == (1250, mains, True)
    api = app.test_client().get("/api/v1/menu", headers={"Host": tenant.domain}).json
    assert {"name": "Truffle Fries", "price": 1250}.items() <= next(
        i for i in api["items"] if i["name"] == "Truffle Fries"
    ).items()

    edit = manager.get(f"/admin/items/{item.id}/edit").text
    assert 'value="12.50"' in edit
    manager.post(
        f"/admin/items/{item.id}/edit", {"name": "Truffle Fries", "price": "9", "category_id": ""}
    )
    item = menu(app, tenant)["Truffle Fries"]
    assert (item.price, item.category_id, item.is_available) == (900, None, False)
    assert manager.post(f"/admin/items/{item.id}/delete").status_code == 303
    assert "Truffle Fries" not in menu(app, tenant)


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"price": "12.345"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "99999999"}, "price"),
        ({"image_url": "javascript:alert(1)"}, "image URL"),
        ({"image_url": "ftp://x.example/a.png"}, "image URL"),
        ({"name": ""}, "name"),
        ({"category_id": "00000000-0000-0000-0000-000000000000"}, "category"),
    ],
)
def test_bad_item_input_is_400_and_nothing_saved(app, tenant, manager, fields, problem):
    before = set(menu(app, tenant))
    response = manager.post("/admin/items/new", {"name": "Bad", "price": "1.00", **fields})
    assert response.status_code == 400
    assert f"<li>{problem}: " in response.text  # the field as a person reads it (field_label)
    assert set(menu(app, tenant)) == before


def test_staff_are_invited_without_a_password_on_screen_and_roles_changed(app, tenant, admin):
    """No password is ever shown: an invitee cannot log in until they choose one from the
    mailed link (tests/staff/test_invitations.py follows the link)."""
    response = admin.post("/admin/staff", {"email": "New.Cook@X.example", "role": "kitchen"})
    assert response.status_code == 201
    assert "<code" not in response.text and "Invitation sent to new.cook@x.example" in response.text
    add_staff(app, tenant, "old.cook@x.example", "kitchen")
    cook = Staff(app.test_client(), tenant.domain)
    assert cook.login("old.cook@x.example").headers["Location"] == "/kitchen"
    assert cook.get("/admin/menu").status_code == 403

    page = admin.get("/admin/staff").text
    cook_id = re.search(
        r'/admin/staff/([0-9a-f-]+)/role"[^>]*>\s*<input[^>]*>\s*<label[^>]*>'
        r"Role of old.cook@x.example",
        page,
    ).group(1)
    assert admin.post(f"/admin/staff/{cook_id}/role", {"role": "manager"}).status_code == 303
    assert cook.get("/admin/menu").status_code == 302  # a role change ends the sessions
    assert cook.login("old.cook@x.example").status_code == 303
    assert cook.get("/admin/menu").status_code == 200  # the new role, from the next sign-in
    for taken in ("new.cook@x.example", "old.cook@x.example"):
        assert admin.post("/admin/staff", {"email": taken, "role": "kitchen"}).status_code == 409

    reset = admin.post(f"/admin/staff/{cook_id}/reset-password")
    assert reset.status_code == 200 and "<code" not in reset.text
    assert cook.get("/admin/menu").status_code == 200  # a link is mailed; nothing changes yet
    assert admin.post(f"/admin/staff/{cook_id}/delete").status_code == 303
    assert cook.get("/admin/menu").status_code == 302  # removed: signed out


def test_the_last_admin_cannot_be_removed_or_demoted(app, tenant, admin, db_connection):
    db_connection.exec_driver_sql(
        f"DELETE FROM \"{tenant.schema_name}\".users WHERE email = 'admin@{tenant.domain}'"
    )
    db_connection.commit()
    page = admin.get("/admin/staff").text
    me = re.search(r"/admin/staff/([0-9a-f-]+)/role", page).group(1)
    demoted = admin.post(f"/admin/staff/{me}/role", {"role": "kitchen"})
    assert demoted.status_code == 409 and "is the last admin" in demoted.text
    other = signed_in(app, tenant, "admin")
    removed = other.post(f"/admin/staff/{me}/delete")
    assert removed.status_code == 303  # two admins: one may go
    page = other.get("/admin/staff").text
    last = re.search(r"/admin/staff/([0-9a-f-]+)/delete", page).group(1)
    refused = other.post(f"/admin/staff/{last}/delete")
    assert refused.status_code == 409


def own_id(db_connection, tenant) -> str:
    """The id of the `admin` fixture's staff member (signed_in names it admin-…@)."""
    found = db_connection.scalar(
        text(f"SELECT id::text FROM \"{tenant.schema_name}\".users WHERE email LIKE 'admin-%'")
    )
    db_connection.rollback()
    return found


def test_an_admin_cannot_remove_themselves_whatever_the_case_of_the_id(
    tenant, admin, db_connection
):
    """Ids are compared as UUIDs (before: as strings, so the upper-case id removed its admin)."""
    me = own_id(db_connection, tenant)
    response = admin.post(f"/admin/staff/{me.upper()}/delete")
    assert response.status_code == 409 and "You cannot remove yourself." in response.text
    assert (
        db_connection.scalar(
            text(f'SELECT count(*) FROM "{tenant.schema_name}".users WHERE id = :id'), {"id": me}
        )
        == 1
    )
    assert admin.get("/admin/staff").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/staff/nope/delete",
        "/admin/staff/1/role",
        "/admin/staff/%00/reset-password",
        "/admin/staff/" + "f" * 32 + "/logout-everywhere",  # hex without its dashes
        "/admin/categories/x/rename",
        "/admin/categories/' OR 1=1 --/delete",
        "/admin/items/" + "1" * 500 + "/delete",
        "/admin/items/%F0%9F%8D%95/edit",
        "/kitchen/orders/not-a-uuid/advance",
        "/kitchen/items/12345/availability",
    ],
)
def test_malformed_ids_in_paths_are_404_before_any_view(admin, path):
    assert admin.post(path, {"role": "kitchen", "name": "x"}).status_code == 404


def test_log_out_everywhere_ends_anyones_sessions_for_an_admin_and_ones_own_for_anyone(
    app, tenant, admin, db_connection
):
    cook = Staff(app.test_client(), tenant.domain)
    cook_id = str(add_staff(app, tenant, "cook@x.example", "kitchen"))
    other = signed_in(app, tenant, "kitchen")
    assert cook.login("cook@x.example").status_code == 303
    page = admin.get("/admin/staff").text
    assert page.count(">Log out everywhere</button>") == page.count("/reset-password") == 4
    assert page.count('aria-label="Log out everywhere: yourself"') == 1
    assert other.post(f"/admin/staff/{cook_id}/logout-everywhere").status_code == 403
    assert cook.get("/kitchen").status_code == 200  # a colleague cannot end my sessions
    ended = admin.post(f"/admin/staff/{cook_id}/logout-everywhere")
    assert ended.status_code == 200 and "Every session of cook@x.example has ended." in ended.text
    assert cook.get("/kitchen").status_code == 302
    me = own_id(db_connection, tenant)
    mine = admin.post(f"/admin/staff/{me}/logout-everywhere")
    assert mine.status_code == 303 and mine.headers["Location"] == "/login"
    assert admin.get("/admin/staff").status_code == 302


def test_theme_is_validated_saved_and_shown_on_the_storefront(app, tenant, admin):
    assert (
        admin.post(
            "/admin/theme", {"preset": "dark", "primary_color": "#123abc", "font_family": "serif"}
        ).status_code
        == 303
    )
    storefront = app.test_client().get("/", base_url=f"http://{tenant.domain}").text
    assert "--primary:#123abc" in storefront and "--bg:#111827" in storefront
    refused = admin.post(
        "/admin/theme",
        {
            "preset": "dark",
            "font_family": "serif",
            "primary_color": "red;}</style><script>x</script>",
        },
    )
    assert refused.status_code == 400 and "<script>x</script>" not in refused.text
    storefront = app.test_client().get("/", base_url=f"http://{tenant.domain}").text
    assert "--primary:#123abc" in storefront
    preview = admin.get(
        "/admin/theme/preview?preset=bold&primary_color=%23ff0000&font_family=mono"
    ).text
    assert 'data-primary="#ff0000"' in preview and 'data-bg="#fff7e6"' in preview
    hostile = admin.get("/admin/theme/preview?primary_color=red;x:url(y)").text
    assert "url(y)" not in hostile


# --- order history ------------------------------------------------------------------------


def numbers(page):
    return [int(n) for n in re.findall(r'<tr data-number="(\d+)">', page)]


def test_orders_are_listed_newest_first_fifty_a_page(tenant, manager, db_connection):
    insert_orders(db_connection, tenant, [f"Guest {n}" for n in range(60)], unit_price=625)
    db_connection.commit()
    first = manager.get("/admin/orders")
    assert first.status_code == 200
    shown = numbers(first.text)
    assert len(shown) == 50 and shown == sorted(shown, reverse=True)
    assert "2× Pie" in first.text and "12.50" in first.text
    older = re.search(r'href="(/admin/orders\?before=\d+)"', first.text).group(1)
    rest = numbers(manager.get(older).text)
    assert len(rest) == 10 and max(rest) < min(shown)
    assert sorted(shown + rest) == list(range(min(rest), max(shown) + 1))


def test_orders_are_found_by_number_customer_and_status(tenant, manager, db_connection):
    insert_orders(db_connection, tenant, ["Ann Lee", "Bob 100%_x"], status="PENDING")
    insert_orders(db_connection, tenant, ["Annabel", "<script>alert(1)</script>"])
    db_connection.commit()
    ann = manager.get("/admin/orders?q=ANN").text
    assert "Ann Lee" in ann and "Annabel" in ann and "Bob" not in ann
    for wildcard in ("%25", "_"):  # % and _ are characters here, not LIKE wildcards
        literal = manager.get(f"/admin/orders?q={wildcard}").text
        assert "Bob 100%_x" in literal and "Ann" not in literal
    pending = manager.get("/admin/orders?q=ann&status=PENDING").text
    assert "Ann Lee" in pending and "Annabel" not in pending
    by_number = numbers(manager.get(f"/admin/orders?q={numbers(ann)[0]}").text)
    assert by_number == [numbers(ann)[0]]
    page = manager.get("/admin/orders").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_restaurant_sees_only_its_own_orders(tenant, manager, make_tenant, db_connection):
    neighbour = make_tenant()
    insert_orders(db_connection, neighbour, ["Neighbour Nora"])
    insert_orders(db_connection, tenant, ["Our Olga"])
    db_connection.commit()
    page = manager.get("/admin/orders").text
    assert "Our Olga" in page and "Nora" not in page
    assert "No orders found" in manager.get("/admin/orders?q=Nora").text


@pytest.mark.parametrize(
    "query", ["status=BURNT", "before=abc", "before=%C2%B2", "q=" + "x" * 101, "before=99999999999"]
)
def test_bad_filters_are_400(manager, query):
    response = manager.get(f"/admin/orders?{query}")
    assert response.status_code == 400, response.text


def test_cancelled_orders_are_found_with_their_reason_and_pickups_with_their_time(
    app, tenant, manager, client, db_connection
):
    schema = tenant.schema_name
    cancelled, collected = insert_orders(db_connection, tenant, ["Cara", "Dan"])
    insert_orders(db_connection, tenant, ["Eve"], status="PENDING")
    db_connection.execute(
        text(
            f"UPDATE \"{schema}\".orders SET status = 'CANCELLED', "  # noqa: S608
            "cancel_reason = :reason WHERE id = :id"
        ),
        {"reason": "<b>Out of dough</b>", "id": cancelled},
    )
    db_connection.execute(
        text(
            f'UPDATE "{schema}".orders SET picked_up_at = '  # noqa: S608
            "'2026-11-27 18:05:00+00' WHERE id = :id"
        ),
        {"id": collected},
    )
    db_connection.commit()
    changed = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"timezone": "Europe/Berlin", "locale": "de_DE", "languages": ["en"]},
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    )
    assert changed.status_code == 200

    page = manager.get("/admin/orders").text
    assert '<option value="CANCELLED" >Cancelled</option>' in page  # the filter offers it
    only = manager.get("/admin/orders?status=CANCELLED").text
    assert "Cara" in only and "Dan" not in only and "Eve" not in only
    assert "Reason: &lt;b&gt;Out of dough&lt;/b&gt;" in only and "<b>Out" not in only
    done = manager.get("/admin/orders?status=DONE").text
    # the restaurant's clock, English words for its region (the year only once 2026 is over)
    picked_up = berlin_in_english("2026-11-27T18:05:00+00:00")
    assert picked_up.endswith(", 19:05") and f"Picked up {picked_up}" in done
    assert "Picked up" not in manager.get("/admin/orders?status=PENDING").text


def berlin_in_english(utc: str) -> str:
    """A moment as the admin pages of a de_DE restaurant serving English write it: Berlin
    time, English words for the region (display_locale("en", "de_DE") == "en_DE")."""
    moment = datetime.datetime.fromisoformat(utc)
    now = datetime.datetime.now(datetime.UTC)
    return format_local_time(moment, "Europe/Berlin", display_locale("en", "de_DE"), now)


def shown_rows(page: str) -> dict[int, str]:
    """Each order's row as a person reads it: its text, tags dropped, spaces collapsed."""
    rows = re.findall(r'<tr data-number="(\d+)">(.*?)</tr>', page, re.S)
    return {int(n): " ".join(re.sub(r"<[^>]+>", " ", row).split()) for n, row in rows}


def test_orders_show_when_they_are_picked_up_and_whether_they_were(
    tenant, manager, client, db_connection
):
    asap, slot, collected = insert_orders(db_connection, tenant, ["Asa", "Sol", "Col"])
    moments = {  # order → (pickup_at, ready_at, picked_up_at), UTC
        asap: (None, "2026-11-27 11:40+00", None),
        slot: ("2026-11-28 12:15+00", "2026-11-28 12:15+00", None),
        collected: (None, "2026-11-27 17:55+00", "2026-11-27 18:05+00"),
    }
    for order_id, (pickup_at, ready_at, picked_up_at) in moments.items():
        db_connection.execute(
            text(
                f'UPDATE "{tenant.schema_name}".orders SET pickup_at = :pickup, '  # noqa: S608
                "ready_at = :ready, picked_up_at = :picked WHERE id = :id"
            ),
            {"pickup": pickup_at, "ready": ready_at, "picked": picked_up_at, "id": order_id},
        )
    db_connection.commit()
    changed = client.patch(
        f"/api/v1/sys/tenants/{tenant.domain}/settings",
        json={"timezone": "Europe/Berlin", "locale": "de_DE", "languages": ["en"]},
        headers={"Authorization": f"Bearer {SYS_TOKEN}"},
    )
    assert changed.status_code == 200

    page = manager.get("/admin/orders").text
    assert re.search(r"<th[^>]*>Pickup</th>", page)
    rows = shown_rows(page)
    asap_row, slot_row, collected_row = (rows[n] for n in sorted(rows))
    # Other days with their weekday and date, in English words for de_DE's region (en_DE) and
    # its 24-hour clock (the year only once 2026 is over: the restaurant's "this year").
    shown = {
        clock: berlin_in_english(utc)
        for clock, utc in {
            "12:40": "2026-11-27T11:40:00+00:00",
            "13:15": "2026-11-28T12:15:00+00:00",
            "19:05": "2026-11-27T18:05:00+00:00",
            "18:55": "2026-11-27T17:55:00+00:00",
        }.items()
    }
    assert all(text.endswith(f", {clock}") for clock, text in shown.items())
    assert f"ASAP Ready about {shown['12:40']}" in asap_row
    assert "Done" in asap_row
    assert f"Slot {shown['13:15']}" in slot_row
    assert "ASAP" not in slot_row
    assert f"Picked up {shown['19:05']}" in collected_row
    assert f"ASAP Ready about {shown['18:55']}" in collected_row
    assert "Done" not in collected_row  # its status is that it was picked up
    assert re.search(r'<button class="button"[^>]*>Find</button>', page)  # styled as the others
