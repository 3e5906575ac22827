"""Search by photograph as stages: global candidates → local-feature votes → geometric
verification → re-ranking with form, and a confidence cut-off.

- Global: the active embedder's vector (the built-in descriptor, or CLIP where configured) finds
  photographs that look alike as a whole.
- Local: the query's keypoints vote in the local-feature index, so a sherd, a detail or a mark,
  whose global look matches nothing, still reaches its source.
- Verification: RANSAC fits a transform to the correspondences of the best candidates of both;
  verified photographs (the same object or pattern) come first, by their number of inliers.
- Form (where a form index exists): the rest are ranked by the global likeness fused with the
  likeness of the object's silhouette, and say which of the two found them.
- Marks: a query that is a mark ranks mark photographs first, then lists the collection's other
  marks (those it did not find closely) nearest in mark likeness first. A query is a mark when
  it asks for marks, is a stored mark photograph, its best match is a mark verified by geometry,
  most of its three best matches are marks, or it looks like one (``index.mark_likeness``: ink
  strokes on a plain ground, judged against the collection's own labelled marks).

Each hit carries its reason, a score in [0, 1], the photograph that matched and, when verified,
the matched region on it (IIIF ``x,y,w,h`` in the photograph's own pixels). Hits that are neither
verified nor close enough as a whole are not listed: an unrelated photograph gets no results and
a plain "nothing matches closely", not the whole collection in some order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from index.feature_index import Correspondences, LocalFeatureIndex, no_correspondences
from index.local_features import LocalFeatures
from index.mark_likeness import MarkExemplars
from index.vectors import VectorIndex
from index.verification import Verified, verify_candidates

GLOBAL_DEPTH = 200
# Deeper when only some photographs may answer (marks), so that enough of them are reached.
FILTERED_DEPTH = 2000
LOCAL_CANDIDATES = 24
GLOBAL_VERIFIED = 12
# A candidate with fewer correspondences than this cannot reach MIN_INLIERS: not worth a fit.
MIN_CORRESPONDENCES = 12
# The global likeness a photograph needs to be listed without being verified, per embedder.
# Measured on 45 of the shared photographs under six conditions (descriptor v2): a photograph's
# own cosine is >= 0.82 for 90 % of queries (median 0.92), the best other photograph's median is
# 0.79 (p95 0.89): above 0.82 are the photograph itself and the few that truly look like it.
# Unknown embedders (CLIP) use the default.
CLOSE_ENOUGH = {
    "potbank-descriptor-v1": 0.90,
    "potbank-descriptor-v2": 0.82,
}
DEFAULT_CLOSE_ENOUGH = 0.85
FORM_SHARE = 0.4
# A form cosine at least this high, and above the whole-photograph likeness, is "similar form".
FORM_CLOSE = 0.85
# Marks listed for a mark query beyond those found closely, nearest in mark likeness first: "the
# other marks of this kind", not every mark of a large collection.
MARK_HITS = 100


REASON_SAME = "same"  # same object or pattern (verified by geometry)
REASON_FORM = "form"  # similar form
REASON_LOOK = "look"  # similar colour and texture
REASON_MARK = "mark"  # another mark (the query is a mark), by mark likeness


@dataclass(frozen=True)
class PhotoTable:
    """What ranking needs to know of each indexed photograph, sorted by photograph id."""

    ids: np.ndarray
    wares: np.ndarray
    widths: np.ndarray
    heights: np.ndarray
    marks: np.ndarray  # bool: a mark photograph (view ``mark``, or a base whose record has marks)

    def positions(self, photo_ids: np.ndarray) -> np.ndarray:
        """Row of each photograph, or -1 where it is unknown."""
        if not len(self.ids):
            return np.full(len(photo_ids), -1, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.ids, photo_ids), len(self.ids) - 1)
        return np.where(self.ids[rows] == photo_ids, rows, -1)

    def mark_ids(self) -> set[int]:
        return set(self.ids[self.marks].tolist())


@dataclass(frozen=True)
class Query:
    """A photograph described for every stage (what is None is skipped)."""

    vector: np.ndarray | None
    features: LocalFeatures
    form: np.ndarray | None = None
    is_mark: bool = False  # known to be a mark (a stored mark photograph)
    mark: np.ndarray | None = None  # its mark-likeness vector (index.mark_likeness)
    # Describes the photograph mirrored left to right (an uploaded photograph may be reversed),
    # called only when the keypoints as taken verify nothing for certain, so most queries never
    # pay for it; None for a stored photograph, which is not reversed.
    mirrored: Callable[[], LocalFeatures] | None = None
    # Describes an upload's mark likeness (13 ms median, 24 ms p95), called only when the close
    # matches do not decide whether it is a mark, or to rank the other marks of a mark query:
    # most queries never pay for it. Called at most once (the caller passes a cached one).
    describe_mark: Callable[[], np.ndarray] | None = None

    def mark_vector(self) -> np.ndarray | None:
        """Its mark-likeness vector: the stored one, else described now (None if neither)."""
        if self.mark is not None or self.describe_mark is None:
            return self.mark
        return self.describe_mark()


@dataclass(frozen=True)
class VisualHit:
    """One ware found by photograph, with why and where."""

    ware_id: int
    photo_id: int
    score: float
    reason: str
    matches: int = 0
    region: tuple[int, int, int, int] | None = None
    form_score: float | None = None


@dataclass
class VisualResult:
    """Ranked hits (close ones only) and how many candidates fell under the cut-off."""

    hits: list[VisualHit] = field(default_factory=list)
    below_cutoff: int = 0
    query_is_mark: bool = False


@dataclass
class _Candidate:
    photo: int
    row: int
    look: float = 0.0
    form: float | None = None
    verified: Verified | None = None
    mark_distance: float | None = None  # set for a mark listed by mark likeness alone


class VisualSearch:
    """Composes the stages over one set of open indexes (see the module docstring)."""

    def __init__(
        self,
        photos: PhotoTable,
        vectors: VectorIndex | None,
        features: LocalFeatureIndex | None,
        forms: VectorIndex | None = None,
        close_enough: float | None = None,
        marks: VectorIndex | None = None,
    ) -> None:
        self.photos = photos
        self.vectors = vectors
        self.features = features
        self.forms = forms
        # Form vectors in memory (about 0.2 KB a photograph), sorted by photograph id: one
        # lookup for all candidates instead of one index query each.
        self._form_ids, self._form_vectors = np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        if forms is not None and forms.count():
            ids, matrix = forms.all_vectors()
            order = np.argsort(ids)
            self._form_ids, self._form_vectors = ids[order], matrix[order]
        self.exemplars = _exemplars(photos, marks)
        name = vectors.embedder_name if vectors is not None else ""
        self.close_enough = (
            close_enough
            if close_enough is not None
            else CLOSE_ENOUGH.get(name, DEFAULT_CLOSE_ENOUGH)
        )

    def search(
        self,
        query: Query,
        *,
        marks_only: bool = False,
        exclude_wares: frozenset[int] = frozenset(),
        allowed_wares: set[int] | None = None,
    ) -> VisualResult:
        """Wares whose photographs match ``query``, best first (see the module docstring)."""
        allowed = self.photos.mark_ids() if marks_only else None
        candidates = self._global(query, allowed)
        by_look = [c.photo for c in sorted(candidates.values(), key=lambda c: -c.look)]
        found = self._verified(query.features, by_look, allowed)
        if query.mirrored is not None and not _confirmed(found):
            # The mirrored query's keypoints are a second, independent try, as costly as the
            # first (a vote over the whole local-feature index), made only when the first
            # confirmed nothing: ORB is not mirror-invariant, so a reversed photograph verifies
            # nothing as taken, while one as taken (a sherd, a detail: 15-30 inliers, a whole
            # photograph: 40-400) is already found, first, by its keypoints. Measured on
            # bench_visual_speed's phone details at 20,000 photographs: the second try went from
            # 12 of 89 queries (any under 30 inliers) to 2, the query CPU p95 fell by 40 %, top-5
            # unchanged. A photograph keeps the better of its two fits.
            mirrored = self._verified(query.mirrored(), by_look, allowed)
            for photo, verified in mirrored.items():
                if photo not in found or verified.inliers > found[photo].inliers:
                    found[photo] = verified
        for photo, verified in found.items():
            candidate = candidates.get(photo) or self._candidate(photo)
            if candidate is not None and verified.confirmed:
                candidate.verified = verified
                candidates[photo] = candidate
        self._add_form(query, candidates)
        ranked = sorted(candidates.values(), key=_rank_key)
        by_matches = self._mark_by_matches(ranked)
        told = marks_only or query.is_mark or bool(by_matches)
        by_look = (
            not told
            and by_matches is None
            and self.exemplars.usable
            and self.exemplars.is_mark(query.mark_vector())
        )
        is_mark = told or by_look
        if told:
            ranked.sort(key=lambda c: not self.photos.marks[c.row])
        if is_mark:
            # Taken for a mark by its look alone, the query keeps what it matches closely first
            # (a small, blurred photograph of a ware may look like a mark and still be found).
            ranked = self._with_other_marks(query, ranked, keep_close=by_look)
        return self._hits(ranked, is_mark, exclude_wares, allowed_wares)

    def stored_form(self, photo: int) -> np.ndarray | None:
        """A stored photograph's form vector, from those held for ranking (None without one)."""
        return _stored_row(self._form_ids, self._form_vectors, photo)

    def stored_mark(self, photo: int) -> np.ndarray | None:
        """A stored photograph's mark-likeness vector, from the exemplars (None without one)."""
        return _stored_row(self.exemplars.ids, self.exemplars.vectors, photo)

    def _candidate(self, photo: int) -> _Candidate | None:
        row = int(self.photos.positions(np.array([photo], dtype=np.int64))[0])
        return _Candidate(photo, row) if row >= 0 else None

    def _global(self, query: Query, allowed: set[int] | None) -> dict[int, _Candidate]:
        if query.vector is None or self.vectors is None:
            return {}
        found = self.vectors.search(query.vector, FILTERED_DEPTH if allowed else GLOBAL_DEPTH)
        photos = np.array([photo for photo, _ in found], dtype=np.int64)
        rows = self.photos.positions(photos)
        candidates = {}
        for (photo, score), row in zip(found, rows.tolist(), strict=True):
            if row >= 0 and (allowed is None or photo in allowed):
                candidates[photo] = _Candidate(photo, row, look=float(score))
        return candidates

    def _verified(
        self, features: LocalFeatures, by_look: list[int], allowed: set[int] | None
    ) -> dict[int, Verified]:
        """Geometric verification of one set of query keypoints against the photographs they
        vote for most and the best of the global candidates that they vote for at all."""
        matches = self._local(features, allowed)
        votes = matches.votes()
        counts = dict(zip(*np.unique(matches.photo, return_counts=True), strict=True))
        votes = {
            photo: vote for photo, vote in votes.items() if counts[photo] >= MIN_CORRESPONDENCES
        }
        by_votes = sorted(votes, key=lambda photo: -votes[photo])[:LOCAL_CANDIDATES]
        to_verify = list(
            dict.fromkeys(by_votes + [p for p in by_look if p in votes][:GLOBAL_VERIFIED])
        )
        return verify_candidates(features, matches, to_verify)

    def _local(self, features: LocalFeatures, allowed: set[int] | None) -> Correspondences:
        if self.features is None or not len(features):
            return no_correspondences()
        return self.features.search(features, allowed=allowed)

    def _add_form(self, query: Query, candidates: dict[int, _Candidate]) -> None:
        if query.form is None or not len(self._form_ids) or not candidates:
            return
        photos = np.fromiter(candidates, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self._form_ids, photos), len(self._form_ids) - 1)
        known = self._form_ids[rows] == photos
        scores = self._form_vectors[rows] @ query.form
        for photo, found, score in zip(photos.tolist(), known, scores.tolist(), strict=True):
            if found:
                candidates[photo].form = float(score)

    def _with_other_marks(
        self, query: Query, ranked: list[_Candidate], keep_close: bool = False
    ) -> list[_Candidate]:
        """``ranked`` with the marks it found closely first (everything it found closely, with
        ``keep_close``), then the collection's other marks (up to MARK_HITS) nearest in mark
        likeness, then the rest."""
        exemplars = self.exemplars
        mark = query.mark_vector() if exemplars.usable else None
        if mark is None:
            return ranked
        close = [
            c for c in ranked if self._is_close(c) and (keep_close or self.photos.marks[c.row])
        ]
        shown = {c.photo for c in close}
        distances = exemplars.distances(mark)
        rows = np.flatnonzero(exemplars.marks)
        order = rows[np.argsort(distances[rows], kind="stable")]
        others = []
        for row in order.tolist():
            photo = int(exemplars.ids[row])
            if photo in shown:
                continue
            candidate = self._candidate(photo)
            if candidate is None:
                continue
            candidate.mark_distance = float(distances[row])
            others.append(candidate)
            if len(others) >= MARK_HITS:
                break
        listed = shown | {c.photo for c in others}
        return close + others + [c for c in ranked if c.photo not in listed]

    def _is_close(self, candidate: _Candidate) -> bool:
        return candidate.verified is not None or candidate.look >= self.close_enough

    def _mark_by_matches(self, ranked: list[_Candidate]) -> bool | None:
        """Whether the query's close matches say it is a mark: its best match verified by
        geometry is a photograph of that very thing, mark or not (which outweighs how the query
        looks: a sherd's strokes may look like a mark's); otherwise it is one when most of its
        three best matches are close marks. None when they do not say (no verified best match
        and fewer than two close ones): appearance decides."""
        close = [c for c in ranked[:3] if self._is_close(c)]
        if close and close[0].verified is not None:
            return bool(self.photos.marks[close[0].row])
        if len(close) >= 2 and sum(bool(self.photos.marks[c.row]) for c in close) * 2 > len(close):
            return True
        return None

    def _hits(
        self,
        ranked: list[_Candidate],
        is_mark: bool,
        exclude_wares: frozenset[int],
        allowed_wares: set[int] | None,
    ) -> VisualResult:
        result = VisualResult(query_is_mark=is_mark)
        seen: set[int] = set(exclude_wares)
        for candidate in ranked:
            ware = int(self.photos.wares[candidate.row])
            if ware in seen or (allowed_wares is not None and ware not in allowed_wares):
                continue
            hit = self._hit(candidate, ware)
            if hit is None:
                result.below_cutoff += 1
                continue
            seen.add(ware)
            result.hits.append(hit)
        return result

    def _hit(self, candidate: _Candidate, ware: int) -> VisualHit | None:
        verified = candidate.verified
        if verified is not None:
            return VisualHit(
                ware,
                candidate.photo,
                round(verified.inliers / (verified.inliers + 20), 4),
                REASON_SAME,
                verified.inliers,
                self._region(candidate.row, verified.region),
                candidate.form,
            )
        if candidate.mark_distance is not None:
            return VisualHit(
                ware,
                candidate.photo,
                round(1 / (1 + candidate.mark_distance), 4),
                REASON_MARK,
                form_score=candidate.form,
            )
        fused = _fused(candidate)
        # The whole-photograph likeness decides what is close; form only re-orders (a form
        # vector alone says "a vase", which half a collection is).
        if candidate.look < self.close_enough:
            return None
        form_wins = candidate.form is not None and candidate.form >= max(FORM_CLOSE, candidate.look)
        return VisualHit(
            ware,
            candidate.photo,
            round(max(0.0, fused), 4),
            REASON_FORM if form_wins else REASON_LOOK,
            form_score=candidate.form,
        )

    def _region(
        self, row: int, region: tuple[float, float, float, float]
    ) -> tuple[int, int, int, int]:
        """A region given in fractions of the longer side, in the photograph's pixels, padded a
        little (keypoints sit inside the pattern they describe) and kept inside the image."""
        width, height = int(self.photos.widths[row]), int(self.photos.heights[row])
        side = max(width, height)
        x, y, w, h = (value * side for value in region)
        pad = 0.02 * side
        left, top = max(0, int(x - pad)), max(0, int(y - pad))
        right, bottom = min(width, int(x + w + pad + 1)), min(height, int(y + h + pad + 1))
        return left, top, max(1, right - left), max(1, bottom - top)


