"""Read-only catalogue queries the pages need beyond ``archive.catalogue``: public wares only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from archive.models import (
    Collection,
    Institution,
    Maker,
    Photograph,
    Ware,
    WareMaker,
    WareStatus,
)


@dataclass(frozen=True)
class WarePage:
    """One page of wares and how many there are in all."""

    wares: list[Ware]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _public(query: Select) -> Select:  # type: ignore[type-arg]
    return query.where(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None))


def _page_of(
    session: Session,
    query: Select,  # type: ignore[type-arg]
    page: int,
    per_page: int,
    *,
    photographs_first: bool = False,
) -> WarePage:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if photographs_first:
        with_photo = select(Photograph.id).where(Photograph.ware_id == Ware.id).exists()
        query = query.order_by(case((with_photo, 0), else_=1))
    wares = session.scalars(
        query.options(
            selectinload(Ware.makers).selectinload(WareMaker.maker),
            selectinload(Ware.photographs),
        )
        .order_by(Ware.year_earliest.is_(None), Ware.year_earliest, Ware.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return WarePage(list(wares), total, page, per_page)


def wares_of_maker(session: Session, maker_id: int, page: int = 1, per_page: int = 24) -> WarePage:
    """The published wares a maker had a part in: those with photographs first, then earliest
    first."""
    credited = select(WareMaker.ware_id).where(WareMaker.maker_id == maker_id)
    query = _public(select(Ware).where(Ware.id.in_(credited)))
    return _page_of(session, query, page, per_page, photographs_first=True)


def roles_of_maker(session: Session, maker_id: int) -> list[str]:
    """The roles a maker had on published wares (manufacturer, designer …), most frequent first."""
    rows = session.execute(
        _public(
            select(WareMaker.role, func.count(WareMaker.id).label("n"))
            .join(Ware, Ware.id == WareMaker.ware_id)
            .where(WareMaker.maker_id == maker_id)
        )
        .group_by(WareMaker.role)
        .order_by(func.count(WareMaker.id).desc())
    ).all()
    return [role.value for role, _count in rows]


def wares_in_collection(
    session: Session, collection_id: int, page: int = 1, per_page: int = 24
) -> WarePage:
    """The published wares of a collection, earliest first."""
    return _page_of(
        session, _public(select(Ware).where(Ware.collection_id == collection_id)), page, per_page
    )


def wares_of_institution(
    session: Session, institution_id: int, page: int = 1, per_page: int = 24
) -> WarePage:
    """The published wares an institution contributed, earliest first."""
    return _page_of(
        session, _public(select(Ware).where(Ware.institution_id == institution_id)), page, per_page
    )


def get_maker(session: Session, maker_id: int) -> Maker | None:
    """A maker with its aliases."""
    return session.scalar(
        select(Maker).where(Maker.id == maker_id).options(selectinload(Maker.aliases))
    )


def get_collection(session: Session, collection_id: int) -> Collection | None:
    """A collection with its institution."""
    return session.scalar(
        select(Collection)
        .where(Collection.id == collection_id)
        .options(selectinload(Collection.institution))
    )


def get_institution(session: Session, institution_id: int) -> Institution | None:
    """An institution."""
    return session.get(Institution, institution_id)


def collections_of_institution(
    session: Session, institution_id: int
) -> list[tuple[Collection, int]]:
    """An institution's collections, each with its number of published wares."""
    counts = (
        _public(select(Ware.collection_id, func.count(Ware.id).label("n")))
        .group_by(Ware.collection_id)
        .subquery()
    )
    rows = session.execute(
        select(Collection, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.collection_id == Collection.id)
        .where(Collection.institution_id == institution_id)
        .order_by(Collection.name)
    ).all()
    return [(collection, int(count)) for collection, count in rows]


def published_photograph(
    session: Session, digest: str, *, shown: bool = False
) -> Photograph | None:
    """A photograph of a published ware, if any, whose original has this digest, or with
    ``shown`` whose derivatives have it as their key (``Photograph.image_key``) or did before a
    curator turned or cropped it (they stay in the store, and a URL's bytes never change)."""
    column = Photograph.sha256 == digest
    if shown:
        column = or_(column, Photograph.image_key == digest)
    return session.scalars(
        select(Photograph)
        .join(Ware, Photograph.ware_id == Ware.id)
        .where(
            column,
            Ware.status == WareStatus.PUBLISHED,
            Ware.deleted_at.is_(None),
        )
        .limit(1)
    ).first()


def counts(session: Session) -> dict[str, int]:
    """How much the public archive holds: wares, photographs, makers, institutions."""
    public_wares = _public(select(Ware.id)).subquery()
    return {
        "wares": session.scalar(select(func.count()).select_from(public_wares)) or 0,
        "photographs": session.scalar(
            select(func.count(Photograph.id)).where(
                Photograph.ware_id.in_(select(public_wares.c.id))
            )
        )
        or 0,
        "makers": session.scalar(
            select(func.count(func.distinct(WareMaker.maker_id))).where(
                WareMaker.ware_id.in_(select(public_wares.c.id))
            )
        )
        or 0,
        "institutions": session.scalar(
            select(func.count(func.distinct(Ware.institution_id))).where(
                Ware.id.in_(select(public_wares.c.id))
            )
        )
        or 0,
    }
