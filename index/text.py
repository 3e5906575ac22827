"""The keyword index: Whoosh over ware documents (see docs/architecture.md for the document keys).

Text fields use one analyzer for Chinese and English (index.chinese); queries are cleaned and
expanded with the bilingual glossary (index.query); facets are counted with numpy over per-document
columns, because Whoosh's own grouping walks every hit in Python.
"""

from __future__ import annotations

import functools
import math
import re
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh.analysis import IDTokenizer, LowercaseFilter
from whoosh.fields import BOOLEAN, COLUMN, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.qparser import FieldAliasPlugin, MultifieldParser
from whoosh.query import Every, Query, Term
from whoosh.reading import SegmentReader
from whoosh.writing import MERGE_SMALL, NO_MERGE

from index.chinese import (
    SEGMENT_SEPARATOR,
    ensure_jieba,
    fold,
    gram_analyzer,
    highlight_analyzer,
    is_han,
    mixed_analyzer,
)
from index.doctable import ROW_COLUMN, DocTable, FacetCount, encode_row
from index.documents import document_fingerprint
from index.engine import Engine, Evaluation
from index.glossary import Glossary, default_glossary
from index.query import PreparedQuery, QueryNote, prepare_query
from index.segment_cache import SegmentCache
from index.vocabulary import current as current_vocabulary
from index.whoosh_compat import VarintPositions

INDEX_NAME = "wares_v5"

# Query-time boosts: a match in the title says more than one in the description.
FIELD_BOOSTS: dict[str, float] = {
    "title": 5.0,
    "title_zh": 5.0,
    "maker": 3.0,
    "object_type": 2.0,
    "material": 2.0,
    "technique": 1.5,
    "pattern": 1.5,
    "place": 1.5,
    "period": 1.5,
    "marks": 1.2,
    "description": 1.0,
    "description_zh": 1.0,
    "institution": 0.5,
    "collection": 0.5,
    "accession": 5.0,
}
# Default searches run on one field holding every text field, each word weighted by its field's
# boost: one posting list per query word instead of fifteen keeps Whoosh's matching fast.
ALL_TEXT_FIELDS = tuple(name for name in FIELD_BOOSTS if name != "accession")
ALL_TEXT_BOOSTS = tuple(FIELD_BOOSTS[name] for name in ALL_TEXT_FIELDS)
STORED_TEXT = ("title", "title_zh", "maker", "description", "description_zh")
FACETS = (
    "object_type",
    "material",
    "maker",
    "place",
    "century",
    "institution",
    "collection",
    "has_photo",
)
ALIASES = {
    "object_type": ["type"],
    "description": ["desc"],
    "title": ["title_en"],
    "accession": ["accession_number"],
}
SORTS = ("relevance", "title", "date")
# The stored hash of the document a ware was indexed from: verify compares content with it.
FINGERPRINT = "fingerprint"
# A searcher replaced by a fresher one is closed this long after, not at once: a request in
# another thread may still be reading it (closing it under them raised ReaderClosed).
RETIRED_SEARCHER_SECONDS = 60.0
# Spelling suggestions looked at per unknown word, closest first, for one a live document holds.
SUGGESTION_CANDIDATES = 5
# Character bigrams of every Chinese text field (index.chinese.GramTokenizer).
GRAM_FIELD = "zh_grams"


def _text_field(analyzer: Any, stored: bool) -> TEXT:
    field = TEXT(analyzer=analyzer, stored=stored)
    field.format = VarintPositions(field_boost=1.0)
    return field


def _schema() -> Schema:
    analyzer = mixed_analyzer()
    all_text = TEXT(analyzer=mixed_analyzer(ALL_TEXT_BOOSTS))
    all_text.format = VarintPositions(field_boost=1.0)
    grams = TEXT(analyzer=gram_analyzer())
    grams.format = VarintPositions(field_boost=1.0)
    fields: dict[str, Any] = {
        "id": ID(stored=True, unique=True),
        "all_text": all_text,
        GRAM_FIELD: grams,
        ROW_COLUMN: COLUMN(),
        "accession": ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
        "year_earliest": NUMERIC(int, bits=32, signed=True, stored=True, sortable=True),
        "year_latest": NUMERIC(int, bits=32, signed=True, stored=True),
        "has_photo": BOOLEAN(stored=True),
        FINGERPRINT: STORED(),
    }
    for name in FIELD_BOOSTS:
        if name != "accession":
            fields[name] = _text_field(analyzer, stored=name in STORED_TEXT)
    return Schema(**fields)


