"""Quality of search by photograph under real conditions, on the 89 chinesenotes photographs.

Every photograph is indexed as ingest would (its 320 px thumbnail derivative, JPEG q85), then each
photograph is transformed and searched for among all of them; the table gives the share whose own
photograph comes first (top-1), or in the first five for the 20 % detail crops. The transforms
(index/photo_conditions.py, each printed with its exact definition) come in four groups: TUNING
(the conditions the descriptor was tuned on), DETAIL (20 % crops, top-5), COMBINED (several at
once, as a phone photograph) and HELD-OUT (never looked at while tuning: a transform that is
tuned for moves to TUNING, as mirror did on 30 November 2026, and new held-out ones replace it:
halftone print, motion blur, spotlight+shadow). Bars: top-1 >= 0.95 for
each single transform, >= 0.90 for combinations, detail top-5 >= 0.90.

Columns: the old built-in descriptor (v1) as the baseline, the new one (v2), and the full
retrieval pipeline when one is importable (``index.retrieval.evaluation_pipeline``: an object with
``add(images)`` and ``search(image, k) -> positions``), else a note saying it was not found.

Then: "marks find marks" (the three reign-mark photographs, found by their captions: does each
mark, photographed through a phone, return the other marks before any other photograph? The
pipeline is told which photographs are marks, as a curator's view ``mark`` tells the service),
"taken for marks" (how many of the other photographs, photographed through a phone, the pipeline
takes for a mark: each such query would list marks first, a mistake) and
"similar form" (for every photograph, the share of its 5 nearest others with the same
labels.csv object_type, against a random ranking in the same run; bar 3x random).

    python bench/eval_visual.py [--quick] [--limit N] [--marks]
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import photo_conditions as conditions  # noqa: E402
from index.descriptor import VisualDescriptor  # noqa: E402
from index.descriptor_v2 import VisualDescriptorV2  # noqa: E402
from index.form import FormDescriptor, fused_similarity  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "chinesenotes"
SEED = 11
THUMB = 320


def load_photos(
    limit: int | None = None, side: int = 1024
) -> tuple[list[Image.Image], list[dict[str, str]]]:
    """The photographs (RGB, longest side at most ``side``) and their labels.csv rows."""
    with (DATA / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit is not None:
        # An even spread over the list (marks included) rather than its first rows.
        keep = np.linspace(0, len(rows) - 1, limit).round().astype(int)
        rows = [rows[i] for i in sorted(set(keep.tolist()))]
    images = []
    for row in rows:
        with Image.open(DATA / "images" / row["filename"]) as image:
            image.draft("RGB", (side, side))
            rgb = image.convert("RGB")
        rgb.thumbnail((side, side), Image.Resampling.LANCZOS)
        images.append(rgb)
    return images, rows


def thumbnail(image: Image.Image) -> Image.Image:
    """The store's thumb derivative: longest side 320 px, JPEG q85, as ingest keeps it."""
    small = image.copy()
    small.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")


