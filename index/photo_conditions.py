"""What happens to a ware's photograph before it reaches search by image, as exact transforms.

Used by bench/eval_visual.py and the tests to measure the visual search. Each transform takes an
RGB image and a seeded ``random.Random`` and says in its docstring exactly what it does. TUNING
are the conditions the descriptor was tuned on; HELD_OUT were never looked at while tuning and
are reported separately; COMBINED chains several, as a phone photograph does.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Transform = Callable[[Image.Image, random.Random], Image.Image]


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float32)


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(array + 0.5, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


def warm_cast(image: Image.Image, rng: random.Random) -> Image.Image:
    """Warm light: red x1.30, green x1.00, blue x0.70 (clipped at white)."""
    return _image(_array(image) * np.array([1.3, 1.0, 0.7], dtype=np.float32))


def cool_cast(image: Image.Image, rng: random.Random) -> Image.Image:
    """Cool light: red x0.70, green x1.00, blue x1.30 (clipped at white)."""
    return _image(_array(image) * np.array([0.7, 1.0, 1.3], dtype=np.float32))


def green_cast(image: Image.Image, rng: random.Random) -> Image.Image:
    """Fluorescent light: red x0.85, green x1.25, blue x0.80."""
    return _image(_array(image) * np.array([0.85, 1.25, 0.8], dtype=np.float32))


def grayscale(image: Image.Image, rng: random.Random) -> Image.Image:
    """Black-and-white scan: ITU-R 601 luma (PIL 'L'), back to three equal channels."""
    return image.convert("L").convert("RGB")


def _hue_rotate(image: Image.Image, degrees: float) -> Image.Image:
    hsv = np.asarray(image.convert("RGB").convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(degrees / 360 * 256)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def hue_60(image: Image.Image, rng: random.Random) -> Image.Image:
    """Hue rotated by +60 degrees (PIL HSV, saturation and value kept)."""
    return _hue_rotate(image, 60)


def hue_180(image: Image.Image, rng: random.Random) -> Image.Image:
    """Hue rotated by 180 degrees (complementary colours)."""
    return _hue_rotate(image, 180)


def _perspective(image: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    """Corners moved inwards by up to ``amount`` of the side, then the largest upright
    rectangle inside the moved corners kept (as a phone frames a view taken at an angle)."""
    w, h = image.size
    corners = [(0, 0), (w, 0), (w, h), (0, h)]
    moved = [
        (
            x + (1 if x == 0 else -1) * rng.uniform(0, amount) * w,
            y + (1 if y == 0 else -1) * rng.uniform(0, amount) * h,
        )
        for x, y in corners
    ]
    coefficients = _perspective_coefficients(moved, corners)
    warped = image.convert("RGB").transform(
        (w, h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    left, right = max(moved[0][0], moved[3][0]), min(moved[1][0], moved[2][0])
    top, bottom = max(moved[0][1], moved[1][1]), min(moved[2][1], moved[3][1])
    return warped.crop((round(left), round(top), round(right), round(bottom)))


def _perspective_coefficients(
    target: list[tuple[float, float]], source: list[tuple[int, int]]
) -> list[float]:
    """PIL's 8 coefficients mapping output (target) points back to input (source) points."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(source).ravel())
    return solution.tolist()


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """Perspective skew: each corner moved inwards by 0-15 % of the width and height at random
    (a view 20-30 degrees off axis), cropped to the largest upright rectangle inside."""
    return _perspective(image, rng, 0.15)


def screen_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """Photograph of a screen: gamma 1.4, moire (x1 +-12 % sinusoid, period 3.3 px, slanted 20
    degrees), Gaussian blur radius 1.0, then resampled to 70 % size."""
    array = (_array(image) / 255.0) ** 1.4 * 255.0
    h, w = array.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = (x * np.cos(0.35) + y * np.sin(0.35)) / 3.3 * 2 * np.pi
    array = array * (1 + 0.12 * np.sin(phase))[..., None]
    result = _image(array).filter(ImageFilter.GaussianBlur(1.0))
    return result.resize(
        (max(1, round(w * 0.7)), max(1, round(h * 0.7))), Image.Resampling.BILINEAR
    )


