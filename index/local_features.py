"""Local features of a photograph: keypoints with binary descriptors, for instance retrieval.

A sherd, a detail or a mark shares little with its whole ware as a global picture, but it shares
keypoints: corners and blobs of the pattern, with descriptors that survive rotation, scale,
recolouring and a new background. These are what the local-feature index votes with and what
geometric verification fits a transform to.

Two extractors, both from OpenCV (measured in bench/bench_local_features.py):

- ``rootsift``: SIFT keypoints (scale and rotation invariant) with RootSIFT descriptors (the
  Hellinger kernel: L1-normalise, square root), binarised with a fixed random projection
  (sign random projections, an angle-preserving hash), 256 bits per keypoint. No training: a
  photograph's codes depend on nothing but its own pixels, so the index can be added to,
  removed from and rebuilt one photograph at a time, in any order, with identical results.
- ``orb``: OpenCV's ORB (FAST corners, rotated BRIEF), 256 bits natively; faster, less
  invariant to scale.

Keypoint positions are kept as fractions of the image's longer side (0..65535), so a match can
be drawn on any derivative or on the original (the IIIF region). Each keypoint also keeps its
shape: its orientation (in ANGLE_STEPS of a turn) and its size (in SCALE_STEP steps, as a
fraction of the longer side), so verification can ask that matched keypoints turn and grow
the way the fitted transform does (``index.verification``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

CODE_BYTES = 32  # 256-bit descriptors
# 400 keypoints × (32 bytes of code + 8 of id in the index) = 16,000 bytes per photograph.
MAX_KEYPOINTS = 400
# Features are extracted with the longer side at this many pixels: the display derivative is
# 1200 px; 640 px keeps the pattern's detail while SIFT runs four times faster.
WORK_SIDE = 640
_PROJECTION_SEED = 20261130
# A keypoint's orientation in 32ths of a turn (11.25 degrees: ORB's own angle repeats within
# about that between two photographs of one pattern) and its size as SCALE_STEP steps above
# 1/256 of the longer side (ORB's pyramid steps by 1.25): 5 bits each, packed with the position
# into the index's 32 bits per keypoint (``index.feature_index.keypoint_ids``).
ANGLE_STEPS = 32
SCALE_STEP = 1.25
SCALE_STEPS = 32
_SCALE_BASE = 1 / 256


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoints of one image: positions as fractions of the image's longer side scaled to
    0..65535 (``(n, 2)`` uint16, x then y: one scale for both, so shapes keep their
    proportions) and 256-bit descriptors (``(n, 32)`` uint8)."""

    positions: np.ndarray
    codes: np.ndarray
    # (n,) uint8 each: orientation in ANGLE_STEPS of a turn, size in SCALE_STEP steps
    # (see ``keypoint_shapes``).
    angles: np.ndarray
    scales: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def nbytes(self) -> int:
        return int(
            self.positions.nbytes + self.codes.nbytes + self.angles.nbytes + self.scales.nbytes
        )

    @classmethod
    def empty(cls) -> LocalFeatures:
        return cls(
            np.zeros((0, 2), np.uint16),
            np.zeros((0, CODE_BYTES), np.uint8),
            np.zeros(0, np.uint8),
            np.zeros(0, np.uint8),
        )


