"""Find the object in a museum photograph: one ware on a plain (or gently lit) ground.

The ground is modelled from the photograph's border: the border's pixels are clustered in Lab
colour (a gradient backdrop or a shelf edge gives a few clusters), and a pixel belongs to the
object when it is far from every cluster that covers a fair share of the border. The mask is
cleaned with OpenCV's morphology and reduced to its largest connected part with holes filled.
When the border is not a ground at all (the object fills the frame, or a close-up of a pattern)
the whole picture is the object.

A photograph placed on another ground (a frame, a mat, a new background) is found inside it in
one pass, then its own ground inside it in a second: segmentation repeats while the ground it
finds is plain and the object box shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Lab distances (L scaled down: shading of a backdrop changes lightness more than colour).
_L_WEIGHT = 0.5
_BORDER = 0.04
_MIN_SHARE = 0.12  # a border cluster smaller than this is the object touching the edge
_CLUSTERS = 3
_SEED = 20261130
_MIN_AREA, _MAX_AREA = 0.12, 0.92
_MIN_BOX = 0.25
# On a plain, light ground (border spread below _PLAIN) a small object is still an object.
_PLAIN, _PLAIN_MIN_AREA, _PLAIN_MIN_BOX = 10.0, 0.02, 0.04
WORK_SIZE = 96
# How varied a border may be: a ground around an object, or any surround of a picture.
_GROUND_SPREAD, _PICTURE_SPREAD = 28.0, 45.0


@dataclass(frozen=True)
class Segmentation:
    """The object's mask (uint8 0/1, the image's size) and its box (x, y, w, h) in pixels."""

    mask: np.ndarray
    box: tuple[int, int, int, int]
    # False when no plain ground was found and the whole picture stands for the object.
    found: bool
    # The object's box for describing it: moves smoothly as the picture changes (see _soft_box).
    soft_box: tuple[int, int, int, int]
    # The picture inside any frame, mat or other ground it was placed on (else the whole).
    picture_box: tuple[int, int, int, int]


def _lab(rgb: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= _L_WEIGHT
    return lab


def _border(lab: np.ndarray) -> np.ndarray:
    h, w = lab.shape[:2]
    b = max(1, round(min(h, w) * _BORDER))
    return np.concatenate(
        [
            lab[:b].reshape(-1, 3),
            lab[-b:].reshape(-1, 3),
            lab[b:-b, :b].reshape(-1, 3),
            lab[b:-b, -b:].reshape(-1, 3),
        ]
    )


def _ground_distance(lab: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Each pixel's distance to the nearest ground cluster, and the border's own spread.

    None when the border is too varied to be a ground.
    """
    border = _border(lab)
    if len(border) < _CLUSTERS * 4:
        return None
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    # k-means++ draws its seeds from OpenCV's per-thread generator: seeded, the same picture
    # gets the same ground (and vector) in every process and thread.
    cv2.setRNGSeed(_SEED)
    _, labels, centres = cv2.kmeans(
        border, _CLUSTERS, None, criteria, 1, cv2.KMEANS_PP_CENTERS, centers=None
    )
    shares = np.bincount(labels.ravel(), minlength=_CLUSTERS) / len(labels)
    ground = centres[shares >= _MIN_SHARE]
    near = np.min(np.linalg.norm(border[:, None, :] - ground[None], axis=2), axis=1)
    # How far ground pixels stray from their cluster: a textured ground needs a wider margin.
    spread = float(np.percentile(near, 90))
    if spread > _PICTURE_SPREAD:
        return None
    distance = np.full(lab.shape[:2], np.inf, dtype=np.float32)
    for centre in ground:
        distance = np.minimum(distance, ((lab - centre) ** 2).sum(axis=2))
    return np.sqrt(distance), spread


