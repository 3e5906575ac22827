"""IIIF Image API 3.0 requests: parsing the four path parameters and rendering the result.

Nothing here knows HTTP: a request is parsed against the photograph's size into an
``ImageRequest`` (or an ``IIIFError`` carrying the status the specification names), rendered from
the original bytes with Pillow, and cached on disk under its canonical parameters.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from archive.imaging import (
    CLOCKWISE,
    EXIF_ORIENTATION,
    SWAPPING_ORIENTATIONS,
    Rendition,
    open_validated,
    to_rgb,
)

# Limits on what one request may produce: they bound the memory and time a request can cost,
# and are published in info.json (maxHeight defaults to maxWidth there).
MAX_WIDTH = 10_000
MAX_AREA = 25_000_000
TILE_SIZE = 512
# The long edge of the thumbnails the manifests point at.
THUMB_EDGE = 320

QUALITIES = ("default", "color", "gray", "bitonal")
FORMATS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
# Formats the specification defines that this server does not produce. Image API 3.0, 4.4: "A
# rotation value that is out of range or unsupported should result in a 400 (Bad Request)
# status code"; an unsupported format is answered the same way (the official validator expects
# 400 for both), and the message names what is offered instead.
UNSUPPORTED_FORMATS = ("tif", "gif", "jp2", "pdf")

_INT = r"\d+"
_FLOAT = r"\d+(?:\.\d+)?"
_REGION_PX = re.compile(rf"^({_INT}),({_INT}),({_INT}),({_INT})$")
_REGION_PCT = re.compile(rf"^pct:({_FLOAT}),({_FLOAT}),({_FLOAT}),({_FLOAT})$")
_SIZE_W = re.compile(rf"^({_INT}),$")
_SIZE_H = re.compile(rf"^,({_INT})$")
_SIZE_WH = re.compile(rf"^(!)?({_INT}),({_INT})$")
_SIZE_PCT = re.compile(rf"^pct:({_FLOAT})$")
_ROTATION = re.compile(rf"^(!)?({_FLOAT})$")
_QUALITY_FORMAT = re.compile(r"^([a-z]+)\.([a-z0-9]+)$")


class IIIFError(Exception):
    """A request the image service refuses, with the HTTP status the specification names."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ImageRequest:
    """A parsed, validated image request in canonical terms (pixels of the full image)."""

    region: tuple[int, int, int, int]
    size: tuple[int, int]
    upscaled: bool
    mirror: bool
    rotation: int
    quality: str
    format: str

    def canonical_path(self, full_width: int, full_height: int) -> str:
        """The canonical ``region/size/rotation/quality.format`` of this request."""
        x, y, w, h = self.region
        region = "full" if (x, y, w, h) == (0, 0, full_width, full_height) else f"{x},{y},{w},{h}"
        size = ("^" if self.upscaled else "") + f"{self.size[0]},{self.size[1]}"
        rotation = ("!" if self.mirror else "") + str(self.rotation)
        return f"{region}/{size}/{rotation}/{self.quality}.{self.format}"

    def cache_name(self) -> str:
        """A file name unique to what this request renders, made only of digits and fixed words."""
        x, y, w, h = self.region
        mirror = "m" if self.mirror else ""
        return (
            f"{x},{y},{w},{h}_{self.size[0]},{self.size[1]}_{mirror}{self.rotation}_"
            f"{self.quality}.{self.format}"
        )

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]


def max_size(width: int, height: int) -> tuple[int, int]:
    """The largest size this service serves of a ``width``×``height`` region, aspect kept."""
    scale = min(1.0, MAX_WIDTH / width, MAX_WIDTH / height, math.sqrt(MAX_AREA / (width * height)))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def whole_image_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """Whole-image sizes by halving, smallest first: what viewers use for a first paint."""
    sizes = []
    edge = max(width, height)
    while edge >= 64 and len(sizes) < 8:
        scale = edge / max(width, height)
        sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
        edge //= 2
    return [size for size in reversed(sizes) if size[0] * size[1] <= MAX_AREA]


def scale_factors(width: int, height: int) -> list[int]:
    """The tile pyramid's scale factors: halving until one tile holds the whole image."""
    factors = [1]
    while max(width, height) / factors[-1] > TILE_SIZE:
        factors.append(factors[-1] * 2)
    return factors


