"""Roles per institution and per collection, route by route: a curator of institution B (a
partner of A), a curator of one collection of A (a partner of B), and an admin of A. Each may
act only on the wares of their scope, and lists and the navigation show only that."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from archive.catalogue import get_or_create_collection
from archive.grants import give_grant
from archive.invitations import invite
from archive.models import Collection, Institution, Role, Ware, WareStatus
from archive.users import create_user
from archive.workbench import BatchJob
from tests.curate.conftest import PASSWORD, Site, page_token
from tests.curate.test_access_matrix import FORBIDDEN, HIDDEN, OK, outcome
from tests.curate.test_bulk import _upload

SCOPED = {
    "curator_b": "curator-of-b@museum.example",
    "keeper": "keeper-of-export@jci.example",
    "admin_a": "admin-of-a@museum.example",
}
COLLECTION = "Export porcelain"
MUSEUM = "Capital Museum, Beijing"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"


def _collection(site: Site) -> int:
    with site.sessions() as session:
        museum = session.get(Institution, site.institution_a)
        collection = get_or_create_collection(session, museum, COLLECTION)
        session.commit()
        return collection.id


@pytest.fixture
def scoped(site: Site) -> Site:
    """The three scoped accounts, made as their invitations would make them."""
    export = _collection(site)
    with site.sessions() as session:
        museum = session.get(Institution, site.institution_a)
        university = session.get(Institution, site.institution_b)
        curator_b = create_user(session, SCOPED["curator_b"], PASSWORD, Role.PARTNER, museum)
        give_grant(session, curator_b, Role.CURATOR, institution=university, actor="fixture")
        keeper = create_user(session, SCOPED["keeper"], PASSWORD, Role.PARTNER, university)
        give_grant(
            session,
            keeper,
            Role.CURATOR,
            collection=session.get(Collection, export),
            actor="fixture",
        )
        admin_a = create_user(session, SCOPED["admin_a"], PASSWORD, Role.PARTNER, museum)
        give_grant(session, admin_a, Role.ADMIN, institution=museum, actor="fixture")
        session.commit()
    return site


def _sign_in(app: Flask, who: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = page_token(client)
    response = client.post(
        "/login", data={"email": SCOPED[who], "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client, page_token(client, "/curate/")


def _in_collection(site: Site, status: WareStatus = WareStatus.DRAFT) -> int:
    ware = site.make_ware(status=status)
    with site.sessions() as session:
        live = session.get(Ware, ware.id)
        assert live is not None
        live.collection_id = session.scalar(
            select(Collection.id).where(Collection.name == COLLECTION)
        )
        session.commit()
    return ware.id


def _record(site: Site, ware_id: int, **changes: Any) -> dict[str, Any]:
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None
        accession = ware.accession_number
    return {"accession_number": accession, "title_en": "Scoped edit", **changes}


Call = Callable[[Site], tuple[str, str, dict[str, Any] | None]]


def _ware(institution: str, status: WareStatus = WareStatus.DRAFT) -> Callable[[Site], int]:
    return lambda site: site.make_ware(institution=institution, status=status).id


draft_a, draft_b = _ware("a"), _ware("b")
published_a, published_b = _ware("a", WareStatus.PUBLISHED), _ware("b", WareStatus.PUBLISHED)
submitted_a, submitted_b = _ware("a", WareStatus.SUBMITTED), _ware("b", WareStatus.SUBMITTED)

# (who, request, expected): each scoped account against wares inside and outside its scope.
CASES: list[tuple[str, Call, str]] = [
    ("curator_b", lambda s: ("POST", f"/curate/wares/{draft_b(s)}/publish", {}), OK),
    ("curator_b", lambda s: ("POST", f"/curate/wares/{draft_a(s)}/publish", {}), FORBIDDEN),
    ("curator_b", lambda s: ("POST", f"/curate/wares/{published_b(s)}/unpublish", {}), OK),
    ("curator_b", lambda s: ("POST", f"/curate/wares/{published_a(s)}/unpublish", {}), FORBIDDEN),
    (
        "curator_b",
        lambda s: ("POST", f"/curate/review/{submitted_b(s)}", {"decision": "approve"}),
        OK,
    ),
    (
        "curator_b",
        lambda s: ("POST", f"/curate/review/{submitted_a(s)}", {"decision": "approve"}),
        FORBIDDEN,
    ),
    (
        "curator_b",
        lambda s: ("POST", f"/curate/wares/{(w := published_b(s))}", _record(s, w)),
        OK,
    ),
    (
        "curator_b",
        lambda s: ("POST", f"/curate/wares/{(w := published_a(s))}", _record(s, w)),
        FORBIDDEN,
    ),
    # As a partner of A it still edits A's drafts.
    ("curator_b", lambda s: ("POST", f"/curate/wares/{(w := draft_a(s))}", _record(s, w)), OK),
    ("curator_b", lambda s: ("GET", "/curate/makers?q=x", None), FORBIDDEN),
    ("curator_b", lambda s: ("GET", "/curate/users", None), FORBIDDEN),
    ("keeper", lambda s: ("POST", f"/curate/wares/{_in_collection(s)}/publish", {}), OK),
    ("keeper", lambda s: ("POST", f"/curate/wares/{draft_a(s)}/publish", {}), HIDDEN),
    ("keeper", lambda s: ("GET", f"/curate/wares/{draft_a(s)}", None), HIDDEN),
    ("keeper", lambda s: ("POST", f"/curate/wares/{draft_b(s)}/publish", {}), FORBIDDEN),
    (
        "keeper",
        lambda s: (
            "POST",
            f"/curate/wares/{(w := _in_collection(s, WareStatus.PUBLISHED))}",
            _record(s, w, collection=COLLECTION),
        ),
        OK,
    ),
    ("admin_a", lambda s: ("GET", "/curate/users/invite", None), OK),
    ("admin_a", lambda s: ("GET", "/curate/users", None), OK),
    ("admin_a", lambda s: ("GET", "/curate/institutions", None), FORBIDDEN),
    ("admin_a", lambda s: ("POST", f"/curate/wares/{draft_b(s)}/publish", {}), HIDDEN),
]


def test_scoped_accounts_by_route(app: Flask, scoped: Site):
    clients = {who: _sign_in(app, who) for who in SCOPED}
    failures = []
    for who, call, expected in CASES:
        client, token = clients[who]
        method, url, data = call(scoped)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={**(data or {}), "csrf_token": token})
        got = outcome(response)
        if got != expected:
            failures.append(f"{who} {method} {url}: {got}, not {expected}")
    assert failures == []


def test_lists_show_only_the_scope(app: Flask, scoped: Site):
    inside = _in_collection(scoped)
    beside = scoped.make_ware(institution="a").id
    mine_b = scoped.make_ware(institution="b", status=WareStatus.SUBMITTED).id
    theirs_a = scoped.make_ware(institution="a", status=WareStatus.SUBMITTED).id

    def accessions(page: str) -> set[str]:
        return set(re.findall(r"T-\d{5}", page))

    def accession(ware_id: int) -> str:
        with scoped.sessions() as session:
            ware = session.get(Ware, ware_id)
            assert ware is not None
            return ware.accession_number

    keeper, _ = _sign_in(app, "keeper")
    listed = accessions(keeper.get("/curate/?status=all").get_data(as_text=True))
    assert accession(inside) in listed and accession(beside) not in listed
    curator_b, _ = _sign_in(app, "curator_b")
    queue = curator_b.get("/curate/review").get_data(as_text=True)
    assert accession(mine_b) in queue and accession(theirs_a) not in queue


def test_a_batch_acts_only_on_the_wares_in_scope(app: Flask, scoped: Site):
    own, other = scoped.make_ware(institution="b").id, scoped.make_ware(institution="a").id
    client, token = _sign_in(app, "curator_b")
    data = {
        "action": "set_field",
        "field": "material",
        "value": "stoneware",
        "ware": [str(own), str(other)],
        "csrf_token": token,
    }
    assert client.post("/curate/batch", data=data).status_code == 302
    with scoped.sessions() as session:
        job = session.scalars(select(BatchJob).order_by(BatchJob.id.desc())).first()
        assert job is not None and job.ware_ids == [own]


def test_a_collection_curator_cannot_move_a_ware_out_of_reach(app: Flask, scoped: Site):
    ware = _in_collection(scoped)
    client, token = _sign_in(app, "keeper")
    data = _record(scoped, ware, collection="Somewhere else", csrf_token=token)
    response = client.post(f"/curate/wares/{ware}", data=data)
    assert response.status_code == 422
    assert "You may not move this ware to that collection." in response.get_data(as_text=True)
    with scoped.sessions() as session:
        moved = session.get(Ware, ware)
        assert moved is not None and moved.collection is not None
        assert moved.collection.name == COLLECTION
        assert session.scalar(select(Collection).where(Collection.name == "Somewhere else")) is None


def test_an_institutions_admin_invites_only_into_it(app: Flask, scoped: Site):
    client, token = _sign_in(app, "admin_a")
    form = client.get("/curate/users/invite").get_data(as_text=True)
    assert f'value="institution:{scoped.institution_a}"' in form
    assert f'value="institution:{scoped.institution_b}"' not in form
    assert 'value=""' not in form.split('name="scope"')[1].split("</select>")[0]
    email = f"new-{uuid.uuid4().hex[:6]}@museum.example"
    refused = client.post(
        "/curate/users/invite",
        data={
            "email": email,
            "role": "curator",
            "scope": f"institution:{scoped.institution_b}",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    made = client.post(
        "/curate/users/invite",
        data={
            "email": email,
            "role": "curator",
            "scope": f"institution:{scoped.institution_a}",
            "csrf_token": token,
        },
    )
    assert made.status_code == 200 and "/invitations/" in made.get_data(as_text=True)
    with scoped.sessions() as session:
        elsewhere = invite(
            session,
            "b-person@jci.example",
            Role.PARTNER,
            institution=session.get(Institution, scoped.institution_b),
            actor="fixture",
        )
        session.commit()
        other_id = elsewhere.invitation.id
    revoke = client.post(f"/curate/invitations/{other_id}/revoke", data={"csrf_token": token})
    assert revoke.status_code == 404
    page = client.get("/curate/users").get_data(as_text=True)
    assert email in page and "b-person@jci.example" not in page
    assert "partner-a@museum.example" in page and "partner-b@jci.example" not in page


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("curator_b", ["Review queue", "Sets", "Bulk upload"], ["Makers", "Accounts"]),
        ("keeper", ["Review queue", "Bulk upload"], ["Accounts", "Data quality"]),
        ("admin_a", ["Accounts", "Review queue"], ["Institutions", "Status"]),
    ],
)
def test_the_navigation_shows_only_permitted_pages(
    app: Flask, scoped: Site, who: str, shown: list[str], hidden: list[str]
):
    client, _ = _sign_in(app, who)
    page = client.get("/curate/").get_data(as_text=True)
    nav = page.split('class="curate-nav"')[1].split("</nav>")[0]
    for label in shown:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label


def test_a_partners_navigation_has_no_curators_pages(signed_in):
    client, _ = signed_in("partner_a")
    nav = client.get("/curate/").get_data(as_text=True).split('class="curate-nav"')[1]
    nav = nav.split("</nav>")[0]
    for label in ("Review queue", "Sets", "Batches", "Makers", "Accounts"):
        assert f">{label}</a>" not in nav, label


def test_a_scoped_curators_upload_stays_in_the_chosen_institution(app: Flask, scoped: Site):
    client, token = _sign_in(app, "curator_b")
    form = client.get("/curate/bulk").get_data(as_text=True)
    assert "Capital Museum, Beijing" in form and "Jingdezhen Ceramic University" in form
    # The row names another museum, where this curator may not write: the chosen one wins.
    header = "accession_number,title_en,institution,rights,status\n"
    row = ',Claims another museum,"Capital Museum, Beijing",{CC0},published\n'
    for accession, chosen in (("UP-1", "Jingdezhen Ceramic University"), ("UP-2", MUSEUM)):
        records = (header + accession + row.format(CC0=CC0)).encode()
        _upload(client, token, records, f"{accession}.csv", institution=chosen)
    with scoped.sessions() as session:
        curated = session.scalar(select(Ware).where(Ware.accession_number == "UP-1"))
        assert curated is not None and curated.institution_id == scoped.institution_b
        # Curator of B: published as asked.
        assert curated.status is WareStatus.PUBLISHED
        contributed = session.scalar(select(Ware).where(Ware.accession_number == "UP-2"))
        # Only a partner of A: a submission for A's curators.
        assert contributed is not None and contributed.institution_id == scoped.institution_a
        assert contributed.status is WareStatus.SUBMITTED
