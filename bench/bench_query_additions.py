"""Query CPU added by the enlarged tiny query and the mirrored try (index.visual_search), per kind
of query, over the 89 shared photographs: the same photographs searched with the old query (the
keypoints as they come, no mirrored try) and the new one, in turn, in one run.

CPU is the query thread's own (FAISS and OpenCV single-threaded, as the search service runs), for
describing the photograph (descriptor v2, keypoints, form) and searching; wall-clock on a shared
machine says little. Every fourth photograph is a query.

    python bench/bench_query_additions.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import cv2
import faiss
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_visual import DATA, SEED, load_photos  # noqa: E402

from index import photo_conditions as conditions  # noqa: E402
from index.photo_description import QUERY_KEYPOINTS, extractor, global_and_form  # noqa: E402
from index.retrieval import evaluation_pipeline  # noqa: E402
from index.visual_index import photograph_query  # noqa: E402
from index.visual_search import Query  # noqa: E402

KINDS = {
    "as taken": lambda image, rng: image,
    "1/8 size": conditions.eighth,
    "mirror": conditions.mirror,
    "crop 20%": conditions.crop_20,
    "phone": conditions.COMBINED["phone"],
    "noise s14": conditions.noise,
}


def main() -> None:
    if not (DATA / "labels.csv").exists():
        print(f"skipped: {DATA} not found (the shared data folder is absent)")
        return
    faiss.omp_set_num_threads(1)
    cv2.setNumThreads(1)
    images, _ = load_photos(None, side=1024)
    pipeline = evaluation_pipeline()
    pipeline.add(images)
    assert pipeline.visual is not None

    def old_query(picture):
        vector, form = global_and_form(picture, pipeline.embedder)
        return Query(vector, extractor().extract(picture, QUERY_KEYPOINTS), form)

    def new_query(picture):
        return photograph_query(picture, pipeline.embedder)

    print(
        f"{'query':<10} {'n':>3} {'old mean':>9} {'old p95':>8} {'new mean':>9} "
        f"{'new p95':>8} {'added':>7}   (ms of CPU)"
    )
    for name, transform in KINDS.items():
        rng = random.Random(f"{SEED}-{name}")
        times: dict[str, list[float]] = {"old": [], "new": []}
        for image in images[::4]:
            picture = transform(image, rng).convert("RGB")
            for label, describe in (("old", old_query), ("new", new_query)):
                started = time.thread_time()
                pipeline.visual.search(describe(picture))
                times[label].append((time.thread_time() - started) * 1000)
        old, new = np.array(times["old"]), np.array(times["new"])
        print(
            f"{name:<10} {len(new):>3} {old.mean():>9.1f} {np.percentile(old, 95):>8.1f} "
            f"{new.mean():>9.1f} {np.percentile(new, 95):>8.1f} {np.mean(new - old):>+7.1f}"
        )


if __name__ == "__main__":
    main()
