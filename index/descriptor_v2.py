"""potbank-descriptor-v2: a global descriptor that does not care about the camera.

What a visitor's photograph changes and how each part of the vector ignores it:

- Light and white balance: colour is described after gray-world normalisation (a cast
  multiplies each channel; dividing by the channel means undoes it), as opponent chromaticity
  (brightness divides out) and as a hue histogram kept only by its Fourier magnitudes (a hue
  rotation shifts it circularly). A photograph without colour (a grayscale scan) has an empty
  colour block, so it is compared by structure alone.
- Structure carries most of the weight, so a grayscale plate or a hue shift still finds its
  original: gradient-orientation histograms on a 1+4+16 cell pyramid (HOG-like, soft-binned, so a
  slight tilt or perspective stays in its bins; gradients divided by their mean, so exposure and
  gamma do not count), rotation-invariant local binary patterns, orientation over rings and an
  8x8 rank-equalised (gamma-free) luminance layout.
- Frame, mat or another ground around the picture: index.segment finds the picture inside them,
  and everything is described inside that box. The object on its ground is segmented too: its
  box adds a lightly weighted second HOG and layout, and its mask weights the colour blocks.
- Crops: v1's ring-pooled, centre-weighted blocks of the gray-world balanced picture ("pooled")
  are orderless, so they still match when a crop has moved what the grids see.

It works on a small image (longest side 192 px) with OpenCV for resampling, colour conversion,
gradients and morphology: about 5-8 ms a photograph on one core.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from index.descriptor import WORK_SIZE as POOLED_SIZE
from index.descriptor import VisualDescriptor, decoded_rgb, lbp_codes
from index.descriptor import _soft_hist as soft_hist
from index.segment import segment

WORK_SIZE = 192
GRID = 96  # the object box is resampled to GRID x GRID for the spatial blocks
_EPS = 1e-6
_ORIENT_BINS = 8
_PYRAMID = (1, 2, 4)
_LAYOUT = 8
# The blurred box's grey levels are [0, 1] ranks of a smoothed image: a slightly higher LBP
# threshold than v1's keeps its noise out of the codes.
_LBP_THRESHOLD = 0.03
# Relative weights of the unit-length blocks: of the picture (inside any frame) and of the
# object's box ("object_"), chosen with bench/eval_visual.py on its tuning transforms.
_WEIGHTS = {
    "hog": 1.0,
    "layout": 1.0,
    "chroma": 0.3,
    "hue": 0.2,
    "rings": 0.6,
    "lbp": 0.6,
    "object_hog": 0.3,
    "object_layout": 0.3,
    "pooled": 1.0,
}
# Below this mean saturation the photograph is taken as having no colour (grayscale).
_GREY_SATURATION = 0.02


def load_rgb(image: Image.Image, size: int = WORK_SIZE) -> np.ndarray:
    """uint8 RGB array, longest side ``size`` (JPEGs decoded at reduced size)."""
    rgb = np.asarray(decoded_rgb(image, size))
    scale = size / max(rgb.shape[:2])
    width = max(8, round(rgb.shape[1] * scale))
    height = max(8, round(rgb.shape[0] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, (width, height), interpolation=interpolation)


def gray_world(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """float32 RGB in which each channel's mean over ``mask`` is the same (casts undone)."""
    pixels = rgb.astype(np.float32) / 255.0
    weights = mask.astype(np.float32)[..., None]
    means = (pixels * weights).sum(axis=(0, 1)) / (weights.sum() + _EPS)
    grey = float(means.mean())
    return pixels * (grey / (means + 1e-3))


def _colour(balanced: np.ndarray, weight: np.ndarray) -> dict[str, np.ndarray]:
    r, g, b = balanced[..., 0], balanced[..., 1], balanced[..., 2]
    intensity = (r + g + b) / 3 + 0.04
    o1 = (r - g) / intensity
    o2 = (r + g - 2 * b) / (2 * intensity)
    chroma = np.zeros(36)
    a = np.clip(o1 * 1.5 + 0.5, 0, 0.999)
    c = np.clip(o2 * 1.5 + 0.5, 0, 0.999)
    # bincount adds the weights in order, as np.add.at did, in a tenth of the time.
    cells = (a * 6).astype(np.int64) * 6 + (c * 6).astype(np.int64)
    chroma += np.bincount(cells.ravel(), weight.ravel(), minlength=36)
    saturation = np.hypot(o1, o2 * 0.9)
    hue = (np.arctan2(o2, o1) / (2 * np.pi)) % 1.0
    hue_hist = soft_hist(hue, 24, weight * np.clip(saturation * 4, 0, 1), circular=True)
    sat_hist = soft_hist(np.clip(saturation * 2, 0, 0.999), 6, weight, circular=False)
    return {
        "chroma": chroma,
        "hue": np.concatenate([np.abs(np.fft.rfft(hue_hist))[:9], sat_hist]),
    }


