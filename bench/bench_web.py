"""Page speed at scale: the search, ware, home, timeline and map pages of an instance of
100,000 wares.

The 28,258 Carnegie Museum of Art records (../shared/data/cmoa/cmoa-all.jsonl.gz, CC0) are
repeated with new accession numbers until there are N wares, written to a SQLite catalogue
(bulk inserts) and to the keyword index, as ``potbank index rebuild`` would index them. Then the
Flask app answers, in process through its test client, keyword searches and ware pages; the
table prints server time percentiles against the bars, with the bare search facade call measured
in the same run as the baseline, and the search page's weight (HTML + CSS + JS, no photographs).

    python bench/bench_web.py [--wares 100000] [--home DIR] [--repeat 3]

``--home`` keeps the built instance for the next run. Without ../shared the benchmark skips.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from archive.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from archive.models import (  # noqa: E402
    Collection,
    Institution,
    Maker,
    Photograph,
    PhotoView,
    Ware,
    WareMaker,
    WareStatus,
)
from archive.settings import Settings, load_settings  # noqa: E402
from index.sync import text_index_for  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "cmoa" / "cmoa-all.jsonl.gz"
SEARCH_BAR_MS = 100.0
WARE_BAR_MS = 50.0
BATCH = 5_000
# Words a visitor types: makers, materials, places, Chinese and glossary terms, a phrase, a
# fielded query, a misspelling, and a few that match tens of thousands of wares.
QUERIES = (
    "wedgwood", "Wedgwood jasper", "blue and white", "青花", "景德镇", "celadon", "青瓷",
    "famille rose", "porcelain", "porcelain teapot", "creamware plate", "earthenware jug",
    "stoneware", "spode", "minton", "Staffordshire", "willow pattern", '"transfer printed"',
    "maker:wedgwood material:porcelain", "type:plate", "Kangxi", "Chinese porcelain", "Imari",
    "Meissen", "delft", "tea bowl", "covered jar", "bowl OR dish", "porcelian", "cup and saucer",
    "photograph", "Pittsburgh", "gift of mrs", "",
)  # fmt: skip


def _year(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value[:5]) if value.startswith("-") else int(value[:4])
    except ValueError:
        return None


def _records() -> list[dict[str, Any]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _wares(limit: int) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(ware id, copy number, CMOA record) for N wares, the records repeated."""
    records = _records()
    pairs = ((copy, record) for copy in itertools.count() for record in records)
    for ware_id, (copy, record) in enumerate(itertools.islice(pairs, limit), start=1):
        yield ware_id, copy, record


def _makers(record: dict[str, Any]) -> list[str]:
    return [name for c in record.get("creator") or [] if (name := c.get("full_name"))]


def build(settings: Settings, wares: int) -> None:
    """Write N published wares (a photograph on every tenth) and their keyword index."""
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    index = text_index_for(settings)
    started = time.perf_counter()
    with sessions() as session:
        museum = Institution(name="Carnegie Museum of Art", place="Pittsburgh")
        session.add(museum)
        session.flush()
        collections: dict[str, int] = {}
        makers: dict[str, int] = {}
        rows: list[dict[str, Any]] = []
        credits: list[dict[str, Any]] = []
        photos: list[dict[str, Any]] = []
        documents: list[dict[str, Any]] = []

        def flush() -> None:
            session.execute(insert(Ware), rows)
            if credits:
                session.execute(insert(WareMaker), credits)
            if photos:
                session.execute(insert(Photograph), photos)
            index.add(documents)
            for batch in (rows, credits, photos, documents):
                batch.clear()

        for ware_id, copy, record in _wares(wares):
            department = record.get("department") or "Decorative Arts"
            if department not in collections:
                found = Collection(institution_id=museum.id, name=department)
                session.add(found)
                session.flush()
                collections[department] = found.id
            names = _makers(record)
            for name in names:
                if name not in makers:
                    maker = Maker(key=name.lower(), name=name)
                    session.add(maker)
                    session.flush()
                    makers[name] = maker.id
            years = (
                _year(record.get("creation_date_earliest")),
                _year(record.get("creation_date_latest")),
            )
            rows.append(
                {
                    "id": ware_id,
                    "institution_id": museum.id,
                    "collection_id": collections[department],
                    "accession_number": f"{record.get('accession_number')}-{copy}",
                    "title_en": record.get("title") or "Untitled",
                    "object_type": record.get("classification"),
                    "material": record.get("medium"),
                    "date_text": record.get("creation_date"),
                    "year_earliest": years[0],
                    "year_latest": years[1],
                    "credit_line": record.get("credit_line"),
                    "provenance": record.get("provenance_text"),
                    "rights": "http://creativecommons.org/publicdomain/zero/1.0/",
                    "status": WareStatus.PUBLISHED,
                }
            )
            credits.extend(
                {"ware_id": ware_id, "maker_id": makers[name], "position": position}
                for position, name in enumerate(dict.fromkeys(names))
            )
            if ware_id % 10 == 0:
                # Rows only: the pages need a photograph's size and address, not its bytes.
                photos.append(
                    {
                        "ware_id": ware_id,
                        "sha256": f"{ware_id:064x}",
                        "format": "jpg",
                        "width": 1200,
                        "height": 900,
                        "byte_size": 200_000,
                        "view": PhotoView.FRONT,
                        "licence": "http://creativecommons.org/licenses/by/4.0/",
                    }
                )
            documents.append(
                {
                    "id": ware_id,
                    "accession": rows[-1]["accession_number"],
                    "title": rows[-1]["title_en"],
                    "maker": "; ".join(names),
                    "object_type": record.get("classification") or "",
                    "material": record.get("medium") or "",
                    "place": "; ".join(
                        c.get("birth_place") or "" for c in record.get("creator") or []
                    ),
                    "period": record.get("creation_date") or "",
                    "description": " ".join(
                        filter(None, [record.get("credit_line"), record.get("provenance_text")])
                    ),
                    "institution": museum.name,
                    "collection": department,
                    "year_earliest": years[0],
                    "year_latest": years[1],
                    "has_photo": ware_id % 10 == 0,
                }
            )
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
        session.commit()
    index.close()
    engine.dispose()
    print(
        f"built {wares:,} wares (catalogue and keyword index) in "
        f"{time.perf_counter() - started:.0f} s"
    )


