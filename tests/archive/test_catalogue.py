from __future__ import annotations

import pytest
from sqlalchemy import func, select

from archive.catalogue import (
    MakerCredit,
    attach_photograph,
    get_or_create_collection,
    get_or_create_institution,
    get_or_create_maker,
    get_ware,
    upsert_ware,
    wares_by_ids,
)
from archive.models import AuditEvent, MakerRole, Role, Ware, WareStatus
from archive.store import ImageStore
from archive.users import AccountError, create_user, find_user, password_matches
from tests.conftest import make_image_bytes


def _ware(session, accession="A1", **fields):
    museum = get_or_create_institution(session, "Potteries Museum")
    fields.setdefault("title_en", "Jasper vase")
    fields.setdefault("status", "published")
    return upsert_ware(session, institution=museum, accession_number=accession, fields=fields)


def test_upsert_creates_then_is_idempotent_then_updates_with_audit(session):
    ware, outcome = _ware(session)
    assert outcome == "created"
    session.commit()
    again, outcome = _ware(session)
    assert (again.id, outcome) == (ware.id, "unchanged")
    _, outcome = _ware(session, title_en="Jasperware vase")
    assert outcome == "updated"
    session.commit()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["create", "update"]
    assert events[1].before == {"title_en": "Jasper vase"}
    assert events[1].after == {"title_en": "Jasperware vase"}
    assert session.scalar(select(func.count(Ware.id))) == 1


def test_same_accession_in_two_institutions_is_two_wares(session):
    stoke = get_or_create_institution(session, "Stoke")
    jdz = get_or_create_institution(session, "Jingdezhen")
    a, _ = upsert_ware(session, institution=stoke, accession_number="1", fields={})
    b, _ = upsert_ware(session, institution=jdz, accession_number="1", fields={})
    assert a.id != b.id


def test_unknown_field_is_refused(session):
    with pytest.raises(ValueError, match="not ware fields"):
        _ware(session, colour="blue")


def test_makers_merge_by_key_and_keep_aliases(session):
    first = get_or_create_maker(session, "Josiah Wedgwood & Sons", key="josiah wedgwood sons")
    second = get_or_create_maker(session, "JOSIAH WEDGWOOD AND SONS", key="josiah wedgwood sons")
    assert first.id == second.id
    assert [alias.name for alias in first.aliases] == ["JOSIAH WEDGWOOD AND SONS"]
    ware, _ = _ware(session)
    ware, outcome = upsert_ware(
        session,
        institution=ware.institution,
        accession_number=ware.accession_number,
        fields={},
        makers=[MakerCredit(first, MakerRole.MANUFACTURER)],
    )
    assert outcome == "updated"
    assert ware.makers[0].maker.name == "Josiah Wedgwood & Sons"
    assert ware.makers[0].role is MakerRole.MANUFACTURER


def test_collection_is_unique_per_institution(session):
    museum = get_or_create_institution(session, "V&A")
    assert get_or_create_collection(session, museum, "Ceramics").id == (
        get_or_create_collection(session, museum, "Ceramics").id
    )


def test_photograph_attached_once_and_public_visibility(session, tmp_path):
    ware, _ = _ware(session)
    draft, _ = _ware(session, accession="A2", status="draft")
    stored = ImageStore(tmp_path).put(make_image_bytes())
    photo, created = attach_photograph(session, ware, stored, photographer="A. Potter")
    _, created_again = attach_photograph(session, ware, stored)
    session.commit()
    assert created and not created_again
    assert get_ware(session, ware.id).photographs[0].id == photo.id
    assert get_ware(session, draft.id) is None
    assert get_ware(session, draft.id, public=False).status is WareStatus.DRAFT
    assert [w.id for w in wares_by_ids(session, [draft.id, ware.id])] == [ware.id]


def test_users_hash_passwords_and_refuse_duplicates(session):
    user = create_user(session, "Curator@Example.org", "correct horse battery", Role.CURATOR)
    assert user.password_hash.startswith("scrypt:")
    assert password_matches(find_user(session, "curator@example.org"), "correct horse battery")
    assert not password_matches(user, "wrong password!")
    with pytest.raises(AccountError, match="already exists"):
        create_user(session, "curator@example.org", "another long one", Role.CURATOR)
    with pytest.raises(AccountError, match="institution"):
        create_user(session, "p@example.org", "long enough pw", Role.PARTNER)
