"""Every route of the app × every role: who may do what.

Curating and sign-in routes have an explicit expectation per role below. Every other route is
public, and for those the rule is that signing in changes nothing: each role gets the same
answer, and an unpublished ware is hidden from all of them alike. A new route that is neither
public nor listed here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from archive.authorities import add_alias, merge_makers
from archive.batch import run_batch
from archive.catalogue import get_or_create_maker
from archive.curation import BulkJob, JobStatus, ReviewDecision, ReviewNote
from archive.editing import remove_photograph
from archive.exhibiting import ItemDraft, SectionDraft, save_exhibition
from archive.grants import give_grant
from archive.invitations import invite
from archive.jobs import Job
from archive.models import AuditEvent, Institution, Maker, Role, User, Ware, WareStatus
from archive.pending_photos import record_entries
from archive.users import create_user
from archive.workbench import BatchAction, BatchJob, BatchStatus, SavedSearch, WareSet
from archive.working_copies import (
    discard_working_copy,
    restore_into_copy,
    save_copy_photographs,
    save_working_copy,
)
from tests.conftest import make_image_bytes
from tests.curate.conftest import EMAILS, INSTITUTION_B, PASSWORD, ROLES, YES, Site, sign_in
from web.auth import Rule

LOGIN, OK, FORBIDDEN, HIDDEN = "login", "ok", "forbidden", "hidden"
SIGNED = {"anonymous": LOGIN, "partner_a": OK, "partner_b": OK, "curator": OK, "admin": OK}
OWN_A = {**SIGNED, "partner_b": HIDDEN}
OWN_B = {**SIGNED, "partner_a": HIDDEN}
CURATORS = {**SIGNED, "partner_a": FORBIDDEN, "partner_b": FORBIDDEN}
CURATORS_ONLY_EDIT_PUBLISHED = {**OWN_A, "partner_a": FORBIDDEN}
# Curators of an institution or a collection pass these routes too; the ware decides (below).
SCOPED_CURATORS = {**CURATORS}
ADMINS = {**CURATORS, "curator": FORBIDDEN}
# A bulk upload's dry run is its uploader's alone, curators included.
UPLOADER_A = {**SIGNED, "partner_b": HIDDEN, "curator": HIDDEN, "admin": HIDDEN}
# An institution's admins pass too, for their institution (tests/curate/test_scoped_roles.py).
ACCOUNT_ADMINS = {**ADMINS}
EVERYONE = dict.fromkeys(ROLES, OK)
# Which expectation goes with which declared rule (the matrix checks the declaration too).
RULE_OF = {
    id(SIGNED): Rule.SIGNED_IN,
    id(OWN_A): Rule.SIGNED_IN,
    id(OWN_B): Rule.SIGNED_IN,
    id(UPLOADER_A): Rule.SIGNED_IN,
    id(CURATORS_ONLY_EDIT_PUBLISHED): Rule.SIGNED_IN,
    id(CURATORS): Rule.CURATOR,
    id(SCOPED_CURATORS): Rule.SCOPED_CURATOR,
    id(ADMINS): Rule.ADMIN,
    id(ACCOUNT_ADMINS): Rule.ACCOUNT_ADMIN,
    id(EVERYONE): Rule.PUBLIC,
}

Request = tuple[str, str, dict[str, Any] | None]
# Destructive actions ask first; the matrix answers yes so the action itself is checked.


@dataclass(frozen=True)
class Case:
    """One route, how to call it on fresh objects, and what each role should get."""

    endpoint: str
    call: Callable[[Site, str], Request]
    expected: dict[str, str]


def _ops_job(site: Site) -> int:
    """A finished rebuild job (resuming it is refused with a message, not started)."""
    with site.sessions() as session:
        job = Job(kind="rebuild", label="index rebuild", status="finished", params={})
        session.add(job)
        session.commit()
        return job.id


def _job(site: Site, status: JobStatus = JobStatus.FINISHED) -> int:
    with site.sessions() as session:
        owner = session.scalar(select(User).where(User.email == EMAILS["partner_a"]))
        assert owner is not None
        job = BulkJob(
            user_id=owner.id,
            institution_id=site.institution_a,
            as_submission=True,
            mapping="potbank",
            source_name="rows.csv",
            folder="0" * 32,
            status=status,
            summary="1 created",
            problems=[{"line": 2, "accession_number": "X", "field": "f", "reason": "r"}],
        )
        session.add(job)
        session.commit()
        return job.id


def _user(site: Site, role: str) -> int:
    with site.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == EMAILS[role]))
        assert user_id is not None
        return user_id


def _fresh_user(site: Site, role: str) -> int:
    with site.sessions() as session:
        user = create_user(session, f"fresh-{role}@example.org", PASSWORD, Role.CURATOR)
        session.commit()
        return user.id


def _exhibition(site: Site, role: str) -> int:
    with site.sessions() as session:
        exhibition = save_exhibition(
            session,
            None,
            {"slug": f"show-{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}", "title_en": "A show"},
            [SectionDraft(heading_en="One", items=[ItemDraft(site.catalogue.vase)])],
            actor="test",
        )
        session.commit()
        return exhibition.id


def _exhibition_form(site: Site, role: str) -> dict[str, Any]:
    return {
        "slug": f"new-{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
        "title_en": f"Show of {role}",
        "section-0-heading_en": "One",
        "section-0-item-0-ware": str(site.catalogue.vase),
    }


def _invitation_form(site: Site, role: str) -> dict[str, Any]:
    return {
        "email": f"invited-{role}-{uuid.uuid4().hex[:8]}@example.org",
        "role": "partner",
        "scope": f"institution:{site.institution_a}",
    }


def _invitation(site: Site, role: str) -> tuple[int, str]:
    with site.sessions() as session:
        issued = invite(
            session,
            f"pending-{role}-{uuid.uuid4().hex[:8]}@example.org",
            Role.PARTNER,
            institution=session.get(Institution, site.institution_a),
            actor="fixture",
        )
        session.commit()
        return issued.invitation.id, issued.token


def _grant(site: Site, role: str) -> int:
    with site.sessions() as session:
        user = session.get(User, _fresh_user(site, f"granted-{role}-{uuid.uuid4().hex[:6]}"))
        grant = give_grant(
            session,
            user,
            Role.CURATOR,
            institution=session.get(Institution, site.institution_b),
            actor="fixture",
        )
        session.commit()
        return grant.id


def _new_password(site: Site, role: str) -> Request:
    data = {"password": "another new password", "password_again": "another new password"}
    return "POST", f"/curate/users/{_fresh_user(site, role)}/password", data


def _first_event(site: Site, ware_id: int) -> int:
    with site.sessions() as session:
        event = session.scalar(
            select(AuditEvent.id).where(
                AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware_id
            )
        )
        assert event is not None
        return event


def _record(role: str, accession: str) -> dict[str, Any]:
    return {
        "accession_number": f"{accession}-{role}",
        "title_en": "Matrix ware",
        "institution": "Capital Museum, Beijing",
    }


def _photo_of(site: Site, **kwargs: Any) -> tuple[int, int]:
    ware = site.make_ware(photo=True, **kwargs)
    return ware.id, ware.photographs[0].id


def _upload(site: Site, role: str) -> Request:
    ware = site.make_ware().id
    photo = (io.BytesIO(make_image_bytes(seed=ROLES.index(role))), "p.jpg")
    return "POST", f"/curate/wares/{ware}/photos", {"photos": [photo]}


def _arrange(site: Site, role: str) -> Request:
    ware, photo = _photo_of(site)
    return "POST", f"/curate/wares/{ware}/photos/arrange", {f"view-{photo}": "base"}


def _turn_photo(site: Site, role: str) -> Request:
    ware, photo = _photo_of(site)
    return "POST", f"/curate/wares/{ware}/photos/{photo}/turn", {"turn": "90"}


def _crop_photo(site: Site, role: str) -> Request:
    ware, photo = _photo_of(site)
    box = {"x": "10", "y": "10", "w": "100", "h": "80"}
    return (
        "POST",
        f"/curate/wares/{ware}/photos/{photo}/crop",
        {f"crop-{part}-{photo}": value for part, value in box.items()},
    )


def _undo_photo(kind: str) -> Callable[[Site, str], Request]:
    def request(site: Site, role: str) -> Request:
        ware, photo = _photo_of(site)
        return "POST", f"/curate/wares/{ware}/photos/{photo}/{kind}", {}

    return request


def _history_photo(site: Site, role: str) -> Request:
    ware = site.make_ware(photo=True)
    digest = ware.photographs[0].sha256[:12]
    return "GET", f"/curate/wares/{ware.id}/history/photos/{digest}.jpg", None


def _delete_photo(site: Site, role: str) -> Request:
    ware, photo = _photo_of(site)
    return "POST", f"/curate/wares/{ware}/photos/{photo}/delete", YES


def _removal(site: Site, role: str) -> Request:
    ware_id, photo_id = _photo_of(site)
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None
        photo = next(item for item in ware.photographs if item.id == photo_id)
        event = remove_photograph(session, ware, photo, actor="fixture", user_id=None)
        assert event is not None
        session.commit()
        return "POST", f"/curate/wares/{ware_id}/photos/undo/{event.id}", {}


def _with_copy(site: Site, status: WareStatus = WareStatus.DRAFT) -> int:
    """A ware of institution A with a working copy that changes its title."""
    ware = site.make_ware(status=status)
    with site.sessions() as session:
        current = {"title_en": ware.title_en}
        save_working_copy(
            session,
            ware.id,
            {"title_en": f"{ware.title_en} (edited)"},
            current=current,
            actor="fixture",
            user_id=None,
            audited=True,
        )
        session.commit()
    return ware.id


def _copy_preview(site: Site, role: str) -> Request:
    """The preview of a photograph whose caption waits in a published ware's working copy."""
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None
        entries = record_entries(record)
        entries[0]["caption_en"] = "Waiting"
        save_copy_photographs(
            session,
            ware.id,
            entries,
            record=record_entries(record),
            current={"title_en": ware.title_en},
            actor="fixture",
            user_id=None,
            action="copy_arrange_photographs",
        )
        session.commit()
    key = entries[0]["image_key"]
    return "GET", f"/curate/wares/{ware.id}/working-copy/photos/{key}/thumb.jpg", None


