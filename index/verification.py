"""Geometric verification: do a query's matched keypoints sit on a candidate photograph the way
one picture of the same thing would, moved, turned and scaled?

A RANSAC fit of a similarity transform (OpenCV's ``estimateAffinePartial2D``: rotation, uniform
scale, translation; a sherd or a detail photographed flat is that, and a tilt within RANSAC's
tolerance) to the correspondences the local-feature index returned. Chance correspondences
between unrelated photographs agree on no transform; the same object or pattern gives many
inliers. The inliers' bounding box on the candidate is the matched region.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from index.feature_index import Correspondences

# RANSAC tolerance: 1.2 % of the longer side (positions are 16-bit fractions of it).
REPROJECTION_TOLERANCE = 0.012 * 65535
# A match with fewer inliers than this is not counted as verified (chance alignments of
# unrelated photographs stay below it: bench/bench_local_features.py measures how far).
MIN_INLIERS = 15
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


def verify(query_positions: np.ndarray, matches: Correspondences, photo_id: int) -> Verified | None:
    """Fit a similarity transform from the query to ``photo_id`` through ``matches`` (that
    photograph's correspondences); None when there are too few to fit one."""
    if len(matches) < 4:
        return None
    source = query_positions[matches.query].astype(np.float32)
    target = matches.position.astype(np.float32)
    transform, mask = cv2.estimateAffinePartial2D(
        source,
        target,
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
    inlying = mask.ravel().astype(bool)
    # One query keypoint matched to several candidate keypoints (or the reverse) on a
    # repeated pattern is one piece of evidence, not several.
    inliers = min(
        len(np.unique(matches.query[inlying])),
        len(np.unique(target[inlying], axis=0)),
    )
    points = target[inlying] / 65535.0
    low, high = points.min(axis=0), points.max(axis=0)
    region = (float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1]))
    return Verified(photo_id, int(inliers), region)


def verify_candidates(
    query_positions: np.ndarray, matches: Correspondences, candidates: list[int]
) -> dict[int, Verified]:
    """Verification of each candidate that has correspondences; by photograph id."""
    found: dict[int, Verified] = {}
    for photo in candidates:
        result = verify(query_positions, matches.of(photo), photo)
        if result is not None:
            found[photo] = result
    return found
