"""A restaurant's photos: stored before the database hears of them, deleted after it forgot
them, shown through `media_url` / `media_srcset` and the ``media/_picture.html`` macro.

The order of the two servers is the rule:

1. `store_photo` decodes the upload and puts its renditions in the media store with no
   database transaction open (the view ends the one its login check began with
   ``commit_step()``; `store_photo` refuses to run inside one), so a slow S3 never holds a
   row lock or a snapshot.
2. The caller then writes the reference in its own unit of work. If that fails (a bad field,
   a deleted item, the database gone) the renditions stay in the store, unreferenced: an
   orphan costs a few hundred kilobytes and nothing else, and the restaurant's erasure
   removes it with the rest.
3. A reference replaced or removed is handed to `discard_photo`, which deletes its
   renditions once the transaction has committed (`after_commit`), and only when no other
   reference of the restaurant names the same hash: two items may share a photo, since a
   name is the hash of the uploaded bytes. A delete that fails is logged and leaves an orphan.

Where references live is known here (`photo_in_use`): ``menu_items.photo`` and the
settings' ``images``. A new place that keeps photos joins that statement.
"""

import logging

from flask import Flask, current_app, g, url_for
from sqlalchemy import Text, cast, exists, or_, select
from sqlalchemy.exc import SQLAlchemyError

from omniorder.core.database import db
from omniorder.core.unit_of_work import after_commit
from omniorder.media.images import prepare_image
from omniorder.media.reference import rendition_names
from omniorder.media.storage import media_store
from omniorder.menu.models import MenuItem, MenuTrash
from omniorder.settings.document import current_settings
from omniorder.settings.models import RestaurantSettings
from omniorder.tenancy.bind import current_tenant

log = logging.getLogger(__name__)
BRAND_IMAGES = ("logo", "banner")
NO_BRAND_IMAGES = dict.fromkeys(BRAND_IMAGES)


class TransactionOpen(RuntimeError):
    """The media store was to be called while a database transaction was open."""


def store_photo(stream, field: str = "photo") -> dict:
    """Decode an upload (`Invalid` on `field` when it is not a usable image: nothing is
    stored), put its renditions in the bound restaurant's store, return its reference."""
    prepared = prepare_image(stream, field)
    if db.session().in_transaction():
        raise TransactionOpen("call commit_step() before storing a photo")
    media_store().put(current_tenant().schema_name, prepared.named())
    return prepared.reference


def photo_in_use(digest: str) -> bool:
    """Whether any reference of the bound restaurant (an item's, one in the menu's trash,
    the logo, the banner) names this hash, in the caller's transaction. (A hash is 32 hex
    digits: found in the trash's text only where a photo reference holds it.)"""
    settings = RestaurantSettings.document
    return bool(
        db.session.scalar(
            select(
                or_(
                    exists().where(MenuItem.photo["hash"].astext == digest),
                    exists().where(cast(MenuTrash.payload, Text).contains(digest)),
                    exists().where(
                        or_(
                            *(
                                settings[("images", kind, "hash")].astext == digest
                                for kind in BRAND_IMAGES
                            )
                        )
                    ),
                )
            )
        )
    )


def discard_photo(photo: dict | None) -> None:
    """Delete a replaced or removed photo's renditions after the commit, unless another
    reference still names them. Call it after the new state is flushed."""
    if not photo or photo_in_use(photo["hash"]):
        return
    schema_name = current_tenant().schema_name
    store = media_store()
    names = rendition_names(photo)

    def delete():
        try:
            store.delete(schema_name, names)
        except Exception as error:  # noqa: BLE001  (the commit stands; an orphan is harmless)
            log.warning("could not delete %s of %s: %s", names, schema_name, error)

    after_commit(delete)


def file_url(name: str) -> str:
    """A rendition's address: ``/media/<name>`` on the restaurant's own host, or under
    ``OMNIORDER_MEDIA_PUBLIC_URL`` (a CDN or the bucket) as ``<base>/<schema>/<name>``."""
    base = current_app.config.get("OMNIORDER_MEDIA_PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}/{current_tenant().schema_name}/{name}"
    return url_for("media.file", name=name)


def media_url(photo: dict | None, width: int = 640) -> str:
    """The address of the narrowest rendition at least `width` wide (else the widest); ""
    for no photo."""
    if not photo:
        return ""
    fitting = [w for w in photo["widths"] if w >= width]
    chosen = fitting[0] if fitting else photo["widths"][-1]
    return file_url(f"{photo['hash']}-{chosen}.webp")


def media_srcset(photo: dict | None) -> str:
    """``srcset`` of every rendition: ``"/media/<h>-320.webp 320w, …"``; "" for no photo."""
    if not photo:
        return ""
    return ", ".join(
        f"{file_url(name)} {width}w"
        for name, width in zip(rendition_names(photo), photo["widths"], strict=True)
    )


def photo_json(photo: dict | None, alt: str) -> dict | None:
    """A photo as the menu API shows it (openapi.yaml's Photo), or None."""
    if not photo:
        return None
    return {
        "alt": alt,
        "width": photo["width"],
        "height": photo["height"],
        "srcset": media_srcset(photo),
        "urls": {str(width): media_url(photo, width) for width in photo["widths"]},
    }


def brand_images() -> dict:
    """The bound restaurant's logo and banner references (None each when it has none, or when
    no restaurant is bound: the platform's own pages). An error page shown because the
    database is away has none either, rather than failing in turn."""
    if g.get("tenant") is None:
        return NO_BRAND_IMAGES
    try:
        return current_settings()["images"]
    except SQLAlchemyError:
        return NO_BRAND_IMAGES


def init_app(app: Flask) -> None:
    """`media_url`, `media_srcset` and `brand_images` for every template (and so for
    ``_picture.html``, the favicon and the storefront's header)."""
    app.add_template_global(media_url)
    app.add_template_global(media_srcset)
    app.add_template_global(brand_images)
