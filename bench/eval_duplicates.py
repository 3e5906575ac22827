"""How far apart, in dHash bits, are a photograph and its altered copies, and different photographs?

Justifies ingest.duplicates.NEAR_DUPLICATE_BITS on the 89 shared chinesenotes.com photographs
(../shared/data/chinesenotes/images): each is resized, re-compressed, re-exposed, converted, tilted,
cropped, turned and mirrored, and hashed exactly as the pipeline hashes
(archive.imaging.process_image); a copy is compared in its eight orientations, as the duplicate
check compares it (ingest.duplicates.PhotoHashes.closest), and so are different photographs.

    python bench/eval_duplicates.py
"""

from __future__ import annotations

import io
import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.imaging import hash_distance, process_image  # noqa: E402
from ingest.duplicates import NEAR_DUPLICATE_BITS, PhotoHashes  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "chinesenotes" / "images"
NO_LIMIT = 10**9


def _jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def altered_copies(data: bytes) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of the altered copies of one photograph."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    width, height = image.size

    def crop(share: float) -> Image.Image:
        return image.crop(
            (
                int(width * share),
                int(height * share),
                int(width * (1 - share)),
                int(height * (1 - share)),
            )
        )

    yield "resized to half", _jpeg(image.resize((width // 2, height // 2)))
    yield "JPEG quality 40", _jpeg(image, quality=40)
    yield "brightness +20%", _jpeg(ImageEnhance.Brightness(image).enhance(1.2))
    yield "contrast -20%", _jpeg(ImageEnhance.Contrast(image).enhance(0.8))
    yield "PNG", _png(image)
    yield "tilted 2 degrees", _jpeg(image.rotate(2, fillcolor=(255, 255, 255)))
    yield "cropped 3% a side", _jpeg(crop(0.03))
    yield "cropped 8% a side", _jpeg(crop(0.08))
    yield "turned 90 degrees", _jpeg(image.transpose(Image.Transpose.ROTATE_90), quality=80)
    yield "turned 180 degrees", _jpeg(image.transpose(Image.Transpose.ROTATE_180), quality=80)
    yield "mirrored", _jpeg(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), quality=80)
    yield (
        "mirrored + resized",
        _jpeg(
            image.transpose(Image.Transpose.TRANSPOSE).resize((height // 2, width // 2)), quality=70
        ),
    )


def nearest(orientations: tuple[str, ...], phash: str) -> int:
    """The distance of the closest of a photograph's orientations to ``phash``."""
    return min(hash_distance(turned, phash) for turned in orientations)


def main() -> int:
    if not PHOTOS.is_dir():
        print(f"skipped: needs the shared photographs at {PHOTOS}")
        return 0
    originals: dict[str, str] = {}
    copies: dict[str, list[int]] = {}
    for path in sorted(PHOTOS.glob("*.jpg")):
        data = path.read_bytes()
        originals[path.name] = process_image(data, NO_LIMIT).phash
        for name, altered in altered_copies(data):
            turned = process_image(altered, NO_LIMIT).orientations
            copies.setdefault(name, []).append(nearest(turned, originals[path.name]))
    threshold = NEAR_DUPLICATE_BITS
    print(f"{len(originals)} photographs; threshold {threshold} bits of 64")
    print(f"{'copy':<20} {'mean':>6} {'max':>5} {'flagged':>8}")
    for name, distances in copies.items():
        values = np.array(distances)
        flagged = float((values <= threshold).mean())
        print(f"{name:<20} {values.mean():6.1f} {values.max():5d} {flagged:8.0%}")
    turned = {
        name: process_image((PHOTOS / name).read_bytes(), NO_LIMIT).orientations
        for name in originals
    }
    between = np.array(
        [nearest(turned[a], originals[b]) for a, b in itertools.permutations(originals, 2)]
    )
    print(
        f"different photographs in any orientation: {len(between)} ordered pairs, closest "
        f"{between.min()} bits, "
        f"{int((between <= threshold).sum())} within the threshold"
    )
    _search_speed()
    return 0


def _search_speed(size: int = 200_000, queries: int = 50) -> None:
    """One photograph's eight orientations against ``size`` catalogue hashes, as a bulk upload
    checks each of its photographs (was a timed test; timings belong here)."""
    rng = np.random.default_rng(0)
    hashes = PhotoHashes()
    for number, value in enumerate(rng.integers(0, 2**63, size)):
        hashes.add(f"{int(value):016x}", number, str(number))
    asked = [[f"{int(v):016x}" for v in rng.integers(0, 2**63, 8)] for _ in range(queries)]
    hashes.closest(asked[0], -1)
    started = time.perf_counter()
    for query in asked:
        hashes.closest(query, -1)
    each = (time.perf_counter() - started) / queries * 1000
    print(f"duplicate check against {size:,} hashes: {each:.1f} ms a photograph (8 orientations)")


if __name__ == "__main__":
    raise SystemExit(main())
