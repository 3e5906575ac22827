"""Published exhibitions as OAI-PMH sets: ``exhibition:<slug>`` holds the public wares an
exhibition shows, so a harvester can gather an exhibition's records."""

from __future__ import annotations

from flask import g
from sqlalchemy import ColumnElement, select

from archive.exhibitions import Exhibition, ExhibitionItem, ExhibitionSection, ExhibitionStatus
from archive.models import Ware
from web.views.context import db_session

PREFIX = "exhibition:"


def _shown_by_published() -> dict[int, list[str]]:
    """Ware id → slugs of the published exhibitions that show it (once per request)."""
    if "oai_exhibition_sets" not in g:
        rows = db_session().execute(
            select(ExhibitionItem.ware_id, Exhibition.slug)
            .join(ExhibitionSection, ExhibitionItem.section_id == ExhibitionSection.id)
            .join(Exhibition, ExhibitionSection.exhibition_id == Exhibition.id)
            .where(Exhibition.status == ExhibitionStatus.PUBLISHED)
            .distinct()
            .order_by(Exhibition.slug)
        )
        shown: dict[int, list[str]] = {}
        for ware_id, slug in rows:
            shown.setdefault(ware_id, []).append(slug)
        g.oai_exhibition_sets = shown
    return g.oai_exhibition_sets


def exhibition_condition(set_spec: str) -> ColumnElement[bool] | None:
    """The condition selecting an exhibition set's wares, or None for a set of another kind."""
    if not set_spec.startswith(PREFIX):
        return None
    slug = set_spec[len(PREFIX) :]
    shown = (
        select(ExhibitionItem.ware_id)
        .join(ExhibitionSection, ExhibitionItem.section_id == ExhibitionSection.id)
        .join(Exhibition, ExhibitionSection.exhibition_id == Exhibition.id)
        .where(Exhibition.slug == slug, Exhibition.status == ExhibitionStatus.PUBLISHED)
    )
    return Ware.id.in_(shown)


def exhibition_specs(ware: Ware) -> list[str]:
    """The exhibition sets a ware belongs to."""
    return [PREFIX + slug for slug in _shown_by_published().get(ware.id, [])]


def exhibition_sets(public: ColumnElement[bool]) -> list[tuple[str, str, str | None]]:
    """Every published exhibition that shows a public ware: (setSpec, setName, description)."""
    shows_public = (
        select(ExhibitionSection.exhibition_id)
        .join(ExhibitionItem, ExhibitionItem.section_id == ExhibitionSection.id)
        .join(Ware, ExhibitionItem.ware_id == Ware.id)
        .where(public)
    )
    found = db_session().scalars(
        select(Exhibition)
        .where(Exhibition.status == ExhibitionStatus.PUBLISHED, Exhibition.id.in_(shows_public))
        .order_by(Exhibition.slug)
    )
    return [(PREFIX + e.slug, e.title, e.intro_en) for e in found]
