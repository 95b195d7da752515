"""Photos through the back office, in the menu API and served, on both stores (a folder and
S3 through a real moto server): stored before the database hears of them, deleted when
forgotten, erased and exported with the restaurant."""

import io
import json
import re
import zipfile

import boto3
import pytest
from sqlalchemy import text

from omniorder.core.unit_of_work import unit_of_work
from omniorder.media.storage import store_for
from omniorder.menu.trash import purge_expired
from omniorder.platform.tenants import drop_tenant
from omniorder.tenancy.bind import tenant_context
from omniorder.tenancy.registry import tenant_registry
from tests.support.app import make_app
from tests.support.images import decoded_size, image_file, png_declaring
from tests.support.s3 import moto_server
from tests.support.staff import signed_in
from tests.support.storefront import menu

BUCKET = "media-test"


@pytest.fixture(params=["folder", "s3"])
def media_config(request, tmp_path, monkeypatch):
    """The app's media settings: a folder under the test's tmp_path, or a bucket on moto."""
    if request.param == "folder":
        yield {"OMNIORDER_MEDIA_URI": str(tmp_path / "media")}
        return
    with moto_server(monkeypatch) as endpoint:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield {
            "OMNIORDER_MEDIA_URI": f"s3://{BUCKET}/photos",
            "OMNIORDER_MEDIA_S3_ENDPOINT": endpoint,
        }


@pytest.fixture
def app(database_url, media_config):
    app = make_app(database_url, OMNIORDER_REGISTRY_CHECK_INTERVAL=3600.0, **media_config)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def store(media_config):
    """The same store the app uses, opened by the test (what really is in it)."""
    return store_for(
        media_config["OMNIORDER_MEDIA_URI"], media_config.get("OMNIORDER_MEDIA_S3_ENDPOINT")
    )


@pytest.fixture
def manager(app, tenant):
    return signed_in(app, tenant, "manager")


def item_form(item, **changes) -> dict:
    """What the item page posts: the item as it is, with `changes`."""
    fields = {
        "name": item.name,
        "description": item.description or "",
        "price": f"{item.price / 100:.2f}",
        "image_url": item.image_url or "",
        "category_id": str(item.category_id or ""),
        "is_available": "y",
    }
    fields.update(changes)
    return fields


def upload(manager, item, data: bytes, filename="photo.jpg", **changes):
    fields = item_form(item, **changes)
    fields["photo"] = (io.BytesIO(data), filename, "image/jpeg")
    return manager.post(f"/admin/items/{item.id}/edit", fields, content_type="multipart/form-data")


def api_item(client, tenant, name) -> dict:
    response = client.get("/api/v1/menu", headers={"Host": tenant.domain})
    assert response.status_code == 200
    return next(item for item in response.get_json()["items"] if item["name"] == name)


def stored_photo(db_connection, tenant, name):
    row = db_connection.execute(
        text(f'SELECT photo, photo_alt FROM "{tenant.schema_name}".menu_items WHERE name = :n'),
        {"n": name},
    ).one()
    db_connection.rollback()
    return row


def test_a_manager_uploads_a_photo_and_the_menu_serves_it(
    app, client, tenant, manager, store, db_connection, count_statements
):
    fries = menu(app, tenant)["Fries"]
    response = upload(manager, fries, image_file("JPEG", (1600, 1200)), photo_alt="Golden fries")
    assert response.status_code == 303, response.text

    photo = api_item(client, tenant, "Fries")["photo"]
    digest = stored_photo(db_connection, tenant, "Fries").photo["hash"]
    assert photo == {
        "alt": "Golden fries",
        "width": 1280,
        "height": 960,
        "srcset": (
            f"/media/{digest}-320.webp 320w, /media/{digest}-640.webp 640w, "
            f"/media/{digest}-1280.webp 1280w"
        ),
        "urls": {w: f"/media/{digest}-{w}.webp" for w in ("320", "640", "1280")},
    }
    assert store.names(tenant.schema_name) == sorted(f"{digest}-{w}.webp" for w in (320, 640, 1280))

    client.get(photo["urls"]["640"], headers={"Host": tenant.domain})  # the registry, warm
    statements = count_statements(app)
    served = client.get(photo["urls"]["640"], headers={"Host": tenant.domain})
    assert statements == []  # no database beyond the tenant's lookup, which is in memory
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert decoded_size(served.data) == ("WEBP", (640, 480))
    again = client.get(
        photo["urls"]["640"],
        headers={"Host": tenant.domain, "If-None-Match": served.headers["ETag"]},
    )
    assert again.status_code == 304

    page = manager.get(f"/admin/items/{fries.id}/edit").text
    assert f'srcset="{photo["srcset"]}"' in page and 'alt="Golden fries"' in page
    assert 'loading="lazy"' in page and 'width="1280" height="960"' in page
    assert (
        'enctype="multipart/form-data"' in page
        and 'accept="image/jpeg,image/png,image/webp"' in page
    )


