from __future__ import annotations

import io

import pytest
from PIL import Image

from archive.imaging import ImageRejected, difference_hash, hash_distance
from archive.store import ImageStore
from tests.conftest import make_image_bytes


def test_put_stores_original_and_derivatives_under_sha256(tmp_path):
    store = ImageStore(tmp_path)
    data = make_image_bytes((2000, 1500))
    stored = store.put(data)
    original = store.original_path(stored.sha256, "jpg")
    assert original.read_bytes() == data
    assert original.parent.name == stored.sha256[2:4]
    assert (stored.width, stored.height, stored.format) == (2000, 1500, "JPEG")
    with Image.open(store.derivative_path(stored.sha256, "thumb")) as thumb:
        assert max(thumb.size) == 320
    with Image.open(store.derivative_path(stored.sha256, "display")) as display:
        assert max(display.size) == 1200


def test_identical_bytes_are_stored_once(tmp_path):
    store = ImageStore(tmp_path)
    data = make_image_bytes()
    first = store.put(data)
    second = store.put(data)
    assert first.sha256 == second.sha256
    assert len(list((tmp_path / "originals").rglob("*.jpg"))) == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_other_accepted_formats(tmp_path, fmt):
    stored = ImageStore(tmp_path).put(make_image_bytes(fmt=fmt))
    assert stored.format == fmt


def test_text_named_as_image_is_rejected(tmp_path):
    with pytest.raises(ImageRejected, match="not an image"):
        ImageStore(tmp_path).put(b"hello, I am not a JPEG at all")


def test_unsupported_format_is_rejected(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "BMP")
    with pytest.raises(ImageRejected, match="unsupported image format BMP"):
        ImageStore(tmp_path).put(buffer.getvalue())


def test_truncated_jpeg_is_rejected(tmp_path):
    data = make_image_bytes((800, 600))
    with pytest.raises(ImageRejected, match="damaged or truncated"):
        ImageStore(tmp_path).put(data[: len(data) // 2])


def test_pixel_limit_is_checked_before_decoding(tmp_path):
    buffer = io.BytesIO()
    # A 20,000 × 20,000 PNG of one colour compresses to a small file: a decompression bomb.
    Image.new("L", (20_000, 20_000)).save(buffer, "PNG")
    with pytest.raises(ImageRejected, match="too large"):
        ImageStore(tmp_path, max_pixels=50_000_000).put(buffer.getvalue())


def test_exif_orientation_is_applied_and_exif_stripped_from_derivatives(tmp_path):
    image = Image.open(io.BytesIO(make_image_bytes((600, 300))))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90° clockwise
    exif[0x8825] = {2: (51.0, 0.0, 0.0)}  # a GPS block
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    store = ImageStore(tmp_path)
    stored = store.put(buffer.getvalue())
    assert (stored.width, stored.height) == (300, 600)
    with Image.open(store.derivative_path(stored.sha256, "display")) as display:
        assert display.size == (300, 600)
        assert not display.getexif()


def test_derivative_paths_refuse_anything_but_a_digest(tmp_path):
    store = ImageStore(tmp_path)
    with pytest.raises(ValueError):
        store.derivative_path("../../etc/passwd", "thumb")
    with pytest.raises(ValueError):
        store.derivative_path("a" * 64, "../x")


def test_difference_hash_is_close_for_near_duplicates_and_far_otherwise():
    base = Image.open(io.BytesIO(make_image_bytes((640, 480), seed=1)))
    recompressed = Image.open(io.BytesIO(make_image_bytes((640, 480), seed=1, quality=30)))
    other = Image.open(io.BytesIO(make_image_bytes((640, 480), colour=(200, 30, 30), seed=5)))
    assert hash_distance(difference_hash(base), difference_hash(recompressed)) <= 6
    assert hash_distance(difference_hash(base), difference_hash(other)) > 10


def test_puts_without_fsync_write_whole_files_and_sync_flushes_them(
    tmp_path, image_bytes, monkeypatch
):
    """Durability itself needs a power cut to test; what can fail here is the writing (whole
    files under their final names, no temporaries left) and both ways of flushing."""
    store = ImageStore(tmp_path / "store")
    data = [image_bytes(seed=seed) for seed in range(3)]
    stored = [store.put(item, durable=False) for item in data]
    store.sync()  # syncfs on Linux
    monkeypatch.setattr("archive.store._syncfs", None)
    store.sync()  # elsewhere: os.sync
    for item, image in zip(data, stored, strict=True):
        assert store.original_path(image.sha256, "jpg").read_bytes() == item
        assert not image.already_stored
    assert store.put(data[0]).already_stored
    assert not list((tmp_path / "store").rglob(".tmp-*"))


def test_find_reads_an_image_back_by_the_digest_prefix_the_history_keeps(tmp_path):
    store = ImageStore(tmp_path)
    stored = store.put(make_image_bytes((300, 200), fmt="PNG"))
    store.derivative_path(stored.sha256, "thumb").unlink()  # made again on the way back
    found = store.find(stored.sha256[:12])
    assert found is not None
    assert (found.sha256, found.format, found.width, found.height) == (
        stored.sha256,
        "PNG",
        300,
        200,
    )
    assert store.derivative_path(stored.sha256, "thumb").is_file()
    assert store.find("0" * 12) is None  # not stored
    assert store.find(stored.sha256[:8]) is None  # too short to name one image
    assert store.find("../../etc/passwd") is None  # not a digest at all
