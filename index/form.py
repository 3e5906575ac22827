"""The form of a ware: a compact vector of its silhouette and outline, and a fused similarity.

"A meiping finds meiping and vases before dishes": the form vector describes the object's
silhouette, not its decoration or colour. The silhouette is cut out by OpenCV's GrabCut on a
48 px picture (``silhouette``), initialised as with a rectangle: a thin strip along the border
is ground, the rest probably object; GrabCut's colour models then follow the ground into the
frame, so a ware that stands on the bottom edge (as most museum photographs frame it) loses only
the strip. A ware that fills the frame from side to side along the bottom is lost (the ground
model learns its colour) and described as the whole picture, as before. Tried and not kept: an
all-probable border (on a plain ground both models learnt the ground and the whole picture came
out as the object) and certain ground only above the ware (form alone 0.191 of the 5 nearest of
the same type, against 0.240). The ground model of ``index.segment`` (shared with the global
descriptor) needs a plain ground all round the border, which 70 of the 89 shared photographs do
not have (their silhouette was the frame).


- silhouette: the aspect of the object's box, its width profile (the share of each of 16 rows
  along the height that the object fills, a vase's neck and shoulder, a bowl's foot) and the log
  Hu moments of the mask (OpenCV);
- outline: magnitudes of the contour's first Fourier descriptors (scale, rotation and start point
  removed), and the outline's width profile read from edges alone (the span between the
  outermost Canny edges of each of 16 rows along the height, over the widest): it needs no
  silhouette, so it speaks for the neck, shoulder and foot of the close-ups that touch the frame
  (GrabCut finds the object in 15 of the 89 shared photographs; the rest fall back to the frame);
- edge geometry, which speaks for the form even when the object fills the frame (most close-ups
  have no ground to segment from): how the gradients align with the radius from the centre (a
  dish seen from above is concentric rings; a vase's edges are vertical and horizontal) and the
  orientation histogram of the strong edges.

``FormDescriptor`` has the embedder interface (name, dim, embed_images -> unit vectors) so its
vectors can be kept and searched like any other; ``fused_similarity`` mixes a global descriptor's
cosine with the form's, which is how "similar form" ranks.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from index.descriptor_v2 import load_rgb, weighted_unit

WORK_SIZE = 160
# GrabCut's side in pixels and its iterations: ~5 ms of CPU a photograph. Measured on the 89
# shared photographs ("similar form" of bench/eval_visual.py), 48 px with 2 iterations cut out
# silhouettes as useful as 64 and 80 px with 3, at a quarter to a third of the cost.
SILHOUETTE_SIDE = 48
_GRABCUT_ITERATIONS = 2
# The border strip taken for ground, as a share of the shorter side.
_GROUND_STRIP = 0.06
# A cut-out smaller than this share of the picture is a highlight, not the object.
_MIN_SILHOUETTE = 0.04
_SEED = 20261130
_EPS = 1e-6
_PROFILE_ROWS = 16
# The side (px) at which the outline's edges are found: at 64, 96, 128 and 160 px the outline
# profile gave 0.279, 0.285, 0.299 and 0.283 of the 5 nearest of the same type, fused
# (bench/eval_visual.py, "similar form"; docs/visual_search.md).
OUTLINE_SIDE = 128
_FOURIER = 12
# Weights of the unit-length blocks, measured with bench/eval_visual.py ("similar form"): the
# aspect carries most (close-ups leave little silhouette to see; a vase is framed tall).
_WEIGHTS = {
    "aspect": 1.5,
    "profile": 0.3,
    "outline": 1.0,
    "hu": 0.5,
    "fourier": 0.3,
    "radial": 0.3,
    "edges": 0.5,
}
# Share of the form in the fused similarity (the rest is the global descriptor's cosine).
FORM_SHARE = 0.4


def _profile(mask: np.ndarray) -> np.ndarray:
    """Width of the object in each of _PROFILE_ROWS bands along its height, over its widest."""
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return np.zeros(_PROFILE_ROWS)
    box = mask[y : y + h, x : x + w].astype(np.float32)
    widths = box.sum(axis=1)
    bands = cv2.resize(widths[:, None], (1, _PROFILE_ROWS), interpolation=cv2.INTER_AREA).ravel()
    return bands / (bands.max() + _EPS)


def _outline_profile(grey: np.ndarray) -> np.ndarray:
    """The span between the outermost edges of each of _PROFILE_ROWS bands along the height, over
    the widest, centred: a ware's width profile read from its outline (uint8 grey picture)."""
    h, w = grey.shape
    scale = OUTLINE_SIDE / max(h, w)
    small = cv2.resize(
        grey, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), 1.0)
    # Thresholds from the picture's median grey, so a dark museum ground and a pale catalogue
    # plate give comparable edges.
    median = float(np.median(small))
    edges = cv2.Canny(small, int(max(0, 0.66 * median)), int(min(255, 1.33 * median))) > 0
    spans = []
    for band in np.array_split(edges, _PROFILE_ROWS, axis=0):
        columns = np.flatnonzero(band.any(axis=0))
        spans.append((columns[-1] - columns[0]) / edges.shape[1] if len(columns) > 1 else 0.0)
    profile = np.array(spans) / (max(spans) + _EPS)
    return profile - profile.mean()


