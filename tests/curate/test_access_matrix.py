"""Every route of the app × every role: who may do what.

Curating and sign-in routes have an explicit expectation per role below. Every other route is
public, and for those the rule is that signing in changes nothing: each role gets the same
answer, and an unpublished ware is hidden from all of them alike. A new route that is neither
public nor listed here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import io
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
from archive.curation import BulkJob, JobStatus
from archive.exhibiting import ItemDraft, SectionDraft, save_exhibition
from archive.models import AuditEvent, Maker, Role, User, WareStatus
from archive.users import create_user
from archive.workbench import BatchAction, BatchJob, BatchStatus, SavedSearch, WareSet
from tests.conftest import make_image_bytes
from tests.curate.conftest import EMAILS, INSTITUTION_B, PASSWORD, ROLES, Site, sign_in
from web.auth import Rule

LOGIN, OK, FORBIDDEN, HIDDEN = "login", "ok", "forbidden", "hidden"
SIGNED = {"anonymous": LOGIN, "partner_a": OK, "partner_b": OK, "curator": OK, "admin": OK}
OWN_A = {**SIGNED, "partner_b": HIDDEN}
OWN_B = {**SIGNED, "partner_a": HIDDEN}
CURATORS = {**SIGNED, "partner_a": FORBIDDEN, "partner_b": FORBIDDEN}
CURATORS_ONLY_EDIT_PUBLISHED = {**OWN_A, "partner_a": FORBIDDEN}
ADMINS = {**CURATORS, "curator": FORBIDDEN}
EVERYONE = dict.fromkeys(ROLES, OK)
# Which expectation goes with which declared rule (the matrix checks the declaration too).
RULE_OF = {
    id(SIGNED): Rule.SIGNED_IN,
    id(OWN_A): Rule.SIGNED_IN,
    id(OWN_B): Rule.SIGNED_IN,
    id(CURATORS_ONLY_EDIT_PUBLISHED): Rule.SIGNED_IN,
    id(CURATORS): Rule.CURATOR,
    id(ADMINS): Rule.ADMIN,
    id(EVERYONE): Rule.PUBLIC,
}

Request = tuple[str, str, dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    """One route, how to call it on fresh objects, and what each role should get."""

    endpoint: str
    call: Callable[[Site, str], Request]
    expected: dict[str, str]


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


def _new_account(site: Site, role: str) -> dict[str, Any]:
    return {
        "email": f"new-{role}@example.org",
        "role": "partner",
        "institution": str(site.institution_a),
        "password": "a long new password",
        "password_again": "a long new password",
    }


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
    return "POST", f"/curate/wares/{ware}/photos/{photo}/delete", {}


def _bulk(site: Site, role: str) -> Request:
    rows = f"accession_number,title_en\nBULK-{role},Bulk ware\n".encode()
    return "POST", "/curate/bulk", {"records": (io.BytesIO(rows), "rows.csv")}


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
        "curate.publish", lambda s, r: ("POST", f"/curate/wares/{draft_a(s)}/publish", {}), CURATORS
    ),
    Case(
        "curate.unpublish",
        lambda s, r: ("POST", f"/curate/wares/{published_a(s)}/unpublish", {}),
        CURATORS,
    ),
    Case("curate.delete", lambda s, r: ("POST", f"/curate/wares/{draft_a(s)}/delete", {}), OWN_A),
    Case(
        "curate.delete",
        lambda s, r: ("POST", f"/curate/wares/{published_a(s)}/delete", {}),
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
            {},
        ),
        OWN_A,
    ),
    Case("curate.upload_photos", _upload, OWN_A),
    Case("curate.arrange_photos", _arrange, OWN_A),
    Case("curate.delete_photo", _delete_photo, OWN_A),
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
    Case("curate.review_queue", lambda s, r: ("GET", "/curate/review", None), CURATORS),
    Case(
        "curate.decide",
        lambda s, r: ("POST", f"/curate/review/{submitted_a(s)}", {"decision": "approve"}),
        CURATORS,
    ),
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
    Case("curate.users", lambda s, r: ("GET", "/curate/users", None), ADMINS),
    Case(
        "curate.set_user_active",
        lambda s, r: ("POST", f"/curate/users/{_user(s, 'partner_b')}/active", {"active": "1"}),
        ADMINS,
    ),
    Case("curate.new_user", lambda s, r: ("GET", "/curate/users/new", None), ADMINS),
    Case("curate.new_user", lambda s, r: ("POST", "/curate/users/new", _new_account(s, r)), ADMINS),
    Case(
        "curate.reset_user_password",
        lambda s, r: ("GET", f"/curate/users/{_user(s, 'partner_b')}/password", None),
        ADMINS,
    ),
    Case("curate.reset_user_password", _new_password, ADMINS),
    Case("curate.institutions", lambda s, r: ("GET", "/curate/institutions", None), ADMINS),
    Case("curate.status", lambda s, r: ("GET", "/curate/status", None), ADMINS),
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
    Case("curate.batch", _batch, CURATORS),
    Case(
        "curate.batch_job",
        lambda s, r: ("GET", f"/curate/batch/{_batch_done(s, r)}", None),
        CURATORS,
    ),
    Case(
        "curate.batch_status",
        lambda s, r: ("GET", f"/curate/batch/{_batch_done(s, r)}/status", None),
        CURATORS,
    ),
    Case(
        "curate.undo_batch",
        lambda s, r: ("POST", f"/curate/batch/{_batch_done(s, r)}/undo", {}),
        CURATORS,
    ),
    Case("curate.batches", lambda s, r: ("GET", "/curate/batches", None), CURATORS),
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
    Case("curate.sets", lambda s, r: ("GET", "/curate/sets", None), CURATORS),
    Case("curate.new_set", lambda s, r: ("POST", "/curate/sets", {"name": f"{r} set"}), CURATORS),
    Case(
        "curate.delete_set",
        lambda s, r: ("POST", f"/curate/sets/{_ware_set(s, r)}/delete", {}),
        CURATORS,
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