class DescriptorSearch:
    """Exact cosine search over one embedder's vectors of the indexed photographs."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.name = embedder.name
        self.base = np.zeros((0, embedder.dim), dtype=np.float32)

    def add(self, images: Sequence[Image.Image]) -> None:
        thumbs = [thumbnail(image) for image in images]
        started = time.perf_counter()
        self.base = self.embedder.embed_images(thumbs)
        self.add_ms = (time.perf_counter() - started) / len(images) * 1000

    def search(self, image: Image.Image, k: int) -> list[int]:
        scores = self.base @ self.embedder.embed_images([image])[0]
        return np.argsort(-scores, kind="stable")[:k].tolist()


def full_pipeline() -> tuple[Any | None, str]:
    """The composed retrieval pipeline when the code base has one, and a note saying which."""
    try:
        module = importlib.import_module("index.retrieval")
        factory: Callable[[], Any] = module.evaluation_pipeline
    except (ImportError, AttributeError) as error:
        return None, f"full pipeline: not evaluated (index.retrieval.evaluation_pipeline: {error})"
    return factory(), "full pipeline: index.retrieval.evaluation_pipeline"


def hit_rate(
    searcher: Any,
    queries: Sequence[Image.Image],
    truth: Sequence[int],
    k: int,
) -> float:
    hits = [want in searcher.search(query, k) for query, want in zip(queries, truth, strict=True)]
    return float(np.mean(hits))


def marks_find_marks(searcher: Any, images: list[Image.Image], rows: list[dict[str, str]]) -> str:
    """For each reign mark, photographed as by a phone: are the other marks ranked first?"""
    marks = [i for i, row in enumerate(rows) if _is_reign_mark(row)]
    if len(marks) < 2:
        return "fewer than two reign marks among these photographs"
    rng = random.Random(SEED)
    firsts, parts = 0, []
    for i in marks:
        query = conditions.COMBINED["phone"](images[i], rng)
        ranked = [j for j in searcher.search(query, len(images)) if j != i]
        ranks = sorted(ranked.index(j) + 1 for j in marks if j != i)
        firsts += ranks[-1] == len(marks) - 1
        parts.append(f"{rows[i]['filename'].split('.')[0]}: other marks at {ranks}")
    return f"other marks first for {firsts}/{len(marks)} ({'; '.join(parts)})"


def taken_for_marks(searcher: Any, images: list[Image.Image], rows: list[dict[str, str]]) -> str:
    """How many photographs that are not marks, photographed as by a phone, are taken for one."""
    if not hasattr(searcher, "last_is_mark"):
        return "not reported by this searcher"
    rng = random.Random(SEED)
    wrong = []
    others = [i for i, row in enumerate(rows) if not _is_reign_mark(row)]
    for i in others:
        searcher.search(conditions.COMBINED["phone"](images[i], rng), 10)
        if searcher.last_is_mark:
            wrong.append(rows[i]["filename"].split(".")[0])
    named = f" ({', '.join(wrong)})" if wrong else ""
    return f"{len(wrong)}/{len(others)} taken for a mark{named}"


def taken_by_appearance(images: list[Image.Image], rows: list[dict[str, str]]) -> list[str]:
    """Per transform of every group, how many photographs that are not marks the mark-likeness
    stage alone takes for a mark (against the stored thumbnails' vectors, the reign marks
    labelled). Only such a query is ranked otherwise than before that stage existed, so these
    counts bound what it can change in the tables above."""
    from index.mark_likeness import MarkExemplars, mark_features

    marks = np.array([_is_reign_mark(row) for row in rows])
    stored = np.stack([mark_features(thumbnail(image)) for image in images])
    ids = np.arange(1, len(images) + 1)
    exemplars = MarkExemplars(ids, stored, marks)

    def taken(position: int, query: Image.Image) -> bool:
        if not marks[position]:
            return exemplars.is_mark(mark_features(query))
        # A mark is judged as one the collection does not hold: its own photograph is left out
        # of the exemplars (with it, its nearest labelled mark would be itself).
        kept = np.arange(len(images)) != position
        alone = MarkExemplars(ids[kept], stored[kept], marks[kept])
        return alone.is_mark(mark_features(query))

    lines = []
    groups = {**conditions.TUNING, **conditions.DETAIL, **conditions.COMBINED}
    for name, transform in {**groups, **conditions.HELD_OUT}.items():
        rng = random.Random(f"{SEED}-{name}")
        queries = [transform(image, rng) for image in images]
        found = [taken(i, query) for i, query in enumerate(queries)]
        wrong = sum(t for t, mark in zip(found, marks, strict=True) if not mark)
        right = sum(t for t, mark in zip(found, marks, strict=True) if mark)
        lines.append(
            f"{name}: {wrong}/{int((~marks).sum())} others, {right}/{marks.sum()} marks "
            "(own photograph left out)"
        )
    return lines


def reign_mark_files() -> set[str]:
    """The file names of the reign marks among the shared photographs, by their labels."""
    with (DATA / "labels.csv").open(encoding="utf-8", newline="") as handle:
        return {row["filename"] for row in csv.DictReader(handle) if _is_reign_mark(row)}


def _is_reign_mark(row: dict[str, str]) -> bool:
    """A reign mark by its caption ("... reign seal ...", "...款") or its derived type."""
    caption = f"{row['title_en']} {row['caption']}".lower()
    return ("reign" in caption and ("seal" in caption or "mark" in caption)) or row[
        "title_zh"
    ].endswith("款")


def same_type_at_5(similarity: np.ndarray, types: list[str]) -> float:
    """Mean share of the 5 most similar other photographs with the same object type."""
    sims = similarity.copy()
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :5]
    return float(np.mean([[types[j] == types[i] for j in row] for i, row in enumerate(nearest)]))


def random_same_type_at_5(types: list[str], rounds: int = 200) -> float:
    rng = np.random.default_rng(SEED)
    n = len(types)
    random_sims = [rng.random((n, n)) for _ in range(rounds)]
    return float(np.mean([same_type_at_5(sims, types) for sims in random_sims]))


def run(limit: int | None, quick: bool, marks_only: bool = False) -> None:
    images, rows = load_photos(limit, side=640 if quick else 1024)
    if marks_only:
        run_marks(images, rows)
        return
    searchers: list[Any] = [
        DescriptorSearch(VisualDescriptor()),
        DescriptorSearch(VisualDescriptorV2()),
    ]
    pipeline, note = full_pipeline()
    if pipeline is not None:
        pipeline.name = "pipeline"
        searchers.append(pipeline)
    for searcher in searchers:
        started = time.perf_counter()
        if searcher is pipeline:
            searcher.add(images, marks=[_is_reign_mark(row) for row in rows])
        else:
            searcher.add(images)
        if not hasattr(searcher, "add_ms"):
            searcher.add_ms = (time.perf_counter() - started) / len(images) * 1000
    groups = [
        ("tuning", conditions.TUNING, 1),
        ("detail (top-5)", conditions.DETAIL, 5),
        ("combined", conditions.COMBINED, 1),
        ("held-out", conditions.HELD_OUT, 1),
    ]
    if quick:
        groups = [
            (title, dict(list(group.items())[:: 3 if title in ("tuning", "held-out") else 1]), k)
            for title, group, k in groups
        ]
    names = [searcher.name for searcher in searchers]
    print(f"{len(images)} photographs; {note}")
    print(
        "describing each 320 px thumbnail, wall ms (shared machine): "
        + ", ".join(f"{s.name} {s.add_ms:.1f}" for s in searchers)
    )
    header = f"{'transform':<18}" + "".join(f"{name[-24:]:>24}" for name in names)
    truth = list(range(len(images)))
    for title, group, k in groups:
        print(f"\n== {title}: {'top-5' if k == 5 else 'top-1'}")
        print(header)
        columns: list[list[float]] = [[] for _ in searchers]
        for name, transform in group.items():
            rng = random.Random(f"{SEED}-{name}")
            queries = [transform(image, rng) for image in images]
            rates = [hit_rate(searcher, queries, truth, k) for searcher in searchers]
            for column, rate in zip(columns, rates, strict=True):
                column.append(rate)
            print(f"{name:<18}" + "".join(f"{rate:>24.3f}" for rate in rates))
        print(f"{'minimum':<18}" + "".join(f"{min(column):>24.3f}" for column in columns))
    print("\n== marks find marks (a phone photograph of each reign mark, its own one stored)")
    for searcher in searchers:
        print(f"{searcher.name}: {marks_find_marks(searcher, images, rows)}")
    if pipeline is not None:
        print(f"taken for marks: {taken_for_marks(pipeline, images, rows)}")
    print("\n== similar form: same object_type among the 5 nearest others")
    types = [row["object_type"] for row in rows]
    form = FormDescriptor()
    forms = form.embed_images([thumbnail(image) for image in images])
    v1, v2 = searchers[0].base, searchers[1].base
    chance = random_same_type_at_5(types)
    table = {
        "random ranking": chance,
        "descriptor v1": same_type_at_5(v1 @ v1.T, types),
        "descriptor v2": same_type_at_5(v2 @ v2.T, types),
        "form alone": same_type_at_5(forms @ forms.T, types),
        "v2 + form (fused)": same_type_at_5(fused_similarity(v2, forms, v2, forms), types),
    }
    for name, value in table.items():
        print(f"{name:<20}{value:>8.3f}{value / chance:>8.1f}x random")
    print("\ntransforms:")
    for title, group, _ in groups:
        for name, text in conditions.describe_transforms(group):
            print(f"  [{title}] {name}: {text}")


def run_marks(images: list[Image.Image], rows: list[dict[str, str]]) -> None:
    """The marks section alone, on the pipeline: marks find marks and taken for marks."""
    pipeline, note = full_pipeline()
    if pipeline is None:
        print(note)
        return
    pipeline.add(images, marks=[_is_reign_mark(row) for row in rows])
    print(f"{len(images)} photographs; {note}")
    print(
        "marks find marks (each mark's own photograph is in the collection): "
        f"{marks_find_marks(pipeline, images, rows)}"
    )
    print(f"taken for marks: {taken_for_marks(pipeline, images, rows)}")
    print("taken for marks by appearance alone, per transform (the tables' queries):")
    for line in taken_by_appearance(images, rows):
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 photos, a third of the transforms")
    parser.add_argument("--limit", type=int, default=None, help="photographs to use (default 89)")
    parser.add_argument(
        "--marks", action="store_true", help="only marks find marks and taken for marks"
    )
    args = parser.parse_args()
    if not (DATA / "labels.csv").exists():
        print(f"skipped: {DATA} not found (the shared data folder is absent)")
        return
    run(args.limit or (30 if args.quick else None), args.quick, args.marks)


if __name__ == "__main__":
    main()
