"""What the home page shows: featured wares and collections, exhibitions, entry points and the
latest additions. Photographs lead: a ware without one never heads a grid."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from archive.exhibitions import Exhibition, ExhibitionStatus
from archive.models import Collection, Photograph, Ware, WareMaker, WareStatus
from web.views.context import search_service
from web.views.recent import recent

FEATURED_LIMIT = 8
RECENT_LIMIT = 8
ENTRY_LIMIT = 8
# The facets the home page offers as ways in, with what the page calls each.
ENTRY_FACETS = ("century", "place", "maker", "material")


@dataclass(frozen=True)
class FeaturedCollection:
    """A featured collection with its number of public wares and a photograph to show."""

    collection: Collection
    wares: int
    cover: Photograph | None


def _public(query: Select) -> Select:  # type: ignore[type-arg]
    return query.where(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None))


def _has_photo() -> object:
    return select(Photograph.id).where(Photograph.ware_id == Ware.id).exists()


def photographs_first(query: Select) -> Select:  # type: ignore[type-arg]
    """``query`` over wares, ordered so wares with a photograph come before those without."""
    return query.order_by(case((_has_photo(), 0), else_=1))


def _load(session: Session, query: Select, limit: int) -> list[Ware]:  # type: ignore[type-arg]
    return list(
        session.scalars(
            query.options(
                selectinload(Ware.photographs),
                selectinload(Ware.makers).selectinload(WareMaker.maker),
            ).limit(limit)
        )
    )


def featured_wares(session: Session, limit: int = FEATURED_LIMIT) -> list[Ware]:
    """Published wares curators featured, those with photographs first, newest first."""
    query = photographs_first(_public(select(Ware).where(Ware.featured.is_(True))))
    return _load(session, query.order_by(Ware.updated_at.desc(), Ware.id.desc()), limit)


def recently_added(session: Session, limit: int = RECENT_LIMIT) -> list[Ware]:
    """The latest published wares that have a photograph (a home page leads with pictures)."""
    # Ids grow with creation: walking the primary key backwards stops after ``limit`` matches,
    # where ordering by created_at would sort every photographed ware first.
    query = _public(select(Ware).where(_has_photo()))
    return _load(session, query.order_by(Ware.id.desc()), limit)


def featured_collections(session: Session) -> list[FeaturedCollection]:
    """Featured collections with how many public wares each holds and a cover photograph."""
    collections = session.scalars(
        select(Collection).where(Collection.featured.is_(True)).order_by(Collection.name)
    ).all()
    shown = []
    for collection in collections:
        in_it = _public(select(Ware.id).where(Ware.collection_id == collection.id))
        number = session.scalar(select(func.count()).select_from(in_it.subquery())) or 0
        if not number:
            continue
        cover = session.scalars(
            select(Photograph)
            .where(Photograph.ware_id.in_(in_it))
            .order_by(Photograph.ware_id, Photograph.position)
            .limit(1)
        ).first()
        shown.append(FeaturedCollection(collection, number, cover))
    return shown


def published_exhibitions(session: Session, limit: int | None = None) -> list[Exhibition]:
    """Published exhibitions, most recently published first."""
    query = (
        select(Exhibition)
        .where(Exhibition.status == ExhibitionStatus.PUBLISHED)
        .order_by(Exhibition.published_at.desc(), Exhibition.id.desc())
    )
    return list(session.scalars(query.limit(limit) if limit else query))


def entry_points() -> dict[str, list[tuple[str, int]]]:
    """The most frequent values of the period, place, maker and material facets, with counts
    (computed over the whole public collection at most once a minute)."""

    def compute() -> dict[str, list[tuple[str, int]]]:
        page = search_service().keyword("", per_page=1)
        return {
            name: [(str(value), int(number)) for value, number in page.facets.get(name, [])]
            for name in ENTRY_FACETS
        }

    return recent("home.entry_points", compute)
