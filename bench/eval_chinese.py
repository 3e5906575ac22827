"""Cross-language keyword search quality (Chinese <-> English), plus the speed bars beside it.

Queries and judgements are derived mechanically from the 89 chinesenotes.com photographs
(../shared/data/chinesenotes/labels.csv), each captioned by its source in English (title_en,
caption) and in Chinese (title_zh, caption_zh):

1. Candidates. Chinese: every 2-4 character substring of a Chinese caption that is a word of
   jieba's dictionary. English: every 1-3 word n-gram of a clause of an English caption (none
   spans a comma or full stop) that neither starts nor ends with a stop word. Each candidate
   has the set of photographs whose caption holds it; only candidates held by at least two
   photographs are kept, and one lying inside another held by exactly the same photographs is
   dropped (kangxi inside "kangxi reign": the longer says the same).
2. Alignment. A Chinese candidate z and an English candidate e are paired when each is
   the other's best match by the Dice coefficient of their photograph sets, the Dice
   coefficient is at least 0.8, and they share at least two photographs. Where two candidates
   tie for best, the term is ambiguous and left out. English candidates that are common words
   of English ceramics records (in more than 1 % of the 2,400 CMOA ceramics records, an
   independent English-only corpus) are dropped: they say nothing about a ware in particular.
3. Two directions from each pair. zh->en: the query is z, searched in an index of the wares'
   English text only, and the relevant wares are those whose English text holds e. en->zh: the
   query is e, searched in an index of the Chinese text only, relevant where the Chinese text
   holds z. So every judgement is made only from the other language's text. One query per
   judged term: among Chinese queries judged by the same e, the best aligned is kept.
4. Variants of every zh->en query: traditional characters (OpenCC s2t; only where they differ),
   toneless pinyin with spaces and with tone marks (pypinyin; for the queries the glossary names,
   the scope of pinyin search), and a partial word (the longest dictionary word inside the
   query, 博物 of 博物馆; the judgement is unchanged). Each variant must find at
   least 90 % of what its simplified form finds (searched in the same English-only index), and
   the same variants are searched natively in the Chinese-only index.

The CMOA data is English only, so no cross-language judgement can be derived from it; it serves
step 2 and the speed measurements: keyword p95 at --wares (bench_keyword.py) and metadata ingest
(bench_ingest.py --metadata-only), each run with this tree and with the analyzer before issue 12
(commit BASELINE_COMMIT, taken out with git archive) as the baseline, in the same run.

    python bench/eval_chinese.py [--quick] [--no-speed] [--wares N] [--records N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.chinese import ensure_jieba  # noqa: E402
from index.glossary import default_glossary  # noqa: E402
from index.script import to_simplified  # noqa: E402
from index.text import TextIndex  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LABELS = SHARED / "chinesenotes" / "labels.csv"
CMOA_CERAMICS = SHARED / "cmoa" / "cmoa-ceramics.jsonl"
# The last commit before issue 12's analyzer: the speed baseline.
BASELINE_COMMIT = "7aba7da"
STOP_WORDS = frozenset(
    "a an and the of with on in at by for from to or its as c th bce ce".split()  # noqa: SIM905
)
MIN_SUPPORT = 2
MIN_DICE = 0.8
MAX_ENGLISH_SHARE = 0.01
BARS = {"recall": 0.95, "precision": 0.90, "variant": 0.90}
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Photo:
    """One photograph's two captions."""

    id: int
    english: str
    chinese: str


@dataclass(frozen=True)
class Pair:
    """An aligned Chinese and English caption term."""

    zh: str
    en: str
    dice: float


@dataclass
class Judged:
    """A query with the wares judged relevant to it, and what a search found."""

    query: str
    judged_by: str
    relevant: set[int]
    found: list[int] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return len(self.relevant & set(self.found)) / len(self.relevant)

    @property
    def precision(self) -> float:
        """Precision of the first min(10, |relevant|) results (all of them can be relevant)."""
        depth = min(10, len(self.relevant))
        return len(self.relevant & set(self.found[:depth])) / depth