def _copy_removal(site: Site, role: str) -> Request:
    """The Undo of a photograph taken out of a published ware's working copy."""
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None
        entries = record_entries(record)
        event = save_copy_photographs(
            session,
            ware.id,
            [],
            record=entries,
            current={"title_en": ware.title_en},
            actor="fixture",
            user_id=None,
            action="copy_remove_photograph",
            removed=entries[0],
        )
        assert event is not None
        session.commit()
        return "POST", f"/curate/wares/{ware.id}/photos/copy-undo/{event.id}", {}


def _discarded(site: Site, role: str) -> Request:
    ware_id = _with_copy(site)
    with site.sessions() as session:
        event = discard_working_copy(session, ware_id, actor="fixture", user_id=None)
        assert event is not None
        session.commit()
        return "POST", f"/curate/wares/{ware_id}/working-copy/undo-discard/{event.id}", {}


def _restored_into_copy(site: Site, role: str) -> Request:
    """A published ware whose earlier version was restored into its working copy."""
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    with site.sessions() as session:
        event = restore_into_copy(
            session,
            ware.id,
            {"title_en": f"{ware.title_en} (earlier)"},
            None,
            current={"title_en": ware.title_en},
            record=[],
            version_event_id=1,
            actor="fixture",
            user_id=None,
        )
        assert event is not None
        session.commit()
        return "POST", f"/curate/wares/{ware.id}/working-copy/undo-restore/{event.id}", {}