def glass_reflection(image: Image.Image, rng: random.Random) -> Image.Image:
    """Through glass: 72 % the photograph + 28 % a reflection (a bright diagonal window band and
    blurred dark shapes of a gallery, blur radius 6), then contrast x0.85."""
    w, h = image.size
    reflection = Image.new("RGB", (w, h), (40, 40, 45))
    draw = ImageDraw.Draw(reflection)
    band = rng.uniform(0.2, 0.7) * w
    draw.polygon(
        [(band, 0), (band + 0.18 * w, 0), (band - 0.1 * w, h), (band - 0.28 * w, h)],
        fill=(235, 235, 225),
    )
    for _ in range(4):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        draw.ellipse((x0, y0, x0 + 0.25 * w, y0 + 0.4 * h), fill=(90, 85, 80))
    reflection = reflection.filter(ImageFilter.GaussianBlur(max(2, w / 160)))
    blended = Image.blend(image.convert("RGB"), reflection, 0.28)
    return ImageEnhance.Contrast(blended).enhance(0.85)


def jpeg_heavy(image: Image.Image, rng: random.Random) -> Image.Image:
    """JPEG re-encoded at quality 12."""
    return _jpeg(image, 12)


def eighth(image: Image.Image, rng: random.Random) -> Image.Image:
    """Scaled to 1/8 of each side (a 1000 px photograph becomes 125 px), bilinear."""
    w, h = image.size
    return image.resize((max(8, w // 8), max(8, h // 8)), Image.Resampling.BILINEAR)


def frame(image: Image.Image, rng: random.Random) -> Image.Image:
    """In a frame: a 3 % cream mat inside a 10 % dark wood border (sides of the longer edge)."""
    w, h = image.size
    side = max(w, h)
    mat = ImageOps.expand(image.convert("RGB"), border=round(0.03 * side), fill=(236, 228, 210))
    return ImageOps.expand(mat, border=round(0.10 * side), fill=(72, 46, 28))


def new_background(image: Image.Image, rng: random.Random) -> Image.Image:
    """On another ground: the photograph shrunk to 60 % and placed at a random spot on a canvas
    of the original size filled with a textured ground (a blurred two-colour noise, colour at
    random)."""
    w, h = image.size
    base = np.array([rng.randint(20, 230) for _ in range(3)], dtype=np.float32)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 28, (h // 4 + 1, w // 4 + 1))
    texture = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8)).resize((w, h))
    texture = texture.filter(ImageFilter.GaussianBlur(2))
    ground = _image(base + (np.asarray(texture, dtype=np.float32)[..., None] - 128))
    small = image.convert("RGB").resize((round(w * 0.6), round(h * 0.6)), Image.Resampling.LANCZOS)
    ground.paste(small, (rng.randint(0, w - small.width), rng.randint(0, h - small.height)))
    return ground


def _crop_area(image: Image.Image, rng: random.Random, area: float) -> Image.Image:
    w, h = image.size
    cw, ch = round(w * area**0.5), round(h * area**0.5)
    left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return image.crop((left, top, left + cw, top + ch))


def crop_50(image: Image.Image, rng: random.Random) -> Image.Image:
    """A crop keeping 50 % of the area (70.7 % of each side) at a random position."""
    return _crop_area(image, rng, 0.5)


def crop_20(image: Image.Image, rng: random.Random) -> Image.Image:
    """A detail: a crop keeping 20 % of the area (44.7 % of each side) at a random position."""
    return _crop_area(image, rng, 0.2)


def vignette(image: Image.Image, rng: random.Random) -> Image.Image:
    """Lens vignetting: brightness x(1 - 0.55 r^2), r = 1 at the corners."""
    array = _array(image)
    h, w = array.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((x - w / 2) / (w / 2)) ** 2 / 2 + ((y - h / 2) / (h / 2)) ** 2 / 2
    return _image(array * (1 - 0.55 * r2)[..., None])


def noise(image: Image.Image, rng: random.Random) -> Image.Image:
    """Sensor noise: Gaussian, sigma 14 grey levels, independent per channel."""
    array = _array(image)
    generator = np.random.default_rng(rng.randint(0, 2**31))
    return _image(array + generator.normal(0, 14, array.shape).astype(np.float32))


def blur(image: Image.Image, rng: random.Random) -> Image.Image:
    """Out of focus: Gaussian blur, radius 0.6 % of the longer side (6 px at 1000 px)."""
    return image.filter(ImageFilter.GaussianBlur(max(image.size) * 0.006))


def turn_90(image: Image.Image, rng: random.Random) -> Image.Image:
    """Turned a quarter (90 degrees anticlockwise)."""
    return image.transpose(Image.Transpose.ROTATE_90)


def tilt_15(image: Image.Image, rng: random.Random) -> Image.Image:
    """Tilted 10-15 degrees either way (canvas grows; corners filled black)."""
    angle = rng.uniform(10, 15) * rng.choice((-1, 1))
    return image.convert("RGB").rotate(angle, Image.Resampling.BICUBIC, expand=True)


def mirror(image: Image.Image, rng: random.Random) -> Image.Image:
    """Mirrored left to right."""
    return ImageOps.mirror(image)


def overexposed(image: Image.Image, rng: random.Random) -> Image.Image:
    """Over-exposed: brightness x1.6 (highlights clip)."""
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(1.6)


def underexposed(image: Image.Image, rng: random.Random) -> Image.Image:
    """Under-exposed: brightness x0.45."""
    return ImageEnhance.Brightness(image.convert("RGB")).enhance(0.45)


def sepia(image: Image.Image, rng: random.Random) -> Image.Image:
    """An old print: luma toned sepia (R 1.07, G 0.74, B 0.43 of the luma), contrast x0.8."""
    luma = _array(image.convert("L").convert("RGB"))
    toned = _image(luma * np.array([1.07, 0.74, 0.43], dtype=np.float32))
    return ImageEnhance.Contrast(toned).enhance(0.8)


def desaturated(image: Image.Image, rng: random.Random) -> Image.Image:
    """A faded print: saturation x0.35."""
    return ImageEnhance.Color(image.convert("RGB")).enhance(0.35)


def halftone_print(image: Image.Image, rng: random.Random) -> Image.Image:
    """Photograph of a printed page: the luma screened into black dots on white paper (a 45
    degree screen, one dot every 0.6 % of the longer side, each dot's area the cell's darkness),
    seen by a camera that half resolves them (Gaussian blur of half a dot period), paper tone
    (R 245, G 240, B 226 for white), then 60 % size, bilinear."""
    luma = _array(image.convert("L").convert("RGB"))[..., 0] / 255.0
    h, w = luma.shape
    period = max(3.0, 0.006 * max(w, h))
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (x + y) / np.sqrt(2), (x - y) / np.sqrt(2)
    # Distance to the nearest dot centre of the turned screen, as a fraction of the period.
    du = (u / period) % 1.0 - 0.5
    dv = (v / period) % 1.0 - 0.5
    radius = np.sqrt(np.maximum(0.0, 1.0 - luma) / np.pi)
    ink = (np.sqrt(du**2 + dv**2) < radius).astype(np.float32)
    paper = np.array([245, 240, 226], dtype=np.float32)
    printed = _image(paper * (1.0 - 0.92 * ink)[..., None])
    printed = printed.filter(ImageFilter.GaussianBlur(period / 2))
    return printed.resize(
        (max(8, round(w * 0.6)), max(8, round(h * 0.6))), Image.Resampling.BILINEAR
    )


def motion_blur(image: Image.Image, rng: random.Random) -> Image.Image:
    """Camera shake: a straight motion blur 2 % of the longer side long (20 px at 1000 px), at an
    angle of 0-180 degrees at random (OpenCV filter2D with a one-pixel line kernel)."""
    array = np.asarray(image.convert("RGB"))
    length = max(3, round(0.02 * max(image.size)))
    angle = np.radians(rng.uniform(0, 180))
    kernel = np.zeros((length, length), dtype=np.float32)
    centre = (length - 1) / 2
    for t in np.linspace(-centre, centre, 4 * length):
        kernel[round(centre + t * np.sin(angle)), round(centre + t * np.cos(angle))] = 1.0
    kernel /= kernel.sum()
    return Image.fromarray(cv2.filter2D(array, -1, kernel, borderType=cv2.BORDER_REFLECT))


def spotlight_shadow(image: Image.Image, rng: random.Random) -> Image.Image:
    """A gallery spotlight and a shadow: amber light (R x1.15, G x0.95, B x0.70) falling off
    from a point in the upper third (brightness x(1.25 - 0.6 d), d the distance from it as a
    fraction of the diagonal), and the soft shadow of a case edge (x0.5 beyond a straight line
    across a random corner, 4 % soft edge)."""
    array = _array(image)
    h, w = array.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.0, 0.33) * h
    distance = np.hypot(x - cx, y - cy) / np.hypot(w, h)
    light = np.clip(1.25 - 0.6 * distance, 0.3, None)
    corner_x, corner_y = rng.choice((0, 1)), rng.choice((0, 1))
    # Signed distance past the line through (0.45 w, corner) and (corner, 0.45 h).
    fx = np.abs(x / w - corner_x)
    fy = np.abs(y / h - corner_y)
    inside = 0.45 - (fx + fy)
    shadow = 1.0 - 0.5 * np.clip(inside / 0.04 + 0.5, 0.0, 1.0)
    tint = np.array([1.15, 0.95, 0.7], dtype=np.float32)
    return _image(array * (light * shadow)[..., None] * tint)


def _chain(*steps: Transform) -> Transform:
    def combined(image: Image.Image, rng: random.Random) -> Image.Image:
        for step in steps:
            image = step(image, rng)
        return image

    combined.__doc__ = " then ".join(
        (step.__doc__ or step.__name__).strip().split(":")[0].rstrip(".") for step in steps
    )
    return combined


def _half(image: Image.Image, rng: random.Random) -> Image.Image:
    """Half size"""
    w, h = image.size
    return image.resize((max(8, w // 2), max(8, h // 2)), Image.Resampling.BILINEAR)


def _jpeg_phone(image: Image.Image, rng: random.Random) -> Image.Image:
    """JPEG quality 40"""
    return _jpeg(image, 40)


def _small_tilt(image: Image.Image, rng: random.Random) -> Image.Image:
    """Tilt 2-5 degrees (cropped to the largest upright rectangle of the same shape inside)"""
    angle = rng.uniform(2, 5) * rng.choice((-1, 1))
    w, h = image.size
    rad = np.radians(abs(angle))
    keep = 1 / (np.cos(rad) + np.sin(rad) * max(w / h, h / w))
    turned = image.convert("RGB").rotate(angle, Image.Resampling.BICUBIC)
    cw, ch = w * keep, h * keep
    return turned.crop(
        (round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2))
    )


TUNING: dict[str, Transform] = {
    "warm cast": warm_cast,
    "cool cast": cool_cast,
    "grayscale": grayscale,
    "hue +60": hue_60,
    "hue 180": hue_180,
    "perspective": perspective,
    "screen photo": screen_photo,
    "glass reflection": glass_reflection,
    "JPEG q12": jpeg_heavy,
    "1/8 size": eighth,
    "frame": frame,
    "new background": new_background,
    "crop 50%": crop_50,
    # Held out until 30 November 2026 (0.83 then); the pipeline now also tries the mirrored
    # query's keypoints, tuned on this transform, so it is no longer a held-out figure.
    "mirror": mirror,
}
DETAIL: dict[str, Transform] = {"crop 20%": crop_20}
COMBINED: dict[str, Transform] = {
    # A phone in a gallery: warm spotlight, off-axis, another case behind, phone JPEG.
    "phone": _chain(warm_cast, perspective, new_background, _jpeg_phone),
    # A plate in an old catalogue: grayscale, in a frame, small, JPEG.
    "catalogue": _chain(grayscale, frame, eighth, _jpeg_phone),
    # Through a vitrine: cool light, reflection, a slight tilt, half size, JPEG.
    "vitrine": _chain(cool_cast, glass_reflection, _small_tilt, _half, _jpeg_phone),
}
HELD_OUT: dict[str, Transform] = {
    "vignetting": vignette,
    "noise s14": noise,
    "blur": blur,
    "turn 90": turn_90,
    "tilt 10-15": tilt_15,
    "overexposed": overexposed,
    "underexposed": underexposed,
    "green cast": green_cast,
    "sepia print": sepia,
    "faded colour": desaturated,
    # Added 30 November 2026 when mirror moved to TUNING; never tuned on.
    "halftone print": halftone_print,
    "motion blur": motion_blur,
    "spotlight+shadow": spotlight_shadow,
}


def describe_transforms(transforms: dict[str, Transform]) -> list[tuple[str, str]]:
    """(name, one-line description) of each transform, from its docstring."""
    lines = []
    for name, transform in transforms.items():
        doc = (transform.__doc__ or "").strip()
        lines.append((name, " ".join(doc.split())))
    return lines