def test_the_alt_text_is_the_items_name_by_default(app, client, tenant, manager):
    assert upload(manager, menu(app, tenant)["Fries"], image_file("PNG")).status_code == 303
    assert api_item(client, tenant, "Fries")["photo"]["alt"] == "Fries"
    assert api_item(client, tenant, "House Burger")["photo"] is None


def test_another_restaurants_host_does_not_serve_the_photo(
    app, client, tenant, make_tenant, manager
):
    upload(manager, menu(app, tenant)["Fries"], image_file("WEBP"))
    url = api_item(client, tenant, "Fries")["photo"]["urls"]["320"]
    other = make_tenant(name="Other")
    assert client.get(url, headers={"Host": other.domain}).status_code == 404
    for name in ("0" * 32 + "-320.webp", "../../etc/passwd", "x.webp", "A" * 32 + "-320.webp"):
        assert client.get(f"/media/{name}", headers={"Host": tenant.domain}).status_code == 404


def test_replacing_and_removing_a_photo_deletes_its_files(
    app, client, tenant, manager, store, db_connection
):
    fries = menu(app, tenant)["Fries"]
    upload(manager, fries, image_file("JPEG", (700, 500)))
    first = stored_photo(db_connection, tenant, "Fries").photo
    upload(manager, fries, image_file("PNG", (800, 600)))
    second = stored_photo(db_connection, tenant, "Fries").photo
    assert second["hash"] != first["hash"]
    assert store.names(tenant.schema_name) == [
        f"{second['hash']}-320.webp",
        f"{second['hash']}-640.webp",
    ]

    response = manager.post(f"/admin/items/{fries.id}/edit", item_form(fries, remove_photo="y"))
    assert response.status_code == 303
    assert stored_photo(db_connection, tenant, "Fries").photo is None
    assert api_item(client, tenant, "Fries")["photo"] is None
    assert store.names(tenant.schema_name) == []


def test_a_photo_two_items_share_stays_while_one_holds_it(
    app, tenant, manager, store, db_connection
):
    items = menu(app, tenant)
    data = image_file("JPEG")
    upload(manager, items["Fries"], data)
    upload(manager, items["House Burger"], data)
    manager.post(
        f"/admin/items/{items['Fries'].id}/edit", item_form(items["Fries"], remove_photo="y")
    )
    digest = stored_photo(db_connection, tenant, "House Burger").photo["hash"]
    assert (
        len(store.names(tenant.schema_name)) == 3 and digest in store.names(tenant.schema_name)[0]
    )
    manager.post(f"/admin/items/{items['House Burger'].id}/delete")
    assert len(store.names(tenant.schema_name)) == 3  # in the trash: it may be restored
    forget_trash_after_30_days(app, tenant, db_connection)
    assert store.names(tenant.schema_name) == []


def forget_trash_after_30_days(app, tenant, db_connection):
    """The periodic purge, run once the trash's entries are 31 days old."""
    db_connection.execute(
        text(
            f'UPDATE "{tenant.schema_name}".menu_trash '
            "SET deleted_at = now() - interval '31 days'"
        )
    )
    db_connection.commit()
    with app.app_context(), tenant_context(tenant_registry().lookup(tenant.domain)):
        with unit_of_work():
            assert purge_expired() == 1


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"name,price\nFries,3.50\n", "menu.jpg"),
        (image_file("JPEG")[:2000], "cut.jpg"),
        (png_declaring(100_000, 100_000), "bomb.png"),
        (image_file("GIF"), "anim.gif"),
        (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10), "huge.jpg"),
    ],
    ids=["renamed-text", "truncated", "bomb", "gif", "over-10MB"],
)
def test_a_bad_file_is_400_and_nothing_is_stored(
    app, client, tenant, manager, store, db_connection, data, filename
):
    fries = menu(app, tenant)["Fries"]
    response = upload(manager, fries, data, filename, name="Renamed Fries")
    assert response.status_code == 400
    assert "photo:" in response.text and 'aria-invalid="true"' in response.text
    assert store.names(tenant.schema_name) == []
    assert stored_photo(db_connection, tenant, "Fries").photo is None  # not renamed either


def test_a_body_over_the_upload_limit_is_a_413_page(app, tenant, manager, store):
    fries = menu(app, tenant)["Fries"]
    response = upload(manager, fries, b"\0" * (12 * 1024 * 1024))
    assert response.status_code == 413
    assert "Too large" in response.text
    assert store.names(tenant.schema_name) == []


def test_other_forms_keep_their_small_limit(app, tenant, manager):
    response = manager.post("/admin/categories", {"name": "x" * (300 * 1024)})
    assert response.status_code == 413


def test_the_kitchen_cannot_upload(app, tenant, store):
    kitchen = signed_in(app, tenant, "kitchen")
    fries = menu(app, tenant)["Fries"]
    assert upload(kitchen, fries, image_file()).status_code == 403
    assert store.names(tenant.schema_name) == []


