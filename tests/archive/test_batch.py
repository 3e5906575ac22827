"""Batch changes: set-based, audited per ware, skipped with reasons, undone as one unit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.batch import (
    SKIP_CHANGED_SINCE,
    SKIP_GONE,
    SKIP_NO_RIGHTS,
    SKIP_OTHER_INSTITUTION,
    BatchRefused,
    check_params,
    run_batch,
)
from archive.catalogue import get_or_create_collection, get_or_create_institution, upsert_ware
from archive.curation import ReviewNote
from archive.editing import ware_history
from archive.models import AuditEvent, Role, Ware, WareStatus
from archive.restoring import version_after
from archive.users import create_user
from archive.workbench import BatchAction, BatchItem, BatchJob, WareSet, WareSetMember

CC_BY = "http://creativecommons.org/licenses/by/4.0/"


def _wares(session: Session, count: int, **fields: object) -> list[int]:
    museum = get_or_create_institution(session, "Museum")
    ids = []
    for number in range(count):
        ware, _ = upsert_ware(
            session,
            institution=museum,
            accession_number=f"B-{number:03d}",
            fields={"title_en": f"Bowl {number}", "material": "porcelain", **fields},
        )
        ids.append(ware.id)
    session.commit()
    return ids


def _job(session: Session, action: BatchAction, ids: list[int], **params: object) -> BatchJob:
    count = session.scalar(select(func.count()).select_from(BatchJob)) or 0
    user = create_user(session, f"curator{count}@example.org", "x" * 12, Role.CURATOR)
    job = BatchJob(user_id=user.id, action=action.value, params=params, ware_ids=ids)
    job.total = len(ids)
    session.add(job)
    session.commit()
    return job


def _undo(session: Session, original: BatchJob) -> BatchJob:
    job = BatchJob(
        user_id=original.user_id, action=BatchAction.UNDO.value, params={"job_id": original.id}
    )
    session.add(job)
    session.commit()
    run_batch(session, job, actor="curator@example.org")
    return job


def test_set_field_changes_every_ware_audits_each_and_undo_restores(session: Session):
    ids = _wares(session, 7)
    session.get(Ware, ids[0]).material = "stoneware"
    session.commit()
    job = _job(session, BatchAction.SET_FIELD, ids, field="material", value="stoneware")
    seen: list[int] = []
    changed = run_batch(session, job, actor="curator@example.org", progress=seen.append)
    assert sorted(changed) == sorted(ids[1:])  # the first already said stoneware
    assert seen == [7] and job.processed == 7 and job.changed == 6
    assert set(session.scalars(select(Ware.material))) == {"stoneware"}
    event = ware_history(session, ids[3])[-1]
    assert (event.action, event.before, event.after) == (
        "batch_set_field",
        {"material": "porcelain"},
        {"material": "stoneware"},
    )
    assert version_after(session, ids[3], event.id)["material"] == "stoneware"
    undo = _undo(session, job)
    assert undo.changed == 6
    session.refresh(job)
    assert job.undone_by_id == undo.id
    materials = dict(session.execute(select(Ware.id, Ware.material)).all())
    assert materials[ids[0]] == "stoneware" and materials[ids[1]] == "porcelain"
    assert ware_history(session, ids[3])[-1].action == "batch_undo"
    try:
        check_params(session, "undo", {"job_id": job.id})
    except BatchRefused as refusal:
        assert "undone already" in str(refusal)
    else:
        raise AssertionError("a batch undone twice")


def test_undo_leaves_a_ware_edited_since_the_batch(session: Session):
    ids = _wares(session, 3)
    job = _job(session, BatchAction.APPEND_FIELD, ids, field="material", value="cobalt blue")
    run_batch(session, job, actor="a@example.org")
    assert session.get(Ware, ids[0]).material == "porcelain; cobalt blue"
    session.get(Ware, ids[0]).material = "hand edited"
    session.commit()
    undo = _undo(session, job)
    assert [skip["reason"] for skip in undo.skipped] == [SKIP_CHANGED_SINCE]
    assert session.get(Ware, ids[0]).material == "hand edited"
    assert session.get(Ware, ids[1]).material == "porcelain"
    # Appending twice does not repeat the text.
    again = _job(session, BatchAction.APPEND_FIELD, ids[1:], field="material", value="x")
    run_batch(session, again, actor="a@example.org")
    repeat = _job(session, BatchAction.APPEND_FIELD, ids[1:], field="material", value="x")
    assert run_batch(session, repeat, actor="a@example.org") == []


def test_publish_skips_wares_without_rights_and_undo_unpublishes(session: Session):
    ids = _wares(session, 2, rights=CC_BY) + _wares_b(session)
    job = _job(session, BatchAction.PUBLISH, ids)
    run_batch(session, job, actor="a@example.org")
    statuses = dict(session.execute(select(Ware.id, Ware.status)).all())
    assert [statuses[i] for i in ids] == [WareStatus.PUBLISHED] * 2 + [WareStatus.DRAFT]
    assert [skip["reason"] for skip in job.skipped] == [SKIP_NO_RIGHTS]
    _undo(session, job)
    statuses = dict(session.execute(select(Ware.id, Ware.status)).all())
    assert {statuses[i] for i in ids} == {WareStatus.DRAFT}


def _wares_b(session: Session) -> list[int]:
    other = get_or_create_institution(session, "University")
    ware, _ = upsert_ware(session, institution=other, accession_number="U-1", fields={})
    session.commit()
    return [ware.id]


def test_collections_sets_review_and_delete(session: Session):
    ids = _wares(session, 3)
    other = _wares_b(session)
    museum = session.get(Ware, ids[0]).institution
    export = get_or_create_collection(session, museum, "Export wares")
    session.commit()
    job = _job(session, BatchAction.ADD_TO_COLLECTION, ids + other, collection_id=export.id)
    run_batch(session, job, actor="a@example.org")
    assert [skip["reason"] for skip in job.skipped] == [SKIP_OTHER_INSTITUTION]
    assert {session.get(Ware, i).collection_id for i in ids} == {export.id}
    assert ware_history(session, ids[0])[-1].after == {"collection": "Export wares"}

    chosen = WareSet(name="For the loan", owner_id=job.user_id)
    session.add(chosen)
    session.commit()
    add = _job(session, BatchAction.ADD_TO_SET, ids[:2], set_id=chosen.id)
    run_batch(session, add, actor="a@example.org")
    members = select(func.count()).select_from(WareSetMember)
    assert session.scalar(members) == 2
    _undo(session, add)
    assert session.scalar(members) == 0
    # Undoing a set change after the set itself was removed leaves the wares alone.
    again = _job(session, BatchAction.ADD_TO_SET, ids[:1], set_id=chosen.id)
    run_batch(session, again, actor="a@example.org")
    session.delete(chosen)
    session.commit()
    assert [skip["reason"] for skip in _undo(session, again).skipped] == [SKIP_GONE]

    review = _job(session, BatchAction.SEND_TO_REVIEW, ids)
    run_batch(session, review, actor="a@example.org")
    assert {session.get(Ware, i).status for i in ids} == {WareStatus.SUBMITTED}
    assert session.scalar(select(func.count()).select_from(ReviewNote)) == 3

    gone = _job(session, BatchAction.DELETE, ids)
    run_batch(session, gone, actor="a@example.org")
    assert all(session.get(Ware, i).deleted_at is not None for i in ids)
    _undo(session, gone)
    assert all(session.get(Ware, i).deleted_at is None for i in ids)
    assert session.scalar(select(func.count()).select_from(BatchItem)) > 0
    assert session.scalar(select(func.count()).where(AuditEvent.action == "batch_delete")) == len(
        ids
    )


def test_bad_parameters_are_refused(session: Session):
    for action, params in [
        ("rename", {}),
        ("set_field", {"field": "status"}),
        ("append_field", {"field": "year_earliest", "value": "1"}),
        ("add_to_collection", {"collection_id": 999}),
        ("add_to_set", {}),
        ("undo", {"job_id": 12345}),
    ]:
        try:
            check_params(session, action, params)
        except BatchRefused:
            continue
        raise AssertionError(f"{action} {params} was accepted")


def test_publish_skips_a_ware_held_for_a_copied_photograph(session: Session):
    from archive.batch import SKIP_HELD
    from archive.holds import Copy, hold_copies
    from archive.models import Photograph

    original, copy = _wares(session, 2, rights=CC_BY)
    for ware_id in (original, copy):
        session.add(
            Photograph(
                ware_id=ware_id, sha256="a" * 64, format="JPEG", width=1, height=1, byte_size=1
            )
        )
    hold_copies(session, [Copy(copy, "a" * 64, original, "a" * 64, 0)], actor="ingest")
    session.commit()
    job = _job(session, BatchAction.PUBLISH, [original, copy])
    run_batch(session, job, actor="a@example.org")
    statuses = dict(session.execute(select(Ware.id, Ware.status)).all())
    assert (statuses[original], statuses[copy]) == (WareStatus.PUBLISHED, WareStatus.SUBMITTED)
    assert [skip["reason"] for skip in job.skipped] == [SKIP_HELD]