def is_cacheable(request: ImageRequest, width: int, height: int) -> bool:
    """Whether a rendering is one viewers ask for, and so worth keeping on disk.

    Those are the tiles and whole-image sizes info.json advertises, the manifests' thumbnails
    and ``max``, upright JPEGs in the default quality: kept for good. Anything else goes to
    the bounded variation cache (``variation_path``), so no one can fill the disk by asking for
    endless variations.
    """
    if request.rotation or request.mirror or request.format != "jpg":
        return False
    if request.quality not in ("default", "color"):
        return False
    x, y, w, h = request.region
    if (x, y, w, h) == (0, 0, width, height):
        thumb = max_size_within(width, height, THUMB_EDGE)
        return request.size in {*whole_image_sizes(width, height), thumb, max_size(width, height)}
    for factor in scale_factors(width, height):
        span = TILE_SIZE * factor
        if x % span or y % span or w != min(span, width - x) or h != min(span, height - y):
            continue
        if request.size == (math.ceil(w / factor), math.ceil(h / factor)):
            return True
    return False


def max_size_within(width: int, height: int, edge: int) -> tuple[int, int]:
    """The size of the whole image scaled to ``edge`` pixels on its long side (never up)."""
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _fit_within_limits(width: int, height: int) -> tuple[int, int]:
    # ^max: as large as the limits allow, which may be larger than the region.
    scale = min(MAX_WIDTH / width, MAX_WIDTH / height, math.sqrt(MAX_AREA / (width * height)))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


