"""Keyword search latency at scale: TextIndex over CMOA records repeated to N wares.

The 28,258 Carnegie Museum of Art records (../shared/data/cmoa/cmoa-all.jsonl.gz, CC0) are
mapped to ware documents and repeated with new accession numbers until there are N of them; then
60 realistic queries (words, phrases, fielded, dates, Chinese and glossary terms, misspellings)
each run through TextIndex.search with facets, as the web page would, and the table prints
latency percentiles and result counts.

    python bench/bench_keyword.py [--wares 100000] [--index-dir DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.text import TextIndex  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "cmoa" / "cmoa-all.jsonl.gz"

QUERIES = [
    "wedgwood",
    "Wedgwood jasper",
    "jasperware",
    "blue and white",
    "青花",
    "景德镇",
    "celadon",
    "青瓷",
    "famille rose",
    "粉彩",
    "porcelain",
    "porcelain teapot",
    "creamware plate",
    "earthenware jug",
    "stoneware",
    "spode",
    "minton",
    "Staffordshire",
    "Stoke-on-Trent",
    "willow pattern",
    '"transfer printed"',
    "maker:wedgwood material:porcelain",
    "maker:spode",
    "type:plate",
    "date:1700-1800 plate",
    "date:Kangxi",
    "date:Qing vase",
    'date:"19th century" vase',
    "Kangxi",
    "Chinese porcelain",
    "Japanese",
    "Imari",
    "Meissen",
    "Sèvres",
    "delft",
    "majolica",
    "tea bowl",
    "covered jar",
    "vase NOT glass",
    "bowl OR dish",
    "wedg*",
    "portrait",
    "landscape",
    "photograph",
    "silver gelatin print",
    "etching",
    "watercolor",
    "chair",
    "glass goblet",
    "textile",
    "Pittsburgh",
    "Andy Warhol",
    "gift of mrs",
    "wedgewood",
    "porcelian",
    "teh",
    "title:(",
    '"blue and',
    "cup and saucer",
    "figure of a dog",
]


def _year(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value[:5]) if value.startswith("-") else int(value[:4])
    except ValueError:
        return None


def ware_documents(limit: int) -> Iterator[dict[str, Any]]:
    """CMOA records as ware documents, repeated with new ids and accession numbers."""
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    for ware_id, (copy, record) in enumerate(
        ((c, r) for c in itertools.count() for r in records), start=1
    ):
        if ware_id > limit:
            return
        makers = [c.get("full_name") or "" for c in record.get("creator") or []]
        yield {
            "id": ware_id,
            "accession": f"{record.get('accession_number')}-{copy}",
            "title": record.get("title") or "",
            "maker": "; ".join(m for m in makers if m),
            "object_type": record.get("classification") or "",
            "material": record.get("medium") or "",
            "place": "; ".join(c.get("birth_place") or "" for c in record.get("creator") or []),
            "period": record.get("creation_date") or "",
            "description": " ".join(
                filter(None, [record.get("credit_line"), record.get("provenance_text")])
            ),
            "institution": "Carnegie Museum of Art",
            "collection": record.get("department") or "",
            "year_earliest": _year(record.get("creation_date_earliest")),
            "year_latest": _year(record.get("creation_date_latest")),
            "has_photo": bool(record.get("images")),
        }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wares", type=int, default=100_000)
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="reuse (or build once) the index here"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"skipped: {DATA} not found (the shared data folder is absent)")
    folder = args.index_dir or Path(tempfile.mkdtemp(prefix="potbank-bench-"))
    index = TextIndex(folder)
    if index.count() != args.wares:
        index.close()
        index = TextIndex(folder / f"n{args.wares}")
    if index.count() != args.wares:
        started = time.perf_counter()
        index.add(ware_documents(args.wares))
        elapsed = time.perf_counter() - started
        print(f"indexed {args.wares} wares in {elapsed:.1f} s ({args.wares / elapsed:.0f}/s)")
    size = sum(p.stat().st_size for p in index.path.rglob("*") if p.is_file())
    print(f"{index.count()} wares, index {size / 2**20:.0f} MiB at {index.path}")
    started = time.perf_counter()
    index.warm()
    print(
        f"warm-up after opening (jieba dictionary, per-document arrays): "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    rows = []
    cold: list[float] = []
    warm: list[float] = []
    for query in QUERIES:
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            results = index.search(query)
            times.append((time.perf_counter() - started) * 1000)
        # The first run reads the query's posting lists; later runs find them cached.
        cold.append(times[0])
        warm.extend(times[1:])
        rows.append(
            (
                query,
                results.total,
                times[0],
                statistics.median(times[1:] or times),
                results.suggestion or results.message[:30],
            )
        )
    print(f"\n{'query':<36}{'hits':>8}{'first ms':>10}{'again ms':>10}  note")
    for query, total, first, again, note in rows:
        print(f"{query[:35]:<36}{total:>8}{first:>10.1f}{again:>10.1f}  {note}")
    print(f"\n{len(QUERIES)} queries, {index.count()} wares, with facets and highlights:")
    print(
        f"  first run : p50 {percentile(cold, 0.5):.1f} ms, p95 {percentile(cold, 0.95):.1f} ms,"
        f" max {max(cold):.1f} ms"
    )
    if warm:
        print(
            f"  repeated  : p50 {percentile(warm, 0.5):.1f} ms, "
            f"p95 {percentile(warm, 0.95):.1f} ms, max {max(warm):.1f} ms"
        )


if __name__ == "__main__":
    main()