def _largest_part(mask: np.ndarray) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return mask
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    part = (labels == largest).astype(np.uint8)
    # Fill holes: whatever the outside flood cannot reach belongs to the object.
    padded = np.pad(part, 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    holes = (flood == 0)[1:-1, 1:-1]
    return (part | holes).astype(np.uint8)


def _soft_box(weight: np.ndarray) -> tuple[int, int, int, int]:
    """The box holding 94 % of the foreground weight along each axis, drawn towards the whole
    picture when there is little foreground (a highlight is not an object): it moves smoothly
    with the picture, so a cast or a little noise cannot make it jump."""
    h, w = weight.shape
    mass = float(weight.mean())
    confidence = min(1.0, mass / 0.2)
    edges = []
    for axis, length in ((0, w), (1, h)):
        profile = weight.sum(axis=axis)
        cumulative = np.cumsum(profile) / (profile.sum() + 1e-6)
        lo = float(np.searchsorted(cumulative, 0.03))
        hi = float(np.searchsorted(cumulative, 0.97)) + 1
        lo, hi = confidence * lo, confidence * hi + (1 - confidence) * length
        edges.append((round(lo), max(round(lo) + 1, round(hi))))
    (x0, x1), (y0, y1) = edges
    return x0, y0, min(w, x1) - x0, min(h, y1) - y0


def _balanced(rgb: np.ndarray) -> np.ndarray:
    """Gray-world balanced uint8 RGB: a colour cast changes nothing the ground model sees."""
    means = rgb.reshape(-1, 3).mean(axis=0) + 1.0
    balanced = rgb.astype(np.float32) * (float(means.mean()) / means)
    return np.clip(balanced, 0, 255).astype(np.uint8)


def _segment_once(
    rgb: np.ndarray,
) -> tuple[np.ndarray | None, tuple[int, int, int, int], float]:
    """The foreground mask inside ``rgb`` (uint8 RGB), or None when there is no ground, the
    soft object box and how varied the ground is."""
    h, w = rgb.shape[:2]
    lab = _lab(_balanced(rgb))
    found = _ground_distance(lab)
    if found is None:
        return None, (0, 0, w, h), np.inf
    distance, spread = found
    threshold = max(14.0, spread * 1.8 + 6.0)
    soft = np.clip((distance - threshold) / (0.5 * threshold) + 0.5, 0, 1)
    box = _soft_box(soft)
    mask = (distance > threshold).astype(np.uint8)
    side = max(3, (min(rgb.shape[:2]) // 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
    mask = _largest_part(mask)
    area = float(mask.mean())
    # On a dark ground a dark glaze cannot be told from it and only highlights stand out: a
    # small find there is a highlight, not the object.
    light = float(np.median(_border(lab)[:, 0])) > 0.35 * 255 * _L_WEIGHT
    plain = spread < _PLAIN and light
    if not (_PLAIN_MIN_AREA if plain else _MIN_AREA) <= area <= _MAX_AREA:
        return None, box, spread
    _, _, bw, bh = _box(mask)
    # A small box is a highlight or a label on an object that fills the frame, not an object.
    if bw * bh < (_PLAIN_MIN_BOX if plain else _MIN_BOX) * mask.size:
        return None, box, spread
    return mask, box, spread


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(mask)
    return int(x), int(y), int(w), int(h)


def segment(rgb: np.ndarray, passes: int = 4) -> Segmentation:
    """Segment the object in ``rgb`` (uint8, H x W x 3, RGB); see the module docstring.

    The work is done at most WORK_SIZE px on the longer side; mask and boxes are returned at the
    size of ``rgb``.
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIZE / max(h, w))
    small = rgb
    if scale < 1:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    found = _segment(small, passes)
    mask = found.mask
    if scale < 1:
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    return Segmentation(
        mask,
        _box(mask),
        found.found,
        _scaled(found.soft_box, scale, w, h),
        _scaled(found.picture_box, scale, w, h),
    )


def _scaled(
    box: tuple[int, int, int, int], scale: float, w: int, h: int
) -> tuple[int, int, int, int]:
    sx, sy, sw, sh = (value / scale for value in box)
    x0, y0 = min(w - 1, round(sx)), min(h - 1, round(sy))
    return (x0, y0, max(1, min(w - x0, round(sw))), max(1, min(h - y0, round(sh))))


def _segment(rgb: np.ndarray, passes: int) -> Segmentation:
    h, w = rgb.shape[:2]
    ox, oy, cw, ch = 0, 0, w, h
    mask_full = np.ones((h, w), dtype=np.uint8)
    soft_box = (0, 0, w, h)
    found = False
    for _ in range(passes):
        if cw < 16 or ch < 16:
            break
        mask, (sx, sy, sw, sh), spread = _segment_once(rgb[oy : oy + ch, ox : ox + cw])
        if mask is None:
            break
        bx, by, bw, bh = _box(mask)
        if bw * bh < 0.85 * cw * ch and mask.sum() >= 0.85 * bw * bh:
            # A rectangle: a photograph on another ground or in a frame; look inside it.
            ox, oy, cw, ch = ox + bx, oy + by, bw, bh
            mask_full = np.zeros((h, w), dtype=np.uint8)
            mask_full[oy : oy + ch, ox : ox + cw] = 1
            continue
        if spread > _GROUND_SPREAD:
            break
        found = True
        mask_full = np.zeros((h, w), dtype=np.uint8)
        mask_full[oy : oy + ch, ox : ox + cw] = mask
        soft_box = (ox + sx, oy + sy, sw, sh)
        break
    return Segmentation(mask_full, _box(mask_full), found, soft_box, (ox, oy, cw, ch))
