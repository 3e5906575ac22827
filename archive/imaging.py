"""Image validation by content, orientation, derivatives and perceptual hashing (Pillow only)."""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats we accept, by what Pillow finds in the bytes, never by file name or MIME type.
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "TIFF": "tif"}
DERIVATIVE_SIZES = {"display": 1200, "thumb": 320}
# A photograph searched with is decoded no larger than needed to show it and describe it.
QUERY_LONGEST_EDGE = 1200
# Modes ``Image.reduce`` works on; any other is made RGB first.
_REDUCIBLE_MODES = frozenset({"L", "LA", "RGB", "RGBA", "PA", "I", "F", "CMYK", "YCbCr"})


# Quarter turns a curator may give a photograph, clockwise.
ROTATIONS = (0, 90, 180, 270)
# Pillow's transpose constants turn anticlockwise; ours (and IIIF's) turn clockwise.
CLOCKWISE = {
    90: Image.Transpose.ROTATE_270,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}

Box = tuple[int, int, int, int]


class ImageRejected(ValueError):
    """An upload that is not an image we accept; the message says why."""


@dataclass(frozen=True)
class ProcessedImage:
    """What one decode of an image yields: its facts and its derivatives as JPEG bytes."""

    format: str
    extension: str
    width: int
    height: int
    phash: str
    derivatives: dict[str, bytes]
    # The dHash of each of the photograph's eight orientations (see ``orientation_hashes``).
    orientations: tuple[str, ...] = ()


def open_validated(data: bytes, max_pixels: int) -> Image.Image:
    """Open ``data`` as an accepted image format within ``max_pixels``, or raise ImageRejected."""
    if not data:
        raise ImageRejected("the file is empty")
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below replaces Pillow's fixed one, so its warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageRejected("not an image: the content is not JPEG, PNG, WebP or TIFF") from None
    except Image.DecompressionBombError as error:
        raise ImageRejected(f"image too large: {error}") from None
    if image.format not in ACCEPTED_FORMATS:
        raise ImageRejected(f"unsupported image format {image.format}: use JPEG, PNG, WebP or TIFF")
    width, height = image.size
    # Checked from the header, before any pixel is decoded: a guard against decompression bombs.
    if width * height > max_pixels:
        raise ImageRejected(
            f"image too large: {width}×{height} pixels exceeds the limit of {max_pixels:,}"
        )
    if width < 1 or height < 1:
        raise ImageRejected("image has no pixels")
    return image


# EXIF orientations that turn the camera's picture a quarter turn (width and height swap).
SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
EXIF_ORIENTATION = 0x0112


def upright_size(data: bytes, max_pixels: int) -> tuple[int, int]:
    """The size of a photograph as seen (its EXIF orientation applied), from its header alone."""
    image = open_validated(data, max_pixels)
    if image.getexif().get(EXIF_ORIENTATION, 1) in SWAPPING_ORIENTATIONS:
        return image.height, image.width
    return image.width, image.height


def process_image(
    data: bytes, max_pixels: int, rendition: Rendition | None = None
) -> ProcessedImage:
    """Validate, decode once, orient, and make the derivatives and the perceptual hash; with a
    ``rendition``, of the photograph turned and cropped as it says (its size is the shown one)."""
    rendition = rendition or Rendition()
    image = open_validated(data, max_pixels)
    source_format = image.format or ""
    width, height = image.size
    largest = DERIVATIVE_SIZES["display"]
    if source_format == "JPEG":
        # libjpeg decodes at a reduced scale: much faster, and nothing below display size is
        # lost (a crop keeps a part: that part must still fill the display size).
        needed = round(largest * rendition.enlargement(width, height))
        image.draft("RGB", (needed, needed))
    try:
        image.load()
        decoded_size = image.size
        # In place: without an orientation to apply, a copy would be made for nothing.
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRejected(f"the image is damaged or truncated ({error})") from None
    if image.size == decoded_size[::-1] and image.size != decoded_size:
        # EXIF said the camera was turned: report the size as the photograph is seen.
        width, height = height, width
    oriented = rendition.apply(to_rgb(image), (width, height))
    display = _shrink(oriented, largest)
    thumb = _shrink(display, DERIVATIVE_SIZES["thumb"])
    shown_width, shown_height = rendition.shown_size((width, height))
    orientations = orientation_hashes(thumb)  # the first is the photograph's own dHash
    return ProcessedImage(
        format=source_format,
        extension=ACCEPTED_FORMATS[source_format],
        width=shown_width,
        height=shown_height,
        phash=orientations[0],
        derivatives={"display": jpeg_bytes(display), "thumb": jpeg_bytes(thumb)},
        orientations=orientations,
    )


