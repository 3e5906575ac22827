"""Geometric verification: do a query's matched keypoints sit on a candidate photograph the way
one picture of the same thing would, moved, turned and scaled?

A RANSAC fit of a similarity transform (OpenCV's ``estimateAffinePartial2D``: rotation, uniform
scale, translation; a sherd or a detail photographed flat is that, and a tilt within RANSAC's
tolerance) to the correspondences the local-feature index returned. An inlier must also agree
with the transform in its own shape: a keypoint's orientation turns by the transform's
rotation and its size grows by its scale (Lowe's consistency of keypoint frames), which a
chance correspondence that happens to land in place does only about one time in twenty.
Chance correspondences between unrelated photographs agree on no transform; the same object or
pattern gives many inliers. The inliers' bounding box on the candidate is the matched region.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from index.feature_index import Correspondences
from index.local_features import ANGLE_STEPS, SCALE_STEP, LocalFeatures

# RANSAC tolerance: 1.2 % of the longer side (positions are 16-bit fractions of it).
REPROJECTION_TOLERANCE = 0.012 * 65535
# A match with fewer inliers than this is not counted as verified. Measured on the 89 shared
# photographs (docs/visual_search.md, 1 December 2026): with the shape check below, the best
# chance fit of photographs not indexed (as taken, 15 % and 20 % crops, sherds, phone
# photographs; both tries) was 10 inliers, against 13 without it in the same run (when the
# bar was 15), while 20 % crops of indexed photographs kept most of their inliers.
MIN_INLIERS = 12
# How far an inlier's own orientation and size may stray from the transform's rotation and
# scale: two steps of each (22.5 degrees; 1.25^2), ORB's repeatability plus quantisation.
ANGLE_TOLERANCE = 2
SCALE_TOLERANCE = 2
# RANSAC runs on the correspondences of this many of the most common turns (see ``verify``).
ROTATION_PEAKS = 2
# Scales outside this range are not the same object: a whole ware does not fit in a sherd's
# keypoint, nor a sherd in a hundredth of a photograph.
_SCALES = (1 / 12, 12.0)


@dataclass(frozen=True)
class Verified:
    """A candidate photograph with the inliers of the best transform and their extent."""

    photo_id: int
    inliers: int
    # Matched region on the candidate: (x, y, w, h) as fractions of its longer side.
    region: tuple[float, float, float, float]

    @property
    def confirmed(self) -> bool:
        return self.inliers >= MIN_INLIERS


def verify(query: LocalFeatures, matches: Correspondences, photo_id: int) -> Verified | None:
    """Fit a similarity transform from the query's keypoints to ``photo_id`` through
    ``matches`` (that photograph's correspondences); None when there are too few to fit one.

    The keypoints of one object, turned, all turn alike, while chance correspondences turn
    every way: RANSAC is run on the correspondences of each of the ROTATION_PEAKS most common
    turns (within the angle tolerance), so that a few true correspondences among many chance
    ones are not out-voted by a chance fit that the shape check then empties."""
    if len(matches) < 4:
        return None
    turns = (matches.angle - query.angles[matches.query].astype(np.int64)) % ANGLE_STEPS
    best: tuple[int, np.ndarray] | None = None
    for peak in _rotation_peaks(turns):
        chosen = np.flatnonzero(_circular_gap(turns, peak) <= ANGLE_TOLERANCE)
        inlying = _fit(query, matches, chosen)
        if inlying is not None and (best is None or len(inlying) > best[0]):
            best = (len(inlying), inlying)
    if best is None:
        return None
    inlying = best[1]
    if not len(inlying):
        return Verified(photo_id, 0, (0.0, 0.0, 0.0, 0.0))
    # One query keypoint matched to several candidate keypoints (or the reverse) on a
    # repeated pattern is one piece of evidence, not several.
    target = matches.position[inlying]
    inliers = min(len(np.unique(matches.query[inlying])), len(np.unique(target, axis=0)))
    points = target / 65535.0
    low, high = points.min(axis=0), points.max(axis=0)
    region = (float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1]))
    return Verified(photo_id, int(inliers), region)


def _rotation_peaks(turns: np.ndarray) -> list[int]:
    """The ROTATION_PEAKS turns (in angle steps) with most correspondences within the angle
    tolerance, each at least two tolerances from the others."""
    counts = np.bincount(turns, minlength=ANGLE_STEPS)
    window = sum(np.roll(counts, shift) for shift in range(-ANGLE_TOLERANCE, ANGLE_TOLERANCE + 1))
    peaks: list[int] = []
    for turn in np.argsort(-window, kind="stable").tolist():
        if len(peaks) == ROTATION_PEAKS or window[turn] < 4:
            break
        if all(_circular_gap(np.array([turn]), peak)[0] > 2 * ANGLE_TOLERANCE for peak in peaks):
            peaks.append(turn)
    return peaks


def _circular_gap(turns: np.ndarray, peak: float) -> np.ndarray:
    """How many angle steps each turn is from ``peak``, either way round."""
    gap = (turns - peak) % ANGLE_STEPS
    return np.minimum(gap, ANGLE_STEPS - gap)


def _fit(query: LocalFeatures, matches: Correspondences, chosen: np.ndarray) -> np.ndarray | None:
    """Indices (into ``matches``) of the inliers of a RANSAC similarity fit to the ``chosen``
    correspondences that also turn and grow as the fit does; None when there is no fit."""
    if len(chosen) < 4:
        return None
    transform, mask = cv2.estimateAffinePartial2D(
        query.positions[matches.query[chosen]].astype(np.float32),
        matches.position[chosen].astype(np.float32),
        method=cv2.RANSAC,
        ransacReprojThreshold=REPROJECTION_TOLERANCE,
        maxIters=500,
        confidence=0.99,
        refineIters=5,
    )
    if transform is None or mask is None:
        return None
    scale = float(np.hypot(transform[0, 0], transform[1, 0]))
    if not _SCALES[0] <= scale <= _SCALES[1]:
        return None
    inlying = chosen[mask.ravel().astype(bool)]
    rotation = np.arctan2(transform[1, 0], transform[0, 0]) / (2 * np.pi) * ANGLE_STEPS
    turned = matches.angle[inlying] - query.angles[matches.query[inlying]].astype(np.float64)
    grown = matches.scale[inlying] - query.scales[matches.query[inlying]].astype(np.float64)
    alike = (_circular_gap(turned, rotation) <= ANGLE_TOLERANCE) & (
        np.abs(grown - np.log(scale) / np.log(SCALE_STEP)) <= SCALE_TOLERANCE
    )
    return inlying[alike]


def verify_candidates(
    query: LocalFeatures, matches: Correspondences, candidates: list[int]
) -> dict[int, Verified]:
    """Verification of each candidate that has correspondences; by photograph id."""
    found: dict[int, Verified] = {}
    for photo in candidates:
        result = verify(query, matches.of(photo), photo)
        if result is not None:
            found[photo] = result
    return found
