"""The search facade the web app and the CLI call: keyword, image, similar and hybrid search."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive.db import make_engine, make_session_factory
from archive.imaging import decode_derivative, open_query_image, to_rgb
from archive.models import Photograph, PhotoView
from archive.settings import Settings
from archive.store import ImageStore
from index.embedders import ClipEmbedder, ImageEmbedder, active_embedder, embedder_for_index
from index.generations import Generations
from index.hybrid import FusedResult, rrf
from index.local_features import LocalFeatures
from index.photo_description import FEATURE_DERIVATIVE, query_features
from index.sync import stored_vector_embedder, vector_index_stamp, vector_path
from index.text import FacetCount, TextIndex, TextResults
from index.vectors import VectorIndex
from index.visual_index import (
    local_stamp,
    open_feature_index,
    open_form_index,
    open_mark_index,
    photo_table,
    photograph_query,
)
from index.visual_search import Query, VisualHit, VisualSearch

# A generation replaced by a newer one is closed this long after it stopped serving: requests
# that opened it finish on it first.
RETIRED_GENERATION_SECONDS = 60.0
# How deep each side of a hybrid search looks before fusion.
FUSION_DEPTH = 200
MODES = ("keyword", "visual", "hybrid")
# Shared by every search of the process: CLIP's text side of a hybrid search runs here.
_POOL = ThreadPoolExecutor(max_workers=3, thread_name_prefix="potbank-search")


@dataclass(frozen=True)
class Hit:
    """One ware in a result list; ``sources`` says which side(s) found it.

    A hit found by photograph also says why (``reason``: ``same`` object or pattern, verified
    by ``matches`` matching points; similar ``form``; similar colour and texture, ``look``),
    which of the ware's photographs matched and, when verified, the matched ``region`` on it
    (IIIF ``x,y,w,h`` in the photograph's own pixels)."""

    ware_id: int
    score: float
    snippet: str | None = None
    sources: tuple[str, ...] = ()
    reason: str | None = None
    matches: int = 0
    photo_id: int | None = None
    region: tuple[int, int, int, int] | None = None

    @classmethod
    def of_visual(cls, hit: VisualHit) -> Hit:
        return cls(
            hit.ware_id,
            hit.score,
            None,
            ("visual",),
            hit.reason,
            hit.matches,
            hit.photo_id,
            hit.region,
        )


@dataclass
class SearchPage:
    """One page of results with the facets of the whole result set."""

    total: int
    page: int
    per_page: int
    mode: str
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    message: str | None = None
    # The message's notes one by one, each with its template (``index.query.QueryNote``).
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None
    # What query terms were also searched as (glossary, pinyin, parts): [(term, [others])].
    expansions: list[tuple[str, list[str]]] = field(default_factory=list)
    # A search by photograph in which nothing matched closely enough to be listed.
    nothing_close: bool = False


@dataclass(frozen=True)
class _OpenVectors:
    """The image index as last read, with which ware each photograph belongs to.

    Photograph ids never change owner, so the map is valid as long as the index file is: a
    search needs no database round trip to turn photographs into wares.
    """

    stamp: int
    index: VectorIndex
    # The embedder the index was built by (an older built-in descriptor until a rebuild).
    embedder: ImageEmbedder
    photo_ids: np.ndarray
    ware_ids: np.ndarray

    def owners(self, photo_ids: np.ndarray) -> np.ndarray:
        """The ware of each photograph, or -1 where the photograph is unknown."""
        if not len(self.photo_ids):
            return np.full(len(photo_ids), -1, dtype=np.int64)
        positions = np.minimum(np.searchsorted(self.photo_ids, photo_ids), len(self.photo_ids) - 1)
        return np.where(self.photo_ids[positions] == photo_ids, self.ware_ids[positions], -1)


class _OpenGeneration:
    """The indexes of one generation as this process reads them."""

    def __init__(self, name: str, folder: Path, stamp: tuple[int, int]) -> None:
        self.name = name
        self.folder = folder
        self.stamp = stamp
        self.text = TextIndex(folder / "text")
        self.vectors: _OpenVectors | None = None
        # The visual stages over this generation's indexes, by the stamps they were opened at.
        self.visual: tuple[tuple[int, ...], VisualSearch] | None = None

    def close(self) -> None:
        self.text.close()


class SearchService:
    """Opens the indexes of one instance; safe to share across requests of one process.

    It follows the instance's serving generation (``index.generations``): each search checks
    the pointer (one ``stat``) and opens a newly published generation at once. Within a
    request that called ``pin``, every search uses the generation the first one opened, until
    ``unpin`` (a rebuild published meanwhile never changes a page half-way).
    """

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session] | None = None,
        embedder: ImageEmbedder | None = None,
    ) -> None:
        self.settings = settings
        # One query at a time gains nothing from OpenMP's threads, and on a busy machine their
        # spin-waits cost milliseconds (measured in bench/bench_hybrid.py): a web server already
        # answers its requests in parallel. This is process-wide, and meant to be.
        faiss.omp_set_num_threads(1)
        self._sessions = session_factory
        self._embedder = embedder
        self._reason = "given by the caller" if embedder is not None else ""
        self._generations = Generations(settings.index_dir)
        self._open: _OpenGeneration | None = None
        self._open_lock = threading.Lock()
        self._retired: list[tuple[float, _OpenGeneration]] = []
        self._local = threading.local()

    @property
    def embedder(self) -> ImageEmbedder:
        if self._embedder is None:
            self._embedder, self._reason = active_embedder(self.settings)
        return self._embedder

    @property
    def text(self) -> TextIndex:
        """The keyword index of the generation this search reads."""
        return self._generation().text

    @property
    def generation(self) -> str:
        """The name of the generation this search reads."""
        return self._generation().name

    def pin(self) -> None:
        """Keep reading the generation open now (or first opened) until ``unpin``; call at the
        start of a request."""
        self._local.pinning = True

    def unpin(self) -> None:
        """End the pin of this thread's request."""
        self._local.pinning = False
        self._local.opened = None

    def _generation(self) -> _OpenGeneration:
        pinned = getattr(self._local, "opened", None)
        if pinned is not None:
            return pinned
        opened = self._latest()
        if getattr(self._local, "pinning", False):
            self._local.opened = opened
        return opened

    def _latest(self) -> _OpenGeneration:
        stamp = self._generations.pointer_stamp()
        current = self._open
        if current is not None and current.stamp == stamp and stamp != (0, 0):
            return current
        with self._open_lock:
            current = self._open
            if current is not None and current.stamp == stamp and stamp != (0, 0):
                return current
            generation = self._generations.current()
            stamp = self._generations.pointer_stamp()
            if current is not None and current.name == generation.name:
                current.stamp = stamp
                return current
            opened = _OpenGeneration(generation.name, generation.path, stamp)
            now = time.monotonic()
            if current is not None:
                self._retired.append((now, current))
            keep = []
            for since, old in self._retired:
                if now - since >= RETIRED_GENERATION_SECONDS:
                    old.close()
                else:
                    keep.append((since, old))
            self._retired = keep
            self._open = opened
            return opened

    def warm(self) -> None:
        """Load what the first visitor would otherwise wait for: the keyword index's
        dictionaries and columns, and the visual stages' indexes and photo table."""
        self.text.warm()
        self._visual()

    def embedder_status(self) -> dict[str, str]:
        """Which image embedder is active and why: shown in the UI, the CLI and the API."""
        embedder = self.embedder
        return {
            "name": embedder.name,
            "kind": "clip" if isinstance(embedder, ClipEmbedder) else "descriptor",
            "reason": self._reason,
        }

    def keyword(
        self,
        query: str,
        *,
        page: int = 1,
        per_page: int = 24,
        filters: dict[str, list[str]] | None = None,
        sort: str = "relevance",
    ) -> SearchPage:
        """Bilingual keyword search over published wares."""
        results = self.text.search(query, page=page, per_page=per_page, filters=filters, sort=sort)
        return SearchPage(
            total=results.total,
            page=page,
            per_page=per_page,
            mode="keyword",
            hits=[Hit(hit.id, hit.score, hit.highlight, ("keyword",)) for hit in results.hits],
            facets=_facet_pairs(results.facets),
            message=results.message or None,
            notes=list(results.notes),
            suggestion=results.suggestion or None,
            expansions=results.expansions,
        )

    def by_image(
        self,
        image_bytes: bytes,
        *,
        page: int = 1,
        per_page: int = 24,
        filters: dict[str, list[str]] | None = None,
        view: str | None = None,
    ) -> SearchPage:
        """Wares whose photographs show what the uploaded one shows (ImageRejected if bad):
        the same object or pattern first, then similar form, colour and texture; only close
        matches are listed (``nothing_close`` when there is none). ``view="mark"`` searches
        mark photographs only."""
        hits = self.visual_hits(self._query(image_bytes), filters, marks_only=view == "mark")
        start = (page - 1) * per_page
        return SearchPage(
            total=len(hits),
            page=page,
            per_page=per_page,
            mode="visual",
            hits=[Hit.of_visual(hit) for hit in hits[start : start + per_page]],
            nothing_close=not hits,
        )

    def visual_hits(
        self,
        query: Query,
        filters: dict[str, list[str]] | None = None,
        *,
        marks_only: bool = False,
        exclude_wares: frozenset[int] = frozenset(),
    ) -> list[VisualHit]:
        """Every close match of ``query`` through all the visual stages, best first."""
        visual = self._visual()
        if visual is None:
            return []
        allowed = self._ids_passing(filters) if filters else None
        result = visual.search(
            query, marks_only=marks_only, exclude_wares=exclude_wares, allowed_wares=allowed
        )
        return result.hits

    def similar(self, ware_id: int, limit: int = 12) -> list[int]:
        """Wares that look like ``ware_id``'s main photograph, most similar first."""
        return [hit.ware_id for hit in self.similar_hits(ware_id, limit)]

    def similar_hits(self, ware_id: int, limit: int = 12) -> list[Hit]:
        """Wares like ``ware_id``'s main photograph through every visual stage (a mark
        photograph finds marks), with their reasons and matched regions."""
        with self._session() as session:
            photo = session.scalar(
                select(Photograph)
                .where(Photograph.ware_id == ware_id)
                .order_by(Photograph.position)
                .limit(1)
            )
            if photo is None:
                return []
            image_key, is_mark = photo.image_key, photo.view == PhotoView.MARK
            photo_id = photo.id
        visual = self._visual()
        if visual is None:
            return []
        opened = self._vectors()
        vector = opened.index.vector(photo_id) if opened is not None else None
        path = ImageStore(self.settings.store_dir).derivative_path(image_key, FEATURE_DERIVATIVE)
        features = query_features(decode_derivative(path)) if path.exists() else None
        if vector is None and features is None:
            return []
        # Its form and mark-likeness vectors are those the visual stages hold in memory (read
        # from their files once per generation, not again for every ware page).
        query = Query(
            vector,
            features or LocalFeatures.empty(),
            visual.stored_form(photo_id),
            is_mark=is_mark,
            mark=visual.stored_mark(photo_id),
        )
        hits = self.visual_hits(query, exclude_wares=frozenset({ware_id}))
        return [Hit.of_visual(hit) for hit in hits[:limit]]

    @property
    def understands_words(self) -> bool:
        """Whether photographs can be searched by words (CLIP's text tower is loaded)."""
        return isinstance(self.embedder, ClipEmbedder)

    def by_text(
        self,
        query: str,
        *,
        page: int = 1,
        per_page: int = 24,
        filters: dict[str, list[str]] | None = None,
    ) -> SearchPage:
        """Wares whose photographs match a description in words (needs CLIP)."""
        ranked = self._filtered(self._scored_wares(self._embed_words(query)), filters)
        return _paged(ranked, page, per_page, "visual", ("clip-text",))

    def search(
        self,
        query: str,
        *,
        image: bytes | None = None,
        mode: str = "keyword",
        page: int = 1,
        per_page: int = 24,
        filters: dict[str, list[str]] | None = None,
    ) -> SearchPage:
        """One entry point for every mode.

        ``keyword`` searches the record text; ``visual`` searches photographs by an image, or by
        words when CLIP is active; ``hybrid`` fuses every side that applies: keyword and CLIP text
        for words, the image index for a photograph.
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        words = query.strip()
        if mode == "keyword" or (mode == "hybrid" and image is None and not self.understands_words):
            return self.keyword(query, page=page, per_page=per_page, filters=filters)
        if mode == "visual":
            if image is not None:
                return self.by_image(image, page=page, per_page=per_page, filters=filters)
            if not words:
                raise ValueError("a visual search needs a photograph or a description in words")
            return self.by_text(query, page=page, per_page=per_page, filters=filters)
        return self._hybrid(query, image, page, per_page, filters)

    def _hybrid(
        self,
        query: str,
        image: bytes | None,
        page: int,
        per_page: int,
        filters: dict[str, list[str]] | None,
    ) -> SearchPage:
        visual = None
        if image is not None:
            visual = [hit.ware_id for hit in self.visual_hits(self._query(image), filters)]
        fused, words = self.fused_ranking(query, None, filters, visual)
        start = (page - 1) * per_page
        return SearchPage(
            total=len(fused),
            page=page,
            per_page=per_page,
            mode="hybrid",
            hits=[
                Hit(ware, score, None, tuple(sources))
                for ware, score, sources in fused[start : start + per_page]
            ],
            facets=_facet_pairs(words.facets) if words else {},
            message=(words.message or None) if words else None,
            notes=list(words.notes) if words else [],
            suggestion=(words.suggestion or None) if words else None,
            expansions=words.expansions if words else [],
        )

    def fused_ranking(
        self,
        query: str,
        vector: np.ndarray | None,
        filters: dict[str, list[str]] | None = None,
        visual: list[int] | None = None,
    ) -> tuple[list[FusedResult], TextResults | None]:
        """Every side that applies, run side by side, fused by reciprocal rank.

        Words give the keyword side (and CLIP's text side when CLIP is active); ``vector``, an
        embedded photograph, gives the visual side (``visual``, a ranking of wares the caller
        made with every visual stage, takes its place). Also returns the keyword results (facets,
        did-you-mean) when there were words.
        """
        sides: dict[str, Callable[[], list[int]]] = {}
        words_result: list[TextResults] = []
        if query.strip():

            def keyword_side() -> list[int]:
                # Snippets for 200 fusion candidates would cost more than the search: skip them.
                result = self.text.search(
                    query, page=1, per_page=FUSION_DEPTH, filters=filters, highlight=False
                )
                words_result.append(result)
                return [hit.id for hit in result.hits]

            sides["keyword"] = keyword_side
            if self.understands_words:
                sides["clip-text"] = lambda: self.visual_ranking(self._embed_words(query), filters)
        if visual is not None:
            sides["visual"] = lambda: visual
        elif vector is not None:
            sides["visual"] = lambda: self.visual_ranking(vector, filters)
        # Only CLIP's text tower costs enough to gain from a thread of its own (torch releases
        # the GIL); the other sides take a millisecond or two, less than a thread hand-off.
        slow = {name: _POOL.submit(side) for name, side in sides.items() if name == "clip-text"}
        ranked = {name: side() for name, side in sides.items() if name not in slow}
        ranked.update((name, future.result()) for name, future in slow.items())
        fused = rrf(ranked)
        return fused, (words_result[0] if words_result else None)

    def visual_ranking(
        self, vector: np.ndarray, filters: dict[str, list[str]] | None = None
    ) -> list[int]:
        """Published wares by their best photograph's likeness to ``vector``, best first."""
        return [ware for ware, _ in self._filtered(self._scored_wares(vector), filters)]

    def _embed_words(self, query: str) -> np.ndarray:
        embedder = self.embedder
        if not isinstance(embedder, ClipEmbedder):
            raise ValueError(
                "searching photographs by words needs CLIP, which is not active here ("
                + self._reason
                + "); search by keyword, or by a photograph"
            )
        return embedder.embed_texts([query])[0]

    def embed_photograph(self, image_bytes: bytes) -> np.ndarray:
        """The index embedder's vector for an uploaded photograph (ImageRejected if bad)."""
        return self.index_embedder.embed_images([self._decoded(image_bytes)])[0]

    def _decoded(self, image_bytes: bytes) -> Image.Image:
        # Reduced decoding under the query pixel limit (hostile uploads), upright, in RGB.
        return to_rgb(open_query_image(image_bytes, self.settings.query_max_pixels))

    def _query(self, image_bytes: bytes) -> Query:
        """An uploaded photograph described for every visual stage (ImageRejected if bad)."""
        return photograph_query(self._decoded(image_bytes), self.index_embedder)

    def _visual(self) -> VisualSearch | None:
        """The visual stages over the pinned generation's indexes as last saved (reopened when
        any of them changes)."""
        generation = self._generation()
        opened = self._vectors()
        stamps = (opened.stamp if opened else 0, *local_stamp(generation.folder))
        if generation.visual is not None and generation.visual[0] == stamps:
            return generation.visual[1]
        features = open_feature_index(generation.folder, mmap=True)
        if opened is None and features is None:
            return None
        with self._session() as session:
            table = photo_table(session)
        forms = open_form_index(generation.folder)
        visual = VisualSearch(
            table,
            opened.index if opened else None,
            features,
            forms,
            marks=open_mark_index(generation.folder),
        )
        generation.visual = (stamps, visual)
        return visual

    @property
    def index_embedder(self) -> ImageEmbedder:
        """The embedder queries are described with: the one the image index was built by."""
        opened = self._vectors()
        return opened.embedder if opened is not None else self.embedder

    def _scored_wares(self, vector: np.ndarray) -> list[tuple[int, float]]:
        """Ware ids by their best-matching photograph."""
        opened = self._vectors()
        if opened is None:
            return []
        matches = opened.index.search(vector, FUSION_DEPTH)
        if not matches:
            return []
        owners = opened.owners(np.fromiter((photo for photo, _ in matches), dtype=np.int64))
        best: dict[int, float] = {}
        for ware, (_, score) in zip(owners.tolist(), matches, strict=True):
            if ware >= 0 and ware not in best:
                best[ware] = score
        return list(best.items())

    def _filtered(
        self, ranked: list[tuple[int, float]], filters: dict[str, list[str]] | None
    ) -> list[tuple[int, float]]:
        # The image index holds photographs of published wares only, so without filters there
        # is nothing to remove; with them, the keyword index knows which wares pass.
        if not filters:
            return ranked
        allowed = self._ids_passing(filters)
        return [(ware, score) for ware, score in ranked if ware in allowed]

    def _ids_passing(self, filters: dict[str, list[str]]) -> set[int]:
        allowed: set[int] = set()
        page = 1
        while True:
            results = self.text.search("", page=page, per_page=500, filters=filters)
            allowed.update(hit.id for hit in results.hits)
            if page >= results.pages:
                return allowed
            page += 1

    def _vectors(self) -> _OpenVectors | None:
        # Reopened only when the file changes, so a write by the index writer shows at once.
        opened = self._generation()
        stamp = vector_index_stamp(opened.folder)
        if opened.vectors is not None and opened.vectors.stamp == stamp:
            return opened.vectors
        stored = stored_vector_embedder(opened.folder)
        embedder = embedder_for_index(self.embedder, stored)
        if stored != embedder.name:
            return None
        index = VectorIndex(vector_path(opened.folder), embedder.name, embedder.dim)
        with self._session() as session:
            pairs = session.execute(
                select(Photograph.id, Photograph.ware_id).order_by(Photograph.id)
            ).all()
        opened.vectors = _OpenVectors(
            stamp,
            index,
            embedder,
            np.array([photo for photo, _ in pairs], dtype=np.int64),
            np.array([ware for _, ware in pairs], dtype=np.int64),
        )
        return opened.vectors

    def _session(self) -> Session:
        if self._sessions is None:
            self._sessions = make_session_factory(make_engine(self.settings.database_url))
        return self._sessions()


def _facet_pairs(facets: dict[str, list[FacetCount]]) -> dict[str, list[tuple[str, int]]]:
    return {name: [(item.value, item.count) for item in items] for name, items in facets.items()}


def _paged(
    ranked: list[tuple[int, float]], page: int, per_page: int, mode: str, sources: tuple[str, ...]
) -> SearchPage:
    start = (page - 1) * per_page
    return SearchPage(
        total=len(ranked),
        page=page,
        per_page=per_page,
        mode=mode,
        hits=[Hit(ware, score, None, sources) for ware, score in ranked[start : start + per_page]],
    )
