"""Speed of search by photograph with every stage, at 10,000 and 100,000 photographs indexed,
with the old single-stage search (descriptor v1, one FAISS lookup) measured beside it in the same
run; ingest speed with local features; memory of a serving process.

Query (end to end, as the search service runs it minus HTTP): decode the uploaded JPEG, describe
it (descriptor v2, local features, form, mark likeness), global candidates, the local-feature
vote, RANSAC verification of the best candidates, form fusion, the mark decision and the cut-off.
Queries are the 89 shared photographs, each as a phone would send it (a 25 % detail, turned,
recoloured, JPEG q80).

The collection: the 89 real photographs (their real thumbnails, display derivatives, vectors and
keypoints) plus synthetic photographs up to the size asked for; the three reign marks and their
synthetic copies are labelled marks. A synthetic photograph copies a
real one's statistics: its keypoints are a real photograph's keypoints (positions moved by a
random similarity transform) with every descriptor bit flipped with probability 0.25, so they keep
the real codes' per-bit biases and much of their correlation (they fall in the same regions of
the inverted file) while being other wares: about 64 bits from their source, where matching
keypoints of one pattern are 20-40 bits apart. Its global and form vectors are a real one's plus
Gaussian noise (renormalised). The inverted lists are trained on these codes, as a rebuild would.

The local-feature index is written to disk and opened memory-mapped, as the service opens it;
the memory figure is the serving process's resident size after opening every index and running
the queries (the mapped file counts only for the pages it touched).

    python bench/bench_visual_speed.py            # 10,000 and 100,000
    python bench/bench_visual_speed.py --quick    # 2,000 and 10,000, fewer queries
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
from functools import cache, partial
from pathlib import Path

import faiss
import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_visual import reign_mark_files  # noqa: E402

from index import feature_index as fi  # noqa: E402
from index.descriptor import VisualDescriptor  # noqa: E402
from index.descriptor_v2 import VisualDescriptorV2  # noqa: E402
from index.feature_index import LocalFeatureIndex, keypoint_ids  # noqa: E402
from index.local_features import (  # noqa: E402
    ANGLE_STEPS,
    SCALE_STEP,
    SCALE_STEPS,
    LocalFeatures,
)
from index.mark_likeness import mark_features  # noqa: E402
from index.photo_description import (  # noqa: E402
    describe_photo,
    extractor_name,
    form_describer,
    mirrored_query_features,
    query_features,
)
from index.retrieval import derivative  # noqa: E402
from index.vectors import VectorIndex  # noqa: E402
from index.visual_search import PhotoTable, Query, VisualSearch  # noqa: E402

PHOTOS = ROOT.parent / "shared" / "data" / "chinesenotes" / "images"
BIT_FLIP = 0.25


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phone_detail(image: Image.Image, rng: random.Random) -> bytes:
    """A quarter of the photograph's area, turned, warmer, smaller, as a phone JPEG."""
    width, height = image.size
    w, h = int(width * 0.5), int(height * 0.5)
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    piece = image.crop((left, top, left + w, top + h)).rotate(rng.uniform(-40, 40), expand=True)
    red, green, blue = piece.split()
    piece = Image.merge("RGB", (red.point(lambda v: min(255, int(v * 1.15))), green, blue))
    piece = ImageOps.scale(piece, 0.7)
    buffer = io.BytesIO()
    piece.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class Real:
    """The 89 photographs as ingest keeps them: derivatives, vectors, keypoints, form."""

    def __init__(self, limit: int | None) -> None:
        paths = sorted(PHOTOS.glob("*.jpg"))[:limit]
        self.images = [Image.open(path).convert("RGB") for path in paths]
        v1, v2 = VisualDescriptor(), VisualDescriptorV2()
        self.v1, self.v2, self.forms, self.features, self.marks = [], [], [], [], []
        # The reign marks among the 89 (as eval_visual finds them), labelled as view ``mark``.
        marks = reign_mark_files()
        self.is_mark = np.array([path.name in marks for path in paths])
        self.cost = {"derivatives": 0.0, "v1": 0.0, "v2+local+form": 0.0}
        for image in self.images:
            started = time.process_time()
            thumb, display = derivative(image, "thumb"), derivative(image, "display")
            self.cost["derivatives"] += time.process_time() - started
            decoded = Image.open(io.BytesIO(thumb)).convert("RGB")
            started = time.process_time()
            self.v1.append(v1.embed_images([decoded])[0])
            self.cost["v1"] += time.process_time() - started
            # As the photo workers do: one segmentation for the descriptor and the form.
            started = time.process_time()
            vector, described = describe_photo(display, decoded, v2)
            self.cost["v2+local+form"] += time.process_time() - started
            self.v2.append(vector)
            self.features.append(described.features)
            self.forms.append(described.form)
            self.marks.append(described.mark)
        self.v1, self.v2, self.forms, self.marks = map(
            np.stack, (self.v1, self.v2, self.forms, self.marks)
        )
        self.cost = {name: seconds / len(self.images) * 1000 for name, seconds in self.cost.items()}