def _approved(site: Site, role: str) -> Request:
    """A submission of institution A just approved (its Undo)."""
    ware = site.make_ware(status=WareStatus.SUBMITTED)
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None
        record.status = WareStatus.PUBLISHED
        note = ReviewNote(
            ware_id=ware.id, actor="fixture", decision=ReviewDecision.APPROVED, snapshot={}
        )
        session.add(note)
        session.commit()
        return "POST", f"/curate/review/{ware.id}/undo/{note.id}", {}


def _bulk(site: Site, role: str) -> Request:
    rows = f"accession_number,title_en\nBULK-{role},Bulk ware\n".encode()
    return "POST", "/curate/bulk", {"records": (io.BytesIO(rows), "rows.csv")}


def _waiting_upload(site: Site, owner: int) -> str:
    """A dry run's kept files, as the bulk form leaves them (web.curate.bulk_preview)."""
    token = uuid.uuid4().hex
    folder = site.settings.home / "uploads" / token
    folder.mkdir(parents=True)
    (folder / "records.csv").write_text("accession_number,title_en\nWAIT-1,Waiting\n")
    manifest = {"user_id": owner, "institution_id": site.institution_a, "mapping": ""}
    (folder / "preview.json").write_text(json.dumps(manifest))
    return f"/curate/bulk/preview/{token}"


def _owner(site: Site, role: str) -> int:
    # Anonymous requests are turned away before ownership matters: any account will do.
    return _user(site, "curator" if role == "anonymous" else role)


def _batch_done(site: Site, role: str) -> int:
    ware = site.make_ware().id
    with site.sessions() as session:
        job = BatchJob(
            user_id=_owner(site, "curator"),
            action=BatchAction.SET_FIELD.value,
            params={"field": "material", "value": f"batch {role}"},
            ware_ids=[ware],
            total=1,
        )
        session.add(job)
        session.commit()
        run_batch(session, job, actor="fixture")
        job.status = BatchStatus.FINISHED
        session.commit()
        return job.id


def _batch(site: Site, role: str) -> Request:
    data = {"action": "set_field", "field": "material", "value": role, "ware": site.make_ware().id}
    return "POST", "/curate/batch", data


def _saved_search(site: Site, role: str) -> int:
    with site.sessions() as session:
        search = SavedSearch(name=f"{role} search", owner_id=_owner(site, role), query="q=bowl")
        session.add(search)
        session.commit()
        return search.id


def _ware_set(site: Site, role: str) -> int:
    with site.sessions() as session:
        chosen = WareSet(name=f"{role} set", owner_id=_owner(site, role))
        session.add(chosen)
        session.commit()
        return chosen.id


def _maker(site: Site, role: str, alias: str | None = None) -> tuple[int, int | None]:
    with site.sessions() as session:
        maker = get_or_create_maker(
            session, f"Matrix maker {role} {alias}", f"matrix {role} {alias}"
        )
        if alias:
            add_alias(session, maker, alias, "zh", actor="fixture", user_id=None)
        session.commit()
        return maker.id, maker.aliases[0].id if maker.aliases else None