def century_label(century: int) -> str:
    """'18th century' for 18, '3rd century BCE' for -3."""
    number = abs(century)
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if 10 <= number % 100 <= 20 else suffixes.get(number % 10, "th")
    return f"{number}{suffix} century" + (" BCE" if century < 0 else "")


def centuries(first: int | None, last: int | None) -> list[str]:
    """Century labels a date range falls in (1700–1799 is the 18th century); none if > 3."""
    if first is None and last is None:
        return []
    first = last if first is None else first
    last = first if last is None else last
    assert first is not None and last is not None

    def number(year: int) -> int:
        return year // 100 + 1 if year >= 0 else -((-year - 1) // 100 + 1)

    span = [c for c in range(number(first), number(last) + 1) if c != 0]
    return [century_label(c) for c in span] if len(span) <= 3 else []


def _split(value: object) -> list[str]:
    if value is None or value == "":
        return []
    return [part.strip() for part in re.split(r"\s*;\s*", str(value)) if part.strip()]


def facet_values(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """The facet values of a ware document (vocabulary facets lower-cased, names kept)."""
    values = {
        "object_type": [v.lower() for v in _split(doc.get("object_type"))],
        "material": [v.lower() for v in _split(doc.get("material"))],
        "maker": _split(doc.get("maker")),
        "place": _split(doc.get("place")),
        "century": centuries(doc.get("year_earliest"), doc.get("year_latest")),
        "institution": _split(doc.get("institution")),
        "collection": _split(doc.get("collection")),
        "has_photo": ["yes" if doc.get("has_photo") else "no"],
    }
    return {name: list(dict.fromkeys(v)) for name, v in values.items()}


def _whoosh_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    ware_id = int(doc["id"])
    out: dict[str, Any] = {"id": str(ware_id), FINGERPRINT: document_fingerprint(doc)}
    for name in FIELD_BOOSTS:
        value = doc.get(name)
        if value not in (None, ""):
            out[name] = str(value)
    if doc.get("maker_aliases"):
        # Other names of the makers (Chinese, former names) are searchable but are not facets.
        out["maker"] = f"{out.get('maker', '')}; {doc['maker_aliases']}"
    first, last = doc.get("year_earliest"), doc.get("year_latest")
    first = last if first is None else first
    last = first if last is None else last
    if first is not None:
        out["year_earliest"], out["year_latest"] = int(first), int(last)
    out["has_photo"] = bool(doc.get("has_photo"))
    title = doc.get("title") or doc.get("title_zh") or ""
    out["all_text"] = SEGMENT_SEPARATOR.join(
        out.get(n, "").replace(SEGMENT_SEPARATOR, " ") for n in ALL_TEXT_FIELDS
    )
    if is_han(out["all_text"]):
        out[GRAM_FIELD] = out["all_text"]
    values = facet_values(doc)
    years = None if first is None else (int(first), int(last))
    title_key = f"{fold(str(title))[:80]} {ware_id:012d}"
    out[ROW_COLUMN] = encode_row(ware_id, years, title_key, [values[n] for n in FACETS])
    return out


# A segment whose documents are at least this share deleted is rewritten at the next commit
# (lower, and a batch replacing every ware would copy the first build's documents only to
# replace them again moments later).
EXPUNGE_SHARE = 0.9
# Parsed queries kept per index (see TextIndex._parse_text).
PARSED_QUERIES = 1024
# Merging runs inside the commit that triggers it, and the index writer applies nothing else
# meanwhile: a merge's length is how long a curator's save can wait behind it. Whoosh's
# MERGE_SMALL let segments gather (19 of 1,000 documents) and then merged them at once: one
# commit took 18 s on two loaded cores. Here, once MERGE_FACTOR segments smaller than half the
# cap have gathered, the smallest are merged, never into a segment of more than
# MAX_MERGED_DOCS documents (well under a second on an idle core). Larger segments come from
# a rebuild, from an ingest's own keyword process (``TextIndex(bulk=True)``: it holds the write
# lock, so nobody waits behind it) and from ``TextIndex.consolidate``, which the serving writer
# runs while it has nothing else to do.
MERGE_FACTOR = 4
MAX_MERGED_DOCS = 1000
# ``consolidate`` merges the smallest segments into one of at most this many documents per step
# (a few seconds' work; the writer checks for changes between steps).
CONSOLIDATED_DOCS = 12000


def _live_segments(writer: Any, segments: list[Any]) -> list[Any]:
    """Drop the segments whose documents are all deleted and rewrite those mostly deleted
    with their live documents; returns the rest.

    Replacing a document deletes it in the segment that held it, and Whoosh's own policy judges
    a segment by the documents it ever held: after a batch replaced every ware, the segment
    of the first build stayed, all deleted, for good; each later batch left another. Every
    update and search then walks those dead postings, and the folder grows with each batch.
    """
    kept = []
    for segment in segments:
        total = segment.doc_count_all()
        live = segment.doc_count()
        if live == 0:
            continue  # nothing left to copy: its files go with the next cleanup
        if total - live >= EXPUNGE_SHARE * total:
            _copy_live(writer, segment)
        else:
            kept.append(segment)
    return kept


def _bounded_merges(writer: Any, segments: list[Any]) -> list[Any]:
    """The serving writer's merge policy: ``_live_segments``, then merges bounded by
    MAX_MERGED_DOCS (above)."""
    kept = _live_segments(writer, segments)
    small = [segment for segment in kept if segment.doc_count() < MAX_MERGED_DOCS // 2]
    if len(small) < MERGE_FACTOR:
        return kept
    # The commit's own new documents go into the merged segment too.
    merged = _smallest_fitting(small, MAX_MERGED_DOCS - int(getattr(writer, "docnum", 0)))
    if len(merged) < 2:
        return kept
    for segment in merged:
        _copy_live(writer, segment)
    return [segment for segment in kept if segment not in merged]


def _bulk_merges(writer: Any, segments: list[Any]) -> list[Any]:
    """A bulk writer's merge policy (an ingest's keyword process, which holds the write lock:
    no save waits behind its merges): ``_live_segments``, then Whoosh's MERGE_SMALL, for the
    fewest segments."""
    return list(MERGE_SMALL(writer, _live_segments(writer, segments)))


def _smallest_fitting(segments: Iterable[Any], limit: int) -> list[Any]:
    """The smallest segments, smallest first, whose live documents add up to at most
    ``limit``: what one bounded merge takes."""
    chosen, size = [], 0
    for segment in sorted(segments, key=lambda segment: segment.doc_count()):
        if size + segment.doc_count() > limit:
            break
        chosen.append(segment)
        size += segment.doc_count()
    return chosen


def _copy_live(writer: Any, segment: Any) -> None:
    """Copy a segment's live documents into the segment being written (merging it away)."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    writer.add_reader(reader)
    reader.close()


@dataclass(frozen=True)
class TextHit:
    """One matching ware: its id, relevance score and an HTML-safe snippet (matches in <mark>)."""

    id: int
    score: float
    highlight: str

    @property
    def highlights(self) -> str:
        """Alias of `highlight` (the name docs/architecture.md uses)."""
        return self.highlight


# The note that offers a spelling; pages show it as a link instead of as text.
DID_YOU_MEAN = "Did you mean: {suggestion}?"


@dataclass
class TextResults:
    """One page of keyword results with facet counts over all matches."""

    total: int
    page: int
    per_page: int
    hits: list[TextHit]
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    message: str = ""
    # The same notes one by one, each with its template for the page to translate.
    notes: list[QueryNote] = field(default_factory=list)
    suggestion: str = ""
    query: str = ""
    # What each query term was also searched as (glossary, pinyin, parts): [(term, [other])].
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """Number of pages of `per_page` hits."""
        return max(1, math.ceil(self.total / self.per_page))


# Opening an index another process is committing to can find the table of contents it listed
# already replaced (Whoosh deletes the previous one): CI caught a FileNotFoundError so. The open
# is tried again, as the next listing names the new one.
OPEN_ATTEMPTS = 5


def _open_or_create(path: Path) -> Any:
    for attempt in range(1, OPEN_ATTEMPTS):
        try:
            return _open_or_create_once(path)
        except FileNotFoundError:
            time.sleep(0.05 * attempt)
    return _open_or_create_once(path)


def _open_or_create_once(path: Path) -> Any:
    # One open (``exists_in`` would open the index a first time only to say it is there).
    try:
        return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
    except whoosh_index.EmptyIndexError:
        return whoosh_index.create_in(str(path), _schema(), indexname=INDEX_NAME)


class TextIndex:
    """Keyword index of ware documents stored in the folder `path`; ``bulk`` for a writer no
    save waits behind (an ingest's keyword process), which merges for the fewest segments
    rather than for short commits (see MAX_MERGED_DOCS)."""

    def __init__(
        self, path: Path | str, glossary: Glossary | None = None, *, bulk: bool = False
    ) -> None:
        self.path = Path(path)
        self.glossary = glossary or default_glossary()
        self.path.mkdir(parents=True, exist_ok=True)
        self._index = _open_or_create(self.path)
        self._lock = threading.Lock()
        self._merges = _bulk_merges if bulk else _bounded_merges
        self._searcher: Any = None
        self._retired: list[tuple[float, Any]] = []
        self._table: DocTable | None = None
        fields = [*FIELD_BOOSTS, "year_earliest", "year_latest", "has_photo"]
        self._table_reader: Any = None
        self._engine: Engine | None = None
        # What the search reads per segment, kept across the searchers of successive commits.
        self._segments = SegmentCache()
        self._parsed = functools.lru_cache(maxsize=PARSED_QUERIES)(self._parse_text)
        self._analyzer = mixed_analyzer()
        self._fragmenter = ContextFragmenter(maxchars=240, surround=60)
        self._formatter = HtmlFormatter(tagname="mark", between=" … ")
        self._parser = MultifieldParser(
            ["all_text", "accession"],
            self._index.schema,
            fieldboosts={"accession": FIELD_BOOSTS["accession"]},
        )
        self._parser.add_plugin(FieldAliasPlugin(ALIASES))
        self._user_fields = set(fields) | {a for names in ALIASES.values() for a in names}

    def warm(self, frequent_terms: int = 256) -> None:
        """Do the one-off work of first searches now: jieba's dictionary, per-document arrays,
        and the posting lists of the most frequent words (the slowest to read).

        A server calls this at start-up so that no visitor waits for it.
        """
        ensure_jieba()
        searcher = self._current_searcher()
        _, engine = self._doc_table(searcher)
        engine.field_lengths("all_text")
        for _, text in searcher.reader().most_frequent_terms("all_text", frequent_terms):
            engine.postings("all_text", text if isinstance(text, str) else text.decode("utf-8"))

    def add(
        self,
        docs: Iterable[Mapping[str, Any]],
        new_ids: Collection[int] = (),
        remove_ids: Iterable[int] = (),
        merge: bool = True,
    ) -> int:
        """Insert or replace (by `id`) the given ware documents in one batch; returns how many.

        Documents whose ids are in `new_ids` (the caller knows the index has never held them:
        wares just created) are added without looking for an older version to replace, which
        is cheaper. The wares in `remove_ids` are deleted in the same commit. ``merge=False``
        commits without merging (someone waits for these few documents: their small segment
        is merged by the next ordinary commit).
        """
        count = 0
        with self._lock:
            empty = self._index.is_empty()
            writer = self._index.writer(limitmb=256)
            try:
                if FINGERPRINT not in writer.schema:
                    # An index made before fingerprints: they start with this commit.
                    writer.add_field(FINGERPRINT, STORED())
                for ware_id in remove_ids:
                    writer.delete_by_term("id", str(int(ware_id)))
                for doc in docs:
                    fields = _whoosh_document(doc)
                    if empty or int(doc["id"]) in new_ids:
                        writer.add_document(**fields)
                    else:
                        writer.update_document(**fields)
                    count += 1
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=self._merges if merge else NO_MERGE)
        return count

    def consolidate(self, max_docs: int = CONSOLIDATED_DOCS) -> bool:
        """One step of merging the smallest segments into one of at most ``max_docs`` live
        documents, for the writer to run while nothing else waits (commits merge only small
        segments, to stay short: see MAX_MERGED_DOCS); returns whether a step was made."""
        with self._lock:
            chosen = _smallest_fitting(self._index._segments(), max_docs)
            if len(chosen) < 2:
                return False
            names = {segment.segment_id() for segment in chosen}
            writer = self._index.writer(limitmb=256)

            def merge_chosen(writer: Any, current: list[Any]) -> list[Any]:
                kept = []
                for segment in current:
                    if segment.segment_id() in names:
                        _copy_live(writer, segment)
                    else:
                        kept.append(segment)
                return kept

            writer.commit(mergetype=merge_chosen)
            return True

    def remove(self, ids: Iterable[int]) -> int:
        """Delete the wares with these ids; returns how many documents were deleted."""
        ids = list(ids)
        if not ids:
            return 0
        with self._lock:
            writer = self._index.writer()
            deleted = sum(writer.delete_by_term("id", str(int(i))) for i in ids)
            writer.commit(mergetype=self._merges)
        return deleted

    def ids(self) -> set[int]:
        """Ids of every indexed ware."""
        searcher = self._current_searcher()
        return {int(fields["id"]) for fields in searcher.all_stored_fields()}

    def fingerprints(self) -> dict[int, str | None]:
        """The content fingerprint each indexed ware was indexed with (None: made before)."""
        searcher = self._current_searcher()
        return {
            int(fields["id"]): fields.get(FINGERPRINT) for fields in searcher.all_stored_fields()
        }

    def count(self) -> int:
        """Number of indexed wares."""
        return self._current_searcher().doc_count()

    def close(self) -> None:
        """Release the open searcher (the index stays on disk)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            for _, retired in self._retired:
                retired.close()
            self._retired = []

    def _current_searcher(self) -> Any:
        with self._lock:
            if self._searcher is None:
                self._searcher = self._index.searcher()
                self._table = None
            elif not self._searcher.up_to_date():
                # A fresh searcher, not refresh(): refresh() reuses a segment's reader and so
                # misses deletions committed to that segment.
                self._retire(self._searcher)
                self._searcher = self._index.searcher()
                self._table = None
            return self._searcher

    def _retire(self, searcher: Any) -> None:
        now = time.monotonic()
        keep = []
        for since, old in self._retired:
            if now - since >= RETIRED_SEARCHER_SECONDS:
                old.close()
            else:
                keep.append((since, old))
        self._retired = [*keep, (now, searcher)]

    def _doc_table(self, searcher: Any) -> tuple[DocTable, Engine]:
        with self._lock:
            if self._table is None or self._engine is None or self._table_reader is not searcher:
                reader = searcher.reader()
                self._segments.retain(leaf for leaf, _ in reader.leaf_readers())
                self._table = DocTable(reader, FACETS, self._segments)
                self._engine = Engine(searcher, self._table.live, self._segments)
                self._table_reader = searcher
            return self._table, self._engine

    @staticmethod
    def _facet_filters(filters: Mapping[str, Any] | None) -> dict[str, list[str]]:
        chosen: dict[str, list[str]] = {}
        for name, wanted in (filters or {}).items():
            if name in ("year_from", "year_to") or wanted in (None, "", [], ()):
                continue
            if name not in FACETS:
                raise ValueError(f"unknown filter {name!r}; use one of {', '.join(FACETS)}")
            values = [wanted] if isinstance(wanted, str | bool) else list(wanted)
            if name == "has_photo":
                values = ["yes" if v in (True, "yes", "true", "1") else "no" for v in values]
            else:
                # A value in either language (or another name of it) matches the data as
                # written: 罐 filters the wares whose object type is "jar".
                vocabulary = current_vocabulary()
                values = [n for v in values for n in vocabulary.names(str(v))]
                if name in ("object_type", "material"):
                    values = [str(v).lower() for v in values]
            chosen[name] = list(dict.fromkeys(str(v) for v in values))
        return chosen

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 24,
        filters: Mapping[str, Any] | None = None,
        sort: str = "relevance",
        facet_limit: int = 30,
        highlight: bool = True,
    ) -> TextResults:
        """Search the wares; never raises for a bad query string (see `TextResults.message`).

        `filters` maps a facet name (FACETS) to a value or list of values (any of them), plus
        optional `year_from`/`year_to`. An empty query lists every ware (sorted by title).
        `sort` is "relevance", "title" or "date". Facet counts cover all matches. Pass
        `highlight=False` when snippets are not shown (e.g. deep lists for hybrid fusion).
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
        page, per_page = max(1, int(page)), max(1, min(int(per_page), 500))
        prepared = prepare_query(query or "", self.glossary, self._user_fields)
        messages = list(prepared.messages)
        facet_filters = self._facet_filters(filters)
        date_clauses = list(prepared.date_clauses)
        if filters and (filters.get("year_from") is not None or filters.get("year_to") is not None):
            first, last = filters.get("year_from"), filters.get("year_to")
            date_clauses.append(
                [(None if first is None else int(first), None if last is None else int(last))]
            )
        searcher = self._current_searcher()
        table, engine = self._doc_table(searcher)
        allowed = (
            table.live if (mask := table.filter_mask(facet_filters, date_clauses)) is None else mask
        )
        whoosh_query = self._parse(prepared, messages)
        start = (page - 1) * per_page
        if isinstance(whoosh_query, Every):
            docnums = table.ordered(allowed, "date" if sort == "date" else "title")
            hits = [
                TextHit(int(table.ware_id[d]), 0.0, "") for d in docnums[start : start + per_page]
            ]
        else:
            evaluation = self._evaluate(engine, whoosh_query, query, messages)
            docnums = np.flatnonzero(evaluation.mask & allowed)
            if sort == "relevance":
                docnums = _top(docnums, evaluation.score[docnums], start + per_page)
                hits = self._hits(
                    searcher,
                    whoosh_query if highlight else None,
                    prepared.han_words,
                    docnums[start : start + per_page],
                    evaluation.score,
                )
                docnums = np.flatnonzero(evaluation.mask & allowed)
            else:
                docnums = table.order(docnums, sort)
                hits = [
                    TextHit(int(table.ware_id[d]), 0.0, "")
                    for d in docnums[start : start + per_page]
                ]
        total = len(docnums)
        suggestion = self._suggest(searcher, prepared, query) if total == 0 else ""
        if suggestion:
            messages.append(QueryNote(DID_YOU_MEAN, suggestion=suggestion))
        return TextResults(
            total=total,
            page=page,
            per_page=per_page,
            hits=hits,
            facets=table.count(docnums, facet_limit),
            message=" ".join(messages),
            notes=list(messages),
            suggestion=suggestion,
            query=query or "",
            expansions=list(prepared.expansions),
        )

    def _evaluate(
        self, engine: Engine, whoosh_query: Query, query: str, messages: list[str]
    ) -> Evaluation:
        try:
            return engine.evaluate(whoosh_query)
        except Exception:  # a failure on some query shape must not become an HTTP 500
            messages.append(
                QueryNote("The query could not be run as written; its words were searched.")
            )
            words = " ".join(re.findall(r"\w+", query or ""))
            return engine.evaluate(self._parse(PreparedQuery(words), messages))

    def _parse(self, prepared: PreparedQuery, messages: list[QueryNote]) -> Query:
        parsed, notes = self._parsed(prepared.text)
        messages.extend(notes)
        return parsed

    def _parse_text(self, text: str) -> tuple[Query, tuple[QueryNote, ...]]:
        """The Whoosh query for a prepared query text, and the notes parsing it gave.

        Kept for the most recent PARSED_QUERIES texts (``_parsed``): Whoosh's parser took
        about a third of a search's time, and the same searches come again and again (links,
        facets and the pages of one search). The parsed queries are only read afterwards."""
        if not text:
            return Every(), ()
        notes: tuple[QueryNote, ...] = ()
        try:
            parsed = self._parser.parse(text)
        except Exception:  # Whoosh's parser can fail on odd input; fall back to plain words.
            words = re.findall(r"\w+", text)
            notes = (QueryNote("The query syntax was not understood; its words were searched."),)
            parsed = self._parser.parse(" ".join(words)) if words else Every()
        return (parsed if parsed is not None else Every()), notes

    def _hits(
        self,
        searcher: Any,
        whoosh_query: Query | None,
        han_words: Collection[str],
        docnums: np.ndarray,
        scores: np.ndarray,
    ) -> list[TextHit]:
        # The words to mark come from the query, whatever field they were matched in (mostly
        # all_text, which is not stored), and are found again in the stored fields; Chinese
        # query words are also marked inside longer words (as the gram field found them).
        words = (
            frozenset()
            if whoosh_query is None
            else frozenset(
                text if isinstance(text, str) else text.decode("utf-8")
                for name, text in whoosh_query.iter_all_terms()
                if name != GRAM_FIELD
            )
            | frozenset(han_words)
        )
        analyzer = highlight_analyzer(frozenset(han_words)) if han_words else self._analyzer
        hits = []
        for docnum in docnums:
            stored = searcher.stored_fields(int(docnum))
            snippet = ""
            order = _ZH_FIRST if han_words else _EN_FIRST
            for name in order:
                if stored.get(name) and words:
                    snippet = highlight(
                        stored[name],
                        words,
                        analyzer,
                        self._fragmenter,
                        self._formatter,
                        top=2,
                    )
                if snippet:
                    break
            hits.append(
                TextHit(id=int(stored["id"]), score=float(scores[docnum]), highlight=snippet)
            )
        return hits

    def _suggest(self, searcher: Any, prepared: PreparedQuery, original: str) -> str:
        """A corrected query string when some word is unknown to the index ('' if none)."""
        # Suggestions come from every word of every text field (all_text). Indexes made before
        # 2026-11-22 also hold a "spell" field with the same words; it is no longer written.
        corrector = searcher.reader().corrector("all_text")
        corrected = original
        changed = False
        for word in prepared.words:
            folded = fold(word)
            # Short words have too many neighbours within two edits to suggest one sensibly.
            if len(folded) < 4 or searcher.reader().doc_frequency("all_text", folded):
                continue
            # The lexicon keeps the words of deleted documents (a ware unpublished or withdrawn)
            # until its segment is merged away: only a word some live document holds is offered.
            candidates = corrector.suggest(folded, limit=SUGGESTION_CANDIDATES, maxdist=2, prefix=2)
            live = next(
                (term for term in candidates if _held_by_live_document(searcher, term)), None
            )
            if live:
                corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", live, corrected)
                changed = True
        return corrected if changed else ""


def _held_by_live_document(searcher: Any, term: str) -> bool:
    """Whether a document still in the index (not deleted) holds ``term`` in all_text."""
    return next(iter(searcher.docs_for_query(Term("all_text", term))), None) is not None


_EN_FIRST = ("description", "description_zh", "title", "title_zh", "maker")
_ZH_FIRST = ("description_zh", "title_zh", "description", "title", "maker")


def _top(docnums: np.ndarray, scores: np.ndarray, count: int) -> np.ndarray:
    """The `count` best documents, best first (ties by document number, so pages are stable)."""
    if len(docnums) > count:
        # The tiny document-number term makes the cut deterministic among equal scores.
        keep = np.argpartition(docnums * 1e-12 - scores.astype(np.float64), count - 1)[:count]
        docnums, scores = docnums[keep], scores[keep]
    return docnums[np.lexsort((docnums, -scores))]
