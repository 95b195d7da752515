"""The photo reference: what the database keeps of an uploaded image (never its bytes).

```json
{"hash": "3f0c…(32 hex)", "widths": [320, 640, 1280], "width": 1280, "height": 853}
```

- ``hash``: the blake2b-128 hex digest of the uploaded file's bytes; its renditions are the
  files ``<hash>-<w>.webp`` for each ``w`` in ``widths``, in the restaurant's media store;
- ``widths``: the rendition widths, ascending (a subset of 320, 640, 1280, or the one width
  of an image narrower than 320);
- ``width`` / ``height``: the largest rendition's pixels, for an ``<img>``'s ``width`` and
  ``height`` (its aspect ratio, so the page does not jump as it loads).

`menu_items.photo` holds one (or NULL); the settings' ``images`` holds ``logo`` and
``banner`` ones (or null). `check_reference` is the one check for a reference given from
outside (the system API's settings PATCH).
"""

import re

from flask_babel import gettext as _

from omniorder.core.errors import Invalid
from omniorder.media.images import HASH_BYTES, MIN_SIDE, WIDTHS

HASH = re.compile(rf"[0-9a-f]{{{HASH_BYTES * 2}}}")
# A rendition's file name, as the store keeps it and GET /media/<name> accepts it.
NAME = re.compile(rf"([0-9a-f]{{{HASH_BYTES * 2}}})-(\d{{2,4}})\.webp")
KEYS = ("hash", "widths", "width", "height")
MAX_SIDE = 16383  # WebP's limit


def rendition_names(photo: dict | None) -> list[str]:
    """The file names of a reference's renditions, narrowest first ([] for None)."""
    if not photo:
        return []
    return [f"{photo['hash']}-{width}.webp" for width in photo["widths"]]


def _side(value) -> bool:
    return type(value) is int and MIN_SIDE <= value <= MAX_SIDE


def check_reference(value, field: str) -> dict | None:
    """A photo reference as `Invalid` on `field` would refuse it, cleaned; None stays None."""
    if value is None:
        return None
    shape = _("must be null or a photo reference {%(keys)s}", keys=", ".join(KEYS))
    if not isinstance(value, dict) or set(value) != set(KEYS):
        raise Invalid(field, shape)
    widths = value["widths"]
    if (
        not (isinstance(value["hash"], str) and HASH.fullmatch(value["hash"]))
        or not isinstance(widths, list)
        or not widths
        or not all(_side(width) for width in widths)
        or widths != sorted(set(widths))
        or not (set(widths) <= set(WIDTHS) or (len(widths) == 1 and widths[0] < WIDTHS[0]))
        or not _side(value["width"])
        or not _side(value["height"])
        or value["width"] != widths[-1]
    ):
        raise Invalid(field, shape)
    return {key: value[key] for key in KEYS}