def _merge(site: Site, role: str) -> int:
    kept, merged = _maker(site, role, "kept")[0], _maker(site, role, "merged")[0]
    with site.sessions() as session:
        record, _ = merge_makers(
            session,
            session.get(Maker, kept),
            session.get(Maker, merged),
            actor="fixture",
            user_id=None,
        )
        session.commit()
        return record.id


def _alias_url(site: Site, role: str) -> str:
    maker, alias = _maker(site, role, "alias")
    return f"/curate/makers/{maker}/aliases/{alias}/delete"


def _ware(state: WareStatus = WareStatus.DRAFT, **kwargs: Any) -> Callable[[Site], int]:
    return lambda site: site.make_ware(status=state, **kwargs).id


draft_a = _ware()
published_a = _ware(WareStatus.PUBLISHED)
submitted_a = _ware(WareStatus.SUBMITTED)
deleted_a = _ware(deleted=True)


def _term_form(role: str, zh: str = "测试") -> dict[str, Any]:
    return {"category": "material", "en": f"test term {role} {zh}", "zh": zh, "source": "a test"}


def _term(site: Site, role: str) -> int:
    from archive.vocabulary import create_term

    with site.sessions() as session:
        term = create_term(session, _term_form(f"fixture {role} {uuid.uuid4().hex}"), actor="x")
        session.commit()
        return term.id


