"""An uploaded image, checked by decoding it and turned into the renditions we serve.

What a browser sends is not trusted for anything: the file name and content type are
ignored, and Pillow decodes the bytes with only the JPEG, PNG and WebP decoders enabled (a
GIF, a TIFF or a text file renamed ``.jpg`` is refused before any other decoder runs).
Pillow's decompression-bomb limit (`Image.MAX_IMAGE_PIXELS`) applies, its warning treated as
the error it announces, so a small file that declares a huge canvas is refused before its
pixels are allocated. The image is then turned upright (EXIF orientation), converted to RGB
(RGBA when it has transparency) and written as WebP at up to three widths with no metadata:
no EXIF (a phone's GPS position), no ICC profile, no comment leaves the server.

Each rendition is named by a hash of the ORIGINAL bytes and its width
(``<hash>-<width>.webp``): the same upload always gives the same names, and a name never
changes its content, so it can be cached for a year (`Cache-Control: immutable`).
"""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageOps

from omniorder.core.errors import Invalid

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024
WIDTHS = (320, 640, 1280)
FORMATS = ("JPEG", "PNG", "WEBP")  # the only decoders Pillow may try on an upload
MIN_SIDE = 16  # pixels: smaller is not a photo (and its name would not fit NAME's width)
MAX_ASPECT = 10  # a side at most 10 times the other: a banner, not a ribbon
WEBP_QUALITY = 80
HASH_BYTES = 16  # 32 hex characters


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    data: bytes  # WebP


@dataclass(frozen=True)
class PreparedImage:
    """What an upload becomes: its content hash and its renditions, narrowest first."""

    hash: str
    renditions: tuple[Rendition, ...]

    @property
    def reference(self) -> dict:
        """The photo reference the database keeps (omniorder/media/reference.py)."""
        largest = self.renditions[-1]
        return {
            "hash": self.hash,
            "widths": [rendition.width for rendition in self.renditions],
            "width": largest.width,
            "height": largest.height,
        }

    def named(self) -> list[tuple[str, bytes]]:
        """(file name, bytes) of every rendition."""
        return [(f"{self.hash}-{r.width}.webp", r.data) for r in self.renditions]


def rendition_widths(width: int) -> list[int]:
    """The widths an image `width` pixels wide is served at: each of `WIDTHS` it reaches,
    and at least one (its own width when it is narrower than the smallest)."""
    return [w for w in WIDTHS if w <= width] or [width]


def read_upload(stream, field: str = "photo") -> bytes:
    """At most `MAX_BYTES` from `stream` (a file object), or `Invalid`: too big, or empty."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(field, _("is larger than 10 MB"))
    if not data:
        raise Invalid(field, _("is empty: choose a JPEG, PNG or WebP image"))
    return data


def _decoded(data: bytes, field: str) -> Image.Image:
    """The image, fully decoded and checked, or `Invalid` saying why not."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
                probe.verify()  # the structure (PNG chunk checksums, …) before decoding
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            image.load()  # every pixel: a truncated or corrupt file fails here
            image = ImageOps.exif_transpose(image) or image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(field, _("has too many pixels to be a photo")) from None
    except Image.UnidentifiedImageError:
        raise Invalid(field, _("must be a JPEG, PNG or WebP image")) from None
    except Exception as error:  # noqa: BLE001  (any decoder failure is the file's fault)
        log.info("refused an image upload: %s: %s", type(error).__name__, error)
        raise Invalid(field, _("could not be read as an image (it may be damaged)")) from None
    return image


def _upright_colours(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if image.has_transparency_data else "RGB")


def prepare_image(stream, field: str = "photo") -> PreparedImage:
    """An upload (a file object) → its renditions, or `Invalid` on `field`: not a JPEG, PNG
    or WebP, damaged, bigger than 10 MB, too many pixels, too small or too narrow."""
    data = read_upload(stream, field)
    image = _upright_colours(_decoded(data, field))
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        raise Invalid(field, _("is too small: at least %(side)s × %(side)s pixels", side=MIN_SIDE))
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise Invalid(
            field, _("is too narrow: one side at most %(ratio)s times the other", ratio=MAX_ASPECT)
        )
    renditions = []
    for target in rendition_widths(width):
        scaled_height = max(1, round(height * target / width))
        scaled = image if target == width else image.resize((target, scaled_height), Image.LANCZOS)
        out = io.BytesIO()
        scaled.save(out, "WEBP", quality=WEBP_QUALITY, method=4)  # no exif/icc: none is written
        renditions.append(Rendition(target, scaled_height, out.getvalue()))
    digest = hashlib.blake2b(data, digest_size=HASH_BYTES).hexdigest()
    return PreparedImage(digest, tuple(renditions))
