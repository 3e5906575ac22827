"""Each visual-search stage on its own: local features, the local-feature index and RANSAC
verification."""

from __future__ import annotations

import io
from functools import partial

import faiss
import numpy as np
import pytest
from PIL import Image, ImageOps

from index import feature_index
from index.feature_index import Correspondences, FeatureIndexError, LocalFeatureIndex
from index.local_features import (
    ANGLE_STEPS,
    CODE_BYTES,
    MAX_KEYPOINTS,
    LocalFeatureExtractor,
    LocalFeatures,
)
from index.verification import MIN_INLIERS, verify
from tests.index.visual_images import sherd_bytes, ware_bytes, ware_image


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.fixture(scope="module")
def extractor() -> LocalFeatureExtractor:
    return LocalFeatureExtractor()


@pytest.fixture(scope="module")
def wares(extractor) -> dict[int, LocalFeatures]:
    return {seed + 1: extractor.extract(ware_image(seed)) for seed in range(4)}


def test_features_are_compact_deterministic_and_in_the_image(extractor, wares):
    features = wares[1]
    assert 100 <= len(features) <= MAX_KEYPOINTS
    assert features.codes.shape[1] == CODE_BYTES and features.codes.dtype == np.uint8
    # The per-photograph budget: 16 KB on disk with the index's 8-byte ids.
    assert len(features) * (CODE_BYTES + 8) <= 16_000
    # Positions are fractions of the longer side (1200 px): x stays within 900/1200 of it.
    assert features.positions[:, 0].max() <= 0.75 * 65535 + 100
    again = extractor.extract(ware_image(0))
    assert np.array_equal(again.codes, features.codes)
    assert len(extractor.extract(Image.new("RGB", (300, 200), "white"))) == 0


def test_rootsift_codes_are_an_option_of_the_same_shape():
    features = LocalFeatureExtractor("rootsift", max_keypoints=50).extract(ware_image(0))
    assert 0 < len(features) <= 50 and features.codes.shape[1] == CODE_BYTES
    with pytest.raises(ValueError, match="unknown local feature kind"):
        LocalFeatureExtractor("surf")


def test_the_index_votes_for_the_source_of_a_sherd(tmp_path, extractor, wares):
    index = LocalFeatureIndex(tmp_path, extractor.name)
    index.add(wares)
    sherd = extractor.extract(_open(sherd_bytes(2, area=0.2)), 600)
    votes = index.search(sherd).votes()
    assert max(votes, key=votes.__getitem__) == 3
    restricted = index.search(sherd, allowed={1, 2})
    assert set(restricted.photo.tolist()) <= {1, 2}


def _flipped(codes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """``codes`` with ``bits`` of each code's 256 bits flipped at random."""
    unpacked = np.unpackbits(codes, axis=1)
    for row in unpacked:
        row[rng.choice(row.size, bits, replace=False)] ^= 1
    return np.packbits(unpacked, axis=1)


def test_a_keypoint_repeated_loosely_still_corresponds_and_a_stranger_does_not(tmp_path):
    # A detail photographed closer than its ware was repeats its keypoints less exactly: true
    # correspondences 65-80 bits apart (of 256) must still reach verification, while codes of
    # unrelated keypoints (about half the bits differ) must not.
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, (50, CODE_BYTES), dtype=np.uint8)
    positions = rng.integers(0, 65535, (50, 2)).astype(np.uint16)
    index = LocalFeatureIndex(tmp_path, "synthetic")
    index.add({9: _features(positions, stored)})
    loose = _features(positions, _flipped(stored, 72, rng))
    matches = index.search(loose)
    assert set(matches.query.tolist()) == set(range(50))
    # Positions come back to within half a 2048th of the longer side (how the index keeps them).
    assert np.abs(matches.position - positions[matches.query].astype(np.int64)).max() <= 16
    # Each stored keypoint's orientation and size come back with it (verification checks them).
    stored_features = _features(positions, stored)
    assert np.array_equal(matches.angle, stored_features.angles[matches.query])
    assert np.array_equal(matches.scale, stored_features.scales[matches.query])
    stranger = _features(positions, _flipped(stored, 128, rng))
    assert len(index.search(stranger)) == 0