CASES: list[Case] = [
    Case("auth.login", lambda s, r: ("GET", "/login", None), EVERYONE),
    Case("auth.logout_form", lambda s, r: ("GET", "/logout", None), EVERYONE),
    Case("curate.dashboard", lambda s, r: ("GET", "/curate/", None), SIGNED),
    Case("curate.change_password", lambda s, r: ("GET", "/curate/account/password", None), SIGNED),
    Case("curate.new_ware", lambda s, r: ("GET", "/curate/wares/new", None), SIGNED),
    Case(
        "curate.new_ware",
        lambda s, r: ("POST", "/curate/wares/new", _record(r, "NEW")),
        SIGNED,
    ),
    Case("curate.ware", lambda s, r: ("GET", f"/curate/wares/{draft_a(s)}", None), OWN_A),
    Case("curate.ware", lambda s, r: ("GET", f"/curate/wares/{s.b_submitted}", None), OWN_B),
    Case(
        "curate.save_ware",
        lambda s, r: ("POST", f"/curate/wares/{(w := draft_a(s))}", _record(r, f"E{w}")),
        OWN_A,
    ),
    Case(
        "curate.save_ware",
        lambda s, r: ("POST", f"/curate/wares/{(w := published_a(s))}", _record(r, f"P{w}")),
        CURATORS_ONLY_EDIT_PUBLISHED,
    ),
    Case("curate.submit", lambda s, r: ("POST", f"/curate/wares/{draft_a(s)}/submit", {}), OWN_A),
    Case(
        "curate.publish",
        lambda s, r: ("POST", f"/curate/wares/{draft_a(s)}/publish", {}),
        SCOPED_CURATORS,
    ),
    Case(
        "curate.unpublish",
        lambda s, r: ("POST", f"/curate/wares/{published_a(s)}/unpublish", YES),
        SCOPED_CURATORS,
    ),
    Case("curate.delete", lambda s, r: ("POST", f"/curate/wares/{draft_a(s)}/delete", YES), OWN_A),
    Case(
        "curate.delete",
        lambda s, r: ("POST", f"/curate/wares/{published_a(s)}/delete", YES),
        CURATORS_ONLY_EDIT_PUBLISHED,
    ),
    Case(
        "curate.restore", lambda s, r: ("POST", f"/curate/wares/{deleted_a(s)}/restore", {}), OWN_A
    ),
    Case(
        "curate.history", lambda s, r: ("GET", f"/curate/wares/{draft_a(s)}/history", None), OWN_A
    ),
    Case(
        "curate.history",
        lambda s, r: ("GET", f"/curate/wares/{s.b_submitted}/history", None),
        OWN_B,
    ),
    Case(
        "curate.restore_to",
        lambda s, r: (
            "POST",
            f"/curate/wares/{(w := draft_a(s))}/history/{_first_event(s, w)}/restore",
            YES,
        ),
        OWN_A,
    ),
    Case("curate.upload_photos", _upload, OWN_A),
    Case("curate.arrange_photos", _arrange, OWN_A),
    Case("curate.delete_photo", _delete_photo, OWN_A),
    Case("curate.undo_remove_photo", _removal, OWN_A),
    Case(
        "curate.autosave",
        lambda s, r: ("POST", f"/curate/wares/{(w := draft_a(s))}/working-copy", _record(r, w)),
        OWN_A,
    ),
    Case(
        "curate.autosave",
        lambda s, r: (
            "POST",
            f"/curate/wares/{(w := published_a(s))}/working-copy",
            _record(r, f"P{w}"),
        ),
        CURATORS_ONLY_EDIT_PUBLISHED,
    ),
    Case(
        "curate.compare_working_copy",
        lambda s, r: ("GET", f"/curate/wares/{_with_copy(s)}/working-copy/compare", None),
        OWN_A,
    ),
    Case(
        "curate.publish_working_copy",
        lambda s, r: ("POST", f"/curate/wares/{_with_copy(s)}/working-copy/publish", {}),
        OWN_A,
    ),
    Case(
        "curate.publish_working_copy",
        lambda s, r: (
            "POST",
            f"/curate/wares/{_with_copy(s, WareStatus.PUBLISHED)}/working-copy/publish",
            {},
        ),
        CURATORS_ONLY_EDIT_PUBLISHED,
    ),
    Case(
        "curate.discard_changes",
        lambda s, r: ("POST", f"/curate/wares/{_with_copy(s)}/working-copy/discard", YES),
        OWN_A,
    ),
    Case("curate.undo_discard_changes", _discarded, OWN_A),
    Case("curate.undo_restore_into_copy", _restored_into_copy, CURATORS_ONLY_EDIT_PUBLISHED),
    # Only those who may edit the published ware see what waits in its copy.
    Case("curate.copy_photo_image", _copy_preview, CURATORS_ONLY_EDIT_PUBLISHED),
    Case("curate.undo_copy_remove_photo", _copy_removal, CURATORS_ONLY_EDIT_PUBLISHED),
    Case("curate.turn_photo", _turn_photo, OWN_A),
    Case("curate.crop_photo", _crop_photo, OWN_A),
    Case("curate.uncrop_photo", _undo_photo("uncrop"), OWN_A),
    Case("curate.reset_photo", _undo_photo("as-contributed"), OWN_A),
    Case("curate.history_photo", _history_photo, OWN_A),
    Case(
        "curate.photo_image",
        lambda s, r: ("GET", f"/curate/photos/{_photo_of(s)[1]}/thumb.jpg", None),
        OWN_A,
    ),
    Case(
        "curate.photo_image",
        lambda s, r: ("GET", f"/curate/photos/{_photo_of(s, institution='b')[1]}/thumb.jpg", None),
        OWN_B,
    ),
    Case("curate.review_queue", lambda s, r: ("GET", "/curate/review", None), SCOPED_CURATORS),
    Case(
        "curate.decide",
        lambda s, r: ("POST", f"/curate/review/{submitted_a(s)}", {"decision": "approve", **YES}),
        SCOPED_CURATORS,
    ),
    Case("curate.undo_review_decision", _approved, SCOPED_CURATORS),
    Case("curate.bulk_form", lambda s, r: ("GET", "/curate/bulk", None), SIGNED),
    Case("curate.bulk_upload", _bulk, SIGNED),
    Case("curate.bulk_job", lambda s, r: ("GET", f"/curate/bulk/{_job(s)}", None), OWN_A),
    Case("curate.bulk_status", lambda s, r: ("GET", f"/curate/bulk/{_job(s)}/status", None), OWN_A),
    Case("curate.bulk_resume", lambda s, r: ("POST", f"/curate/bulk/{_job(s)}/resume", {}), OWN_A),
    Case(
        "curate.bulk_report",
        lambda s, r: ("GET", f"/curate/bulk/{_job(s)}/report.csv", None),
        OWN_A,
    ),
    Case(
        "curate.bulk_preview_page",
        lambda s, r: ("GET", _waiting_upload(s, _user(s, "partner_a")), None),
        UPLOADER_A,
    ),
    Case(
        "curate.bulk_preview_update",
        lambda s, r: ("POST", _waiting_upload(s, _user(s, "partner_a")), {}),
        UPLOADER_A,
    ),
    Case(
        "curate.bulk_preview_import",
        lambda s, r: ("POST", _waiting_upload(s, _user(s, "partner_a")) + "/import", {}),
        UPLOADER_A,
    ),
    Case(
        "curate.bulk_preview_discard",
        lambda s, r: ("POST", _waiting_upload(s, _user(s, "partner_a")) + "/discard", {}),
        UPLOADER_A,
    ),
    Case(
        "curate.bulk_preview_save_profile",
        lambda s, r: (
            "POST",
            _waiting_upload(s, _owner(s, r)) + "/profile",
            {"profile_name": f"matrix-{r.replace('_', '-')}"},
        ),
        CURATORS,
    ),
    Case("curate.users", lambda s, r: ("GET", "/curate/users", None), ACCOUNT_ADMINS),
    Case(
        "curate.set_user_active",
        lambda s, r: ("POST", f"/curate/users/{_user(s, 'partner_b')}/active", {"active": "1"}),
        ADMINS,
    ),
    Case("curate.invite", lambda s, r: ("GET", "/curate/users/invite", None), ACCOUNT_ADMINS),
    Case(
        "curate.invite",
        lambda s, r: ("POST", "/curate/users/invite", _invitation_form(s, r)),
        ACCOUNT_ADMINS,
    ),
    Case(
        "curate.revoke_invitation",
        lambda s, r: ("POST", f"/curate/invitations/{_invitation(s, r)[0]}/revoke", {}),
        ACCOUNT_ADMINS,
    ),
    Case(
        "curate.add_grant",
        lambda s, r: (
            "POST",
            f"/curate/users/{_fresh_user(s, f'{r}-grantee')}/grants",
            {"role": "curator", "scope": f"institution:{s.institution_b}"},
        ),
        ACCOUNT_ADMINS,
    ),
    Case(
        "curate.remove_grant",
        lambda s, r: ("POST", f"/curate/grants/{_grant(s, r)}/delete", {}),
        ACCOUNT_ADMINS,
    ),
    Case(
        "auth.accept_invitation",
        lambda s, r: ("GET", f"/invitations/{_invitation(s, r)[1]}", None),
        EVERYONE,
    ),
    Case(
        "curate.reset_user_password",
        lambda s, r: ("GET", f"/curate/users/{_user(s, 'partner_b')}/password", None),
        ADMINS,
    ),
    Case("curate.reset_user_password", _new_password, ADMINS),
    Case("curate.institutions", lambda s, r: ("GET", "/curate/institutions", None), ADMINS),
    Case("curate.status", lambda s, r: ("GET", "/curate/status", None), ADMINS),
    Case("curate.start_rebuild", lambda s, r: ("POST", "/curate/jobs/rebuild", {}), ADMINS),
    Case(
        "curate.start_harvest",
        # Nothing answers there: the job fails at once, in the background.
        lambda s, r: ("POST", "/curate/jobs/harvest", {"endpoint": "http://127.0.0.1:9/oai"}),
        ADMINS,
    ),
    Case("curate.job", lambda s, r: ("GET", f"/curate/jobs/{_ops_job(s)}", None), ADMINS),
    Case(
        "curate.job_status",
        lambda s, r: ("GET", f"/curate/jobs/{_ops_job(s)}/status", None),
        ADMINS,
    ),
    Case(
        "curate.job_resume",
        lambda s, r: ("POST", f"/curate/jobs/{_ops_job(s)}/resume", {}),
        ADMINS,
    ),
    Case(
        "curate.feature_ware",
        lambda s, r: ("POST", f"/curate/wares/{s.catalogue.vase}/feature", {"featured": "1"}),
        CURATORS,
    ),
    Case(
        "curate.feature_collection",
        lambda s, r: (
            "POST",
            f"/curate/collections/{s.catalogue.collection}/feature",
            {"featured": "1"},
        ),
        CURATORS,
    ),
    Case(
        "curate.maker_authority",
        lambda s, r: ("GET", f"/curate/makers/{s.catalogue.maker}/authority", None),
        CURATORS,
    ),
    Case(
        "curate.maker_authority",
        lambda s, r: (
            "POST",
            f"/curate/makers/{s.catalogue.maker}/authority",
            {"nationality": f"British ({r})", "wikidata_id": "Q1351116"},
        ),
        CURATORS,
    ),
    Case("curate.exhibitions", lambda s, r: ("GET", "/curate/exhibitions", None), CURATORS),
    Case("curate.new_exhibition", lambda s, r: ("GET", "/curate/exhibitions/new", None), CURATORS),
    Case(
        "curate.new_exhibition",
        lambda s, r: ("POST", "/curate/exhibitions/new", _exhibition_form(s, r)),
        CURATORS,
    ),
    Case(
        "curate.edit_exhibition",
        lambda s, r: ("GET", f"/curate/exhibitions/{_exhibition(s, r)}", None),
        CURATORS,
    ),
    Case(
        "curate.edit_exhibition",
        lambda s, r: ("POST", f"/curate/exhibitions/{_exhibition(s, r)}", _exhibition_form(s, r)),
        CURATORS,
    ),
    Case(
        "curate.preview_exhibition",
        lambda s, r: ("GET", f"/curate/exhibitions/{_exhibition(s, r)}/preview", None),
        CURATORS,
    ),
    Case(
        "curate.publish_exhibition",
        lambda s, r: ("POST", f"/curate/exhibitions/{_exhibition(s, r)}/publish", {}),
        CURATORS,
    ),
    Case(
        "curate.withdraw_exhibition",
        lambda s, r: ("POST", f"/curate/exhibitions/{_exhibition(s, r)}/withdraw", {}),
        CURATORS,
    ),
    Case(
        "curate.exhibition_history_page",
        lambda s, r: ("GET", f"/curate/exhibitions/{_exhibition(s, r)}/history", None),
        CURATORS,
    ),
    Case("curate.new_institution", lambda s, r: ("GET", "/curate/institutions/new", None), ADMINS),
    Case(
        "curate.new_institution",
        lambda s, r: ("POST", "/curate/institutions/new", {"name": f"Museum of {r}"}),
        ADMINS,
    ),
    Case(
        "curate.edit_institution",
        lambda s, r: ("GET", f"/curate/institutions/{s.institution_b}", None),
        ADMINS,
    ),
    Case(
        "curate.edit_institution",
        lambda s, r: (
            "POST",
            f"/curate/institutions/{s.institution_b}",
            {"name": INSTITUTION_B, "place": f"Jingdezhen ({r})"},
        ),
        ADMINS,
    ),
    Case("curate.vocabulary", lambda s, r: ("GET", "/curate/vocabulary", None), CURATORS),
    Case("curate.new_term", lambda s, r: ("GET", "/curate/vocabulary/new", None), CURATORS),
    Case(
        "curate.new_term",
        lambda s, r: ("POST", "/curate/vocabulary/new", _term_form(r)),
        CURATORS,
    ),
    Case(
        "curate.edit_term",
        lambda s, r: ("GET", f"/curate/vocabulary/{_term(s, r)}", None),
        CURATORS,
    ),
    Case(
        "curate.edit_term",
        lambda s, r: ("POST", f"/curate/vocabulary/{_term(s, r)}", _term_form(r, "更改")),
        CURATORS,
    ),
    Case("curate.batch", _batch, SCOPED_CURATORS),
    Case(
        "curate.batch_job",
        lambda s, r: ("GET", f"/curate/batch/{_batch_done(s, r)}", None),
        SCOPED_CURATORS,
    ),
    Case(
        "curate.batch_status",
        lambda s, r: ("GET", f"/curate/batch/{_batch_done(s, r)}/status", None),
        SCOPED_CURATORS,
    ),
    Case(
        "curate.undo_batch",
        lambda s, r: ("POST", f"/curate/batch/{_batch_done(s, r)}/undo", {}),
        SCOPED_CURATORS,
    ),
    Case("curate.batches", lambda s, r: ("GET", "/curate/batches", None), SCOPED_CURATORS),
    Case(
        "curate.save_search",
        lambda s, r: ("POST", "/curate/searches", {"name": r, "filter": "status=draft"}),
        SIGNED,
    ),
    Case(
        "curate.delete_search",
        lambda s, r: ("POST", f"/curate/searches/{_saved_search(s, r)}/delete", {}),
        SIGNED,
    ),
    Case("curate.sets", lambda s, r: ("GET", "/curate/sets", None), SCOPED_CURATORS),
    Case(
        "curate.new_set",
        lambda s, r: ("POST", "/curate/sets", {"name": f"{r} set"}),
        SCOPED_CURATORS,
    ),
    Case(
        "curate.delete_set",
        lambda s, r: ("POST", f"/curate/sets/{_ware_set(s, r)}/delete", {}),
        SCOPED_CURATORS,
    ),
    Case("curate.makers", lambda s, r: ("GET", "/curate/makers?q=matrix", None), CURATORS),
    Case(
        "curate.maker", lambda s, r: ("GET", f"/curate/makers/{s.catalogue.maker}", None), CURATORS
    ),
    Case(
        "curate.save_maker",
        lambda s, r: ("POST", f"/curate/makers/{_maker(s, r)[0]}", {"name": f"Renamed {r}"}),
        CURATORS,
    ),
    Case(
        "curate.add_maker_alias",
        lambda s, r: (
            "POST",
            f"/curate/makers/{_maker(s, r)[0]}/aliases",
            {"alias": "别名", "language": "zh"},
        ),
        CURATORS,
    ),
    Case("curate.delete_maker_alias", lambda s, r: ("POST", _alias_url(s, r), {}), CURATORS),
    Case(
        "curate.merge_maker",
        lambda s, r: (
            "POST",
            f"/curate/makers/{_maker(s, r, 'keep')[0]}/merge",
            {"other": f"x [#{_maker(s, r, 'go')[0]}]"},
        ),
        CURATORS,
    ),
    Case(
        "curate.undo_maker_merge",
        lambda s, r: ("POST", f"/curate/merges/{_merge(s, r)}/undo", {}),
        CURATORS,
    ),
    Case(
        "curate.suggest", lambda s, r: ("GET", "/curate/suggest?field=maker&q=wedg", None), SIGNED
    ),
    Case("curate.quality", lambda s, r: ("GET", "/curate/quality", None), CURATORS),
    Case("curate.places", lambda s, r: ("GET", "/curate/places?q=jing", None), CURATORS),
    Case(
        "curate.rename_place",
        lambda s, r: ("POST", "/curate/places/rename", {"place": "Jingdezhen", "to": f"JDZ {r}"}),
        CURATORS,
    ),
    # Last: it ends the session.
    Case("auth.logout", lambda s, r: ("POST", "/logout", {}), EVERYONE),
]
# The sign-in POST is tested on its own (test_security), with right and wrong passwords.
SEPARATELY_TESTED = {"auth.login"}


