"""The local-feature vote's cost and quality with the first inverted-file layout (√n/2 lists
of a flat quantizer, nprobe 16) and the vocabulary layout (``index.feature_index``: ~512
keypoints a list, HNSW-assigned), each at every size asked, on one synthetic collection
(bench_visual_speed's) in one run: query thread CPU of the vote alone and of the whole search
after describing (p50/p95), top-5 of the 89 phone details, and the CPU to build each index.

    python bench/bench_feature_layout.py --sizes 10000 20000 [--nprobe 32 64 128]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_visual_speed as speed  # noqa: E402

from index import feature_index as fi  # noqa: E402
from index.descriptor_v2 import VisualDescriptorV2  # noqa: E402
from index.feature_index import LocalFeatureIndex  # noqa: E402
from index.photo_description import (  # noqa: E402
    extractor_name,
    form_describer,
    mirrored_query_features,
    query_features,
)
from index.visual_search import Query, VisualSearch  # noqa: E402


def first_layout(codes: np.ndarray, ids: np.ndarray):
    """The index as the first layout builds it (√n/2 lists compared with every keypoint)."""
    return _built_as(codes, ids, vocabulary_from=2**62)


def vocabulary_layout(codes: np.ndarray, ids: np.ndarray):
    """The index as the vocabulary layout builds it, whatever the size."""
    return _built_as(codes, ids, vocabulary_from=0)


def _built_as(codes: np.ndarray, ids: np.ndarray, vocabulary_from: int):
    kept = fi.VOCABULARY_FROM
    fi.VOCABULARY_FROM = vocabulary_from
    try:
        return fi.build_binary_index(codes, ids)
    finally:
        fi.VOCABULARY_FROM = kept


def described(queries: list[tuple[int, bytes]]) -> list[tuple[int, Query]]:
    """Each query photograph described once (as the service would), mirrored keypoints too."""
    v2, form = VisualDescriptorV2(), form_describer()
    out = []
    for want, data in queries:
        rgb = Image.open(io.BytesIO(data)).convert("RGB")
        mirrored = mirrored_query_features(rgb)
        out.append(
            (
                want,
                Query(
                    v2.embed_images([rgb])[0],
                    query_features(rgb),
                    form.embed_images([rgb])[0],
                    mirrored=lambda m=mirrored: m,
                ),
            )
        )
    return out


def run(built, folder: Path, queries, nprobe: int) -> dict[str, float]:
    features = LocalFeatureIndex(folder / "local", extractor_name(), nprobe=nprobe, mmap=True)
    vote: list[float] = []
    search = features.search

    def timed(*args, **kwargs):
        started = time.thread_time()
        try:
            return search(*args, **kwargs)
        finally:
            vote.append(time.thread_time() - started)

    features.search = timed
    visual = VisualSearch(
        built["table"], built["vectors"]["v2"], features, built["vectors"]["form"]
    )
    whole, found, votes_per_query = [], 0, []
    for want, query in queries:
        before = len(vote)
        started = time.thread_time()
        hits = visual.search(query).hits
        whole.append(time.thread_time() - started)
        votes_per_query.append(sum(vote[before:]))
        found += want in [hit.photo_id for hit in hits[:5]]
    return {
        "kind": features.kind,
        "vote_p50": speed.percentile_ms(votes_per_query, 50),
        "vote_p95": speed.percentile_ms(votes_per_query, 95),
        "p50": speed.percentile_ms(whole, 50),
        "p95": speed.percentile_ms(whole, 95),
        "top5": found / len(queries),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 20_000])
    parser.add_argument("--nprobe", type=int, nargs="*", default=[fi.NPROBE])
    parser.add_argument("--first-nprobe", type=int, default=16)
    parser.add_argument(
        "--layouts", nargs="*", default=["first", "vocabulary"], choices=["first", "vocabulary"]
    )
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # as the search service runs
    real = speed.Real(None)
    rng = random.Random(3)
    raw = [(i + 1, speed.phone_detail(image, rng)) for i, image in enumerate(real.images)]
    queries = described(raw)
    print("CPU of the query thread after describing (ms), FAISS single-threaded as served")
    print(
        f"{'photographs':>11} {'layout':<10} {'kind':<10} {'nprobe':>6} {'build CPU s':>11} "
        f"{'vote p50':>8} {'vote p95':>8} {'p50':>6} {'p95':>6} {'top-5':>6}"
    )
    for size in args.sizes:
        for label, local, probes in (
            ("first", first_layout, [args.first_nprobe]),
            ("vocabulary", vocabulary_layout, args.nprobe),
        ):
            if label not in args.layouts:
                continue
            with tempfile.TemporaryDirectory() as folder:
                built = speed.build(real, size, Path(folder), local=local)
                for nprobe in probes:
                    r = run(built, Path(folder), queries, nprobe)
                    print(
                        f"{size:>11,} {label:<10} {r['kind']:<10} {nprobe:>6} "
                        f"{built['local_cpu_s']:>11.1f} {r['vote_p50']:>8.1f} "
                        f"{r['vote_p95']:>8.1f} {r['p50']:>6.1f} {r['p95']:>6.1f} "
                        f"{r['top5']:>6.3f}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
