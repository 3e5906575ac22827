"""Evaluate an image embedder on the 89 chinesenotes photographs (../shared/data/chinesenotes).

Copy-detection: every photo is transformed (crop, resize, JPEG, tilt, brightness, quarter turn) and
searched among the 89 originals; the table gives top-1 accuracy per transform. Then precision@5 of
the originals against each other by object type and material (labels are rough keyword hints).

    python bench/eval_descriptor.py [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.augment import TRANSFORMS  # noqa: E402
from index.descriptor import VisualDescriptor  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "chinesenotes"


def load_photos(limit: int | None = None) -> tuple[list[Image.Image], list[dict[str, str]]]:
    """The photographs (decoded, RGB) and their label rows."""
    with (DATA / "labels.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    images = []
    for row in rows:
        with Image.open(DATA / "images" / row["filename"]) as image:
            image.load()
            images.append(image.convert("RGB"))
    return images, rows


def copy_detection(embedder, images, seed: int = 7) -> dict[str, float]:
    """Top-1 accuracy per transform of finding the original among all originals."""
    base = embedder.embed_images(images)
    rng = random.Random(seed)
    accuracy = {}
    for name, transform in TRANSFORMS.items():
        queries = embedder.embed_images([transform(image, rng) for image in images])
        top = np.argmax(queries @ base.T, axis=1)
        accuracy[name] = float(np.mean(top == np.arange(len(images))))
    return accuracy


def precision_at_5(vectors: np.ndarray, labels: list[str]) -> float:
    """Mean share of the 5 nearest other photos that carry the same label."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    scores = []
    for i, label in enumerate(labels):
        if sum(other == label for other in labels) < 2:
            continue
        nearest = np.argsort(-sims[i])[:5]
        scores.append(np.mean([labels[j] == label for j in nearest]))
    return float(np.mean(scores)) if scores else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"skipped: {DATA} not found (the shared data folder is absent)")
    images, rows = load_photos(args.limit)
    embedder = VisualDescriptor()
    started = time.perf_counter()
    vectors = embedder.embed_images(images)
    per_image_ms = (time.perf_counter() - started) / len(images) * 1000
    accuracy = copy_detection(embedder, images)
    started = time.perf_counter()
    for row in rows:
        with Image.open(DATA / "images" / row["filename"]) as image:
            embedder.embed_images([image])
    from_file_ms = (time.perf_counter() - started) / len(rows) * 1000
    print(
        f"embedder {embedder.name}, dim {embedder.dim}, {len(images)} photos; "
        f"{from_file_ms:.1f} ms/photo from the JPEG file (draft decoding), "
        f"{per_image_ms:.1f} ms/photo already decoded at full size"
    )
    print(f"{'transform':<18}{'top-1':>8}")
    for name, value in accuracy.items():
        print(f"{name:<18}{value:>8.3f}")
    print(f"{'all':<18}{np.mean(list(accuracy.values())):>8.3f}")
    for key in ("object_type", "material"):
        labels = [row[key] for row in rows]
        counts = defaultdict(int)
        for label in labels:
            counts[label] += 1
        print(
            f"precision@5 by {key}: {precision_at_5(vectors, labels):.3f} "
            f"({sum(c >= 2 for c in counts.values())} labels with ≥2 photos)"
        )


if __name__ == "__main__":
    main()
