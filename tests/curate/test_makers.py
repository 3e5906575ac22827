"""Makers as records in the curating pages: edit, aliases in both languages, merge and undo,
suggestions while typing, and a ware form taking any number of makers."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.catalogue import get_or_create_maker
from archive.models import Maker, MakerName, Ware, WareMaker
from archive.workbench import MakerMerge
from tests.curate.conftest import Site

SignedIn = Callable[[str], tuple[FlaskClient, str]]


def _maker(site: Site, name: str, key: str) -> int:
    with site.sessions() as session:
        maker = get_or_create_maker(session, name, key)
        session.commit()
        return maker.id


def test_edit_names_and_aliases_in_both_languages(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    maker = site.catalogue.maker
    response = client.post(
        f"/curate/makers/{maker}",
        data={"name": "Wedgwood", "name_zh": "韦奇伍德", "kind": "factory", "csrf_token": token},
    )
    assert response.status_code == 302
    client.post(
        f"/curate/makers/{maker}/aliases",
        data={"alias": "威治伍德", "language": "zh", "csrf_token": token},
    )
    page = client.get(f"/curate/makers/{maker}").get_data(as_text=True)
    assert "韦奇伍德" in page and "威治伍德" in page and "Josiah Wedgwood and Sons" in page
    with site.sessions() as session:
        aliases = {(a.name, a.language) for a in session.get(Maker, maker).aliases}
    assert ("威治伍德", "zh") in aliases and ("Josiah Wedgwood and Sons", None) in aliases
    assert set(site.synced) >= {site.catalogue.vase, site.catalogue.teapot}  # names re-indexed
    empty = client.post(f"/curate/makers/{maker}", data={"name": " ", "csrf_token": token})
    assert empty.status_code == 422 and "A maker needs a name" in empty.get_data(as_text=True)
    listing = client.get("/curate/makers?q=威治").get_data(as_text=True)
    assert "Wedgwood" in listing
    zh = client.get(f"/curate/makers/{maker}", headers={"Accept-Language": "zh"})
    assert "其他名称" in zh.get_data(as_text=True)


def test_merge_then_undo_from_the_pages(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    kept = site.catalogue.maker
    loose = _maker(site, "Josiah Wedgwood & Sons Ltd.", "wedgwood sons ltd")
    with site.sessions() as session:
        session.add(WareMaker(ware_id=site.catalogue.draft, maker_id=loose))
        session.commit()
    refused = client.post(
        f"/curate/makers/{kept}/merge", data={"other": "Nobody at all", "csrf_token": token}
    )
    assert "Choose another maker" in client.get(refused.headers["Location"]).get_data(as_text=True)
    suggestions = client.get("/curate/suggest?field=maker_ref&q=sons+ltd").get_json()
    reference = suggestions["suggestions"][0]["value"]
    assert reference == f"Josiah Wedgwood & Sons Ltd. [#{loose}]"
    site.synced.clear()
    merged = client.post(
        f"/curate/makers/{kept}/merge", data={"other": reference, "csrf_token": token}
    )
    assert merged.status_code == 302
    assert "1 wares now credit this maker" in client.get(merged.headers["Location"]).get_data(
        as_text=True
    )
    assert site.synced == [site.catalogue.draft]
    with site.sessions() as session:
        assert session.get(Maker, loose) is None
        assert (
            session.scalar(
                select(WareMaker.maker_id).where(WareMaker.ware_id == site.catalogue.draft)
            )
            == kept
        )
        record = session.scalar(select(MakerMerge))
    assert record is not None
    undone = client.post(f"/curate/merges/{record.id}/undo", data={"csrf_token": token})
    assert undone.status_code == 302
    with site.sessions() as session:
        assert session.get(Maker, loose).name == "Josiah Wedgwood & Sons Ltd."
        assert set(
            session.scalars(
                select(WareMaker.maker_id).where(WareMaker.ware_id == site.catalogue.draft)
            )
        ) == {loose, site.catalogue.hidden_maker}
    again = client.post(f"/curate/merges/{record.id}/undo", data={"csrf_token": token})
    assert "undone already" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_suggestions_come_from_what_the_account_may_see(signed_in: SignedIn, site: Site):
    curator, _ = signed_in("curator")
    makers = curator.get("/curate/suggest?field=maker&q=unpub").get_json()["suggestions"]
    assert [item["value"] for item in makers] == ["Unpublished Pottery"]
    places = curator.get("/curate/suggest?field=place&q=jingde").get_json()["suggestions"]
    assert places == [{"value": "Jingdezhen", "label": "Jingdezhen"}]
    # Partner B sees published wares and its own: not the museum's draft's maker.
    partner, _ = signed_in("partner_b")
    assert partner.get("/curate/suggest?field=maker&q=unpub").get_json()["suggestions"] == []
    assert partner.get("/curate/suggest?field=maker&q=wedg").get_json()["suggestions"]
    bad = curator.get("/curate/suggest?field=password&q=x")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_field"
    assert curator.get("/curate/suggest?field=maker&q=%25").get_json() == {"suggestions": []}


def test_the_ware_form_takes_any_number_of_makers(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    form = client.get("/curate/wares/new").get_data(as_text=True)
    assert form.count('name="maker_name"') == 1 and "Add another maker" in form
    assert 'data-suggest="maker"' in form and 'data-suggest="place"' in form
    names = [f"Potter {n}" for n in range(7)]
    response = client.post(
        "/curate/wares/new",
        data={
            "csrf_token": token,
            "institution": "Capital Museum, Beijing",
            "accession_number": "MANY-1",
            "title_en": "A ware of many hands",
            "maker_name": names,
            "maker_role": ["maker"] * 7,
            "maker_qualifier": [""] * 7,
        },
    )
    assert response.status_code == 302
    with site.sessions() as session:
        ware = session.scalar(select(Ware).where(Ware.accession_number == "MANY-1"))
        assert [link.maker.name for link in ware.makers] == names
        assert session.scalar(select(MakerName.id).where(MakerName.name == "nobody")) is None