def open_query_image(
    data: bytes, max_pixels: int, longest_edge: int = QUERY_LONGEST_EDGE
) -> Image.Image:
    """A photograph to search with, in RGB, upright, its longest edge at most ``longest_edge``
    (raises ``ImageRejected`` when it is not an image, is damaged or truncated, or is too large).

    A query is only ever looked at small, so it is decoded small: a JPEG at libjpeg's reduced
    scale (``draft``), whose decoded size must be within ``max_pixels``; other formats whole,
    so their own size must be, and then reduced by whole factors before anything else is made
    from them. The memory a query costs is bounded by ``max_pixels``, not by the upload.
    """
    # libjpeg's smallest scale is 1/8 a side: a JPEG up to 64 times the limit may decode within it.
    image = open_validated(data, max(max_pixels, 1) * 64)
    if image.format == "JPEG":
        image.draft("RGB", (longest_edge, longest_edge))
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"image too large to search with: {width}×{height} pixels exceeds the limit of "
            f"{max_pixels:,}"
        )
    try:
        image.load()
        if image.mode not in _REDUCIBLE_MODES:
            image = to_rgb(image)
        factor = max(image.size) // longest_edge
        if factor > 1:
            image = image.reduce(factor)
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRejected(f"the image is damaged or truncated ({error})") from None
    return _shrink(to_rgb(image), longest_edge)


def decode_derivative(source: bytes | Path, min_side: int = 0) -> Image.Image:
    """A derivative's pixels, from its JPEG bytes or its file in the store; with ``min_side``,
    decoded at the smallest of libjpeg's scales (1/2, 1/4, 1/8) that keeps both sides at least
    that long (CLIP shrinks the shorter side to 224 px anyway: far less to decode and resize).

    Embedders work from these, at ingest and at rebuild alike, so both give the same vectors.
    """
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        if min_side:
            image.draft("RGB", (min_side, min_side))
        return image.convert("RGB")


def to_rgb(image: Image.Image, *, keep_grey: bool = False) -> Image.Image:
    """``image`` in RGB (or left in L when ``keep_grey``), transparency flattened onto white."""
    if image.mode == "RGB" or (keep_grey and image.mode == "L"):
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Flatten transparency onto white, as a museum photograph would be shown.
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _shrink(image: Image.Image, longest_edge: int) -> Image.Image:
    if max(image.size) <= longest_edge:
        return image
    scale = longest_edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # A box reduction first, then Lanczos over the last factor of 1.5: half the time of
    # Lanczos all the way, and no visible difference at thumbnail and display sizes.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.5)


def jpeg_bytes(image: Image.Image) -> bytes:
    """``image`` as a baseline JPEG at quality 85, without EXIF."""
    # Derivatives carry no EXIF, so GPS and other personal metadata never leave the store.
    # Baseline JPEG: progressive encoding took four times as long for files only 5 % smaller,
    # and ingest makes two derivatives of every photograph.
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def difference_hash(image: Image.Image, hash_size: int = 8) -> str:
    """A 64-bit difference hash (dHash), 16 hex digits: near-identical images differ in few bits."""
    small = image.convert("L").resize((hash_size + 1, hash_size), Image.Resampling.LANCZOS)
    return _hash_bits(np.asarray(small, dtype=np.int16))


def _hash_bits(pixels: np.ndarray) -> str:
    """The dHash of a (size, size + 1) grid: each pixel brighter than its right-hand neighbour."""
    bits = 0
    for brighter in (pixels[:, :-1] > pixels[:, 1:]).flatten():
        bits = (bits << 1) | int(brighter)
    return f"{bits:0{pixels.shape[0] * (pixels.shape[1] - 1) // 4}x}"


# The eight orientations of a photograph (the dihedral group of the square), each named by how
# a copy in that orientation differs from the original, with the turn that brings it back.
# The first is the identity, so ``orientation_hashes(image)[0] == difference_hash(image)``.
ORIENTATIONS: tuple[tuple[str, Image.Transpose | None], ...] = (
    ("same", None),
    ("turned-90-clockwise", Image.Transpose.ROTATE_90),  # PIL turns anticlockwise
    ("turned-180", Image.Transpose.ROTATE_180),
    ("turned-90-anticlockwise", Image.Transpose.ROTATE_270),
    # Each mirror is its own inverse.
    ("mirrored", Image.Transpose.FLIP_LEFT_RIGHT),
    ("upside-down", Image.Transpose.FLIP_TOP_BOTTOM),
    ("mirrored-diagonally", Image.Transpose.TRANSPOSE),
    ("mirrored-antidiagonally", Image.Transpose.TRANSVERSE),
)