def noisy(vectors: np.ndarray, sources: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors[sources] + rng.normal(
        0, 0.35 / np.sqrt(vectors.shape[1]), (len(sources), vectors.shape[1])
    )
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def synthetic_features(real: LocalFeatures, rng: np.random.Generator) -> LocalFeatures:
    flips = np.packbits(rng.random((len(real), 256)) < BIT_FLIP, axis=1)
    angle, scale = rng.uniform(0, 2 * np.pi), rng.uniform(0.6, 1.2)
    turn = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = (real.positions.astype(np.float64) - 32768) @ turn.T + 32768
    points += rng.normal(0, 150, points.shape)
    # The keypoints turn and grow with the photograph, as a real one's would.
    angles = (real.angles.astype(np.int64) + round(angle / (2 * np.pi) * ANGLE_STEPS)) % ANGLE_STEPS
    grown = real.scales.astype(np.int64) + round(np.log(scale) / np.log(SCALE_STEP))
    scales = np.clip(grown, 0, SCALE_STEPS - 1)
    return LocalFeatures(
        np.clip(points, 0, 65535).astype(np.uint16),
        real.codes ^ flips,
        angles.astype(np.uint8),
        scales.astype(np.uint8),
    )


def synthetic_keypoints(
    real: Real, sources: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Every keypoint's code and FAISS id: photograph i + 1 is the real one ``sources[i]`` for
    the first 89, a synthetic copy of it after them."""
    n_real = len(real.images)
    codes, ids = [], []
    for photo, source in enumerate(sources.tolist(), start=1):
        features = (
            real.features[source]
            if photo <= n_real
            else synthetic_features(real.features[source], rng)
        )
        codes.append(features.codes)
        ids.append(keypoint_ids(photo, features))
    return np.concatenate(codes), np.concatenate(ids)


def build(
    real: Real, total: int, folder: Path, seed: int = 5, local=fi.build_binary_index
) -> dict[str, object]:
    """Indexes of ``total`` photographs (the real ones first) in ``folder``; the keypoints'
    index made by ``local(codes, ids)`` (exact or an inverted file trained on the codes, as a
    rebuild makes it)."""
    rng = np.random.default_rng(seed)
    n_real = len(real.images)
    sources = np.concatenate([np.arange(n_real), rng.integers(0, n_real, total - n_real)])
    ids = np.arange(1, total + 1, dtype=np.int64)
    started, cpu = time.perf_counter(), time.process_time()
    vectors = {}
    for name, base in (("v1", real.v1), ("v2", real.v2), ("form", real.forms)):
        matrix = np.concatenate([base, noisy(base, sources[n_real:], rng)])
        index = VectorIndex(folder / f"{name}.faiss", name, matrix.shape[1])
        index.add(ids, matrix)  # exact below 50,000, IVF above (index.vectors)
        vectors[name] = index
    # Mark-likeness measures are not unit vectors: a synthetic one is its source's, each measure
    # moved by 10 % of its spread over the real photographs.
    spread = real.marks.std(axis=0) * 0.1
    marks = np.concatenate(
        [real.marks, real.marks[sources[n_real:]] + rng.normal(0, 1, (total - n_real, 6)) * spread]
    ).astype(np.float32)
    vectors["marks"] = VectorIndex(folder / "marks.faiss", "marks", marks.shape[1])
    vectors["marks"].add(ids, marks)
    codes, keypoints = synthetic_keypoints(real, sources, rng)
    local_started = time.process_time()
    index = local(codes, keypoints)
    local_cpu = time.process_time() - local_started
    count = len(codes)
    del codes, keypoints
    local_dir = folder / "local"
    local_dir.mkdir(exist_ok=True)
    faiss.write_index_binary(index, str(local_dir / "codes.faiss"))
    np.save(local_dir / "photos.npy", ids)
    meta = {
        "extractor": extractor_name(),
        "photographs": total,
        "keypoints": int(index.ntotal),
        "layout": fi.LAYOUT,
    }
    (local_dir / "meta.json").write_text(json.dumps(meta))
    del index
    sizes = [real.images[s].size for s in sources]
    table = PhotoTable(
        ids,
        ids,
        np.array([w for w, _ in sizes]),
        np.array([h for _, h in sizes]),
        real.is_mark[sources],  # the reign marks and their synthetic copies are marks
    )
    return {
        "vectors": vectors,
        "table": table,
        "build_s": time.perf_counter() - started,
        "build_cpu_s": time.process_time() - cpu,
        "local_cpu_s": local_cpu,
        "keypoints": count,
        "local_bytes": sum(p.stat().st_size for p in local_dir.iterdir()),
    }


def percentile_ms(times: list[float], q: float) -> float:
    return float(np.percentile(np.array(times) * 1000, q))


def measure(
    real: Real, built: dict[str, object], folder: Path, queries: list[tuple[int, bytes]]
) -> dict[str, float]:
    vectors = built["vectors"]
    before = rss_mb()
    features = LocalFeatureIndex(folder / "local", extractor_name(), mmap=True)
    visual = VisualSearch(
        built["table"], vectors["v2"], features, vectors["form"], marks=vectors["marks"]
    )
    v1, v2, form = VisualDescriptor(), VisualDescriptorV2(), form_describer()
    new_times, old_times, new_cpu, found, old_found = [], [], [], 0, 0
    tries: list[int] = []  # queries that made the mirrored try (a second vote)
    for want, data in queries:
        cpu = time.thread_time()
        started = time.perf_counter()
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
        # As index.visual_index.photograph_query describes an upload: mirrored keypoints too.
        query = Query(
            v2.embed_images([rgb])[0],
            query_features(rgb),
            form.embed_images([rgb])[0],
            mirrored=partial(_counted, tries, mirrored_query_features, rgb),
            describe_mark=cache(partial(mark_features, rgb)),
        )
        hits = visual.search(query).hits
        new_times.append(time.perf_counter() - started)
        new_cpu.append(time.thread_time() - cpu)
        found += want in [hit.photo_id for hit in hits[:5]]
        started = time.perf_counter()
        with Image.open(io.BytesIO(data)) as image:
            rgb = image.convert("RGB")
        ranked = vectors["v1"].search(v1.embed_images([rgb])[0], 200)
        old_times.append(time.perf_counter() - started)
        old_found += want in [photo for photo, _ in ranked[:5]]
    return {
        "p50": percentile_ms(new_times, 50),
        "p95": percentile_ms(new_times, 95),
        "cpu_p95": percentile_ms(new_cpu, 95),
        "old_p50": percentile_ms(old_times, 50),
        "old_p95": percentile_ms(old_times, 95),
        "top5": found / len(queries),
        "old_top5": old_found / len(queries),
        "rss_mb": rss_mb(),
        "rss_delta_mb": rss_mb() - before,
        "mirrored": len(tries),
    }


def _counted(tries: list[int], describe, image: Image.Image) -> LocalFeatures:
    """``describe(image)``, counted in ``tries``."""
    tries.append(1)
    return describe(image)


def ingest_rate(count: int, embedder: str) -> tuple[float, float]:
    """Photographs per second of a real ingest of ``count`` photographs into a fresh instance
    with the built-in descriptor ``embedder`` (local features and form always), photo workers
    on every core as ingest runs them; and the CPU milliseconds it took per photograph, all
    processes together (steadier than the rate on a shared machine)."""
    from bench_ingest import photo_collection, photo_ingest

    from index.embedders import builtin_descriptor

    with tempfile.TemporaryDirectory() as folder:
        table, _ = photo_collection(Path(folder) / "source", count)
        run = photo_ingest(Path(folder) / "instance", table, builtin_descriptor(embedder))
        before, started = os.times(), time.perf_counter()
        report = run()
        seconds, after = time.perf_counter() - started, os.times()
    assert report.photos_added == count, report.summary
    cpu = sum(after[:4]) - sum(before[:4])
    return count / seconds, cpu / count * 1000


def ingest_table(count: int, rounds: int) -> None:
    """The ingest figures, the new descriptor's and the old one's, rounds taken in turn."""
    embedders = {
        "descriptor v2 + local features + form": VisualDescriptorV2.name,
        "old descriptor (v1) + local features + form": VisualDescriptor.name,
    }
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in embedders}
    for _ in range(rounds):
        for label, name in embedders.items():
            results[label].append(ingest_rate(count, name))
    print(
        f"\ningest of {count} photographs into a fresh instance, no CLIP, photo workers on "
        f"{os.cpu_count()} cores (best of {rounds}; bar >= 40 photographs/s)"
    )
    print(f"{'':<46} {'photos/s':>9} {'CPU ms/photo':>13}")
    for label, figures in results.items():
        rate = max(rate for rate, _ in figures)
        cpu = min(cpu for _, cpu in figures)
        print(f"{label:<46} {rate:>9.1f} {cpu:>13.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*")
    parser.add_argument("--ingest", type=int, default=None, help="photographs to ingest")
    parser.add_argument("--ingest-only", action="store_true", help="only the ingest figures")
    args = parser.parse_args()
    if not PHOTOS.exists():
        print(f"skipped: {PHOTOS} not found (the shared data folder is absent)")
        return 0
    # Photo workers unpickle the embedder: they must import what the bench imports.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), str(ROOT / "bench"), os.environ.get("PYTHONPATH")) if p
    )
    if args.ingest_only:
        ingest_table(args.ingest or 178, 1 if args.quick else 2)
        return 0
    faiss.omp_set_num_threads(1)  # as the search service runs
    sizes = args.sizes or ([2_000, 10_000] if args.quick else [10_000, 100_000])
    real = Real(None)
    rng = random.Random(3)
    queries = [(i + 1, phone_detail(image, rng)) for i, image in enumerate(real.images)]
    if args.quick:
        queries = queries[::3]
    print(
        "Loaded machine (2 cores shared with other jobs): wall-clock figures are upper bounds;"
        " CPU p95 is the query thread's own CPU time (FAISS runs single-threaded, as served)."
    )
    print(
        "per-photograph CPU at ingest (ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in real.cost.items())
    )
    print(
        f"\n{'photographs':>11} {'keypoints':>11} {'local MB':>9} {'B/photo':>8} {'build s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'CPU p95':>7} {'top-5':>6} | {'old p50':>7} {'old p95':>7} "
        f"{'old top-5':>9} | {'RSS MB':>7} {'mirrored':>8}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            built = build(real, size, Path(folder))
            result = measure(real, built, Path(folder), queries)
        print(
            f"{size:>11,} {built['keypoints']:>11,} {built['local_bytes'] / 2**20:>9.1f} "
            f"{built['local_bytes'] / size:>8.0f} {built['build_s']:>8.1f} {result['p50']:>7.1f} "
            f"{result['p95']:>7.1f} {result['cpu_p95']:>7.1f} {result['top5']:>6.2f} | "
            f"{result['old_p50']:>7.1f} "
            f"{result['old_p95']:>7.1f} {result['old_top5']:>9.2f} | {result['rss_mb']:>7.0f} "
            f"{result['mirrored']:>8}"
        )
    ingest_table(args.ingest or (178 if args.quick else 445), 1 if args.quick else 2)
    print(
        "per-photograph CPU outside ingest, one process (ms): "
        f"old (derivatives + v1) {real.cost['derivatives'] + real.cost['v1']:.1f}; "
        f"new (derivatives + v2 + local + form) "
        f"{real.cost['derivatives'] + real.cost['v2+local+form']:.1f}"
    )
    print(
        "queries: each of the 89 photographs as a phone detail (25 % of the area, turned up to 40"
        " degrees, warmer, 0.7x, JPEG q80); top-5: its own photograph among the first five;"
        " mirrored: queries that also voted with their mirrored keypoints"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
