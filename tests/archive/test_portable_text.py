"""The same row is kept or refused alike on SQLite and PostgreSQL: NUL characters and lengths."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session

from archive.catalogue import NewWare, get_or_create_institution, insert_wares, upsert_ware
from archive.models import Ware
from archive.portable_text import ValueTooLong
from archive.users import find_user

LONG_MATERIAL = "Porcelain with underglaze blue, " * 13  # 416 characters, like a CMOA record


def test_descriptive_text_past_its_column_is_cut_alike_with_a_warning(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    museum = get_or_create_institution(session, "Carnegie Museum of Art")
    with caplog.at_level(logging.WARNING, logger="archive.portable_text"):
        ware, _ = upsert_ware(
            session,
            institution=museum,
            accession_number="CMOA-1",
            fields={"title_en": "Vase", "material": LONG_MATERIAL},
        )
        session.commit()
    assert "ware.material cut from 416 to 300 characters" in caplog.text
    session.expire_all()
    assert session.get(Ware, ware.id).material == LONG_MATERIAL[:300]  # type: ignore[union-attr]
    # The bulk path (one INSERT for many new wares) fits rows the same way.
    (bulk_id,) = insert_wares(
        session, museum, [NewWare("CMOA-2", {"material": LONG_MATERIAL, "title_en": "Jar"})]
    )
    session.commit()
    assert session.get(Ware, bulk_id).material == LONG_MATERIAL[:300]  # type: ignore[union-attr]


def test_an_identifying_value_past_its_column_is_refused_alike(session: Session) -> None:
    museum = get_or_create_institution(session, "Carnegie Museum of Art")
    session.commit()
    with pytest.raises(ValueTooLong, match="accession_number is 150 characters long"):
        upsert_ware(session, institution=museum, accession_number="A" * 150, fields={})
        session.flush()
    session.rollback()
    with pytest.raises(ValueTooLong):
        insert_wares(session, museum, [NewWare("B" * 101, {})])


def test_nul_characters_are_dropped_on_both_databases(session: Session) -> None:
    museum = get_or_create_institution(session, "Museum\x00 of NUL")
    ware, _ = upsert_ware(
        session,
        institution=museum,
        accession_number="N-1",
        fields={"title_en": "Bowl\x00 with\x00 NUL", "description_en": "a\x00b"},
    )
    session.commit()
    session.expire_all()
    stored = session.get(Ware, ware.id)
    assert stored is not None and stored.title_en == "Bowl with NUL"
    assert stored.institution.name == "Museum of NUL"
    # A lookup with a NUL finds nothing rather than failing on PostgreSQL.
    assert find_user(session, "nobody\x00@example.org") is None


def test_a_cmoa_row_with_a_long_medium_lands_alike_with_a_row_warning(
    settings, session_factory, tmp_path
) -> None:
    import json

    from ingest.pipeline import IngestOptions, ingest_source
    from ingest.profiles import load_profile

    rows = [
        {"accession_number": "CMOA-L", "title": "Long medium", "medium": LONG_MATERIAL},
        {"accession_number": "X" * 101, "title": "Accession too long"},
    ]
    source = tmp_path / "cmoa.json"
    source.write_text(json.dumps(rows), encoding="utf-8")
    report = ingest_source(
        settings,
        session_factory,
        source,
        load_profile("cmoa"),
        IngestOptions(institution="Carnegie Museum of Art"),
    )
    assert report.created == 1 and report.rejected == 1
    reasons = {(p.field, p.severity): p.reason for p in report.problems}
    assert "cut to the 300 the catalogue keeps" in reasons[("material", "warning")]
    assert "longer than 100 characters" in reasons[("accession_number", "error")]
    with session_factory() as session:
        ware = session.query(Ware).filter_by(accession_number="CMOA-L").one()
        assert ware.material == LONG_MATERIAL[:300]
