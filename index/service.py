"""The search facade the web app and the CLI call: keyword, image, similar and hybrid search."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive.db import make_engine, make_session_factory
from archive.imaging import open_validated
from archive.models import Photograph
from archive.settings import Settings
from index.embedders import Embedder, embedder_for, embedder_reason
from index.hybrid import rrf
from index.sync import text_index_for, vector_index_for

# How deep each side of a hybrid search looks before fusion.
FUSION_DEPTH = 200
MODES = ("keyword", "visual", "hybrid")


@dataclass(frozen=True)
class Hit:
    """One ware in a result list; ``sources`` says which side(s) found it."""

    ware_id: int
    score: float
    snippet: str | None = None
    sources: tuple[str, ...] = ()


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
    suggestion: str | None = None


class SearchService:
    """Opens the indexes of one instance; safe to share across requests of one process."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session] | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self._sessions = session_factory
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_for(self.settings)
        return self._embedder

    def embedder_status(self) -> dict[str, str]:
        """Which image embedder is active and why: shown in the UI, the CLI and the API."""
        return {
            "name": self.embedder.name,
            "kind": self.embedder.kind,
            "reason": embedder_reason(self.settings),
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
        results = text_index_for(self.settings).search(
            query, page=page, per_page=per_page, filters=filters, sort=sort
        )
        return SearchPage(
            total=results.total,
            page=page,
            per_page=per_page,
            mode="keyword",
            hits=[Hit(hit.id, hit.score, hit.highlight, ("keyword",)) for hit in results.hits],
            facets=results.facets,
            message=results.message,
            suggestion=results.suggestion,
        )

    def by_image(
        self,
        image_bytes: bytes,
        *,
        page: int = 1,
        per_page: int = 24,
        filters: dict[str, list[str]] | None = None,
    ) -> SearchPage:
        """Wares whose photographs look most like the uploaded one (ImageRejected if bad)."""
        ranked = self._visual_ranking(self._embed_upload(image_bytes))
        ranked = self._filtered(ranked, filters)
        return _paged(ranked, page, per_page, "visual", ("visual",))

    def similar(self, ware_id: int, limit: int = 12) -> list[int]:
        """Wares that look like ``ware_id``'s main photograph, most similar first."""
        with self._session() as session:
            photo = session.scalar(
                select(Photograph)
                .where(Photograph.ware_id == ware_id)
                .order_by(Photograph.position)
                .limit(1)
            )
        if photo is None:
            return []
        vectors = vector_index_for(self.settings)
        vector = vectors.vector(photo.id)
        if vector is None:
            return []
        ranked = self._visual_ranking(vector)
        return [ware for ware, _ in ranked if ware != ware_id][:limit]

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
        """One entry point for every mode: keyword, visual (needs an image) or hybrid."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}: use one of {', '.join(MODES)}")
        if mode == "visual" or (mode == "hybrid" and not query.strip()):
            if image is None:
                raise ValueError("a visual search needs a photograph")
            return self.by_image(image, page=page, per_page=per_page, filters=filters)
        if mode == "keyword" or image is None:
            return self.keyword(query, page=page, per_page=per_page, filters=filters)
        return self._hybrid(query, image, page, per_page, filters)

    def _hybrid(
        self,
        query: str,
        image: bytes,
        page: int,
        per_page: int,
        filters: dict[str, list[str]] | None,
    ) -> SearchPage:
        words = text_index_for(self.settings).search(
            query, page=1, per_page=FUSION_DEPTH, filters=filters
        )
        visual = self._filtered(self._visual_ranking(self._embed_upload(image)), filters)
        fused = rrf(
            {
                "keyword": [hit.id for hit in words.hits],
                "visual": [ware for ware, _ in visual],
            }
        )
        snippets = {hit.id: hit.highlight for hit in words.hits}
        start = (page - 1) * per_page
        hits = [
            Hit(ware, score, snippets.get(ware), tuple(sources))
            for ware, score, sources in fused[start : start + per_page]
        ]
        return SearchPage(
            total=len(fused),
            page=page,
            per_page=per_page,
            mode="hybrid",
            hits=hits,
            facets=words.facets,
            message=words.message,
            suggestion=words.suggestion,
        )

    def _embed_upload(self, image_bytes: bytes) -> np.ndarray:
        image = open_validated(image_bytes, self.settings.max_image_pixels)
        with image:
            if image.format == "JPEG":
                image.draft("RGB", (1200, 1200))
            rgb = image.convert("RGB")
        return self.embedder.embed_images([rgb])[0]

    def _visual_ranking(self, vector: np.ndarray) -> list[tuple[int, float]]:
        """Ware ids by their best-matching photograph."""
        matches = vector_index_for(self.settings).search(vector, FUSION_DEPTH)
        if not matches:
            return []
        with self._session() as session:
            owners = dict(
                session.execute(
                    select(Photograph.id, Photograph.ware_id).where(
                        Photograph.id.in_([photo for photo, _ in matches])
                    )
                ).all()
            )
        best: dict[int, float] = {}
        for photo, score in matches:
            ware = owners.get(photo)
            if ware is not None and ware not in best:
                best[ware] = score
        return list(best.items())

    def _filtered(
        self, ranked: list[tuple[int, float]], filters: dict[str, list[str]] | None
    ) -> list[tuple[int, float]]:
        # The keyword index knows which published wares pass the facet filters.
        allowed = set(text_index_for(self.settings).ids(filters=filters))
        return [(ware, score) for ware, score in ranked if ware in allowed]

    def _session(self) -> Session:
        if self._sessions is None:
            self._sessions = make_session_factory(make_engine(self.settings.database_url))
        return self._sessions()


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