# How a copy in each orientation is described to people (translated by the web app).
ORIENTATION_LABELS = {
    "same": "as it is",
    "turned-90-clockwise": "turned 90° clockwise",
    "turned-180": "turned 180°",
    "turned-90-anticlockwise": "turned 90° anticlockwise",
    "mirrored": "mirrored",
    "upside-down": "mirrored upside down",
    "mirrored-diagonally": "mirrored along a diagonal",
    "mirrored-antidiagonally": "mirrored along the other diagonal",
}


def orientation_hashes(image: Image.Image) -> tuple[str, ...]:
    """The dHash of ``image`` brought back from each of ``ORIENTATIONS``, in that order.

    A difference hash compares neighbours along rows, so a photograph turned a quarter shares
    nothing with the original's hash and must be hashed again: a copy that was turned or
    mirrored is found by comparing each of these with the hashes in the catalogue (all taken of
    photographs as they were uploaded). Hashed from the thumbnail, as ``ProcessedImage.phash``.
    """
    grey = image.convert("L")
    # Two reductions, not eight: each orientation's 9 x 8 grid is the 9 x 8 (or, for those that
    # swap the axes, the 8 x 9) reduction of the photograph as it is, turned or mirrored. Turning
    # a 320 px thumbnail and reducing it again for each orientation was a fifth of the CPU of
    # storing a photograph at ingest. The first is exactly ``difference_hash(image)``; the
    # others can differ from hashing a turned copy by a bit or two (Lanczos rounds between its
    # horizontal and vertical passes), well within the distance at which copies are matched.
    wide = np.asarray(grey.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    tall = np.asarray(grey.resize((8, 9), Image.Resampling.LANCZOS), dtype=np.int16)
    grids = {
        None: wide,
        Image.Transpose.ROTATE_90: np.rot90(tall, 1),
        Image.Transpose.ROTATE_180: wide[::-1, ::-1],
        Image.Transpose.ROTATE_270: np.rot90(tall, -1),
        Image.Transpose.FLIP_LEFT_RIGHT: wide[:, ::-1],
        Image.Transpose.FLIP_TOP_BOTTOM: wide[::-1],
        Image.Transpose.TRANSPOSE: tall.T,
        Image.Transpose.TRANSVERSE: tall.T[::-1, ::-1],
    }
    return tuple(_hash_bits(grids[turn]) for _, turn in ORIENTATIONS)


def hash_distance(first: str, second: str) -> int:
    """Hamming distance between two hex perceptual hashes."""
    return bin(int(first, 16) ^ int(second, 16)).count("1")


@dataclass(frozen=True)
class Rendition:
    """How a photograph is shown: upright (EXIF applied), turned clockwise by ``rotation`` and
    cut to ``crop`` (x, y, width, height in pixels of the turned photograph; None: whole).

    Why recorded, not applied to the file: the contributed bytes stay untouched in the
    content-addressed store (their SHA-256 is the photograph's identity, which ingest re-runs,
    duplicate checks and harvesting partners rely on), so a turn or a crop is lossless and
    undone by recording another. A true lossless JPEG transpose (jpegtran) would give new bytes,
    a new digest and a second original for the same photograph, only for JPEGs and only for
    whole 8×8 blocks, and Pillow (our only imaging library) cannot do it; every derivative is
    re-encoded from the original anyway, so nothing is gained in what visitors see.
    """

    rotation: int = 0
    crop: Box | None = None

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(
                f"a photograph turns by 0, 90, 180 or 270 degrees, not {self.rotation}"
            )
        if self.crop is not None and (self.crop[2] < 1 or self.crop[3] < 1 or min(self.crop) < 0):
            raise ValueError("a crop needs a positive width and height inside the photograph")

    @classmethod
    def stored(cls, rotation: int | None, crop: str | None) -> Rendition:
        """The rendition a photograph's ``rotation`` and ``crop`` columns record."""
        return cls(rotation or 0, parse_box(crop) if crop else None)

    @property
    def identity(self) -> bool:
        """Whether the photograph is shown as contributed."""
        return self.rotation == 0 and self.crop is None

    @property
    def crop_text(self) -> str | None:
        return None if self.crop is None else ",".join(str(value) for value in self.crop)

    def key(self, sha256: str) -> str:
        """The name of this rendition's derivatives: content-addressed like the original (the
        same photograph turned and cropped alike has the same key everywhere, so its URLs may
        be cached forever), and the original's own digest when shown as contributed."""
        if self.identity:
            return sha256
        recipe = f"{sha256}/rotate={self.rotation}/crop={self.crop_text or 'full'}"
        return hashlib.sha256(recipe.encode("ascii")).hexdigest()

    def turned_size(self, upright: tuple[int, int]) -> tuple[int, int]:
        """The size of the whole photograph once turned."""
        return upright[::-1] if self.rotation in (90, 270) else upright

    def shown_size(self, upright: tuple[int, int]) -> tuple[int, int]:
        """The size of the photograph as shown: turned, then cropped."""
        return self.crop[2:] if self.crop is not None else self.turned_size(upright)

    def enlargement(self, width: int, height: int) -> float:
        """How much larger than the shown part the whole photograph is (1 without a crop):
        a reduced-scale decode must be this much larger to keep the crop sharp."""
        if self.crop is None:
            return 1.0
        return max(max(width, height) / max(self.crop[2], self.crop[3]), 1.0)

    def checked(self, upright: tuple[int, int]) -> Rendition:
        """This rendition, refused (ValueError) when its crop is outside the turned photograph."""
        if self.crop is not None:
            width, height = self.turned_size(upright)
            x, y, w, h = self.crop
            if x + w > width or y + h > height:
                raise ValueError(
                    f"the crop {self.crop_text} is not inside the {width}×{height} photograph"
                )
            if (x, y, w, h) == (0, 0, width, height):
                return replace(self, crop=None)  # the whole photograph: no crop at all
        return self

    def apply(self, image: Image.Image, upright: tuple[int, int]) -> Image.Image:
        """Turn and crop ``image`` (the upright photograph, decoded at any scale; ``upright`` is
        its full size)."""
        if self.rotation:
            image = image.transpose(CLOCKWISE[self.rotation])
        if self.crop is None:
            return image
        full_width, _ = self.turned_size(upright)
        scale = image.width / full_width
        x, y, w, h = self.crop
        box = (
            math.floor(x * scale),
            math.floor(y * scale),
            max(math.floor(x * scale) + 1, math.ceil((x + w) * scale)),
            max(math.floor(y * scale) + 1, math.ceil((y + h) * scale)),
        )
        return image.crop(box)

    def turned(self, quarter: int, upright: tuple[int, int]) -> Rendition:
        """This rendition turned ``quarter`` degrees further clockwise; a crop turns with the
        photograph, so it still frames the same part of the object."""
        crop = self.crop
        size = self.turned_size(upright)
        for _ in range((quarter % 360) // 90):
            if crop is not None:
                crop = turn_box(crop, size)
            size = size[::-1]
        return Rendition((self.rotation + quarter) % 360, crop)

    def box_to_upright(self, box: Box, upright: tuple[int, int]) -> Box:
        """A box in pixels of the shown photograph, in pixels of the upright one."""
        x, y, w, h = box
        if self.crop is not None:
            x, y = x + self.crop[0], y + self.crop[1]
        turned_back = Rendition((360 - self.rotation) % 360)
        return turned_back.box_after_turn((x, y, w, h), self.turned_size(upright))

    def box_after_turn(self, box: Box, size: tuple[int, int]) -> Box:
        """``box`` in a photograph of ``size`` turned by this rendition's rotation."""
        for _ in range(self.rotation // 90):
            box = turn_box(box, size)
            size = size[::-1]
        return box

    def box_from_upright(self, box: Box, upright: tuple[int, int]) -> Box | None:
        """A box in pixels of the upright photograph, in pixels of the shown one: clipped to
        the crop, None when the crop leaves none of it."""
        x, y, w, h = self.box_after_turn(box, upright)
        if self.crop is None:
            return x, y, w, h
        cx, cy, cw, ch = self.crop
        left, top = max(x, cx), max(y, cy)
        right, bottom = min(x + w, cx + cw), min(y + h, cy + ch)
        if right <= left or bottom <= top:
            return None
        return left - cx, top - cy, right - left, bottom - top


def turn_box(box: Box, size: tuple[int, int]) -> Box:
    """``box`` (x, y, w, h) in a photograph of ``size`` once it is turned 90° clockwise."""
    x, y, w, h = box
    return size[1] - y - h, x, h, w


def parse_box(text: str) -> Box:
    """ "x,y,w,h" as four whole numbers (ValueError when it is not)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError(f"not a region x,y,w,h: {text!r}")
    x, y, w, h = (int(part.strip()) for part in parts)
    return x, y, w, h