def parse_region(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    """The region parameter as ``(x, y, w, h)`` in pixels, clipped to the image."""
    if text == "full":
        return 0, 0, width, height
    if text == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if match := _REGION_PX.match(text):
        x, y, w, h = (int(value) for value in match.groups())
    elif match := _REGION_PCT.match(text):
        px, py, pw, ph = (float(value) for value in match.groups())
        x, y = math.floor(width * px / 100), math.floor(height * py / 100)
        w, h = round(width * pw / 100), round(height * ph / 100)
    else:
        raise IIIFError(400, f"bad region {text!r}: use full, square, x,y,w,h or pct:x,y,w,h")
    if w <= 0 or h <= 0:
        raise IIIFError(400, "the region has no width or no height")
    if x >= width or y >= height:
        raise IIIFError(400, "the region lies entirely outside the image")
    # A region that runs past the edge is cut at the edge, as the specification asks.
    return x, y, min(w, width - x), min(h, height - y)


def parse_size(text: str, region_width: int, region_height: int) -> tuple[tuple[int, int], bool]:
    """The size parameter as the output ``(w, h)`` and whether it may exceed the region."""
    upscale = text.startswith("^")
    body = text[1:] if upscale else text
    rw, rh = region_width, region_height
    if body == "max":
        size = _fit_within_limits(rw, rh) if upscale else max_size(rw, rh)
    elif match := _SIZE_W.match(body):
        w = int(match.group(1))
        size = (w, round(rh * w / rw))
    elif match := _SIZE_H.match(body):
        h = int(match.group(1))
        size = (round(rw * h / rh), h)
    elif match := _SIZE_PCT.match(body):
        percent = float(match.group(1))
        if percent > 100 and not upscale:
            raise IIIFError(400, "a size above 100% needs the ^ prefix")
        size = (round(rw * percent / 100), round(rh * percent / 100))
    elif match := _SIZE_WH.match(body):
        confined, w, h = match.group(1), int(match.group(2)), int(match.group(3))
        if confined:
            if w == 0 or h == 0:
                raise IIIFError(400, "the size has no width or no height")
            scale = min(w / rw, h / rh)
            if not upscale:
                # Without ^ the best fit is never larger than the region itself.
                scale = min(scale, 1.0)
            size = (max(1, math.floor(rw * scale)), max(1, math.floor(rh * scale)))
        else:
            size = (w, h)
    else:
        raise IIIFError(400, f"bad size {text!r}: use max, w,, ,h, w,h, !w,h or pct:n")
    width, height = size
    if width <= 0 or height <= 0:
        raise IIIFError(400, "the size has no width or no height")
    if not upscale and (width > rw or height > rh):
        raise IIIFError(400, "the size is larger than the region: prefix it with ^ to upscale")
    if width > MAX_WIDTH or height > MAX_WIDTH or width * height > MAX_AREA:
        raise IIIFError(
            400, f"the size exceeds this service's limits ({MAX_WIDTH} px, {MAX_AREA} px²)"
        )
    return size, upscale


def parse_rotation(text: str) -> tuple[bool, int]:
    """The rotation parameter as (mirror first, clockwise degrees in 0/90/180/270)."""
    match = _ROTATION.match(text)
    if not match:
        raise IIIFError(400, f"bad rotation {text!r}: use 0, 90, 180 or 270, optionally after !")
    degrees = float(match.group(2))
    if degrees > 360:
        raise IIIFError(400, "the rotation must be between 0 and 360")
    if degrees % 90:
        raise IIIFError(400, "only rotations by multiples of 90 degrees are supported")
    return bool(match.group(1)), int(degrees) % 360


def parse_quality_format(text: str) -> tuple[str, str]:
    """The ``quality.format`` parameter."""
    match = _QUALITY_FORMAT.match(text)
    if not match:
        raise IIIFError(400, f"bad quality and format {text!r}: use e.g. default.jpg")
    quality, fmt = match.groups()
    if quality not in QUALITIES:
        raise IIIFError(400, f"unknown quality {quality!r}: use one of {', '.join(QUALITIES)}")
    if fmt in UNSUPPORTED_FORMATS:
        raise IIIFError(400, f"the {fmt} format is not supported here: use jpg, png or webp")
    if fmt not in FORMATS:
        raise IIIFError(400, f"unknown format {fmt!r}: use jpg, png or webp")
    return quality, fmt


def parse_request(
    region: str, size: str, rotation: str, quality_format: str, width: int, height: int
) -> ImageRequest:
    """Parse the four parameters of an image request for a ``width``×``height`` image."""
    x, y, w, h = parse_region(region, width, height)
    output, upscaled = parse_size(size, w, h)
    mirror, degrees = parse_rotation(rotation)
    quality, fmt = parse_quality_format(quality_format)
    return ImageRequest((x, y, w, h), output, upscaled, mirror, degrees, quality, fmt)


def render(
    data: bytes,
    request: ImageRequest,
    width: int,
    height: int,
    max_pixels: int,
    rendition: Rendition | None = None,
) -> bytes:
    """Render ``request`` from the original image bytes turned and cropped as ``rendition``
    says (as contributed without one); ``width``×``height`` is its size as shown.

    The order is the specification's: region, size, mirror, rotation, quality, format.
    """
    rendition = rendition or Rendition()
    image = open_validated(data, max_pixels)
    x, y, w, h = request.region
    out_w, out_h = request.size
    swapped = image.getexif().get(EXIF_ORIENTATION, 1) in SWAPPING_ORIENTATIONS
    upright = image.size[::-1] if swapped else image.size
    if image.format == "JPEG":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale almost for free; ask for the smallest
        # decode of the whole (turned) photograph that still holds the region at the output
        # size, then name it in the file's own orientation.
        turned_w, turned_h = rendition.turned_size(upright)
        need = (math.ceil(turned_w * out_w / w), math.ceil(turned_h * out_h / h))
        if rendition.rotation in (90, 270):
            need = need[::-1]
        if swapped:
            need = need[::-1]
        image.draft("RGB", need)
    image.load()
    image = ImageOps.exif_transpose(image)
    image = rendition.apply(to_rgb(image, keep_grey=True), upright)
    # The decoded image may be smaller than the photograph (draft): scale the region to it.
    sx, sy = image.width / width, image.height / height
    box = (x * sx, y * sy, (x + w) * sx, (y + h) * sy)
    result = image.resize((out_w, out_h), Image.Resampling.LANCZOS, box=box)
    if request.mirror:
        result = ImageOps.mirror(result)
    if request.rotation:
        result = result.transpose(CLOCKWISE[request.rotation])
    if request.quality == "gray":
        result = result.convert("L")
    elif request.quality == "bitonal":
        result = result.convert("1")
        if request.format == "jpg":
            result = result.convert("L")
    return _encode(result, request.format)


def _encode(image: Image.Image, fmt: str) -> bytes:
    # No EXIF is carried over, so camera and GPS metadata never leave the store this way.
    buffer = io.BytesIO()
    if fmt == "jpg":
        image.save(buffer, "JPEG", quality=85, progressive=True)
    elif fmt == "png":
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "WEBP", quality=82)
    return buffer.getvalue()


def cache_path(cache_root: Path, sha256: str, request: ImageRequest) -> Path:
    """Where the rendering of ``request`` for the image ``sha256`` is cached.

    ``sha256`` must already be a verified hex digest: it and the canonical numbers are the only
    parts of the path, so no URL can name a file outside the cache.
    """
    return cache_root / sha256[:2] / sha256[2:4] / sha256 / request.cache_name()


def variation_path(folder: Path, sha256: str, request: ImageRequest) -> Path:
    """Where a rendering of a size not advertised is kept: one flat, bounded folder.

    As in ``cache_path``, only the verified digest and the canonical numbers name the file.
    """
    return folder / f"{sha256}_{request.cache_name()}"
