"""A stand-in for ``index.service.SearchService`` that keeps to its contract, so the web layer can
be tested without building indexes: titles and materials are matched by substring."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from archive.imaging import open_validated
from archive.models import Ware, WareStatus


@dataclass(frozen=True)
class Hit:
    ware_id: int
    score: float
    snippet: str | None = None
    sources: tuple[str, ...] = ()


@dataclass
class SearchPage:
    total: int
    page: int
    per_page: int
    mode: str
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    message: str | None = None
    suggestion: str | None = None


class FakeSearch:
    """Answers like SearchService over the published wares in the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.calls: list[tuple[str, dict[str, object]]] = []
        # Tests set this to stand in for an instance where CLIP reads words.
        self.understands_words = False

    def _wares(self) -> list[Ware]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Ware)
                    .where(Ware.status == WareStatus.PUBLISHED)
                    .options(selectinload(Ware.photographs))
                    .order_by(Ware.id)
                )
            )

    def _filtered(self, wares: list[Ware], filters: dict[str, list[str]] | None) -> list[Ware]:
        wanted = (filters or {}).get("material")
        return [w for w in wares if not wanted or (w.material or "").lower() in wanted]

    def _page(self, wares: list[Ware], page: int, per_page: int, mode: str) -> SearchPage:
        start = (page - 1) * per_page
        materials: dict[str, int] = {}
        for ware in wares:
            if ware.material:
                materials[ware.material.lower()] = materials.get(ware.material.lower(), 0) + 1
        hits = [
            Hit(w.id, 1.0 / (i + 1), None, (mode,))
            for i, w in enumerate(wares[start : start + per_page])
        ]
        return SearchPage(
            total=len(wares),
            page=page,
            per_page=per_page,
            mode=mode,
            hits=hits,
            facets={"material": sorted(materials.items())} if materials else {},
        )

    def keyword(self, query, *, page=1, per_page=24, filters=None, sort="relevance"):
        self.calls.append(
            ("keyword", {"query": query, "filters": filters, "page": page, "sort": sort})
        )
        if query == "celadn":
            return SearchPage(
                0, page, per_page, "keyword", suggestion="celadon", message="Did you mean: celadon?"
            )
        if query == "(":
            return SearchPage(
                0, page, per_page, "keyword", message="An unmatched bracket was ignored."
            )
        words = query.lower().split()
        found = [
            w
            for w in self._wares()
            if all(word in f"{w.title} {w.material or ''}".lower() for word in words)
        ]
        found = self._filtered(found, filters)
        snippets = {
            w.id: f"<mark>{html.escape(w.title)}</mark> {html.escape(w.description_en or '')}"
            for w in found
        }
        page_ = self._page(found, page, per_page, "keyword")
        page_.hits = [Hit(h.ware_id, h.score, snippets[h.ware_id], h.sources) for h in page_.hits]
        return page_

    def by_image(self, image_bytes, *, page=1, per_page=24, filters=None):
        open_validated(image_bytes, 10_000_000)
        self.calls.append(("by_image", {"filters": filters, "page": page}))
        found = self._filtered([w for w in self._wares() if w.photographs], filters)
        return self._page(found, page, per_page, "visual")

    def search(self, query, *, image=None, mode="keyword", page=1, per_page=24, filters=None):
        self.calls.append(("search", {"query": query, "mode": mode}))
        if image is None:
            return self._by_words(query, mode, page, per_page, filters)
        page_ = self.by_image(image, page=page, per_page=per_page, filters=filters)
        page_.mode = "hybrid"
        page_.hits = [Hit(h.ware_id, h.score, None, ("keyword", "visual")) for h in page_.hits]
        return page_

    def _by_words(self, query, mode, page, per_page, filters):
        # CLIP "sees" every photographed ware; hybrid adds the keyword matches to them.
        assert self.understands_words and mode in ("visual", "hybrid")
        seen = self._filtered([w for w in self._wares() if w.photographs], filters)
        page_ = self._page(seen, page, per_page, mode)
        if mode == "visual":
            page_.hits = [Hit(h.ware_id, h.score, None, ("clip-text",)) for h in page_.hits]
            return page_
        words = {h.ware_id for h in self.keyword(query, per_page=100, filters=filters).hits}
        page_.hits = [
            Hit(
                h.ware_id,
                h.score,
                None,
                ("keyword", "clip-text") if h.ware_id in words else ("clip-text",),
            )
            for h in page_.hits
        ]
        return page_

    def similar(self, ware_id, limit=12):
        return [w.id for w in self._wares() if w.id != ware_id and w.photographs][:limit]

    def embedder_status(self):
        if self.understands_words:
            return {"name": "clip:ViT-B-32", "kind": "clip", "reason": "configured"}
        return {
            "name": "potbank-descriptor-v1",
            "kind": "descriptor",
            "reason": "CLIP not configured (set POTBANK_CLIP_PRETRAINED)",
        }
