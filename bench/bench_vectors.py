"""Vector search at scale: exact vs IVF over N structured 512-d vectors (default 1,000,000).

The vectors are not uniform noise: descriptors of the 89 chinesenotes photographs under
augmentations (crop, resize, JPEG, tilt, brightness, turns) give the photo-level centres and the
per-dimension spread of "the same object photographed again"; synthetic objects are mixtures of
2–3 photo centres; each indexed vector is an object centre plus augmentation-like noise, lifted to
512 dimensions by a random orthonormal map, then L2-normalised. Queries are fresh noisy views of
indexed objects. Recall@10 is measured against exact inner-product search.

    python bench/bench_vectors.py [--vectors 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.eval_descriptor import DATA, load_photos  # noqa: E402
from index.augment import TRANSFORMS  # noqa: E402
from index.descriptor import VisualDescriptor  # noqa: E402
from index.vectors import build_index, ivf_lists  # noqa: E402

DIM = 512


def fitted_structure(views: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Photo centres and per-dimension augmentation spread, from real descriptors."""
    images, _ = load_photos()
    descriptor = VisualDescriptor()
    rng = random.Random(5)
    transforms = list(TRANSFORMS.values())
    stacks = [descriptor.embed_images(images)]
    for _ in range(views):
        stacks.append(descriptor.embed_images([rng.choice(transforms)(im, rng) for im in images]))
    samples = np.stack(stacks)  # (views + 1, photos, dim)
    centres = samples.mean(axis=0)
    spread = (samples - centres).std(axis=(0, 1))
    return centres, spread


def structured_vectors(
    count: int,
    objects: int,
    centres: np.ndarray,
    spread: np.ndarray,
    lift: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vectors, object of each vector, object centres) in DIM dimensions, unit length."""
    photos = len(centres)
    mix = rng.dirichlet(np.ones(3) * 0.7, size=objects)
    picks = rng.integers(0, photos, size=(objects, 3))
    object_centres = np.einsum("ok,okd->od", mix, centres[picks]).astype(np.float32)
    owner = rng.integers(0, objects, size=count)
    vectors = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 100_000):
        part = owner[start : start + 100_000]
        noisy = object_centres[part] + rng.standard_normal(
            (len(part), centres.shape[1]), dtype=np.float32
        ) * spread.astype(np.float32)
        lifted = noisy @ lift
        lifted += rng.standard_normal(lifted.shape, dtype=np.float32) * 0.002
        vectors[start : start + len(part)] = lifted / np.linalg.norm(lifted, axis=1, keepdims=True)
    return vectors, owner, object_centres


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def single_query_latency(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[float, float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], k)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true top-k found."""
    pairs = zip(found, truth, strict=True)
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in pairs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--objects", type=int, default=50_000)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"skipped: {DATA} not found (the shared data folder is absent)")
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    centres, spread = fitted_structure()
    lift = np.linalg.qr(rng.standard_normal((DIM, centres.shape[1])))[0].T.astype(np.float32)
    vectors, _, _ = structured_vectors(args.vectors, args.objects, centres, spread, lift, rng)
    query_vectors, _, _ = structured_vectors(
        args.queries, args.objects, centres, spread, lift, np.random.default_rng(99)
    )
    print(
        f"{args.vectors} × {DIM} vectors from {len(centres)} photos / {args.objects} objects "
        f"in {time.perf_counter() - started:.0f} s; {faiss.omp_get_max_threads()} threads"
    )
    ids = np.arange(1, args.vectors + 1, dtype=np.int64)
    k = 10

    exact = build_index(vectors, ids, DIM, approximate_from=args.vectors + 1)
    _, truth = exact.search(query_vectors, k)
    p50, p95 = single_query_latency(exact, query_vectors[:50], k)
    rows = [("exact (flat IP)", "-", 1.0, p50, p95, DIM * 4 + 8)]
    del exact

    started = time.perf_counter()
    ivf = build_index(vectors, ids, DIM, approximate_from=0)
    build_s = time.perf_counter() - started
    inner = faiss.downcast_index(ivf)
    for nprobe in (8, 16, 32, 64):
        inner.nprobe = nprobe
        _, found = ivf.search(query_vectors, k)
        p50, p95 = single_query_latency(ivf, query_vectors, k)
        rows.append(
            (f"IVF{inner.nlist},Flat", str(nprobe), recall(found, truth), p50, p95, DIM * 4 + 8)
        )
    print(
        f"IVF with {ivf_lists(args.vectors)} lists built (train + add) in {build_s:.0f} s; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB"
    )
    print(
        f"\n{'index':<18}{'nprobe':>7}{'recall@10':>11}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'bytes/vector':>14}"
    )
    for name, nprobe, rec, p50, p95, size in rows:
        print(f"{name:<18}{nprobe:>7}{rec:>11.3f}{p50:>9.2f}{p95:>9.2f}{size:>14}")


if __name__ == "__main__":
    main()