def outcome(response: Any) -> str:
    """What a response means for the matrix."""
    if response.status_code in (301, 302, 303):
        location = response.headers["Location"]
        return LOGIN if location.startswith("/login") else OK
    if response.status_code in (200, 201, 202):
        return OK
    return {401: LOGIN, 403: FORBIDDEN, 404: HIDDEN}.get(
        response.status_code, str(response.status_code)
    )


def _send(client: FlaskClient, token: str, request: Request) -> Any:
    method, url, data = request
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(
            url, data={**(data or {}), "csrf_token": token}, content_type="multipart/form-data"
        )
    # Files are streamed: reading and closing releases the handle (ResourceWarning otherwise).
    response.get_data()
    response.close()
    return response


def test_curating_routes_by_role(app: Flask, site: Site):
    failures = []
    for role in ROLES:
        client = app.test_client()
        token = sign_in(client, role)
        for case in CASES:
            request = case.call(site, role)
            got = outcome(_send(client, token, request))
            if got != case.expected[role]:
                failures.append(
                    f"{role} {request[0]} {request[1]}: {got}, not {case.expected[role]}"
                )
    assert failures == []


def test_every_route_is_in_the_matrix_with_its_declared_rule(app: Flask):
    covered = {case.endpoint for case in CASES} | SEPARATELY_TESTED
    ruled = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if hasattr(app.view_functions[rule.endpoint], "access_rule")
    }
    assert ruled == covered, "add the new route to CASES with what each role may do"
    for case in CASES:
        declared = app.view_functions[case.endpoint].access_rule
        assert declared is RULE_OF[id(case.expected)], case.endpoint