def load_photos(path: Path = LABELS) -> list[Photo]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Photo(
            i,
            f"{row['title_en']}. {row['caption'] or ''}",
            to_simplified(f"{row['title_zh']} {row['caption_zh'] or ''}"),
        )
        for i, row in enumerate(rows, start=1)
    ]


def english_words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def english_common(path: Path = CMOA_CERAMICS) -> dict[str, float]:
    """Share of CMOA ceramics records holding each 1-3 word n-gram (empty if absent)."""
    if not path.exists():
        return {}
    counts: dict[str, int] = defaultdict(int)
    total = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            total += 1
            text = " ".join(str(record.get(k) or "") for k in ("title", "medium", "creation_date"))
            for gram in set(_grams(english_words(text))):
                counts[gram] += 1
    return {gram: count / total for gram, count in counts.items()}


def _grams(words: list[str]) -> Iterable[str]:
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            gram = words[start : start + size]
            if gram[0] not in STOP_WORDS and gram[-1] not in STOP_WORDS:
                yield " ".join(gram)


def align(photos: list[Photo], common: dict[str, float]) -> list[Pair]:
    """Mutually best Dice-aligned (Chinese, English) caption terms (see the module doc)."""
    jieba = ensure_jieba()
    chinese: dict[str, set[int]] = defaultdict(set)
    english: dict[str, set[int]] = defaultdict(set)
    for photo in photos:
        for run in _HAN_RUN.findall(photo.chinese):
            for size in (2, 3, 4):
                for start in range(len(run) - size + 1):
                    chinese[run[start : start + size]].add(photo.id)
        # n-grams stay within a clause: none spans a comma or a full stop.
        for clause in re.split(r"[,.;:()/]", photo.english):
            for gram in _grams(english_words(clause)):
                english[gram].add(photo.id)
    chinese = {z: s for z, s in chinese.items() if len(s) >= MIN_SUPPORT and jieba.dt.FREQ.get(z)}
    english = {
        e: s
        for e, s in english.items()
        if len(s) >= MIN_SUPPORT and common.get(e, 0.0) <= MAX_ENGLISH_SHARE
    }

    chinese = _maximal(chinese, lambda small, big: small in big)
    english = _maximal(english, lambda small, big: f" {small} " in f" {big} ")

    def dice(a: set[int], b: set[int]) -> float:
        return 2 * len(a & b) / (len(a) + len(b))

    def best(mine: set[int], others: dict[str, set[int]]) -> str | None:
        """The one best match; None where two or more tie (the alignment is ambiguous)."""
        scored = sorted(
            (
                (dice(mine, theirs), term)
                for term, theirs in others.items()
                if len(mine & theirs) >= MIN_SUPPORT
            ),
            reverse=True,
        )
        if not scored or scored[0][0] < MIN_DICE:
            return None
        if len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None
        return scored[0][1]

    pairs = []
    for z, photos_z in chinese.items():
        e = best(photos_z, english)
        if e is not None and best(english[e], chinese) == z:
            pairs.append(Pair(z, e, round(dice(photos_z, english[e]), 3)))
    return sorted(pairs, key=lambda p: p.zh)


def _maximal(terms: dict[str, set[int]], inside) -> dict[str, set[int]]:
    """Drop a term that lies inside another term held by exactly the same photographs (康熙 in
    康熙 reign: the longer says the same and is the one the caption means)."""
    by_photos: dict[frozenset[int], list[str]] = defaultdict(list)
    for term, photos in terms.items():
        by_photos[frozenset(photos)].append(term)
    kept = {}
    for group in by_photos.values():
        for term in group:
            if not any(other != term and inside(term, other) for other in group):
                kept[term] = terms[term]
    return kept


