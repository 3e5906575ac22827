"""Admins list, add and edit institutions: unique names, web addresses only, audited changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from archive.models import AuditEvent, Institution, Ware
from tests.curate.conftest import EMAILS, INSTITUTION_B, Site
from tests.web.conftest import XSS

MUSEUM = "Capital Museum, Beijing"


def _institution(site: Site, name: str) -> Institution | None:
    with site.sessions() as session:
        return session.scalar(select(Institution).where(Institution.name == name))


def _events(site: Site) -> list[AuditEvent]:
    with site.sessions() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == "institution")
                .order_by(AuditEvent.id)
            )
        )


def _details(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Gladstone Pottery Museum",
        "name_zh": "格莱斯顿陶瓷博物馆",
        "place": "Longton, Stoke-on-Trent",
        "url": "https://www.stokemuseums.org.uk/gpm/",
    } | changes


def test_the_list_shows_every_institution_with_its_counts(signed_in, site: Site):
    admin, _ = signed_in("admin")
    page = admin.get("/curate/institutions").get_data(as_text=True)
    assert MUSEUM in page and INSTITUTION_B in page
    with site.sessions() as session:
        wares = session.scalar(
            select(func.count(Ware.id)).where(
                Ware.institution_id == site.institution_b, Ware.deleted_at.is_(None)
            )
        )
    row = page.split(INSTITUTION_B, 1)[1].split("</tr>", 1)[0]
    # Institution B: one partner account, its wares, none published.
    assert f"<td>1</td><td>{wares}</td><td>0</td>" in row
    assert f'href="/curate/institutions/{site.institution_b}"' in page


def test_admin_adds_an_institution(signed_in, site: Site):
    admin, token = signed_in("admin")
    form = admin.get("/curate/institutions/new").get_data(as_text=True)
    assert 'name="csrf_token"' in form
    response = admin.post(
        "/curate/institutions/new", data={**_details(), "csrf_token": token}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Gladstone Pottery Museum added." in page
    assert "格莱斯顿陶瓷博物馆" in page and 'href="https://www.stokemuseums.org.uk/gpm/"' in page
    created = _institution(site, "Gladstone Pottery Museum")
    assert created is not None
    assert (created.name_zh, created.place, created.url) == (
        "格莱斯顿陶瓷博物馆",
        "Longton, Stoke-on-Trent",
        "https://www.stokemuseums.org.uk/gpm/",
    )
    [event] = _events(site)
    assert (event.action, event.entity_id, event.actor) == ("create", created.id, EMAILS["admin"])
    assert event.before is None and event.after == _details()
    # The new institution can be chosen for a partner account at once.
    assert "Gladstone Pottery Museum" in admin.get("/curate/users/invite").get_data(as_text=True)


def test_only_a_name_is_required(signed_in, site: Site):
    admin, token = signed_in("admin")
    data = {"name": "  Spode Works  ", "name_zh": "", "place": "", "url": "", "csrf_token": token}
    assert admin.post("/curate/institutions/new", data=data).status_code == 302
    created = _institution(site, "Spode Works")
    assert created is not None and created.name_zh is None and created.url is None
    assert _events(site)[0].after == {"name": "Spode Works"}


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"name": ""}, "The name is required."),
        ({"name": "   "}, "The name is required."),
        ({"name": "n" * 201}, "Too long: 200 characters at most."),
        ({"name": MUSEUM}, "Another institution already has this name."),
        ({"name": MUSEUM.upper()}, "Another institution already has this name."),
        ({"name": f" {INSTITUTION_B} "}, "Another institution already has this name."),
        ({"url": "javascript:alert(1)"}, "A web address starting with http:// or https://."),
        ({"url": "JaVaScRiPt:alert(1)//http://x"}, "A web address starting with http://"),
        ({"url": "data:text/html,<b>x</b>"}, "A web address starting with http:// or https://."),
        ({"url": "ftp://files.example.org/"}, "A web address starting with http:// or https://."),
        ({"url": "www.example.org"}, "A web address starting with http:// or https://."),
        ({"url": "https://"}, "A web address starting with http:// or https://."),
        ({"url": "https://exa mple.org/"}, "A web address starting with http:// or https://."),
        ({"place": "p" * 201}, "Too long: 200 characters at most."),
    ],
)
def test_bad_institution_input_is_refused(signed_in, site: Site, changes, field_message):
    admin, token = signed_in("admin")
    with site.sessions() as session:
        before = session.scalar(select(func.count(Institution.id)))
    response = admin.post(
        "/curate/institutions/new", data={**_details(**changes), "csrf_token": token}
    )
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    with site.sessions() as session:
        assert session.scalar(select(func.count(Institution.id))) == before
    assert _events(site) == []


def test_a_taken_chinese_name_is_refused(signed_in, site: Site):
    admin, token = signed_in("admin")
    admin.post("/curate/institutions/new", data={**_details(), "csrf_token": token})
    again = _details(name="Another museum")
    response = admin.post("/curate/institutions/new", data={**again, "csrf_token": token})
    assert response.status_code == 422
    assert "Another institution already has this Chinese name." in response.get_data(as_text=True)
    assert _institution(site, "Another museum") is None


def test_xss_in_every_institution_field_is_escaped(signed_in, site: Site):
    admin, token = signed_in("admin")
    hostile = {
        "name": f"Name {XSS}",
        "name_zh": f"中文 {XSS}",
        "place": f"Place {XSS}",
        "url": 'https://example.org/?q="><script>alert(1)</script>',
    }
    response = admin.post(
        "/curate/institutions/new", data={**hostile, "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    created = _institution(site, hostile["name"])
    assert created is not None and created.url == hostile["url"]
    pages = [
        response.get_data(as_text=True),
        admin.get("/curate/institutions").get_data(as_text=True),
        admin.get(f"/curate/institutions/{created.id}").get_data(as_text=True),
        admin.get("/curate/users/invite").get_data(as_text=True),
    ]
    for page in pages:
        assert XSS not in page and "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;" in page
    # A refused form shows the hostile input escaped too.
    refused = admin.post(
        "/curate/institutions/new",
        data={**hostile, "url": f"javascript:{XSS}", "csrf_token": token},
    ).get_data(as_text=True)
    assert XSS not in refused and "&lt;script&gt;" in refused


def test_admin_edits_an_institution_and_its_wares_are_reindexed(signed_in, site: Site):
    admin, token = signed_in("admin")
    page = admin.get(f"/curate/institutions/{site.institution_b}").get_data(as_text=True)
    assert f'value="{INSTITUTION_B}"' in page
    details = {
        "name": "Jingdezhen Ceramic University (JCU)",
        "name_zh": "景德镇陶瓷大学",
        "place": "Jingdezhen",
        "url": "http://www.jcu.edu.cn/",
    }
    site.synced.clear()
    response = admin.post(
        f"/curate/institutions/{site.institution_b}",
        data={**details, "csrf_token": token},
        follow_redirects=True,
    )
    assert "Jingdezhen Ceramic University (JCU) saved." in response.get_data(as_text=True)
    edited = _institution(site, details["name"])
    assert edited is not None and edited.id == site.institution_b
    assert (edited.name_zh, edited.place, edited.url) == (
        "景德镇陶瓷大学",
        "Jingdezhen",
        "http://www.jcu.edu.cn/",
    )
    [event] = _events(site)
    assert (event.action, event.entity_id, event.actor) == (
        "update",
        site.institution_b,
        EMAILS["admin"],
    )
    assert event.before == {"name": INSTITUTION_B, "name_zh": None, "place": None, "url": None}
    assert event.after == details
    # Search documents carry the institution's name: its wares went to the index again.
    assert site.b_submitted in site.synced


def test_saving_unchanged_details_writes_nothing(signed_in, site: Site):
    admin, token = signed_in("admin")
    site.synced.clear()
    response = admin.post(
        f"/curate/institutions/{site.institution_b}",
        data={"name": INSTITUTION_B, "csrf_token": token},
        follow_redirects=True,
    )
    assert "Nothing to save: the details are unchanged." in response.get_data(as_text=True)
    assert _events(site) == [] and site.synced == []


def test_a_place_change_is_audited_without_reindexing(signed_in, site: Site):
    admin, token = signed_in("admin")
    site.synced.clear()
    admin.post(
        f"/curate/institutions/{site.institution_b}",
        data={"name": INSTITUTION_B, "place": "Jingdezhen", "csrf_token": token},
    )
    [event] = _events(site)
    assert event.before == {"place": None} and event.after == {"place": "Jingdezhen"}
    assert site.synced == []


def test_renaming_to_another_institutions_name_is_refused(signed_in, site: Site):
    admin, token = signed_in("admin")
    response = admin.post(
        f"/curate/institutions/{site.institution_b}",
        data={"name": MUSEUM.lower(), "csrf_token": token},
    )
    assert response.status_code == 422
    assert "Another institution already has this name." in response.get_data(as_text=True)
    unchanged = _institution(site, INSTITUTION_B)
    assert unchanged is not None and unchanged.id == site.institution_b
    assert _events(site) == []


def test_changing_the_case_of_its_own_name_is_allowed(signed_in, site: Site):
    admin, token = signed_in("admin")
    response = admin.post(
        f"/curate/institutions/{site.institution_b}",
        data={"name": INSTITUTION_B.upper(), "csrf_token": token},
    )
    assert response.status_code == 302
    assert _institution(site, INSTITUTION_B.upper()) is not None


def test_institution_changes_need_the_csrf_token(signed_in, site: Site):
    admin, _ = signed_in("admin")
    assert admin.post("/curate/institutions/new", data=_details()).status_code == 400
    edit = admin.post(f"/curate/institutions/{site.institution_b}", data=_details())
    assert edit.status_code == 400
    assert _institution(site, "Gladstone Pottery Museum") is None
    assert _institution(site, INSTITUTION_B) is not None and _events(site) == []


def test_an_unknown_institution_is_not_found(signed_in):
    admin, token = signed_in("admin")
    assert admin.get("/curate/institutions/999999").status_code == 404
    missing = admin.post("/curate/institutions/999999", data={**_details(), "csrf_token": token})
    assert missing.status_code == 404