def test_a_new_item_can_come_with_its_photo(app, client, tenant, manager):
    fields = item_form(menu(app, tenant)["Fries"], name="Halloumi Wrap")
    fields["photo"] = (io.BytesIO(image_file("WEBP", (640, 640))), "rings.webp")
    response = manager.post("/admin/items/new", fields, content_type="multipart/form-data")
    assert response.status_code == 303, response.text
    assert api_item(client, tenant, "Halloumi Wrap")["photo"]["width"] == 640


def test_logo_and_banner_on_the_branding_page(app, client, tenant, store, db_connection):
    admin = signed_in(app, tenant, "admin")
    assert signed_in(app, tenant, "manager").get("/admin/branding").status_code == 403
    page = admin.get("/admin/branding")
    assert page.status_code == 200 and "No logo yet." in page.text
    response = admin.post(
        "/admin/branding/logo",
        {"image": (io.BytesIO(image_file("PNG", (512, 512), mode="RGBA")), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    admin.post(
        "/admin/branding/banner",
        {"image": (io.BytesIO(image_file("JPEG", (2400, 800))), "banner.jpg")},
        content_type="multipart/form-data",
    )
    images = db_connection.execute(
        text(f"SELECT document->'images' FROM \"{tenant.schema_name}\".settings")
    ).scalar_one()
    db_connection.rollback()
    assert images["logo"]["widths"] == [320] and images["banner"]["widths"] == [320, 640, 1280]
    page = admin.get("/admin/branding").text
    assert f"/media/{images['logo']['hash']}-320.webp" in page
    assert 'alt="Logo of Test Kitchen"' in page
    logo = client.get(f"/media/{images['logo']['hash']}-320.webp", headers={"Host": tenant.domain})
    assert logo.status_code == 200

    # The storefront: the logo is the favicon and sits beside the name, the banner tops the
    # header (fetched first), and a shared link's card shows the banner.
    storefront = client.get("/", headers={"Host": tenant.domain}).text
    logo_url = f"/media/{images['logo']['hash']}-320.webp"
    banner = images["banner"]["hash"]
    assert f'<link rel="icon" href="{logo_url}" type="image/webp">' in storefront
    assert f'<img class="brand-logo" src="{logo_url}"' in storefront
    assert re.search(
        rf'<img src="/media/{banner}-640.webp" srcset="[^"]+" [^>]*'
        rf'class="restaurant-banner" fetchpriority="high"',
        storefront,
    )
    assert (
        f'<meta property="og:image" content="http://{tenant.domain}/media/{banner}-1280.webp">'
        in storefront
    )

    bad = admin.post(
        "/admin/branding/banner",
        {"image": (io.BytesIO(image_file("GIF")), "banner.gif")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "Banner: must be a JPEG, PNG or WebP image" in bad.text

    assert admin.post("/admin/branding/logo/remove").status_code == 303
    assert all(
        not name.startswith(images["logo"]["hash"]) for name in store.names(tenant.schema_name)
    )
    assert len(store.names(tenant.schema_name)) == 3  # the banner's


def test_drop_erases_the_media_and_export_carries_them(app, make_tenant, store, tmp_path):
    tenant = make_tenant()
    manager = signed_in(app, tenant, "manager")
    upload(manager, menu(app, tenant)["Fries"], image_file("JPEG", (700, 500)))
    names = store.names(tenant.schema_name)
    assert len(names) == 2

    out = tmp_path / "export.zip"
    result = app.test_cli_runner().invoke(
        args=["tenants", "export", tenant.domain, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("media/")) == [
            f"media/{name}" for name in names
        ]
        assert decoded_size(archive.read(f"media/{names[0]}"))[0] == "WEBP"
        assert json.loads(archive.read("manifest.json"))["counts"]["media"] == 2
        exported_item = next(
            i for i in json.loads(archive.read("menu_items.json")) if i["name"] == "Fries"
        )
        assert re.fullmatch(r"[0-9a-f]{32}", exported_item["photo"]["hash"])

    with app.app_context(), unit_of_work():
        drop_tenant(tenant.domain)
    assert store.names(tenant.schema_name) == []


def test_a_public_media_url_points_the_menu_at_a_cdn(app, client, tenant, manager):
    app.config["OMNIORDER_MEDIA_PUBLIC_URL"] = "https://cdn.example/media/"
    upload(manager, menu(app, tenant)["Fries"], image_file("JPEG", (700, 500)))
    photo = api_item(client, tenant, "Fries")["photo"]
    digest = photo["urls"]["320"].rsplit("/", 1)[1].split("-")[0]
    assert photo["urls"] == {
        "320": f"https://cdn.example/media/{tenant.schema_name}/{digest}-320.webp",
        "640": f"https://cdn.example/media/{tenant.schema_name}/{digest}-640.webp",
    }
