"""Makers as records: edit, aliases, merge (every ware follows, audited) and undo."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.authorities import (
    AuthorityRefused,
    add_alias,
    edit_maker,
    merge_makers,
    undo_merge,
)
from archive.catalogue import (
    MakerCredit,
    get_or_create_institution,
    get_or_create_maker,
    resolve_makers,
    upsert_ware,
)
from archive.editing import ware_history
from archive.models import AuditEvent, Maker, MakerRole, WareMaker


def _setup(session: Session) -> tuple[Maker, Maker, list[int]]:
    museum = get_or_create_institution(session, "Museum")
    sons = get_or_create_maker(session, "Josiah Wedgwood & Sons", "wedgwood sons")
    limited = get_or_create_maker(session, "Josiah Wedgwood & Sons Ltd.", "wedgwood sons ltd")
    limited.name_zh = "韦奇伍德"
    add_alias(session, limited, "Wedgwood Ltd", "en", actor="a", user_id=None)
    ids = []
    for number, credits in enumerate(
        [
            [MakerCredit(sons)],
            [MakerCredit(limited, MakerRole.MANUFACTURER)],
            # Both, in the same role: the merged credit is dropped, then restored by undo.
            [MakerCredit(sons), MakerCredit(limited)],
        ]
    ):
        ware, _ = upsert_ware(
            session, institution=museum, accession_number=f"W-{number}", fields={}, makers=credits
        )
        ids.append(ware.id)
    session.commit()
    return sons, limited, ids


def _credits(session: Session) -> list[tuple[int, str, str]]:
    rows = session.execute(
        select(WareMaker.ware_id, Maker.name, WareMaker.role)
        .join(Maker)
        .order_by(WareMaker.ware_id, WareMaker.position, WareMaker.id)
    )
    return [(ware, name, role.value) for ware, name, role in rows]


def test_merge_moves_every_ware_and_undo_brings_it_all_back(session: Session):
    sons, limited, ids = _setup(session)
    original = _credits(session)
    limited_id = limited.id
    record, changed = merge_makers(session, sons, limited, actor="c", user_id=None)
    session.commit()
    assert sorted(changed) == sorted(ids[1:])
    assert session.get(Maker, limited_id) is None
    assert _credits(session) == [
        (ids[0], "Josiah Wedgwood & Sons", "maker"),
        (ids[1], "Josiah Wedgwood & Sons", "manufacturer"),
        (ids[2], "Josiah Wedgwood & Sons", "maker"),
    ]
    aliases = {(alias.name, alias.language) for alias in sons.aliases}
    assert {
        ("Josiah Wedgwood & Sons Ltd.", None),
        ("Wedgwood Ltd", "en"),
        ("韦奇伍德", "zh"),
    } <= aliases
    event = ware_history(session, ids[1])[-1]
    assert event.action == "maker_merge"
    assert event.before == {"makers": [["Josiah Wedgwood & Sons Ltd.", "manufacturer", None]]}
    # Ingest now resolves the merged spelling's key to the kept maker.
    assert (
        resolve_makers(session, [("Wedgwood Sons Limited", "wedgwood sons ltd", {})])[
            "Wedgwood Sons Limited"
        ].id
        == sons.id
    )
    assert get_or_create_maker(session, "J. Wedgwood & Sons Ltd", "wedgwood sons ltd").id == sons.id
    session.rollback()

    undo_merge(session, record, actor="c", user_id=None)
    session.commit()
    assert _credits(session) == original
    back = session.get(Maker, limited_id)
    assert back is not None and back.name_zh == "韦奇伍德"
    assert [alias.name for alias in back.aliases] == ["Wedgwood Ltd"]
    assert "Josiah Wedgwood & Sons Ltd." not in {alias.name for alias in sons.aliases}
    assert ware_history(session, ids[1])[-1].action == "maker_merge_undone"
    try:
        undo_merge(session, record, actor="c", user_id=None)
    except AuthorityRefused:
        pass
    else:
        raise AssertionError("a merge undone twice")


def test_edit_keeps_the_old_name_as_an_alias_and_audits(session: Session):
    sons, limited, ids = _setup(session)
    changed = edit_maker(
        session, sons, {"name": "Wedgwood", "name_zh": "韦奇伍德父子"}, actor="c", user_id=None
    )
    session.commit()
    assert changed.reindex == [ids[0], ids[2]]
    assert "Josiah Wedgwood & Sons" in {alias.name for alias in sons.aliases}
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "maker", AuditEvent.action == "update")
    )
    assert event is not None and event.after == {"name": "Wedgwood", "name_zh": "韦奇伍德父子"}
    unchanged = edit_maker(session, sons, {"name": "Wedgwood"}, actor="c", user_id=None)
    assert not unchanged and unchanged.reindex == []
    # The Chinese name is indexed on the wares too; the place is not.
    renamed = edit_maker(session, sons, {"name_zh": "韦奇伍德"}, actor="c", user_id=None)
    assert renamed.reindex == [ids[0], ids[2]]
    placed = edit_maker(session, sons, {"place": "Etruria"}, actor="c", user_id=None)
    assert placed and placed.changed == {"place": "Etruria"} and placed.reindex == []
    assert not add_alias(session, sons, "Wedgwood", None, actor="c", user_id=None)
    for bad in ({"key": "x"}, {"name": ""}):
        try:
            edit_maker(session, limited, bad, actor="c", user_id=None)
        except AuthorityRefused:
            continue
        raise AssertionError(bad)
    try:
        merge_makers(session, sons, sons, actor="c", user_id=None)
    except AuthorityRefused:
        pass
    else:
        raise AssertionError("merged into itself")


def test_merge_queries_its_wares_in_bounded_in_lists(session: Session, monkeypatch):
    """A maker on more wares than one IN list holds merges the same (one chunk per ware here)."""
    import archive.db

    monkeypatch.setattr(archive.db, "IN_LIST_SIZE", 1)
    sons, limited, ids = _setup(session)
    original = _credits(session)
    record, changed = merge_makers(session, sons, limited, actor="c", user_id=None)
    session.commit()
    assert sorted(changed) == sorted(ids[1:])
    assert [name for _, name, _ in _credits(session)] == ["Josiah Wedgwood & Sons"] * 3
    assert ware_history(session, ids[2])[-1].before == {
        "makers": [
            ["Josiah Wedgwood & Sons", "maker", None],
            ["Josiah Wedgwood & Sons Ltd.", "maker", None],
        ]
    }
    undo_merge(session, record, actor="c", user_id=None)
    session.commit()
    assert _credits(session) == original


def test_the_authority_record_is_checked_and_edited_like_any_maker_field(session: Session):
    sons, _, _ = _setup(session)
    edit = edit_maker(
        session,
        sons,
        {"born": 1730, "died": 1795, "wikidata_id": "Q1351116", "biography_en": ""},
        actor="c",
    )
    assert edit.changed == {"born": 1730, "died": 1795, "wikidata_id": "Q1351116"}
    assert edit.reindex == []  # dates and identifiers are not in the wares' index documents
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "maker").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.before == {"born": None, "died": None, "wikidata_id": None}
    for bad, field in (
        ({"wikidata_id": "wedgwood"}, "wikidata_id"),
        ({"ulan_id": "400023435"}, "ulan_id"),
        # A new death year is checked against the birth year the record keeps.
        ({"died": 1700}, "died"),
        ({"active_from": 1800, "active_to": 1759}, "active_to"),
    ):
        try:
            edit_maker(session, sons, bad, actor="c")
        except AuthorityRefused as refused:
            assert refused.field == field, bad
            continue
        raise AssertionError(bad)
    assert (sons.born, sons.died) == (1730, 1795)
    # Clearing a field with an empty string stores no value.
    assert edit_maker(session, sons, {"wikidata_id": ""}, actor="c").changed == {
        "wikidata_id": None
    }
