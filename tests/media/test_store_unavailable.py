"""An S3 that does not answer: an upload is a 503 page that says to try again and the item
is unchanged; a photo's address is a 503 too. Never a 500, never a wait without end."""

import io

from harness.processes import free_port
from tests.support.app import make_app
from tests.support.images import image_file
from tests.support.s3 import CREDENTIALS
from tests.support.staff import signed_in
from tests.support.storefront import menu


def test_an_unreachable_store_is_a_503_and_nothing_changes(database_url, tenant, monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    app = make_app(
        database_url,
        OMNIORDER_MEDIA_URI="s3://nowhere/photos",
        OMNIORDER_MEDIA_S3_ENDPOINT=f"http://127.0.0.1:{free_port()}",  # nothing listens
    )
    manager = signed_in(app, tenant, "manager")
    fries = menu(app, tenant)["Fries"]
    response = manager.post(
        f"/admin/items/{fries.id}/edit",
        {
            "name": "Renamed",
            "price": "3.50",
            "photo": (io.BytesIO(image_file("JPEG", (700, 500))), "fries.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    assert "The photo store did not answer" in response.text
    assert "Fries" in menu(app, tenant) and menu(app, tenant)["Fries"].photo is None

    served = app.test_client().get(
        "/media/" + "0" * 32 + "-320.webp", headers={"Host": tenant.domain}
    )
    assert served.status_code == 503
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
