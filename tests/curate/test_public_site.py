"""Curators compose exhibitions (draft, preview, publish, history), keep makers' authority
records and feature wares; the public sees only what is published."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.exhibitions import Exhibition
from archive.models import AuditEvent, Maker, WareStatus
from tests.curate.conftest import Site


def _exhibition_form(site: Site, **extra: str) -> dict[str, str]:
    return {
        "slug": "blue-and-white",
        "title_en": "Blue and white",
        "title_zh": "青花",
        "intro_en": "From Jingdezhen to Staffordshire.",
        "intro_zh": "从景德镇到斯塔福德郡。",
        "section-0-heading_en": "Cobalt",
        "section-0-heading_zh": "钴蓝",
        "section-0-text_en": "Painted under the glaze.",
        "section-0-item-0-ware": f"/wares/{site.catalogue.vase}",
        "section-0-item-0-photo": "1",
        "section-0-item-0-region": "10,20,300,200",
        "section-0-item-0-caption_en": "The emblems, close up.",
        "section-0-item-0-caption_zh": "八吉祥纹局部。",
        "section-0-item-1-ware": str(site.catalogue.teapot),
        "section-0-item-1-position": "0",
        **extra,
    }


def test_a_curator_composes_previews_and_publishes_an_exhibition(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]], app
) -> None:  # type: ignore[no-untyped-def]
    curator, token = signed_in("curator")
    response = curator.post(
        "/curate/exhibitions/new", data={**_exhibition_form(site), "csrf_token": token}
    )
    assert response.status_code == 302
    with site.sessions() as session:
        exhibition = session.scalar(select(Exhibition).where(Exhibition.slug == "blue-and-white"))
        assert exhibition is not None and exhibition.status.value == "draft"
        items = exhibition.sections[0].items
        # The position fields order the items: the teapot was moved first.
        assert [item.ware_id for item in items] == [site.catalogue.teapot, site.catalogue.vase]
        assert items[1].region == "10,20,300,200" and items[1].photograph_id is not None
        exhibition_id = exhibition.id
    public = app.test_client()
    assert public.get("/exhibitions/blue-and-white").status_code == 404
    assert public.get("/exhibitions/blue-and-white/iiif/manifest.json").status_code == 404
    preview = curator.get(f"/curate/exhibitions/{exhibition_id}/preview").get_data(as_text=True)
    assert "Preview:" in preview and "The emblems, close up." in preview
    assert "/iiif/3/" in preview and "/10,20,300,200/" in preview
    curator.post(f"/curate/exhibitions/{exhibition_id}/publish", data={"csrf_token": token})
    page = public.get("/exhibitions/blue-and-white").get_data(as_text=True)
    assert "Blue and white" in page and "青花" in page and "钴蓝" in page
    assert "Detail of Flat Sided Vase" in page
    zh = public.get("/exhibitions/blue-and-white", headers={"Accept-Language": "zh-CN"})
    text = zh.get_data(as_text=True)
    assert text.index("青花") < text.index("Blue and white")
    # The exhibitions page and the home page list it alike, as a bilingual teaser.
    for listing in ("/exhibitions", "/"):
        teasers = public.get(listing).get_data(as_text=True).split('<ul class="teasers">')[1]
        teaser = teasers.split("</li>")[0]
        assert 'href="/exhibitions/blue-and-white"' in teaser, listing
        assert "Blue and white" in teaser and 'lang="zh"' in teaser, listing
    history = curator.get(f"/curate/exhibitions/{exhibition_id}/history").get_data(as_text=True)
    assert "Published" in history and "Created" in history
    with site.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "exhibition", AuditEvent.entity_id == exhibition_id
            )
        ).all()
        assert actions == ["create", "publish"]


def test_the_exhibition_is_a_iiif_manifest_with_a_range_per_section(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]], app
) -> None:  # type: ignore[no-untyped-def]
    curator, token = signed_in("curator")
    curator.post("/curate/exhibitions/new", data={**_exhibition_form(site), "csrf_token": token})
    with site.sessions() as session:
        exhibition_id = session.scalar(select(Exhibition.id))
    curator.post(f"/curate/exhibitions/{exhibition_id}/publish", data={"csrf_token": token})
    public = app.test_client()
    manifest = public.get("/exhibitions/blue-and-white/iiif/manifest.json").get_json()
    assert manifest["type"] == "Manifest"
    assert manifest["label"] == {"en": ["Blue and white"], "zh": ["青花"]}
    canvases = manifest["items"]
    assert len(canvases) == 2
    detail = canvases[1]
    assert (detail["width"], detail["height"]) == (300, 200)
    body = detail["items"][0]["items"][0]["body"]
    assert "/10,20,300,200/max/0/default.jpg" in body["id"]
    assert public.get(body["id"].split("localhost", 1)[1]).status_code == 200
    assert manifest["structures"][0]["label"]["zh"] == ["钴蓝"]
    assert [c["id"] for c in manifest["structures"][0]["items"]] == [c["id"] for c in canvases]
    collection = public.get("/exhibitions/blue-and-white/iiif/collection.json").get_json()
    assert collection["type"] == "Collection" and len(collection["items"]) == 2
    assert all(item["type"] == "Manifest" for item in collection["items"])
    # Both documents name the exhibition alike (label, homepage, introduction).
    for key in ("label", "homepage", "summary"):
        assert collection[key] == manifest[key], key
    assert collection["homepage"][0]["id"].endswith("/exhibitions/blue-and-white")


def test_items_whose_ware_is_no_longer_public_are_left_out(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]], app
) -> None:  # type: ignore[no-untyped-def]
    curator, token = signed_in("curator")
    draft = site.make_ware(status=WareStatus.DRAFT)
    form = _exhibition_form(site, **{"section-0-item-2-ware": str(draft.id)})
    curator.post("/curate/exhibitions/new", data={**form, "csrf_token": token})
    with site.sessions() as session:
        exhibition_id = session.scalar(select(Exhibition.id))
    curator.post(f"/curate/exhibitions/{exhibition_id}/publish", data={"csrf_token": token})
    public = app.test_client()
    page = public.get("/exhibitions/blue-and-white").get_data(as_text=True)
    assert f"/wares/{draft.id}" not in page
    manifest = public.get("/exhibitions/blue-and-white/iiif/manifest.json").get_json()
    assert len(manifest["items"]) == 2


def test_a_bad_exhibition_form_is_answered_with_the_reason_and_kept(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]]
) -> None:
    curator, token = signed_in("curator")
    for extra, reason in (
        ({"slug": "Not A Slug"}, "lower-case letters"),
        ({"section-0-item-0-ware": "99999"}, "there is no ware 99999"),
        ({"section-0-item-0-photo": "9"}, "has no photograph 9"),
        ({"section-0-item-0-region": "a,b"}, "is not x,y,w,h"),
        ({"title_en": "", "title_zh": ""}, "give a title"),
    ):
        form = {**_exhibition_form(site, **extra), "csrf_token": token}
        response = curator.post("/curate/exhibitions/new", data=form)
        assert response.status_code == 422, extra
        page = response.get_data(as_text=True)
        assert reason in page, (extra, page[page.find("<main") :][:3000])
        assert "From Jingdezhen to Staffordshire." in page


def test_a_makers_authority_record_is_edited_audited_and_shown(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]], app
) -> None:  # type: ignore[no-untyped-def]
    curator, token = signed_in("curator")
    url = f"/curate/makers/{site.catalogue.maker}/authority"
    bad = curator.post(url, data={"csrf_token": token, "wikidata_id": "wedgwood"})
    assert bad.status_code == 422 and "Q12345" in bad.get_data(as_text=True)
    bad = curator.post(url, data={"csrf_token": token, "born": "1795", "died": "1730"})
    assert bad.status_code == 422
    response = curator.post(
        url,
        data={
            "csrf_token": token,
            "name_zh": "韦奇伍德",
            "born": "1730",
            "died": "1795",
            "nationality": "British",
            "biography_en": "Potter of Etruria.",
            "biography_zh": "伊特鲁里亚的陶工。",
            "wikidata_id": "Q1351116",
            "ulan_id": "500023435",
            "active_from": "1759",
        },
    )
    assert response.status_code == 302
    page = app.test_client().get(f"/makers/{site.catalogue.maker}").get_data(as_text=True)
    for expected in (
        "韦奇伍德",
        '<span class="nowrap">1730–1795</span>',
        "British",
        "Potter of Etruria.",
        "伊特鲁里亚的陶工。",
        "https://www.wikidata.org/wiki/Q1351116",
        "https://vocab.getty.edu/page/ulan/500023435",
        "manufacturer",
    ):
        assert expected in page, expected
    with site.sessions() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "maker")).one()
        assert event.after["wikidata_id"] == "Q1351116" and event.before["born"] is None
        assert session.get(Maker, site.catalogue.maker).biography_en == "Potter of Etruria."
    # The Chinese name now finds the maker's wares.
    found = app.test_client().get("/?q=韦奇伍德").get_data(as_text=True)
    assert f"/wares/{site.catalogue.vase}" in found


def test_featuring_is_for_curators_and_puts_the_ware_on_the_home_page(
    site: Site, signed_in: Callable[[str], tuple[FlaskClient, str]], app
) -> None:  # type: ignore[no-untyped-def]
    curator, token = signed_in("curator")
    url = f"/curate/wares/{site.catalogue.teapot}/feature"
    assert curator.post(url, data={"csrf_token": token, "featured": "yes"}).status_code == 400
    assert curator.post(url, data={"csrf_token": token, "featured": "1"}).status_code == 302
    home = app.test_client().get("/").get_data(as_text=True)
    featured = home.split('id="featured-title"')[1].split("</ul>")[0]
    assert "Featured wares" in home and f"/wares/{site.catalogue.teapot}" in featured
    assert f"/wares/{site.catalogue.vase}" not in featured
