"""The restaurant's logo and banner: photo references in the settings' ``images``.

The logo is kept as uploaded, only resized (no square crop: a wide word mark stays whole);
whoever shows it in a square (a favicon) fits it there. Both are stored by the media room's
`store_photo` before this runs; a replaced or removed one's files go after the commit.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from omniorder.core.database import db
from omniorder.core.errors import NotFound
from omniorder.media.photos import discard_photo
from omniorder.settings.document import IMAGE_KINDS, update_settings
from omniorder.settings.models import RestaurantSettings


def set_brand_image(kind: str, photo: dict | None) -> dict:
    """Make `photo` (a reference, or None to remove it) the restaurant's `kind` (logo or
    banner); the settings document as saved."""
    if kind not in IMAGE_KINDS:
        raise NotFound(_("No such image: %(kind)s.", kind=kind))
    stored = db.session.scalar(
        select(RestaurantSettings.document[("images", kind)]).with_for_update()
    )
    document = update_settings({"images": {kind: photo}})
    if stored != photo:
        discard_photo(stored)
    return document
