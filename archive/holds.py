"""Holding a ware for review when one of its photographs copies another ware's photograph.

Whoever finds the copy (the ingest pipeline, a photograph added on the curating pages) calls
``hold_copies``: the hold is recorded with the photograph it matched, and the ware goes to the
review queue (status ``submitted``) however its row or its uploader asked for it to be
published. A held ware cannot be published (``archive.editing.set_status`` refuses) until a
curator approves it in the review queue (``release_holds``), or until the photograph is
removed from it: a hold counts only while its photograph is still the ware's.

A ware that was already published when it gained the copy is not held (that would take a
public record off the site because of one photograph): its uploader is warned instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from archive.catalogue import record_audit
from archive.curation import DuplicateHold, ReviewDecision, ReviewNote
from archive.db import in_chunks
from archive.models import Photograph, Ware, WareStatus, utcnow


@dataclass(frozen=True)
class Copy:
    """A photograph (``sha256``) of ``ware_id`` found to copy one of ``match_ware_id``."""

    ware_id: int
    sha256: str
    match_ware_id: int
    match_sha256: str
    distance: int
    orientation: str = "same"


def hold_copies(
    session: Session, copies: Sequence[Copy], *, actor: str, user_id: int | None = None
) -> set[int]:
    """Record the holds not recorded yet and send their wares to the review queue; returns
    the ids of the wares newly held. Audited per ware (action ``hold``); idempotent."""
    if not copies:
        return set()
    ware_ids = sorted({copy.ware_id for copy in copies})
    known: set[tuple[int, str]] = set()
    for chunk in in_chunks(ware_ids):
        rows = session.execute(
            select(DuplicateHold.ware_id, DuplicateHold.sha256).where(
                DuplicateHold.ware_id.in_(chunk)
            )
        )
        known.update((ware_id, sha256) for ware_id, sha256 in rows)
    fresh: dict[int, list[Copy]] = {}
    for copy in copies:
        if (copy.ware_id, copy.sha256) in known:
            continue
        known.add((copy.ware_id, copy.sha256))
        fresh.setdefault(copy.ware_id, []).append(copy)
        session.add(
            DuplicateHold(
                ware_id=copy.ware_id,
                sha256=copy.sha256,
                match_ware_id=copy.match_ware_id,
                match_sha256=copy.match_sha256,
                distance=copy.distance,
                orientation=copy.orientation,
                actor=actor[:254],
            )
        )
    for ware_id, held in fresh.items():
        ware = session.get(Ware, ware_id)
        assert ware is not None
        before = ware.status
        ware.status = WareStatus.SUBMITTED
        # A step of the ware's review like a submission, so its review history shows it.
        session.add(
            ReviewNote(
                ware_id=ware_id,
                user_id=user_id,
                actor=actor[:254],
                decision=ReviewDecision.SUBMITTED,
            )
        )
        record_audit(
            session,
            actor=actor,
            user_id=user_id,
            action="hold",
            entity_type="ware",
            entity_id=ware_id,
            before={"status": before.value},
            after={
                "status": WareStatus.SUBMITTED.value,
                "held_copies": [
                    {"photograph": copy.sha256[:12], "copies_ware": copy.match_ware_id}
                    for copy in held
                ],
            },
        )
    session.flush()
    return set(fresh)


def open_holds(session: Session, ware_ids: Iterable[int]) -> dict[int, list[DuplicateHold]]:
    """The unresolved holds of these wares whose photograph the ware still has, by ware."""
    found: dict[int, list[DuplicateHold]] = {}
    for chunk in in_chunks(sorted(set(ware_ids))):
        query = (
            select(DuplicateHold)
            .join(
                Photograph,
                and_(
                    Photograph.ware_id == DuplicateHold.ware_id,
                    Photograph.sha256 == DuplicateHold.sha256,
                ),
            )
            .where(DuplicateHold.ware_id.in_(chunk), DuplicateHold.resolved_at.is_(None))
            .order_by(DuplicateHold.id)
        )
        for hold in session.scalars(query):
            found.setdefault(hold.ware_id, []).append(hold)
    return found


def held_ware_ids(session: Session, ware_ids: Iterable[int]) -> set[int]:
    """Which of these wares are held for review."""
    return set(open_holds(session, ware_ids))


def release_holds(
    session: Session, ware: Ware, resolution: str, *, actor: str, user_id: int | None
) -> int:
    """End the ware's open holds with a review decision (audited as ``release_hold``);
    returns how many there were."""
    holds = open_holds(session, [ware.id]).get(ware.id, [])
    if not holds:
        return 0
    now = utcnow()
    for hold in holds:
        hold.resolved_at = now
        hold.resolved_by = actor[:254]
        hold.resolution = resolution
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="release_hold",
        entity_type="ware",
        entity_id=ware.id,
        before={"held_copies": [hold.sha256[:12] for hold in holds]},
        after={"held_copies": [], "decision": resolution},
    )
    session.flush()
    return len(holds)
