"""The ways into the collection: home page, browse pages, timeline and map."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from archive.featuring import set_featured
from archive.models import AuditEvent, Ware
from tests.web.conftest import Catalogue
from web.views.gazetteer import outline, place_query, project


def _text(client: FlaskClient, url: str, status: int = 200, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_home_page_introduces_the_archive_in_both_languages(client: FlaskClient) -> None:
    page = _text(client, "/")
    assert "Ceramics heritage, from Stoke-on-Trent to Jingdezhen" in page
    intro = re.findall(r'<p class="finder__lead[^"]*" lang="(en|zh)">', page)
    assert intro == ["en", "zh"]
    zh = _text(client, "/", **{"Accept-Language": "zh-CN"})
    assert re.findall(r'<p class="finder__lead[^"]*" lang="(en|zh)">', zh) == ["zh", "en"]
    for way in ("/timeline", "/map", "/browse/material/", "/browse/century/"):
        assert f'href="{way}' in page, way


def test_home_page_leads_with_photographs(client: FlaskClient, catalogue: Catalogue) -> None:
    page = _text(client, "/")
    grid = page.split('id="featured-title"')[1].split("</ul>")[0]
    # Without featured wares the page shows recent wares with photographs: never a bare one.
    assert f'href="/wares/{catalogue.vase}"' in grid
    assert f'href="/wares/{catalogue.bare}"' not in grid and "No photograph" not in grid


def test_featured_wares_lead_photographs_first_and_are_audited(
    client: FlaskClient,
    catalogue: Catalogue,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session:
        for ware_id in (catalogue.bare, catalogue.teapot):
            set_featured(session, session.get(Ware, ware_id), True, actor="curator@x.org")
        session.commit()
        events = session.query(AuditEvent).filter_by(action="feature").all()
        assert {e.entity_id for e in events} == {catalogue.bare, catalogue.teapot}
    page = _text(client, "/")
    grid = page.split('id="featured-title"')[1].split("</ul>")[0]
    assert "Featured wares" in page
    assert grid.index(f'/wares/{catalogue.teapot}"') < grid.index(f'/wares/{catalogue.bare}"')


def test_a_facet_value_is_a_page_with_the_same_grid(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/browse/material/porcelain")
    assert "<h1" in page and "Material: porcelain" in page
    assert f'href="/wares/{catalogue.vase}"' in page
    assert f'href="/wares/{catalogue.teapot}"' not in page
    _text(client, "/browse/material/Unobtainium", status=404)
    _text(client, "/browse/nonsense/Porcelain", status=404)
    # Other facets refine the browse page itself.
    assert 'href="?century=' in page


def test_timeline_counts_wares_in_each_band_and_links_to_them(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/timeline")
    # The vase is dated 1736-1795: Qianlong, Qing, the 18th century and the Georgian era.
    for label in ("Qianlong", "Qing dynasty", "Georgian era", "18th century"):
        match = re.search(rf'aria-label="{label}, [^:]+: (\d+) wares?"', page)
        assert match and match.group(1) == "1", label
    assert re.search(r'aria-label="Kangxi, 1662–1722: 0 wares"', page)
    assert 'href="/?q=&amp;year_from=1736&amp;year_to=1795"' in page
    assert "康熙" in _text(client, "/timeline", **{"Accept-Language": "zh-CN"})
    # The link finds what the band counts.
    results = _text(client, "/?q=&year_from=1736&year_to=1795")
    assert "1 ware" in results and f'href="/wares/{catalogue.vase}"' in results


def test_map_places_are_sized_by_their_wares_and_link_to_them(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/map")
    assert re.search(r'aria-label="Jingdezhen: 1 ware"', page)
    assert re.search(r'aria-label="Meissen: 0 wares"', page)
    assert "Natural Earth" in page and 'class="map__land" d="M' in page
    link = re.search(r'<a class="map__place has-wares" href="([^"]+)"', page)
    assert link is not None
    found = _text(client, link.group(1).replace("&amp;", "&"))
    assert f'href="/wares/{catalogue.vase}"' in found
    geo = client.get("/map/places.geojson")
    assert geo.mimetype == "application/geo+json"
    features = {f["id"]: f for f in geo.get_json()["features"]}
    assert features["jingdezhen"]["properties"]["wares"] == 1
    assert features["jingdezhen"]["geometry"]["coordinates"] == [117.21, 29.29]


def test_the_outline_is_drawn_from_the_vendored_topology() -> None:
    path = outline()
    assert path.count("M") > 100 and path.endswith("Z")
    # Jingdezhen lies east of Stoke and south of it.
    stoke, jingdezhen = project(-2.18, 53.0), project(117.21, 29.29)
    assert jingdezhen[0] > stoke[0] and jingdezhen[1] > stoke[1]
    assert place_query(["Jingdezhen", "Stoke-on-Trent"]) == 'place:(Jingdezhen OR "Stoke-on-Trent")'


def test_explore_pages_in_chinese(app: Flask, client: FlaskClient) -> None:
    for url in ("/", "/timeline", "/map", "/browse/material/porcelain"):
        page = _text(client, url, **{"Accept-Language": "zh-CN"})
        assert '<html lang="zh' in page, url