def _count(settings: Settings) -> int:
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(Ware)) or 0
    engine.dispose()
    return int(found)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wares", type=int, default=100_000)
    parser.add_argument("--home", type=Path, default=None, help="keep (or reuse) the instance")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found (the shared data folder is absent)")
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="potbank-bench-web-"))
    settings = load_settings({**os.environ, "POTBANK_HOME": str(home)})
    if _count(settings) != args.wares:
        if _count(settings):
            sys.exit(f"{home} holds another number of wares: use an empty folder")
        build(settings, args.wares)

    from web.app import create_app
    from web.views.context import app_state

    app = create_app(settings)
    client = app.test_client()
    service = app_state(app).search_service()
    started = time.perf_counter()
    service.text.warm()
    print(f"{args.wares:,} wares; index warm-up {(time.perf_counter() - started) * 1000:.0f} ms")

    def page(path: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response.get_data()

        return call

    from urllib.parse import quote

    # One untimed pass: Jinja compiles templates and SQLite fills its page cache on first use.
    for query in QUERIES:
        page(f"/?q={quote(query)}")()
    facade, search_page, api = [], [], []
    for query in QUERIES:
        facade += timed(lambda q=query: service.keyword(q, per_page=24), args.repeat)
        search_page += timed(page(f"/?q={quote(query)}"), args.repeat)
        api += timed(page(f"/api/v1/search?q={quote(query)}"), args.repeat)
    filtered = []
    for query in QUERIES[:10]:
        filtered += timed(
            page(f"/?q={quote(query)}&object_type=ceramics&year_from=1700&year_to=1900&page=2"),
            args.repeat,
        )
    chooser = random.Random(5)
    ware_ids = [chooser.randint(1, args.wares) for _ in range(200)]
    ware_ids += [chooser.randint(1, args.wares // 10) * 10 for _ in range(50)]  # photographed
    ware_pages = []
    for ware_id in ware_ids:
        ware_pages += timed(page(f"/wares/{ware_id}"), 1)

    # The explore pages keep their counts for a minute (web/views/recent.py): timed warm, as a
    # visitor meets them, and cold, as the first visitor after the minute does.
    from web.views.recent import _KEY as RECENT

    explore: dict[str, list[float]] = {}
    for path in ("/", "/timeline", "/map"):
        page(path)()
        explore[path] = timed(page(path), args.repeat * 20)

    def cold(path: str) -> Callable[[], object]:
        def call() -> object:
            app.extensions.pop(RECENT, None)
            return page(path)()

        return call

    cold_times = {path: timed(cold(path), args.repeat) for path in ("/", "/timeline", "/map")}

    print()
    print(f"{'server time (ms)':<44}{'n':>6}{'p50':>8}{'p95':>8}{'max':>8}{'bar':>7}  ")
    for label, times, bar in (
        ("search facade: service.keyword (baseline)", facade, None),
        ("search page /?q= (keyword, whole page)", search_page, SEARCH_BAR_MS),
        ("search page, facets + dates + page 2", filtered, SEARCH_BAR_MS),
        ("API /api/v1/search?q=", api, SEARCH_BAR_MS),
        ("ware page /wares/<id>", ware_pages, WARE_BAR_MS),
        ("home page /", explore["/"], SEARCH_BAR_MS),
        ("timeline /timeline", explore["/timeline"], SEARCH_BAR_MS),
        ("map /map", explore["/map"], SEARCH_BAR_MS),
        ("home page, counts cold", cold_times["/"], None),
        ("timeline, counts cold", cold_times["/timeline"], None),
        ("map, counts cold", cold_times["/map"], None),
    ):
        p95 = percentile(times, 0.95)
        verdict = "" if bar is None else ("ok" if p95 <= bar else "MISSED")
        print(
            f"{label:<44}{len(times):>6}{statistics.median(times):>8.1f}{p95:>8.1f}"
            f"{max(times):>8.1f}{'' if bar is None else f'{bar:.0f}':>7}  {verdict}"
        )
    print()
    results = client.get("/?q=porcelain")
    html = results.get_data()
    assets = {
        "potbank.css": (ROOT / "web" / "static" / "potbank.css").read_bytes(),
        "search.js": (ROOT / "web" / "static" / "search.js").read_bytes(),
    }
    print("search page weight (results for 'porcelain', photographs excluded)")
    print(f"{'part':<20}{'bytes':>10}{'gzip':>10}")
    total = raw_total = 0
    for name, body in (("HTML", html), *assets.items()):
        packed = len(gzip.compress(body))
        raw_total += len(body)
        total += packed
        print(f"{name:<20}{len(body):>10,}{packed:>10,}")
    print(f"{'total':<20}{raw_total:>10,}{total:>10,}")
    app_state(app).close()


if __name__ == "__main__":
    main()
