"""Photo transformations a search-by-image query commonly suffers (used to evaluate embedders)."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageEnhance

Transform = Callable[[Image.Image, random.Random], Image.Image]


def crop70(image: Image.Image, rng: random.Random) -> Image.Image:
    """Keep 70% of the width and height, at a random position."""
    w, h = image.size
    cw, ch = round(w * 0.7), round(h * 0.7)
    left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return image.crop((left, top, left + cw, top + ch))


def resize40(image: Image.Image, rng: random.Random) -> Image.Image:
    """Scale to 40% of the size."""
    return image.resize(
        (max(1, round(image.width * 0.4)), max(1, round(image.height * 0.4))),
        Image.Resampling.BILINEAR,
    )


def jpeg30(image: Image.Image, rng: random.Random) -> Image.Image:
    """Re-encode as JPEG at quality 30."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=30)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def rotate_small(image: Image.Image, rng: random.Random) -> Image.Image:
    """Tilt by 5–10 degrees either way (the canvas grows; corners are filled black)."""
    angle = rng.uniform(5, 10) * rng.choice((-1, 1))
    return image.convert("RGB").rotate(angle, Image.Resampling.BICUBIC, expand=True)


def brighter(image: Image.Image, rng: random.Random) -> Image.Image:
    """20% brighter."""
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(1.2)


def darker(image: Image.Image, rng: random.Random) -> Image.Image:
    """20% darker."""
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(0.8)


def quarter_turn(image: Image.Image, rng: random.Random) -> Image.Image:
    """Turn by 90 degrees."""
    return image.transpose(Image.Transpose.ROTATE_90)


TRANSFORMS: dict[str, Transform] = {
    "crop 70%": crop70,
    "resize 40%": resize40,
    "JPEG q30": jpeg30,
    "rotate 5-10°": rotate_small,
    "brightness +20%": brighter,
    "brightness -20%": darker,
    "turn 90°": quarter_turn,
}