def test_add_remove_save_reopen_and_verify(tmp_path, extractor, wares):
    index = LocalFeatureIndex(tmp_path, extractor.name)
    index.add(wares)
    index.add({9: LocalFeatures.empty()})  # a blank photograph is held, with no keypoints
    index.add({1: wares[1]})  # re-adding replaces
    assert index.keypoint_count() == sum(len(f) for f in wares.values())
    assert index.remove([2, 9, 77]) == 2
    index.save()
    reopened = LocalFeatureIndex(tmp_path, extractor.name)
    assert reopened.photos() == {1, 3, 4}
    assert reopened.verify([1, 2, 3]) == ([2], [4])
    assert reopened.keypoint_count() == sum(len(wares[i]) for i in (1, 3, 4))
    with pytest.raises(FeatureIndexError, match="rebuild"):
        LocalFeatureIndex(tmp_path, "another-extractor")


def test_a_large_index_becomes_an_inverted_file_and_still_finds(
    tmp_path, extractor, wares, monkeypatch
):
    monkeypatch.setattr(feature_index, "APPROXIMATE_FROM", 500)
    index = LocalFeatureIndex(tmp_path, extractor.name, nprobe=64)
    index.add(wares)
    assert index.kind.startswith("ivf")
    index.remove([4])
    index.save()
    mapped = LocalFeatureIndex(tmp_path, extractor.name, mmap=True, nprobe=64)
    assert mapped.kind.startswith("ivf") and mapped.photos() == {1, 2, 3}
    votes = mapped.search(extractor.extract(_open(sherd_bytes(1, area=0.25)), 600)).votes()
    assert max(votes, key=votes.__getitem__) == 2


def _features(
    positions: np.ndarray,
    codes: np.ndarray | None = None,
    angles: np.ndarray | None = None,
    scales: np.ndarray | None = None,
) -> LocalFeatures:
    """Keypoints at ``positions``: orientations spread round the turn and middling sizes
    unless given."""
    n = len(positions)
    return LocalFeatures(
        np.clip(np.round(positions), 0, 65535).astype(np.uint16),
        codes if codes is not None else np.zeros((n, CODE_BYTES), np.uint8),
        (angles if angles is not None else np.arange(n) % ANGLE_STEPS).astype(np.uint8),
        (scales if scales is not None else 12 + np.arange(n) % 5).astype(np.uint8),
    )


