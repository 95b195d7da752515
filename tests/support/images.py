"""Image files as a phone or a hostile client would send them, made in memory with Pillow."""

import io
import struct
import zlib

from PIL import Image


def image_file(kind: str = "JPEG", size=(1600, 1200), mode="RGB", exif=None) -> bytes:
    """An image of `size` in format `kind` (JPEG, PNG, WEBP, GIF)."""
    image = Image.new(mode, size, (200, 80, 40) if mode == "RGB" else None)
    out = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(out, kind, **options)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims width × height pixels (a decompression
    bomb: its pixels would take gigabytes once decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def decoded_size(data: bytes) -> tuple[str, tuple[int, int]]:
    """(format, (width, height)) of an image file, by decoding it."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.format, image.size