def _stored_row(ids: np.ndarray, matrix: np.ndarray, photo: int) -> np.ndarray | None:
    """The row of ``matrix`` for ``photo`` in the sorted ``ids`` (None when absent)."""
    row = int(np.searchsorted(ids, photo))
    return matrix[row] if row < len(ids) and ids[row] == photo else None


def _exemplars(photos: PhotoTable, marks: VectorIndex | None) -> MarkExemplars:
    """The stored mark-likeness vectors of the table's photographs with their mark labels."""
    if marks is None or not marks.count():
        return MarkExemplars.empty()
    ids, vectors = marks.all_vectors()
    rows = photos.positions(ids)
    known = rows >= 0
    ids, vectors, rows = ids[known], vectors[known], rows[known]
    order = np.argsort(ids)
    return MarkExemplars(ids[order], vectors[order], photos.marks[rows[order]])


def _confirmed(found: dict[int, Verified]) -> bool:
    """Some photograph verified (the same object or pattern): the query is not reversed."""
    return any(verified.confirmed for verified in found.values())


def _fused(candidate: _Candidate) -> float:
    if candidate.form is None:
        return candidate.look
    return (1 - FORM_SHARE) * candidate.look + FORM_SHARE * candidate.form


def _rank_key(candidate: _Candidate) -> tuple[int, float]:
    if candidate.verified is not None:
        return (0, -candidate.verified.inliers)
    return (1, -_fused(candidate))
