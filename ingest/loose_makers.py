"""Makers matched loosely: a spelling the ingest filed under an existing maker because their
normalised names agree ("Josiah Wedgwood & Sons" and "... Sons Ltd."), reported so a curator
can confirm the match or split the maker again (Makers page: edit, merge and undo)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db import in_chunks
from archive.models import Maker, MakerName

REASON = (
    "maker '{name}' was filed under the existing maker '{maker}' (their names normalise alike): "
    "confirm it, or split it on the Makers page"
)


def known_spellings(session: Session, names: Iterable[str]) -> set[str]:
    """The names among ``names`` that some maker has already, as its name or an alias."""
    known: set[str] = set()
    for chunk in in_chunks(names):
        known.update(session.scalars(select(Maker.name).where(Maker.name.in_(chunk))))
        known.update(session.scalars(select(MakerName.name).where(MakerName.name.in_(chunk))))
    return known


def loose_matches(resolved: dict[str, Maker], known: set[str]) -> list[tuple[str, str]]:
    """(spelling, maker name) for each new spelling filed under a maker of another name."""
    return [
        (name, maker.name)
        for name, maker in resolved.items()
        if name != maker.name and name not in known
    ]
