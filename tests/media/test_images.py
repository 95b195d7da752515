"""An upload is checked by decoding it: JPEG, PNG and WebP become WebP renditions at 320,
640 and 1280 px; anything else, damaged, hostile or too big is `Invalid` (a 400)."""

import io

import pytest
from PIL import Image

from omniorder.core.errors import Invalid
from omniorder.media.images import prepare_image
from omniorder.media.reference import NAME, check_reference
from tests.support.images import decoded_size, image_file, png_declaring


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_format_becomes_webp_renditions(kind):
    prepared = prepare_image(io.BytesIO(image_file(kind, (1600, 1200))))
    assert [decoded_size(r.data) for r in prepared.renditions] == [
        ("WEBP", (320, 240)),
        ("WEBP", (640, 480)),
        ("WEBP", (1280, 960)),
    ]
    assert prepared.reference == {
        "hash": prepared.hash,
        "widths": [320, 640, 1280],
        "width": 1280,
        "height": 960,
    }
    assert check_reference(prepared.reference, "photo") == prepared.reference
    assert all(NAME.fullmatch(name) for name, _ in prepared.named())


def test_only_widths_the_original_reaches_and_never_upscaled():
    assert [
        r.width for r in prepare_image(io.BytesIO(image_file("PNG", (700, 500)))).renditions
    ] == [320, 640]
    narrow = prepare_image(io.BytesIO(image_file("PNG", (200, 100))))
    assert [decoded_size(r.data)[1] for r in narrow.renditions] == [(200, 100)]
    assert narrow.reference["widths"] == [200]


def test_the_name_is_the_hash_of_the_uploaded_bytes():
    data = image_file("JPEG")
    assert prepare_image(io.BytesIO(data)).hash == prepare_image(io.BytesIO(data)).hash
    other = image_file("JPEG", (1600, 1201))
    assert prepare_image(io.BytesIO(other)).hash != prepare_image(io.BytesIO(data)).hash
    assert len(prepare_image(io.BytesIO(data)).hash) == 32


def test_a_phone_photo_is_turned_upright_and_loses_its_metadata():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"  # Make
    prepared = prepare_image(io.BytesIO(image_file("JPEG", (800, 400), exif=exif.tobytes())))
    largest = prepared.renditions[-1].data
    assert decoded_size(largest)[1] == (320, 640)  # upright: taller than wide
    with Image.open(io.BytesIO(largest)) as image:
        assert not image.getexif() and "icc_profile" not in image.info
    assert b"PhoneMaker" not in largest


def test_transparency_is_kept():
    prepared = prepare_image(io.BytesIO(image_file("PNG", (400, 400), mode="RGBA")))
    with Image.open(io.BytesIO(prepared.renditions[0].data)) as image:
        assert image.mode == "RGBA"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"just some text, named photo.jpg", "JPEG, PNG or WebP", id="renamed-text"),
        pytest.param(image_file("JPEG")[:3000], "could not be read", id="truncated-jpeg"),
        pytest.param(image_file("PNG", (800, 600))[:-40], "could not be read", id="truncated-png"),
        pytest.param(png_declaring(100_000, 100_000), "too many pixels", id="bomb"),
        # over Image.MAX_IMAGE_PIXELS but under twice it: Pillow only warns; we refuse
        pytest.param(png_declaring(10_000, 10_000), "too many pixels", id="bomb-warning"),
        pytest.param(image_file("GIF"), "JPEG, PNG or WebP", id="gif"),
        pytest.param(image_file("BMP"), "JPEG, PNG or WebP", id="bmp"),
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "larger than 10 MB", id="11MB"),
        pytest.param(image_file("PNG", (8, 8)), "too small", id="tiny"),
        pytest.param(image_file("PNG", (2000, 100)), "too narrow", id="ribbon"),
    ],
)
def test_what_is_not_a_usable_photo_is_invalid(data, reason):
    with pytest.raises(Invalid) as refused:
        prepare_image(io.BytesIO(data))
    assert reason in refused.value.fields["photo"]


@pytest.mark.parametrize(
    "value",
    [
        "x",
        {"hash": "0" * 32, "widths": [320], "width": 320},
        {"hash": "0" * 31 + "g", "widths": [320], "width": 320, "height": 200},
        {"hash": "0" * 32, "widths": [640, 320], "width": 320, "height": 200},
        {"hash": "0" * 32, "widths": [320, 500], "width": 500, "height": 200},
        {"hash": "0" * 32, "widths": [320], "width": 640, "height": 200},
        {"hash": "0" * 32, "widths": [320], "width": 320, "height": True},
        {"hash": "0" * 32, "widths": [320], "width": 320, "height": 200, "bytes": "…"},
    ],
)
def test_a_malformed_reference_is_invalid(value):
    with pytest.raises(Invalid):
        check_reference(value, "images.logo")
