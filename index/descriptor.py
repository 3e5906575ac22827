"""A built-in image descriptor that needs no downloaded weights (numpy + Pillow only).

It describes a photograph by colour, texture and shape so that search by image works offline. It
is built to be unchanged by what happens to a photo between a museum file and a visitor's upload:
cropping, resizing, JPEG compression, a slight tilt, brighter or darker exposure and a quarter turn.
Hence every block is pooled over concentric rings (a quarter turn or a tilt leaves rings as they
are), weighted towards the centre (a crop removes the border), made of brightness-invariant
quantities (hue, saturation, local binary patterns, normalised gradients) and the orientation
histograms keep only their Fourier magnitudes (a rotation shifts them circularly).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageOps

WORK_SIZE = 160
_EPS = 1e-6
# Relative weights of the blocks after each is L2-normalised (tuned on 89 museum photographs).
_WEIGHTS = {
    "hue_sat": 1.3,
    "grey": 0.5,
    "chroma": 1.0,
    "orient": 1.0,
    "gmag": 0.8,
    "lbp": 1.0,
    "shape": 0.4,
}
_RINGS = (0.0, 0.35, 0.7, 1.5)
_RING_COUNT = len(_RINGS) - 1
_HUE_BINS, _SAT_BINS, _GREY_BINS = 12, 3, 4
_ORIENT_BINS = 12


def decoded_rgb(image: Image.Image, size: int) -> Image.Image:
    """``image`` upright (EXIF orientation) in RGB, a JPEG decoded at the smallest reduced
    scale that keeps its longest side at least twice ``size``."""
    if image.format == "JPEG":
        # draft() makes libjpeg decode at 1/2, 1/4 or 1/8 scale: far less work for big photos.
        image.draft("RGB", (size * 2, size * 2))
    image = ImageOps.exif_transpose(image) if image.getexif() else image
    if image.mode != "RGB":
        image = (
            image.convert("RGBA").convert("RGB")
            if "A" in image.mode or image.mode == "P"
            else image.convert("RGB")
        )
    return image


def _load(image: Image.Image) -> np.ndarray:
    """RGB float array in [0, 1], longest side WORK_SIZE (JPEGs are decoded at reduced size)."""
    image = decoded_rgb(image, WORK_SIZE)
    scale = WORK_SIZE / max(image.size)
    size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
    image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(image, dtype=np.float32) / 255.0


@functools.lru_cache(maxsize=64)
def _ring_masks(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's concentric ring (radius 1 = the inscribed ellipse; -1 outside them all)
    and a centre weighting; thumbnails come in a few sizes, so they are made once a size."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = np.hypot((y - (height - 1) / 2) / (height / 2), (x - (width - 1) / 2) / (width / 2))
    ring = np.full((height, width), -1, dtype=np.int64)
    for number, (lo, hi) in enumerate(itertools.pairwise(_RINGS)):
        ring[(radius >= lo) & (radius < hi)] = number
    centre = np.exp(-(radius**2) / (2 * 0.4**2)).astype(np.float32)
    ring.setflags(write=False)
    centre.setflags(write=False)
    return ring, centre


@functools.lru_cache(maxsize=64)
def _ring_weights(height: int, width: int) -> tuple[tuple[np.ndarray, np.float32], ...]:
    """Each ring's pixels as float32 weights (1 inside, 0 elsewhere) with their sum, per size."""
    ring, _ = _ring_masks(height, width)
    weights = []
    for number in range(_RING_COUNT):
        mask = (ring == number).astype(np.float32)
        mask.setflags(write=False)
        weights.append((mask, mask.sum()))
    return tuple(weights)


