"""Makers as authority records: edit a maker's names, kind, place, life dates, nationality,
biography in both languages and its Wikidata/Getty ULAN identifiers; add or remove aliases in any
language; merge one maker into another (every ware follows, each audited) and undo a merge.

Every change writes an AuditEvent on the maker, and a merge one on each ware whose makers it
changed, in the history's terms (``makers``: ``[name, role, qualifier]`` lists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from archive.catalogue import apply_audited, changed_values, record_audit
from archive.db import in_chunks
from archive.models import Maker, MakerName, MakerRole, Ware, WareMaker, utcnow
from archive.workbench import MakerMerge

# The maker's own columns an undo can put back (plain values only: the snapshot is JSON).
_PLAIN = (str, int, float, bool, type(None))
# The authority record's fields (the curator's authority form edits exactly these).
AUTHORITY_FIELDS = (
    "name_zh",
    "born",
    "died",
    "active_from",
    "active_to",
    "nationality",
    "place",
    "biography_en",
    "biography_zh",
    "wikidata_id",
    "ulan_id",
)
YEARS = ("born", "died", "active_from", "active_to")
EDITABLE = ("name", "kind", *AUTHORITY_FIELDS)
# The maker's names that its wares' index documents hold (as archive.index_log watches them).
INDEXED = {"name", "name_zh"}
WIKIDATA = re.compile(r"^Q[1-9]\d{0,11}$")
ULAN = re.compile(r"^5\d{8}$")


class AuthorityRefused(ValueError):
    """A change to a maker that cannot be made; the message says why and ``field``, where there
    is one, names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MakerEdit:
    """What ``edit_maker`` changed (field -> new value) and the wares to re-index for it."""

    changed: dict[str, Any] = field(default_factory=dict)
    reindex: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed)


def check_authority(values: dict[str, Any], kept: dict[str, Any] | None = None) -> None:
    """Raise ``AuthorityRefused`` for a malformed identifier or an impossible pair of years.
    A pair is checked when ``values`` changes either year, against the other as ``kept``."""
    if values.get("wikidata_id") and not WIKIDATA.match(values["wikidata_id"]):
        raise AuthorityRefused("a Wikidata identifier looks like Q12345", "wikidata_id")
    if values.get("ulan_id") and not ULAN.match(values["ulan_id"]):
        raise AuthorityRefused("a ULAN identifier has nine digits and starts with 5", "ulan_id")
    record = {**(kept or {}), **values}
    for first, last in (("born", "died"), ("active_from", "active_to")):
        if first not in values and last not in values:
            continue
        low, high = record.get(first), record.get(last)
        if low is not None and high is not None and low > high:
            raise AuthorityRefused("the later year comes before the earlier one", last)


def maker_credits(session: Session, ware_ids: set[int]) -> dict[int, list[list[Any]]]:
    """Each ware's makers as the history shows them."""
    credits: dict[int, list[list[Any]]] = {}
    for chunk in in_chunks(sorted(ware_ids)):
        wares = session.scalars(
            select(Ware)
            .where(Ware.id.in_(chunk))
            .options(selectinload(Ware.makers).selectinload(WareMaker.maker))
        )
        for ware in wares:
            credits[ware.id] = [
                [link.maker.name, link.role.value, link.qualifier] for link in ware.makers
            ]
    return credits


def _audit_wares(
    session: Session,
    before: dict[int, list[list[Any]]],
    action: str,
    actor: str,
    user_id: int | None,
) -> list[int]:
    session.flush()
    session.expire_all()
    after = maker_credits(session, set(before))
    changed = []
    for ware_id, makers in before.items():
        if after.get(ware_id) != makers:
            record_audit(
                session,
                actor=actor,
                user_id=user_id,
                action=action,
                entity_type="ware",
                entity_id=ware_id,
                before={"makers": makers},
                after={"makers": after.get(ware_id, [])},
            )
            changed.append(ware_id)
    return changed


def _wares_of(session: Session, maker_id: int) -> set[int]:
    return set(session.scalars(select(WareMaker.ware_id).where(WareMaker.maker_id == maker_id)))