def _clusters(count: int, per: int, flip: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random 256-bit centres and ``per`` codes around each (bits flipped with
    probability ``flip``), the codes grouped by centre."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (count, CODE_BYTES), dtype=np.uint8)
    flips = np.packbits(rng.random((count * per, CODE_BYTES * 8)) < flip, axis=1)
    return centres, np.repeat(centres, per, axis=0) ^ flips


def _bits_apart(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.unpackbits(first ^ second, axis=-1).sum(axis=-1)


def test_the_vocabulary_is_the_majority_of_each_cluster():
    """Binary k-means through the HNSW graph: it starts from sampled codes (two codes of one
    cluster are ~65 bits apart at a 15 % flip) and its rounds move the centroids onto the
    clusters' centres (~38 bits from each code), so the codes lie far closer to their list's
    centroid."""
    centres, codes = _clusters(32, 60, 0.15, seed=1)

    def error(vocabulary: np.ndarray) -> float:
        return float(_bits_apart(codes[:, None, :], vocabulary[None, :, :]).min(axis=1).mean())

    start = codes[np.random.default_rng(7).choice(len(codes), 32, replace=False)]
    vocabulary = feature_index.train_vocabulary(codes, 32, iterations=4)
    assert error(vocabulary) < 0.75 * error(start)
    # Most centroids sit on a centre (a cluster no sampled code started in is shared with a
    # neighbour, whose majority then lies between them: k-means' local optimum).
    nearest = _bits_apart(vocabulary[:, None, :], centres[None, :, :]).min(axis=1)
    assert np.mean(nearest <= 4) >= 0.8


def test_a_large_index_is_a_vocabulary_of_short_lists_assigned_through_hnsw(tmp_path, monkeypatch):
    """~LIST_LENGTH keypoints a list, the lists found through an HNSW graph of their
    centroids (after reopening, memory-mapped, too), and the stored layout named in meta."""
    monkeypatch.setattr(feature_index, "APPROXIMATE_FROM", 1000)
    monkeypatch.setattr(feature_index, "VOCABULARY_FROM", 5000)
    monkeypatch.setattr(feature_index, "LIST_LENGTH", 40)
    _, codes = _clusters(256, 40, 0.1, seed=2)
    photos = {
        photo: _features(
            np.zeros((256, 2), np.uint16) + photo, codes[photo * 256 : (photo + 1) * 256]
        )
        for photo in range(40)
    }
    index = LocalFeatureIndex(tmp_path, "orb-test", nprobe=8)
    index.add({photo: photos[photo] for photo in range(10)})  # 2,560 keypoints
    assert index.layout == feature_index.FIRST_LAYOUT and index.kind.startswith("ivf")
    index.add(photos)
    assert index.layout == feature_index.LAYOUT
    assert index.kind == "ivf256"  # 10,240 keypoints / 40
    index.save()
    meta = LocalFeatureIndex.stored_meta(tmp_path)
    assert meta["layout"] == feature_index.LAYOUT
    assert LocalFeatureIndex.outdated_layout(meta) is None
    first = {key: value for key, value in meta.items() if key != "layout"}
    assert LocalFeatureIndex.outdated_layout(first) == feature_index.FIRST_LAYOUT
    assert LocalFeatureIndex.outdated_layout({**first, "keypoints": 4000}) is None
    assert LocalFeatureIndex.outdated_layout({"kind": "exact"}) is None
    mapped = LocalFeatureIndex(tmp_path, "orb-test", nprobe=8, mmap=True)
    inner = faiss.downcast_IndexBinary(mapped._index)
    graph = faiss.downcast_IndexBinary(inner.quantizer)
    assert isinstance(graph, faiss.IndexBinaryHNSW) and graph.hnsw.efSearch >= 8
    # Every keypoint finds itself (distance 0) among its photograph's votes.
    for photo in (0, 17, 39):
        found = mapped.search(photos[photo], neighbours=1)
        assert np.mean(found.photo == photo) > 0.95 and np.all(
            found.distance[found.photo == photo] == 0
        )


def _correspondences(
    query: LocalFeatures, target: np.ndarray, turn: int = 0, grow: int = 0
) -> Correspondences:
    """Each query keypoint matched to ``target``'s row, its keypoint turned by ``turn`` angle
    steps and grown by ``grow`` size steps."""
    n = len(query)
    return Correspondences(
        np.arange(n),
        np.full(n, 5),
        target,
        np.zeros(n, np.int32),
        (query.angles.astype(np.int64) + turn) % ANGLE_STEPS,
        query.scales.astype(np.int64) + grow,
    )


def _turned_copy(rng: np.random.Generator) -> tuple[LocalFeatures, np.ndarray]:
    """60 keypoints and where they land turned 45 degrees (4 angle steps) and scaled by 0.8
    (one size step down); a third of the matches are wrong."""
    query = _features(rng.uniform(5000, 30000, (60, 2)))
    angle, scale, shift = np.radians(45), 0.8, np.array([20000, 15000])
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = query.positions.astype(np.float64) @ (scale * turn).T + shift
    target[:20] = rng.uniform(0, 65535, (20, 2))
    return query, target.astype(np.int64)


def test_verification_finds_a_turned_scaled_copy_and_its_region():
    rng = np.random.default_rng(3)
    query, target = _turned_copy(rng)
    found = verify(query, _correspondences(query, target, turn=4, grow=-1), 5)
    assert found is not None and found.confirmed and 38 <= found.inliers <= 42
    x, y, w, h = found.region
    inside = target[20:] / 65535.0
    assert np.isclose(x, inside[:, 0].min(), atol=0.01) and np.isclose(
        w, np.ptp(inside[:, 0]), atol=0.02
    )
    assert np.isclose(y, inside[:, 1].min(), atol=0.01) and np.isclose(
        h, np.ptp(inside[:, 1]), atol=0.02
    )


def test_keypoints_that_do_not_turn_or_grow_with_the_fit_are_not_inliers():
    # The same positions as the turned copy above, but the matched keypoints' own orientations
    # (or sizes) disagree with the transform the positions fit: chance correspondences that
    # land in place. Position alone verified these with ~40 inliers.
    rng = np.random.default_rng(3)
    query, target = _turned_copy(rng)
    wrong_turn = _correspondences(query, target, turn=4 + ANGLE_STEPS // 2, grow=-1)
    found = verify(query, wrong_turn, 5)
    assert found is None or found.inliers < MIN_INLIERS
    found = verify(query, _correspondences(query, target, turn=4, grow=3), 5)
    assert found is None or found.inliers < MIN_INLIERS
    scattered = _features(query.positions, angles=rng.integers(0, ANGLE_STEPS, len(query)))
    found = verify(scattered, _correspondences(query, target, turn=4, grow=-1), 5)
    assert found is None or found.inliers < MIN_INLIERS


def test_a_few_true_correspondences_among_many_chance_ones_are_found():
    # A detail: 16 correspondences of the true transform (turned 90 degrees, 8 angle steps)
    # among 400 chance ones turned every way; RANSAC on the correspondences of the commonest
    # turns finds them where one fit over all of them rarely would.
    rng = np.random.default_rng(8)
    query = _features(rng.uniform(0, 65535, (416, 2)))
    target = rng.uniform(0, 65535, (416, 2))
    target[:16] = query.positions[:16, ::-1] * [-0.5, 0.5] + [50000, 10000]
    matches = _correspondences(query, target.astype(np.int64), turn=8, grow=-3)
    chance = rng.integers(0, ANGLE_STEPS, 400)
    matches.angle[16:] = chance
    found = verify(query, matches, 5)
    assert found is not None and found.confirmed and found.inliers >= 15


def test_chance_correspondences_are_not_verified():
    rng = np.random.default_rng(4)
    query = _features(rng.uniform(0, 65535, (200, 2)))
    target = rng.uniform(0, 65535, (200, 2)).astype(np.int64)
    matches = _correspondences(query, target)
    found = verify(query, matches, 5)
    assert found is None or found.inliers < MIN_INLIERS
    assert verify(query, _first(matches, 3), 5) is None


def _first(matches: Correspondences, n: int) -> Correspondences:
    return Correspondences(*(array[:n] for array in vars(matches).values()))


def test_sherd_of_a_real_ware_is_verified_against_it_and_not_against_others(
    tmp_path, extractor, wares
):
    index = LocalFeatureIndex(tmp_path, extractor.name)
    index.add(wares)
    sherd = extractor.extract(_open(sherd_bytes(0, area=0.15, turn=120)), 600)
    matches = index.search(sherd)
    results = {photo: verify(sherd, matches.of(photo), photo) for photo in wares}
    assert results[1] is not None and results[1].confirmed
    assert all(r is None or not r.confirmed for photo, r in results.items() if photo != 1)


def _unit(cosine: float, dim: int = 4) -> np.ndarray:
    vector = np.zeros(dim, dtype=np.float32)
    vector[0], vector[1] = cosine, np.sqrt(1 - cosine**2)
    return vector


def test_composition_reasons_form_fusion_and_cut_off(tmp_path):
    from index.vectors import VectorIndex
    from index.visual_search import REASON_FORM, REASON_LOOK, PhotoTable, Query, VisualSearch

    looks = {1: 0.95, 2: 0.90, 3: 0.50}  # photographs 1-3 of wares 10, 20, 30
    forms = {1: 0.60, 2: 0.97, 3: 0.99}
    vectors = VectorIndex(tmp_path / "v.faiss", "test", 4)
    vectors.add(list(looks), np.stack([_unit(c) for c in looks.values()]))
    form_index = VectorIndex(tmp_path / "f.faiss", "form", 4)
    form_index.add(list(forms), np.stack([_unit(c) for c in forms.values()]))
    ids = np.array([1, 2, 3])
    table = PhotoTable(ids, ids * 10, ids * 100, ids * 100, np.zeros(3, bool))
    search = VisualSearch(table, vectors, None, form_index, close_enough=0.85)
    query = Query(_unit(1.0), LocalFeatures.empty(), _unit(1.0))
    result = search.search(query)
    # Form re-orders (0.6 × 0.90 + 0.4 × 0.97 beats 0.6 × 0.95 + 0.4 × 0.60) and names itself;
    # the third looks like nothing, however alike its form: it is cut, and counted.
    assert [(h.ware_id, h.reason) for h in result.hits] == [(20, REASON_FORM), (10, REASON_LOOK)]
    assert result.below_cutoff == 1 and all(h.region is None for h in result.hits)
    assert [h.ware_id for h in search.search(query, exclude_wares=frozenset({20})).hits] == [10]
    assert not search.search(query, allowed_wares={30}).hits


def _searcher(tmp_path, extractor, wares):
    from index.visual_search import PhotoTable, VisualSearch

    index = LocalFeatureIndex(tmp_path, extractor.name)
    index.add(wares)
    ids = np.array(sorted(wares))
    table = PhotoTable(ids, ids * 10, np.full(4, 900), np.full(4, 1200), np.zeros(4, bool))
    return VisualSearch(table, None, index)


def test_a_mirrored_photograph_finds_its_ware_through_its_mirrored_keypoints(
    tmp_path, extractor, wares
):
    from index.photo_description import mirrored_query_features, query_features
    from index.visual_search import REASON_SAME, Query

    search = _searcher(tmp_path, extractor, wares)
    reversed_photo = ImageOps.mirror(_open(ware_bytes(2)))
    as_taken = query_features(reversed_photo)
    # ORB's descriptors are not mirror-invariant: as taken, the reversed photograph verifies
    # against nothing, its own ware included.
    assert not search.search(Query(None, as_taken)).hits
    mirrored = partial(mirrored_query_features, reversed_photo)
    found = search.search(Query(None, as_taken, mirrored=mirrored))
    best = found.hits[0]
    assert (best.ware_id, best.reason) == (30, REASON_SAME) and best.matches >= MIN_INLIERS
    # The matched region is on the stored photograph (its own coordinates, not mirrored).
    x, _, w, h = best.region
    assert x >= 0 and x + w <= 900 and w * h > 0.25 * 900 * 1200
    assert all(hit.ware_id == 30 for hit in found.hits)


def test_a_confirmed_match_as_taken_skips_the_mirrored_try(tmp_path, extractor, wares):
    from index.photo_description import mirrored_query_features, query_features
    from index.visual_search import REASON_SAME, Query

    search = _searcher(tmp_path, extractor, wares)
    # A small sherd (6 % of the area, turned): verified as taken, with fewer inliers than a
    # whole photograph gives (under 30, where the mirrored try used to be made until 30
    # November 2026).
    sherd = _open(sherd_bytes(2, area=0.06))
    tries = []

    def mirrored():
        tries.append(1)
        return mirrored_query_features(sherd)

    best = search.search(Query(None, query_features(sherd), mirrored=mirrored)).hits[0]
    assert (best.ware_id, best.reason) == (30, REASON_SAME)
    assert MIN_INLIERS <= best.matches < 30
    # Confirmed as taken: the costly second vote over the whole index is not made.
    assert not tries


def test_a_tiny_photograph_is_enlarged_before_its_keypoints_are_found(tmp_path, extractor, wares):
    from index.photo_description import query_features
    from index.visual_search import REASON_SAME, Query

    search = _searcher(tmp_path, extractor, wares)
    # An eighth of each side, as a photograph of a photograph in a small catalogue plate.
    tiny = _open(ware_bytes(1)).resize((112, 150), Image.Resampling.BILINEAR)
    as_is = extractor.extract(tiny, 600)
    enlarged = query_features(tiny)
    # As it is, its keypoints at ORB's coarsest scales verify weakly at best (nothing at all
    # before keypoints' shapes were checked, with a bar of 15: now 16 inliers); enlarged, they
    # land on the scales the stored photograph was described at.
    weak = search.search(Query(None, as_is)).hits
    assert len(enlarged) > len(as_is) and (not weak or weak[0].matches < 2 * MIN_INLIERS)
    best = search.search(Query(None, enlarged)).hits[0]
    assert (best.ware_id, best.reason) == (20, REASON_SAME) and best.matches >= 3 * MIN_INLIERS