def keypoint_shapes(
    angles: np.ndarray, sizes: np.ndarray, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """Orientations (degrees, OpenCV's) and sizes (pixels of an image whose longer side is
    ``side``) quantised as ``LocalFeatures`` keeps them."""
    steps = np.round(np.asarray(angles, np.float64) / 360 * ANGLE_STEPS).astype(np.int64)
    fraction = np.maximum(np.asarray(sizes, np.float64) / side, 1e-9)
    scale = np.round(np.log(fraction / _SCALE_BASE) / np.log(SCALE_STEP))
    return (
        (steps % ANGLE_STEPS).astype(np.uint8),
        np.clip(scale, 0, SCALE_STEPS - 1).astype(np.uint8),
    )


def _projection() -> np.ndarray:
    # Fixed by its seed: the same codes on every machine and in every process.
    rng = np.random.Generator(np.random.PCG64(_PROJECTION_SEED))
    return rng.standard_normal((128, CODE_BYTES * 8)).astype(np.float32)


_PROJECTION = _projection()


def rootsift_codes(descriptors: np.ndarray) -> np.ndarray:
    """256-bit sign-projection codes of SIFT descriptors via RootSIFT (Arandjelović & Zisserman
    2012). Descriptors are centred on their own mean so the signs split the angle between them
    rather than all agree (SIFT's entries are non-negative)."""
    if not len(descriptors):
        return np.zeros((0, CODE_BYTES), np.uint8)
    root = np.sqrt(descriptors / (descriptors.sum(axis=1, keepdims=True) + 1e-7))
    root -= root.mean(axis=1, keepdims=True)
    return np.packbits(root @ _PROJECTION > 0, axis=1)


def _grey(
    image: Image.Image, clahe: cv2.CLAHE, min_side: int = 0
) -> tuple[np.ndarray, tuple[int, int]]:
    """8-bit grey pixels with the longer side at most WORK_SIDE (an image whose longer side is
    under ``min_side`` is enlarged to WORK_SIDE), and the image's own size.

    Contrast is equalised locally (CLAHE) so a dim, hazy or warm-lit photograph gives the same
    corners as a well-lit one. ``clahe`` is the caller's own: OpenCV's CLAHE keeps working
    buffers, and one shared between ingest threads corrupts them (an ROI assertion)."""
    size = image.size
    scale = min(1.0, WORK_SIDE / max(size))
    if image.mode != "L":
        image = image.convert("L")
    if max(size) < min_side:
        # ORB's 31 px patches and 31 px border leave a 125 px photograph almost no keypoints,
        # and its pyramid only shrinks: enlarged (bicubic) to about the working size of the
        # stored photographs, its corners land on the scales those were described at.
        upscale = WORK_SIDE / max(size)
        image = image.resize(
            (max(1, round(size[0] * upscale)), max(1, round(size[1] * upscale))),
            Image.Resampling.BICUBIC,
        )
    elif scale < 1.0:
        if image.format == "JPEG":
            image.draft("L", (round(size[0] * scale), round(size[1] * scale)))
        image = image.resize(
            (max(1, round(size[0] * scale)), max(1, round(size[1] * scale))),
            Image.Resampling.BILINEAR,
            reducing_gap=2.0,
        )
    grey = np.asarray(image, dtype=np.uint8)
    return clahe.apply(grey), size


def spread(keypoints: Sequence[cv2.KeyPoint], shape: tuple[int, int], count: int) -> list[int]:
    """Indices of ``count`` keypoints spread over the image: the strongest of each cell of a
    4 × 4 grid first, round by round, so that a sherd cut from a quiet part of a ware still
    finds that part's keypoints in the index (detectors crowd onto the busiest texture).

    Round ``d`` takes the ``d``-th strongest keypoint of every cell that has one, the cells in
    the order their strongest keypoint ranks; in numpy (the detector gives ~1,600 keypoints)."""
    if len(keypoints) <= count:
        return list(range(len(keypoints)))
    height, width = shape
    points = cv2.KeyPoint_convert(keypoints).astype(np.float64)
    response = np.array([keypoint.response for keypoint in keypoints], dtype=np.float64)
    # Strongest first; equally strong keypoints keep the detector's order.
    strongest = np.argsort(-response, kind="stable")
    column = np.minimum(3, (4 * points[strongest, 0] / width).astype(np.int64))
    row = np.minimum(3, (4 * points[strongest, 1] / height).astype(np.int64))
    cell = row * 4 + column
    # Each keypoint's rank within its cell (its round) and its cell's rank by first appearance.
    by_cell = np.argsort(cell, kind="stable")
    starts = np.searchsorted(cell[by_cell], cell[by_cell], side="left")
    depth = np.empty(len(cell), dtype=np.int64)
    depth[by_cell] = np.arange(len(cell)) - starts
    _, first = np.unique(cell, return_index=True)
    cell_rank = np.empty(16, dtype=np.int64)
    cell_rank[np.unique(cell)] = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    order = np.argsort(depth * 16 + cell_rank[cell], kind="stable")[:count]
    return strongest[order].tolist()


class LocalFeatureExtractor:
    """Extracts at most ``max_keypoints`` local features from an image (see the module)."""

    def __init__(self, kind: str = "orb", max_keypoints: int = MAX_KEYPOINTS) -> None:
        if kind not in ("rootsift", "orb"):
            raise ValueError(f"unknown local feature kind {kind!r}: use rootsift or orb")
        self.kind = kind
        self.max_keypoints = max_keypoints
        # "+shape": keypoints keep their orientation and size (1 December 2026); an
        # index of the earlier features is reported by verify and rebuilt.
        self.name = f"{kind}-{CODE_BYTES * 8}b-{max_keypoints}@{WORK_SIDE}+shape"
        # OpenCV's detectors are not safe to share between threads: one per extractor, and
        # the search service and ingest each hold their own.
        detect = max_keypoints * 4
        if kind == "rootsift":
            self._detector = cv2.SIFT_create(nfeatures=detect, contrastThreshold=0.02)
        else:
            self._detector = cv2.ORB_create(
                nfeatures=detect, scaleFactor=1.25, nlevels=10, fastThreshold=12
            )
        self._clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))

    def extract(
        self, image: Image.Image, max_keypoints: int | None = None, min_side: int = 0
    ) -> LocalFeatures:
        """The image's local features (empty for a blank image); a query may ask for more
        keypoints than the index keeps per photograph (``max_keypoints``) and have a photograph
        whose longer side is under ``min_side`` pixels enlarged first. Stored photographs are
        display derivatives, larger than WORK_SIDE: neither changes what the index holds."""
        grey, _ = _grey(image, self._clahe, min_side)
        keypoints = self._detector.detect(grey, None)
        if not keypoints:
            return LocalFeatures.empty()
        keep = spread(keypoints, grey.shape, max_keypoints or self.max_keypoints)
        keypoints, descriptors = self._detector.compute(grey, [keypoints[i] for i in keep])
        if descriptors is None or not keypoints:
            return LocalFeatures.empty()
        codes = rootsift_codes(descriptors) if self.kind == "rootsift" else descriptors
        points = np.array([kp.pt for kp in keypoints], dtype=np.float64)
        fractions = (points + 0.5) / max(grey.shape)
        positions = np.clip(np.round(fractions * 65535), 0, 65535).astype(np.uint16)
        angles, scales = keypoint_shapes(
            [kp.angle for kp in keypoints], [kp.size for kp in keypoints], max(grey.shape)
        )
        return LocalFeatures(positions, np.ascontiguousarray(codes, dtype=np.uint8), angles, scales)