def edit_maker(
    session: Session,
    maker: Maker,
    values: dict[str, Any],
    *,
    actor: str,
    user_id: int | None = None,
) -> MakerEdit:
    """Change any of the maker's ``EDITABLE`` fields (an empty string clears one); audited.
    A replaced name is kept as an alias, so it is still found. The result's ``reindex`` lists
    the wares whose index documents show a changed name."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise AuthorityRefused(f"not editable maker fields: {', '.join(sorted(unknown))}")
    values = {key: None if value == "" else value for key, value in values.items()}
    if "name" in values and not values["name"]:
        raise AuthorityRefused("a maker needs a name", "name")
    # A new year is checked against the one the record keeps: a death before a kept birth.
    check_authority(values, {year: getattr(maker, year) for year in YEARS})
    changed = changed_values(maker, values)
    if not changed:
        return MakerEdit()
    old_name = maker.name
    apply_audited(session, maker, changed, entity_type="maker", actor=actor, user_id=user_id)
    if "name" in changed and all(alias.name != old_name for alias in maker.aliases):
        maker.aliases.append(MakerName(name=old_name))
    reindex = sorted(_wares_of(session, maker.id)) if changed.keys() & INDEXED else []
    return MakerEdit(changed, reindex)


def add_alias(
    session: Session,
    maker: Maker,
    name: str,
    language: str | None,
    *,
    actor: str,
    user_id: int | None,
) -> bool:
    """Give the maker another name; False when it has that name already."""
    if name == maker.name or any(alias.name == name for alias in maker.aliases):
        return False
    maker.aliases.append(MakerName(name=name, language=language or None))
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="add_alias",
        entity_type="maker",
        entity_id=maker.id,
        before=None,
        after={"alias": name, "language": language or None},
    )
    return True


def remove_alias(
    session: Session, maker: Maker, alias: MakerName, *, actor: str, user_id: int | None
) -> None:
    """Take an alias off the maker."""
    maker.aliases.remove(alias)
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="remove_alias",
        entity_type="maker",
        entity_id=maker.id,
        before={"alias": alias.name, "language": alias.language},
        after=None,
    )


def merge_makers(
    session: Session, kept: Maker, merged: Maker, *, actor: str, user_id: int | None
) -> tuple[MakerMerge, list[int]]:
    """Merge ``merged`` into ``kept``: its wares credit ``kept`` instead, its names become
    ``kept``'s aliases, and it goes. Returns the merge (for undo) and the changed wares."""
    if kept.id == merged.id:
        raise AuthorityRefused("a maker cannot be merged into itself")
    credits = list(session.scalars(select(WareMaker).where(WareMaker.maker_id == merged.id)))
    before = maker_credits(session, {credit.ware_id for credit in credits})
    taken = {
        (ware_id, role)
        for chunk in in_chunks(sorted(before))
        for ware_id, role in session.execute(
            select(WareMaker.ware_id, WareMaker.role).where(
                WareMaker.maker_id == kept.id, WareMaker.ware_id.in_(chunk)
            )
        )
    }
    moves = []
    for credit in credits:
        moved = (credit.ware_id, credit.role) not in taken
        moves.append(
            [credit.id, credit.ware_id, credit.role.value, credit.qualifier, credit.position, moved]
        )
        if moved:
            credit.maker_id = kept.id
            taken.add((credit.ware_id, credit.role))
        else:
            session.delete(credit)
    snapshot = {
        column.key: getattr(merged, column.key)
        for column in Maker.__table__.columns
        if isinstance(getattr(merged, column.key), _PLAIN)
    }
    snapshot["aliases"] = [[alias.name, alias.language] for alias in merged.aliases]
    names = [(merged.name, None), *((a.name, a.language) for a in merged.aliases)]
    if merged.name_zh and merged.name_zh != kept.name_zh:
        names.append((merged.name_zh, "zh"))
    known = {kept.name, *(alias.name for alias in kept.aliases)}
    added = []
    for name, language in names:
        if name not in known:
            known.add(name)
            alias = MakerName(name=name, language=language)
            kept.aliases.append(alias)
            added.append(alias)
    session.flush()
    merged_id, merged_key, merged_name = merged.id, merged.key, merged.name
    session.expire(merged, ["credits"])
    session.delete(merged)
    record = MakerMerge(
        kept_id=kept.id,
        merged_id=merged_id,
        merged_key=merged_key,
        merged=snapshot,
        credits=moves,
        aliases=[alias.id for alias in added],
        user_id=user_id,
    )
    session.add(record)
    changed = _audit_wares(session, before, "maker_merge", actor, user_id)
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="merge",
        entity_type="maker",
        entity_id=kept.id,
        before=None,
        after={"merged": merged_name, "merged_id": merged_id, "wares": len(before)},
    )
    session.flush()
    return record, changed


def undo_merge(
    session: Session, record: MakerMerge, *, actor: str, user_id: int | None
) -> list[int]:
    """Bring the merged maker back with its id, names and credits; returns the changed wares."""
    if record.undone_at is not None:
        raise AuthorityRefused("this merge has been undone already")
    if session.get(Maker, record.merged_id) is not None or session.scalar(
        select(Maker.id).where(Maker.key == record.merged_key)
    ):
        raise AuthorityRefused("a maker with the merged maker's id or key exists again")
    before = maker_credits(session, {move[1] for move in record.credits})
    values = {k: v for k, v in record.merged.items() if k != "aliases"}
    restored = Maker(**values)
    restored.aliases = [MakerName(name=n, language=lang) for n, lang in record.merged["aliases"]]
    session.add(restored)
    session.flush()
    for credit_id, ware_id, role, qualifier, position, moved in record.credits:
        credit = session.get(WareMaker, credit_id) if moved else None
        if credit is not None and credit.maker_id == record.kept_id:
            credit.maker_id = restored.id
        elif not moved and ware_id in before:
            session.add(
                WareMaker(
                    ware_id=ware_id,
                    maker_id=restored.id,
                    role=MakerRole(role),
                    qualifier=qualifier,
                    position=position,
                )
            )
    for alias_id in record.aliases:
        alias = session.get(MakerName, alias_id)
        if alias is not None and alias.maker_id == record.kept_id:
            session.delete(alias)
    record.undone_at = utcnow()
    changed = _audit_wares(session, before, "maker_merge_undone", actor, user_id)
    record_audit(
        session,
        actor=actor,
        user_id=user_id,
        action="merge_undone",
        entity_type="maker",
        entity_id=record.kept_id,
        before={"merged": record.merged.get("name"), "merged_id": record.merged_id},
        after=None,
    )
    session.flush()
    return changed