def _fourier(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return np.zeros(_FOURIER)
    contour = max(contours, key=len)[:, 0, :].astype(np.float32)
    if len(contour) < 2 * _FOURIER + 2:
        return np.zeros(_FOURIER)
    # Resample to 64 points evenly along the outline, then take |FFT| over the first.
    points = contour[:, 0] + 1j * contour[:, 1]
    steps = np.abs(np.diff(np.append(points, points[0])))
    arc = np.concatenate([[0], np.cumsum(steps)])[:-1]
    even = np.linspace(0, arc[-1] + steps[-1], 64, endpoint=False)
    sampled = np.interp(even, arc, points.real) + 1j * np.interp(even, arc, points.imag)
    spectrum = np.abs(np.fft.fft(sampled - sampled.mean()))
    scale = spectrum[1] + spectrum[-1] + _EPS
    coefficients = np.concatenate(
        [spectrum[2 : 2 + _FOURIER // 2], spectrum[-_FOURIER // 2 - 1 : -1]]
    )
    return coefficients / scale


@functools.lru_cache(maxsize=8)
def _polar(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's radius from the centre (1 on the inscribed ellipse) and its direction, for
    a picture of h x w pixels (one size: the 96 px box of ``form_blocks``)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    dy, dx = y - (h - 1) / 2, x - (w - 1) / 2
    radius, direction = np.hypot(dy / (h / 2), dx / (w / 2)), np.arctan2(dy, dx)
    radius.setflags(write=False)
    direction.setflags(write=False)
    return radius, direction


def _edge_geometry(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radial alignment of gradients in three rings, and the orientation of strong edges."""
    blurred = cv2.GaussianBlur(grey, (0, 0), 1.2)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy)
    magnitude = magnitude / (float(magnitude.mean()) + _EPS)
    strong = magnitude * (magnitude > 1.0)
    radius, direction = _polar(*grey.shape)
    # |cos| of the angle between the gradient and the radius: 1 on concentric rings.
    alignment = np.abs(np.cos(angle - direction))
    radial = []
    for lo, hi in ((0.0, 0.4), (0.4, 0.75), (0.75, 1.1)):
        ring = strong * ((radius >= lo) & (radius < hi))
        hist = np.bincount(
            np.minimum((alignment * 6).astype(np.int64), 5).ravel(), ring.ravel(), minlength=6
        )
        radial.append(hist / (hist.sum() + _EPS))
    unsigned = np.mod(angle, np.pi)
    edges = np.bincount(
        np.minimum((unsigned / np.pi * 8).astype(np.int64), 7).ravel(), strong.ravel(), minlength=8
    )
    return np.concatenate(radial), edges / (edges.sum() + _EPS)


def silhouette(rgb: np.ndarray) -> np.ndarray:
    """The object's mask (uint8 0/1, the size of ``rgb``), cut out by GrabCut (see the module
    docstring); the whole picture when nothing object-sized stands out."""
    h, w = rgb.shape[:2]
    scale = SILHOUETTE_SIDE / max(h, w)
    small = cv2.resize(
        rgb, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    sh, sw = small.shape[:2]
    labels = np.full((sh, sw), cv2.GC_PR_FGD, dtype=np.uint8)
    strip = max(2, round(_GROUND_STRIP * min(sh, sw)))
    labels[:strip], labels[-strip:] = cv2.GC_BGD, cv2.GC_BGD
    labels[:, :strip], labels[:, -strip:] = cv2.GC_BGD, cv2.GC_BGD
    # GrabCut seeds its colour models with k-means from OpenCV's per-thread generator: seeded,
    # the same picture gets the same silhouette (and vector) in every process and thread.
    cv2.setRNGSeed(_SEED)
    models = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(small, labels, None, *models, _GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    mask = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    count, parts, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 1:
        mask = (parts == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    if mask.mean() < _MIN_SILHOUETTE:
        return np.ones((h, w), dtype=np.uint8)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)


def form_blocks(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """The form's blocks (each of unit length) of a uint8 RGB array."""
    mask = silhouette(rgb)
    x, y, w, h = cv2.boundingRect(mask)
    aspect = np.log((h + 1) / (w + 1))
    # Aspect as a soft one-hot over 7 bins from flat (1:3) to tall (3:1).
    centres = np.linspace(-1.1, 1.1, 7)
    aspect_block = np.exp(-((aspect - centres) ** 2) / (2 * 0.25**2))
    hu = cv2.HuMoments(cv2.moments(mask, binaryImage=True)).ravel()[:4]
    hu = -np.sign(hu) * np.log10(np.abs(hu) + 1e-12) / 10
    grey_u8 = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    grey = grey_u8.astype(np.float32) / 255
    box_grey = cv2.resize(grey[y : y + h, x : x + w], (96, 96), interpolation=cv2.INTER_AREA)
    radial, edges = _edge_geometry(box_grey)
    blocks = {
        "aspect": aspect_block,
        "profile": _profile(mask) - 0.5,
        "outline": _outline_profile(grey_u8),
        "hu": hu - hu.mean(),
        "fourier": _fourier(mask),
        "radial": radial - 1 / 6,
        "edges": edges - 1 / 8,
    }
    return {name: block / (np.linalg.norm(block) + _EPS) for name, block in blocks.items()}


def form_vector(rgb: np.ndarray) -> np.ndarray:
    """The unit form vector of a uint8 RGB array."""
    return weighted_unit(form_blocks(rgb), _WEIGHTS)


class FormDescriptor:
    """The form vector with an embedder's interface (no weights, portable)."""

    name = "potbank-form-v3"
    derivative = "thumb"
    min_side = 0
    portable = True

    def __init__(self) -> None:
        self.dim = int(form_vector(np.full((32, 48, 3), 128, dtype=np.uint8)).shape[0])

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([form_of(image) for image in images])


def form_of(picture: Image.Image) -> np.ndarray:
    """The form vector of a decoded picture (described at WORK_SIZE px).

    The silhouette is GrabCut's (``silhouette``), not the global descriptor's segmentation: that
    one needs a plain ground all round the border and found the object in 19 of the 89 shared
    photographs; described from it, the form was no better than the whole-photograph
    descriptor at finding the same form (bench/eval_visual.py, "similar form")."""
    return form_vector(load_rgb(picture, WORK_SIZE))


def form_similarity(query: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Cosine of form vectors: (n,) for one query vector, (q, n) for several."""
    return base @ query if query.ndim == 1 else query @ base.T


def fused_similarity(
    query_global: np.ndarray,
    query_form: np.ndarray,
    base_global: np.ndarray,
    base_form: np.ndarray,
    form_share: float = FORM_SHARE,
) -> np.ndarray:
    """(1 - form_share) x the global cosine + form_share x the form cosine, (q, n) or (n,)."""
    return (1 - form_share) * form_similarity(query_global, base_global) + form_share * (
        form_similarity(query_form, base_form)
    )


def fused_ranking(
    query_global: np.ndarray,
    query_form: np.ndarray,
    base_global: np.ndarray,
    base_form: np.ndarray,
    k: int = 50,
    form_share: float = FORM_SHARE,
) -> list[tuple[int, float]]:
    """Positions in the base and fused scores of the ``k`` most similar, best first."""
    scores = fused_similarity(query_global, query_form, base_global, base_form, form_share)
    top = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in top]