def _hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Channel by channel: numpy reduces a last axis of three slowly (same values).
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = np.maximum(np.maximum(r, g), b)
    low = np.minimum(np.minimum(r, g), b)
    delta = value - low
    sat = np.where(value > _EPS, delta / (value + _EPS), 0.0)
    safe = np.where(delta > _EPS, delta, 1.0)
    # Where red is the largest, |g - b| <= delta, so (g - b) / safe lies in [-1, 1]: "% 6.0"
    # only adds 6 to a negative one, and the hue lies in [0, 1], so "% 1.0" only turns 1 into
    # 0 and -0 into 0 (the "+ 0.0"). numpy's floating-point remainder is slow; these give the
    # same float32 values.
    reds = (g - b) / safe
    hue = (
        np.where(
            value == r,
            np.where(reds < 0, reds + 6.0, reds),
            np.where(value == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
        )
        / 6.0
    )
    return np.where(hue >= 1.0, hue - 1.0, hue) + 0.0, sat, value


def _soft_bins(
    values: np.ndarray, bins: int, circular: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each value's two neighbouring bins (of ``bins`` over 0..1) and its share of the right one:
    the linear interpolation of a soft histogram."""
    pos = values * bins - 0.5
    left = np.floor(pos)
    frac = pos - left
    left = left.astype(np.int64)
    right = left + 1
    if circular:
        # numpy's integer division is slow: values in [0, 1] (all of ours) put ``left`` in
        # [-1, bins], where "% bins" is a comparison, and so is "(left + 1) % bins" after it.
        if left.size and -bins <= left.min() and left.max() < 2 * bins:
            left = np.where(left < 0, left + bins, np.where(left >= bins, left - bins, left))
        else:
            left = left % bins
        right = left + 1
        right[right == bins] = 0
    else:
        left, right = np.clip(left, 0, bins - 1), np.clip(right, 0, bins - 1)
    return left, right, frac


def _soft_hist(values: np.ndarray, bins: int, weights: np.ndarray, circular: bool) -> np.ndarray:
    """Histogram with linear interpolation between neighbouring bins (robust to small shifts)."""
    left, right, frac = _soft_bins(values, bins, circular)
    hist = np.bincount(left.ravel(), (weights * (1 - frac)).ravel(), minlength=bins)
    hist += np.bincount(right.ravel(), (weights * frac).ravel(), minlength=bins)
    return hist[:bins]


def _ring_hists(
    values: np.ndarray,
    bins: int,
    weights: np.ndarray,
    groups: np.ndarray,
    circular: bool,
    count: int = _RING_COUNT,
) -> np.ndarray:
    """``_soft_hist`` of ``count`` groups (the rings) at once: row ``g`` is the histogram of
    the pixels whose ``groups`` entry is ``g`` (group -1 counts nowhere). The sums are the
    same, in the same order, as one ``_soft_hist`` a ring with the other pixels weighted 0."""
    left, right, frac = _soft_bins(values, bins, circular)
    # Pixels of group -1 are counted in an extra group, then dropped: each bin receives the
    # same values in the same order as from the pixels picked out by a mask, without copying
    # five arrays through that mask.
    offset = (np.where(groups < 0, count, groups) * bins).ravel()
    size = (count + 1) * bins
    hist = np.bincount(offset + left.ravel(), (weights * (1 - frac)).ravel(), minlength=size)
    hist += np.bincount(offset + right.ravel(), (weights * frac).ravel(), minlength=size)
    return hist[: count * bins].reshape(count, bins)


def _colour(rgb: np.ndarray, ring: np.ndarray, centre: np.ndarray) -> dict[str, np.ndarray]:
    hue, sat, value = _hsv(rgb)
    # Colourful pixels vote by hue × saturation, greys by lightness; dark pixels carry no hue.
    colourful = np.clip((sat - 0.12) / 0.15, 0, 1) * np.clip((value - 0.12) / 0.15, 0, 1)
    lab_a = rgb[..., 0] - rgb[..., 1]
    lab_b = (rgb[..., 0] + rgb[..., 1]) / 2 - rgb[..., 2]
    norm = value + 0.05
    chroma_a = np.clip(lab_a / norm * 0.5 + 0.5, 0, 1)
    chroma_b = np.clip(lab_b / norm * 0.5 + 0.5, 0, 1)
    # Per ring: a hue histogram for each saturation band, then lightness, then chroma.
    sat_pos = np.clip(sat * _SAT_BINS, 0, _SAT_BINS - 1e-3).astype(np.int64)
    hue_sat = _ring_hists(
        hue,
        _HUE_BINS,
        centre * colourful,
        np.where(ring >= 0, ring * _SAT_BINS + sat_pos, -1),
        circular=True,
        count=_RING_COUNT * _SAT_BINS,
    )
    grey = _ring_hists(value, _GREY_BINS, centre * (1 - colourful), ring, circular=False)
    ab = np.clip(chroma_a * 6, 0, 5.999).astype(np.int64) * 6 + np.clip(
        chroma_b * 6, 0, 5.999
    ).astype(np.int64)
    inside = (ring >= 0).ravel()
    chroma = np.bincount(
        (ring * 36 + ab).ravel()[inside], centre.ravel()[inside], minlength=_RING_COUNT * 36
    )
    return {"hue_sat": hue_sat.ravel(), "grey": grey.ravel(), "chroma": chroma}


def _gradients(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gy = np.zeros_like(grey)
    gx = np.zeros_like(grey)
    gy[1:-1] = grey[2:] - grey[:-2]
    gx[:, 1:-1] = grey[:, 2:] - grey[:, :-2]
    # arctan2 lies in [-pi, pi] (pi rounded to float32): "% pi" adds pi to a negative angle,
    # takes pi to 0 and -0 to 0 (the "+ 0.0"); numpy's floating-point remainder is slow.
    angle = np.arctan2(gy, gx)
    half_turn = np.float32(np.pi)
    angle = np.where(angle < 0, angle + half_turn, np.where(angle >= half_turn, 0.0, angle))
    return np.hypot(gx, gy), angle + 0.0


def lbp_codes(grey: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """Rotation-invariant uniform local binary pattern codes (0..9) of the interior pixels: the
    number of neighbours at least ``threshold`` brighter than the centre for a uniform pattern
    (at most two bit changes around the circle), 9 for any other."""
    centre = grey[1:-1, 1:-1] + threshold
    h, w = grey.shape
    offsets = [(0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1)]
    bits = [grey[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] >= centre for dy, dx in offsets]
    # Counted in uint8, neighbour by neighbour: stacking the eight and summing over a short
    # first axis took three times as long.
    ones = np.zeros(centre.shape, dtype=np.uint8)
    transitions = np.zeros(centre.shape, dtype=np.uint8)
    for bit, following in zip(bits, bits[1:] + bits[:1], strict=True):
        ones += bit
        transitions += bit != following
    return np.where(transitions <= 2, ones, 9).astype(np.int64)


def _texture(rgb: np.ndarray, ring: np.ndarray, centre: np.ndarray) -> dict[str, np.ndarray]:
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    # Dividing by mean brightness makes gradient strength independent of exposure.
    grey = grey / (float((grey * centre).sum() / centre.sum()) + 0.05)
    orient, gmag, lbp = [], [], []
    for scale in (1, 2):
        g = grey if scale == 1 else grey[: grey.shape[0] // 2 * 2, : grey.shape[1] // 2 * 2]
        if scale == 2:
            g = g.reshape(g.shape[0] // 2, 2, g.shape[1] // 2, 2).mean(axis=(1, 3))
        magnitude, angle = _gradients(g)
        codes = lbp_codes(g)
        rings = ring[::scale, ::scale][: g.shape[0], : g.shape[1]]
        weight = centre[::scale, ::scale][: g.shape[0], : g.shape[1]]
        hists = _ring_hists(angle / np.pi, _ORIENT_BINS, magnitude * weight, rings, True)
        # Fourier magnitudes of a circular histogram do not change when it is shifted.
        spectra = np.abs(np.fft.rfft(hists, axis=1))[:, : _ORIENT_BINS // 2 + 1]
        levels = np.clip(np.log2(magnitude * 40 + 1) / 4.5, 0, 1)
        levels_hists = _ring_hists(levels, 8, weight, rings, circular=False)
        inner, inner_weight = rings[1:-1, 1:-1].ravel(), weight[1:-1, 1:-1].ravel()
        inside = inner >= 0
        codes_hists = np.bincount(
            inner[inside] * 10 + codes.ravel()[inside],
            inner_weight[inside],
            minlength=_RING_COUNT * 10,
        ).reshape(_RING_COUNT, 10)
        orient.extend(spectra)
        gmag.extend(levels_hists)
        lbp.extend(codes_hists)
    return {
        "orient": np.concatenate(orient),
        "gmag": np.concatenate(gmag),
        "lbp": np.concatenate(lbp),
    }


def _shape(rgb: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Object silhouette statistics: area, elongation and radial profile of the foreground."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    difference = np.abs(rgb - background)
    distance = difference[..., 0] + difference[..., 1] + difference[..., 2]
    foreground = np.clip((distance - 0.12) / 0.15, 0, 1)
    area = foreground.mean()
    y, x = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]].astype(np.float32)
    total = foreground.sum() + _EPS
    my, mx = (foreground * y).sum() / total, (foreground * x).sum() / total
    cov = np.cov(np.stack([(y - my).ravel(), (x - mx).ravel()]), aweights=foreground.ravel() + _EPS)
    eig = np.sort(np.linalg.eigvalsh(cov))
    elongation = float(np.sqrt(eig[0] / (eig[1] + _EPS)))
    profile = [
        float((foreground * mask).sum() / (pixels + _EPS))
        for mask, pixels in _ring_weights(*ring.shape)
    ]
    return np.array([area, elongation, *profile], dtype=np.float64)


def _block(vector: np.ndarray, power: bool = True) -> np.ndarray:
    vector = np.sqrt(np.maximum(vector, 0)) if power else vector
    return vector / (np.linalg.norm(vector) + _EPS)


class VisualDescriptor:
    """Colour, texture and shape descriptor: deterministic, L2-normalised float32 vectors."""

    name = "potbank-descriptor-v1"
    # It works at WORK_SIZE (160 px): the 320 px thumbnail holds all it uses, and is cheaper to
    # shrink than the display image.
    derivative = "thumb"
    min_side = 0  # thumbnails are small; it needs their longer side, not a shorter one
    # Pure numpy, no weights, mostly holding the GIL: it scales by running in worker processes.
    portable = True

    def __init__(self) -> None:
        probe = self._describe(np.full((32, 48, 3), 0.5, dtype=np.float32))
        self.dim = int(probe.shape[0])

    def _describe(self, rgb: np.ndarray) -> np.ndarray:
        ring, centre = _ring_masks(*rgb.shape[:2])
        blocks = {
            **_colour(rgb, ring, centre),
            **_texture(rgb, ring, centre),
            "shape": _shape(rgb, ring),
        }
        vector = np.concatenate(
            [_WEIGHTS[name] * _block(blocks[name], power=name != "shape") for name in _WEIGHTS]
        )
        return (vector / (np.linalg.norm(vector) + _EPS)).astype(np.float32)

    def embed_image(self, image: Image.Image) -> np.ndarray:
        """Descriptor of one image, shape (dim,)."""
        return self._describe(_load(image))

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Descriptors of the images, shape (n, dim), float32, each row of unit length."""
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.embed_image(image) for image in images])