def _public_url(app: Flask, rule: Any, site: Site, hidden: bool) -> str:
    catalogue = site.catalogue
    values = {
        "ware_id": catalogue.draft if hidden else catalogue.vase,
        "maker_id": catalogue.hidden_maker if hidden else catalogue.maker,
        "collection_id": catalogue.collection,
        "institution_id": site.institution_b if hidden else catalogue.institution,
        "sha256": catalogue.draft_photo if hidden else catalogue.vase_front,
        "identifier": catalogue.draft_photo if hidden else catalogue.vase_front,
        "size": "max" if rule.endpoint.startswith("iiif.") else "thumb",
        "region": "full",
        "rotation": "0",
        "quality_format": "default.jpg",
        "filename": "potbank.css",
        "key": "0" * 32,
        "anything": "nothing-here",
        "facet": "material",
        "kind": "csv" if rule.endpoint.startswith("tools.") else "ris",
        "value": "Secret draft bowl" if hidden else "porcelain",
    }
    arguments = {name: values.get(name, "x") for name in rule.arguments}
    with app.test_request_context():
        return url_for(rule.endpoint, **arguments)


def test_public_routes_answer_every_role_alike_and_hide_unpublished_work(app: Flask, site: Site):
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        clients[role].token = sign_in(clients[role], role)  # type: ignore[attr-defined]
    failures = []
    checked = 0
    for rule in app.url_map.iter_rules():
        if hasattr(app.view_functions[rule.endpoint], "access_rule"):
            continue
        for hidden in (False, True):
            url = _public_url(app, rule, site, hidden)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                answers = {}
                for role, client in clients.items():
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.post(url, data={"csrf_token": client.token})  # type: ignore[attr-defined]
                    answers[role] = response.status_code
                    body = response.get_data().decode("utf-8", "replace")
                    response.close()
                    if hidden and "Secret draft bowl" in body:
                        failures.append(f"{role} saw the draft at {method} {url}")
                checked += 1
                if len(set(answers.values())) != 1:
                    failures.append(f"{method} {url}: {answers}")
                if hidden and rule.endpoint in HIDES_UNPUBLISHED and answers["curator"] != 404:
                    failures.append(f"{method} {url} shows an unpublished ware: {answers}")
    assert checked > 20
    assert failures == []


# Public routes that name one ware, maker or photograph: an unpublished one is 404 for all.
HIDES_UNPUBLISHED = {
    "pages.ware",
    "pages.maker",
    "api.ware",
    "api.maker",
    "images.derivative",
    "images.original",
    "iiif.image_info",
    "iiif.image",
    "iiif.ware_manifest",
    "linked_art.object_document",
    "linked_art.person_document",
    "linked_art.group_document",
}


@pytest.mark.parametrize("role", ["partner_a", "partner_b"])
def test_partner_dashboard_lists_only_their_institution(signed_in, site: Site, role: str):
    client, _ = signed_in(role)
    page = client.get("/curate/").get_data(as_text=True)
    own_b = "JCI-001" in page
    museum_draft = "CN-0003" in page
    assert (own_b, museum_draft) == ((False, True) if role == "partner_a" else (True, False))
    # Neither guesses a job of the other, nor a search term that would reveal it.
    assert (
        "Submitted celadon bowl" not in client.get("/curate/?q=celadon").get_data(as_text=True)
        or role == "partner_b"
    )
