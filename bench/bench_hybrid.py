"""What hybrid search costs over its two sides, through the real search facade.

Builds an instance from the demo collection in samples/ (no ../shared needed) repeated COPIES
times with new accession numbers, through the real ingest pipeline and the built-in visual
descriptor. Then, for each of 50 (words, photograph) queries, times the keyword side (200 fusion
candidates, as hybrid asks), the visual side (search FAISS with the embedded photograph, map
photographs to wares) and the whole hybrid ranking (both sides, then reciprocal rank
fusion). The photograph is embedded once beforehand: that cost is the same with or without fusion.
The bar: hybrid adds ≤ 5 ms to the slower of its two sides.

    python bench/bench_hybrid.py [--copies 5]
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from archive.settings import load_settings  # noqa: E402
from index.service import FUSION_DEPTH, SearchService  # noqa: E402
from ingest.pipeline import IngestOptions, ingest_native_csv  # noqa: E402

SAMPLES = ROOT / "samples"
WORDS = [
    "blue and white",
    "青花",
    "celadon",
    "青瓷",
    "vase",
    "plate",
    "Jingdezhen",
    "景德镇",
    "Wedgwood",
    "jasper",
    "Ming",
    "Qing",
    "Kangxi",
    "bowl",
    "jar",
    "porcelain",
    "earthenware",
    "Song dynasty",
    "painted pottery",
    "dragon",
    "lotus",
    "Spode",
    "teapot",
    "dish",
    "meiping",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _best_ms(run: Callable[[], object], repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _copy_samples(copies: int, folder: Path) -> list[Path]:
    written = []
    for source in sorted(SAMPLES.glob("*/wares.csv")):
        with source.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        target = folder / f"{source.parent.name}.csv"
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for copy in range(copies):
                for row in rows:
                    writer.writerow(row | {"accession_number": f"{row['accession_number']}-{copy}"})
        written.append(target)
    return written


def _query_photo(path: Path, turn: int) -> bytes:
    with Image.open(path) as image:
        image = image.convert("RGB").rotate(3 + turn % 5, expand=True)
        width, height = image.size
        image = image.crop((width // 10, height // 10, width * 9 // 10, height * 9 // 10))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=60)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        home = Path(temp) / "instance"
        url = f"sqlite:///{home / 'potbank.sqlite3'}"
        upgrade_database(url)
        settings = load_settings({"POTBANK_HOME": str(home), "POTBANK_DATABASE_URL": url})
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        for path in _copy_samples(args.copies, Path(temp)):
            images = SAMPLES / path.stem / "images"
            options = IngestOptions(images_dir=images if images.is_dir() else None)
            ingest_native_csv(settings, sessions, path, options)
        built = time.perf_counter() - started
        service = SearchService(settings, sessions)
        service.text.warm()
        photos = sorted((SAMPLES / "chinesenotes" / "images").glob("*.jpg"))
        queries = [
            (WORDS[i % len(WORDS)], _query_photo(photos[i * 7 % len(photos)], i)) for i in range(50)
        ]
        vectors = [(words, service.embed_photograph(photo)) for words, photo in queries]
        service.fused_ranking(*vectors[0])  # warm every path
        keyword, visual, hybrid, overhead = [], [], [], []
        for words, vector in vectors:
            # The best of a few runs: the machine's other work adds noise, not cost.
            search_words = partial(
                service.text.search, words, per_page=FUSION_DEPTH, highlight=False
            )
            sides = [_best_ms(search_words), _best_ms(partial(service.visual_ranking, vector))]
            fused = _best_ms(partial(service.fused_ranking, words, vector))
            keyword.append(sides[0])
            visual.append(sides[1])
            hybrid.append(fused)
            overhead.append(fused - max(sides))
        wares = service.text.count()
        engine.dispose()
    print(
        f"\nHybrid search over {wares:,} wares and {89 * args.copies:,} photographs "
        f"(built in {built:.0f} s); 50 queries, times in ms"
    )
    print(f"{'':<34}{'p50':>9}{'p95':>9}{'max':>9}")
    for label, values in (
        ("keyword side (200 candidates)", keyword),
        ("visual side (FAISS + owners)", visual),
        ("hybrid (both sides + RRF)", hybrid),
        ("hybrid − slower side", overhead),
    ):
        print(
            f"{label:<34}{statistics.median(values):>9.2f}{_percentile(values, 0.95):>9.2f}"
            f"{max(values):>9.2f}"
        )
    p95 = _percentile(overhead, 0.95)
    verdict = "meets" if p95 <= 5 else "MISSES"
    print(f"\nHybrid adds p95 {p95:.2f} ms to its slower side: {verdict} the bar of ≤ 5 ms")


if __name__ == "__main__":
    main()