def _equalised(grey: np.ndarray) -> np.ndarray:
    """Ranks of the grey levels scaled to [0, 1]: unchanged by gamma, contrast or exposure."""
    flat = grey.ravel()
    ranks = np.empty(flat.size, dtype=np.float32)
    ranks[_stable_order(flat)] = np.arange(flat.size, dtype=np.float32)
    return (ranks / max(1, flat.size - 1)).reshape(grey.shape)


def _stable_order(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of float32 values without NaN, six times faster:
    each value's bits made an unsigned key in the same order (sign bit flipped, all bits of a
    negative flipped; -0 made 0 first), its position appended below them, one plain sort."""
    bits = (values.astype(np.float32) + np.float32(0.0)).view(np.uint32)
    keys = bits ^ np.where(bits >> 31, np.uint32(0xFFFFFFFF), np.uint32(0x80000000))
    paired = (keys.astype(np.uint64) << np.uint64(32)) | np.arange(values.size, dtype=np.uint64)
    return (np.sort(paired) & np.uint64(0xFFFFFFFF)).astype(np.intp)


def _hog_pyramid(magnitude: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Orientation histograms over a 1x1, 2x2 and 4x4 grid (each cell soft-binned)."""
    bins = _ORIENT_BINS
    pos = angle / np.pi * bins - 0.5
    left = np.floor(pos)
    frac = (pos - left).astype(np.float32)
    left = left.astype(np.int64) % bins
    right = (left + 1) % bins
    side = magnitude.shape[0]
    finest = max(_PYRAMID)
    cell = (np.arange(side) * finest // side).astype(np.int64)
    cells = (cell[:, None] * finest + cell[None, :]).ravel()
    hist = np.bincount(
        cells * bins + left.ravel(), (magnitude * (1 - frac)).ravel(), minlength=finest**2 * bins
    )
    hist += np.bincount(
        cells * bins + right.ravel(), (magnitude * frac).ravel(), minlength=finest**2 * bins
    )
    fine = hist.reshape(finest, finest, bins)
    levels = []
    for level in _PYRAMID:
        step = finest // level
        pooled = fine.reshape(level, step, level, step, bins).sum(axis=(1, 3)).reshape(-1, bins)
        pooled = np.sqrt(pooled)
        levels.append((pooled / (np.linalg.norm(pooled) + _EPS)).ravel())
    return np.concatenate(levels)


@functools.lru_cache(maxsize=8)
def _rings(height: int, width: int) -> tuple[np.ndarray, ...]:
    """The three concentric rings of ``_structure`` as float32 weights (one size: GRID)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    half = height / 2
    radius = np.hypot(y - half + 0.5, x - half + 0.5) / half
    rings = []
    for lo, hi in ((0.0, 0.45), (0.45, 0.8), (0.8, 1.5)):
        ring = ((radius >= lo) & (radius < hi)).astype(np.float32)
        ring.setflags(write=False)
        rings.append(ring)
    return tuple(rings)


def _structure(grey: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Blocks of the object box's luminance (GRID x GRID, float32 in [0, 1])."""
    blurred = cv2.GaussianBlur(grey, (0, 0), 0.8)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    angle = np.mod(angle, np.pi)
    # Dividing by the local contrast level makes gradients independent of exposure and gamma.
    magnitude = magnitude / (float(np.mean(magnitude)) + _EPS)
    magnitude = np.minimum(magnitude, 4.0)
    hog = _hog_pyramid(magnitude, angle)
    # Orientation over concentric rings, kept by Fourier magnitude: indifferent to rotation.
    rings = []
    for ring in _rings(*grey.shape):
        hist = soft_hist(angle / np.pi, 12, magnitude * ring, circular=True)
        rings.append(np.abs(np.fft.rfft(hist))[:7])
    half_size = cv2.resize(blurred, (GRID // 2, GRID // 2), interpolation=cv2.INTER_AREA)
    lbp = []
    for source in (lbp_codes(blurred, _LBP_THRESHOLD), lbp_codes(half_size, _LBP_THRESHOLD)):
        lbp.append(np.bincount(source.ravel(), minlength=10).astype(np.float64))
    layout = cv2.resize(_equalised(blurred), (_LAYOUT, _LAYOUT), interpolation=cv2.INTER_AREA)
    layout = layout - layout.mean()
    return {
        "hog": hog,
        "rings": np.concatenate(rings),
        "lbp": np.concatenate(lbp),
        "layout": layout.ravel(),
    }


def _unit(vector: np.ndarray, power: bool) -> np.ndarray:
    vector = np.sign(vector) * np.sqrt(np.abs(vector)) if power else vector
    return vector / (np.linalg.norm(vector) + _EPS)


def _colourless(rgb: np.ndarray) -> bool:
    """Whether a uint8 RGB picture has no colour to speak of (a grayscale scan)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # Channel by channel: numpy reduces a last axis of three slowly.
    spread = np.maximum(np.maximum(r, g), b).astype(np.int16) - np.minimum(np.minimum(r, g), b)
    return float(spread.mean()) / 255 < _GREY_SATURATION


def _blocks(box: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """The unit-length blocks of one picture (uint8 RGB) with its object mask."""
    small = cv2.resize(box, (GRID, GRID), interpolation=cv2.INTER_AREA)
    weight = cv2.resize(mask.astype(np.float32), (GRID, GRID), interpolation=cv2.INTER_AREA)
    balanced = gray_world(small, weight)
    colourless = _colourless(small)
    grey = cv2.cvtColor(np.clip(balanced, 0, 1), cv2.COLOR_RGB2GRAY)
    blocks = _structure(grey, weight)
    if colourless:
        blocks.update(chroma=np.zeros(36), hue=np.zeros(15))
    else:
        half = (GRID // 2, GRID // 2)
        blocks.update(
            _colour(
                cv2.resize(balanced, half, interpolation=cv2.INTER_AREA),
                cv2.resize(weight, half, interpolation=cv2.INTER_AREA),
            )
        )
    return {
        name: _unit(block, power=name not in ("hog", "layout")) for name, block in blocks.items()
    }


_POOLED = VisualDescriptor()


def _pooled(picture: np.ndarray) -> np.ndarray:
    """v1's ring-pooled colour, texture and shape blocks of the gray-world balanced picture:
    orderless, so they still match when a crop has moved everything the grids see."""
    scale = POOLED_SIZE / max(picture.shape[:2])
    size = (max(8, round(picture.shape[1] * scale)), max(8, round(picture.shape[0] * scale)))
    small = cv2.resize(picture, size, interpolation=cv2.INTER_AREA)
    balanced = gray_world(small, np.ones(small.shape[:2], dtype=np.uint8))
    return _POOLED._describe(np.clip(balanced, 0, 1).astype(np.float32))


def describe_blocks(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """Blocks of the picture (inside any frame), and (prefixed "object_") of the object's box."""
    seg = segment(rgb)
    x, y, w, h = seg.picture_box
    picture = rgb[y : y + h, x : x + w]
    blocks = _blocks(picture, seg.mask[y : y + h, x : x + w])
    # v1's blocks are mostly colour: a picture without colour leaves them empty, like the others.
    blocks["pooled"] = np.zeros(_POOLED.dim) if _colourless(picture) else _pooled(picture)
    if seg.soft_box != seg.picture_box:
        x, y, w, h = seg.soft_box
        inner = _blocks(rgb[y : y + h, x : x + w], seg.mask[y : y + h, x : x + w])
        blocks.update({f"object_{name}": inner[name] for name in ("hog", "layout")})
    else:
        blocks.update({f"object_{name}": blocks[name] for name in ("hog", "layout")})
    return blocks


def describe(rgb: np.ndarray) -> np.ndarray:
    """The v2 vector of a uint8 RGB array (any size; see load_rgb for the usual one)."""
    return weighted_unit(describe_blocks(rgb), _WEIGHTS)


def weighted_unit(blocks: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The blocks named in ``weights``, each times its weight, joined into one float32 vector
    of unit length."""
    vector = np.concatenate([weight * blocks[name] for name, weight in weights.items()])
    return (vector / (np.linalg.norm(vector) + _EPS)).astype(np.float32)


class VisualDescriptorV2:
    """potbank-descriptor-v2: deterministic, L2-normalised float32 vectors (no weights)."""

    name = "potbank-descriptor-v2"
    # WORK_SIZE (192 px) fits in the 320 px thumbnail, cheaper to decode than the display image.
    derivative = "thumb"
    min_side = 0
    # numpy + OpenCV on one small image: it scales by running in ingest's worker processes.
    portable = True

    def __init__(self) -> None:
        self.dim = int(describe(np.full((32, 48, 3), 128, dtype=np.uint8)).shape[0])

    def embed_image(self, image: Image.Image) -> np.ndarray:
        """Descriptor of one image, shape (dim,)."""
        return describe(load_rgb(image))

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Descriptors of the images, shape (n, dim), float32, each row of unit length."""
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_image(image) for image in images])