def holds_english(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ".join(english_words(text)))


def build_indexes(photos: list[Photo], folder: Path) -> tuple[TextIndex, TextIndex]:
    """An index of the English text alone and one of the Chinese text alone."""
    english = TextIndex(folder / "en")
    english.add({"id": p.id, "title": p.english} for p in photos)
    chinese = TextIndex(folder / "zh")
    chinese.add({"id": p.id, "title_zh": p.chinese} for p in photos)
    return english, chinese


def search_ids(index: TextIndex, query: str) -> list[int]:
    return [hit.id for hit in index.search(query, per_page=500, highlight=False).hits]


def judge(photos: list[Photo], pairs: list[Pair], english: TextIndex, chinese: TextIndex):
    """The zh->en and en->zh judged queries with their results."""
    to_english = [
        Judged(p.zh, p.en, {ph.id for ph in photos if holds_english(ph.english, p.en)})
        for p in pairs
    ]
    to_chinese = [Judged(p.en, p.zh, {ph.id for ph in photos if p.zh in ph.chinese}) for p in pairs]
    for item in to_english:
        item.found = search_ids(english, item.query)
    for item in to_chinese:
        item.found = search_ids(chinese, item.query)
    return to_english, to_chinese


def variants(query: str) -> list[tuple[str, str]]:
    """(kind, text) variants of a simplified Chinese query (see the module doc)."""
    import opencc
    from pypinyin import Style, lazy_pinyin

    out: list[tuple[str, str]] = []
    traditional = opencc.OpenCC("s2t").convert(query)
    if traditional != query:
        out.append(("traditional", traditional))
    if default_glossary().lookup(query):
        out.append(("pinyin", " ".join(lazy_pinyin(query))))
        out.append(("pinyin+tones", "".join(lazy_pinyin(query, style=Style.TONE))))
    jieba = ensure_jieba()
    parts = [
        query[i : i + n]
        for n in range(len(query) - 1, 1, -1)
        for i in range(len(query) - n + 1)
        if jieba.dt.FREQ.get(query[i : i + n])
    ]
    if parts:
        out.append(("partial", parts[0]))
    return out


def variant_rows(judged: list[Judged], english: TextIndex, chinese: TextIndex):
    """(kind, query, variant, share kept in the English index, share kept in the Chinese)."""
    rows = []
    for item in judged:
        native = set(search_ids(chinese, item.query))
        for kind, text in variants(item.query):
            kept_en = _kept(set(item.found), set(search_ids(english, text)))
            kept_zh = _kept(native, set(search_ids(chinese, text)))
            rows.append((kind, item.query, text, kept_en, kept_zh))
    return rows


def _kept(base: set[int], got: set[int]) -> float:
    return 1.0 if not base else len(base & got) / len(base)


def quality(folder: Path) -> tuple[list[str], bool]:
    photos = load_photos()
    pairs = align(photos, english_common())
    english, chinese = build_indexes(photos, folder)
    to_english, to_chinese = judge(photos, pairs, english, chinese)
    lines = [f"{len(pairs)} aligned pairs from {len(photos)} bilingual captions", ""]
    lines.append(
        f"{'direction':<10}{'query':<22}{'judged by':<22}{'rel':>5}{'R@all':>7}{'P@10':>7}"
    )
    for name, judged in (("zh->en", to_english), ("en->zh", to_chinese)):
        for item in judged:
            if item.recall < 1 or item.precision < 1:
                lines.append(
                    f"{name:<10}{item.query[:20]:<22}{item.judged_by[:20]:<22}"
                    f"{len(item.relevant):>5}{item.recall:>7.2f}{item.precision:>7.2f}"
                )
    lines.append("(queries with recall and precision 1.00 are not listed)")
    lines.append("")
    met = True
    lines.append(f"{'direction':<10}{'queries':>8}{'mean R@all':>12}{'mean P@10':>11}  bars")
    for name, judged in (("zh->en", to_english), ("en->zh", to_chinese)):
        recall = statistics.mean(i.recall for i in judged)
        precision = statistics.mean(i.precision for i in judged)
        ok = recall >= BARS["recall"] and precision >= BARS["precision"]
        met &= ok
        lines.append(
            f"{name:<10}{len(judged):>8}{recall:>12.3f}{precision:>11.3f}  "
            f"R>=0.95, P>=0.90: {'met' if ok else 'NOT met'}"
        )
    rows = variant_rows(to_english, english, chinese)
    lines.append("")
    lines.append(f"{'variant':<14}{'count':>6}{'min kept (en)':>15}{'min kept (zh)':>15}  bar")
    for kind in ("traditional", "pinyin", "pinyin+tones", "partial"):
        chosen = [r for r in rows if r[0] == kind]
        if not chosen:
            continue
        low_en = min(r[3] for r in chosen)
        low_zh = min(r[4] for r in chosen)
        ok = low_en >= BARS["variant"] and low_zh >= BARS["variant"]
        met &= ok
        lines.append(
            f"{kind:<14}{len(chosen):>6}{low_en:>15.2f}{low_zh:>15.2f}  "
            f">= 0.90 each: {'met' if ok else 'NOT met'}"
        )
    for kind, query, text, kept_en, kept_zh in rows:
        if min(kept_en, kept_zh) < BARS["variant"]:
            kept = f"{kept_en:.2f}, {kept_zh:.2f}"
            lines.append(f"  below the bar: {kind} {text} (of {query}): {kept}")
    english.close()
    chinese.close()
    return lines, met


def _baseline_tree(folder: Path) -> Path | None:
    """The tree at BASELINE_COMMIT, or None where git or the commit is not there."""
    archive = folder / "baseline.tar"
    try:
        with archive.open("wb") as handle:
            subprocess.run(
                ["git", "-C", str(ROOT), "archive", BASELINE_COMMIT],
                stdout=handle,
                stderr=subprocess.DEVNULL,
                check=True,
            )
    except (OSError, subprocess.CalledProcessError):
        return None
    target = folder / "baseline"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    # The bench scripts read ../shared/data from their tree's root.
    (folder / "shared").symlink_to(ROOT.parent / "shared")
    return target


def _run(tree: Path, args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, *args], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout


def _number(pattern: str, text: str) -> float | None:
    match = re.search(pattern, text)
    return float(match.group(1).replace(",", "")) if match else None


def speed(folder: Path, wares: int, records: int) -> tuple[list[str], bool]:
    trees = [("this tree", ROOT)]
    baseline = _baseline_tree(folder)
    if baseline is not None:
        trees.append((f"baseline {BASELINE_COMMIT}", baseline))
    lines = [f"{'tree':<20}{'keyword p95 ms':>16}{'ingest records/s':>18}"]
    met = True
    for label, tree in trees:
        keyword = _run(
            tree,
            [
                "bench/bench_keyword.py",
                "--wares",
                str(wares),
                "--repeat",
                "3",
                "--index-dir",
                str(folder / f"kw-{len(lines)}"),
            ],
        )
        ingest = _run(tree, ["bench/bench_ingest.py", "--metadata-only", "--records", str(records)])
        p95 = _number(r"first run : p50 [\d.]+ ms, p95 ([\d.]+) ms", keyword)
        rate = _number(r"metadata: catalogue \+ keyword index\s+[\d,]+\s+[\d.]+\s+([\d.]+)", ingest)
        lines.append(
            f"{label:<20}{'?' if p95 is None else f'{p95:.1f}':>16}"
            f"{'?' if rate is None else f'{rate:,.0f}':>18}"
        )
        if tree is ROOT:
            met = p95 is not None and rate is not None and p95 <= 30 and rate >= 1000
    lines.append(
        f"bars at {wares:,} wares / {records:,} records (first-run p95 <= 30 ms, >= 1,000 "
        f"records/s): {'met' if met else 'NOT met'}"
    )
    if baseline is None:
        lines.append(f"(no baseline: git or commit {BASELINE_COMMIT} is not available here)")
    return lines, met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small speed runs (20,000 wares)")
    parser.add_argument("--no-speed", action="store_true", help="the quality tables only")
    parser.add_argument("--wares", type=int, default=None)
    parser.add_argument("--records", type=int, default=None)
    args = parser.parse_args()
    if not LABELS.exists():
        print(f"skipped: needs the shared data set at {SHARED} (absent outside the dev machine)")
        return 0
    with tempfile.TemporaryDirectory(prefix="potbank-eval-zh-") as scratch:
        lines, met = quality(Path(scratch))
        print("\n".join(lines))
        print(f"quality bars: {'met' if met else 'NOT met'}")
        if not args.no_speed:
            wares = args.wares or (20_000 if args.quick else 100_000)
            records = args.records or (5_000 if args.quick else 28_258)
            print("\nspeed, measured in this run (machine shared with other work):")
            speed_lines, _ = speed(Path(scratch), wares, records)
            print("\n".join(speed_lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
