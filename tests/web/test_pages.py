"""The public pages render, hide what is not published, and escape what records contain."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask.testing import FlaskClient

from tests.web.conftest import XSS, Catalogue


def _text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_empty_search_page_invites_a_search(client: FlaskClient) -> None:
    page = _text(client, "/")
    assert 'name="q"' in page
    assert 'action="/search/image"' in page and 'enctype="multipart/form-data"' in page
    assert "Ways in" in page and "Try a word:" in page
    # Which search is active, in plain words: no developer settings on a public page.
    assert "Search by photograph compares colour, texture and shape" in page
    assert "POTBANK_" not in page and "<img hidden" not in page


def test_keyword_results_show_cards_with_thumbnails(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/?q=vase")
    assert "1 ware" in page
    assert f'href="/wares/{catalogue.vase}"' in page
    thumb = re.search(
        rf'<img class="card__image" src="/images/{catalogue.vase_front}/thumb.jpg"'
        rf' srcset="/images/{catalogue.vase_front}/thumb.jpg 320w,'
        rf' /images/{catalogue.vase_front}/display.jpg \d+w" sizes="[^"]+"'
        r' width="(\d+)" height="(\d+)" loading="lazy"',
        page,
    )
    assert thumb and (thumb.group(1), thumb.group(2)) == ("320", "213")
    assert "Josiah Wedgwood and Sons" in page and "Qianlong Reign, Qing Dynasty" in page


def test_facets_are_links_that_combine_and_show_as_removable_chips(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/?q=&material=porcelain")
    # The filter really narrows the results: only the porcelain vase is left.
    assert f'href="/wares/{catalogue.vase}"' in page
    assert f'href="/wares/{catalogue.teapot}"' not in page
    assert 'aria-label="Remove filter Material: porcelain"' in page
    # The chip removes only its own filter; the facet link for the other value adds to it.
    assert 'href="?q="' in page
    page = _text(client, "/?q=")
    assert 'href="?q=&amp;material=porcelain"' in page
    assert 'href="?q=&amp;material=stoneware"' in page


def test_a_date_range_filters_and_shows_as_a_chip(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, "/?q=vase&material=porcelain&year_from=-500&year_to=1800")
    assert f'href="/wares/{catalogue.vase}"' in page
    # The vase (1736-1795) falls outside a range that starts later.
    later = _text(client, "/?q=vase&material=porcelain&year_from=1800")
    assert f'href="/wares/{catalogue.vase}"' not in later and "No wares match" in later
    assert "500 BCE – 1800" in page
    assert 'href="?q=vase&amp;material=porcelain"' in page
    # The date form carries every other parameter along.
    assert '<input type="hidden" name="material" value="porcelain">' in page
    assert 'name="year_from" value="-500"' in page
    assert "must not be later" in _text(client, "/?q=&year_from=1900&year_to=1800", status=400)


def test_pagination_keeps_every_parameter(client: FlaskClient) -> None:
    page = _text(client, "/?q=&per_page=1&material=porcelain&material=stoneware")
    assert "page 1 of 2" in page
    params = "q=&amp;per_page=1&amp;material=porcelain&amp;material=stoneware"
    assert f'href="?{params}&amp;page=2"' in page
    page = _text(client, "/?q=&per_page=1&material=porcelain&material=stoneware&page=2")
    assert 'rel="prev"' in page and "page 2 of 2" in page


def _ware_order(page: str) -> list[int]:
    """The ware ids the result cards link to, in page order, each once."""
    seen: list[int] = []
    for found in re.findall(r'href="/wares/(\d+)"', page):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


def test_results_can_be_sorted(client: FlaskClient, catalogue: Catalogue) -> None:
    page = _text(client, "/?q=&material=porcelain&material=stoneware")
    assert '<strong aria-current="true">relevance</strong>' in page
    assert 'href="?q=&amp;material=porcelain&amp;material=stoneware&amp;sort=date"' in page
    # By date the one dated ware comes first; by title they read alphabetically.
    assert _ware_order(_text(client, "/?q=&sort=date"))[0] == catalogue.vase
    by_title = _ware_order(_text(client, "/?q=&sort=title"))
    assert by_title == [catalogue.vase, catalogue.bare, catalogue.teapot]


def test_did_you_mean_and_query_messages(client: FlaskClient) -> None:
    # "Wedgwood" is in the catalogue (a maker); the common misspelling finds nothing.
    page = _text(client, "/?q=wedgewood")
    assert 'Did you mean <a href="?q=wedgwood">wedgwood</a>?' in page
    assert "No wares match" in page
    message = _text(client, "/?q=title:(")
    assert "Unmatched brackets were ignored." in message
    assert "&#39;title:&#39; needs a value after the colon." in message


def test_query_messages_are_said_in_chinese_with_their_values(client: FlaskClient) -> None:
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    response = client.get('/?q=colour:blue "celadon date:sometime', headers=chinese)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未知字段“colour”；已在所有字段中搜索。" in page
    assert "无法识别日期“sometime”" in page
    assert "未配对的引号已被忽略。" in page
    assert "Unknown field" not in page and "quotation mark" not in page
    # The API answers in the client's language too, and in English by default.
    api = client.get("/api/v1/search?q=title:(", headers=chinese).get_json()
    assert "未配对的括号已被忽略。" in api["message"]
    assert (
        "Unmatched brackets were ignored."
        in client.get("/api/v1/search?q=title:(").get_json()["message"]
    )


def test_bad_parameters_on_the_search_page_are_explained(client: FlaskClient) -> None:
    assert "page must be a whole number" in _text(client, "/?q=vase&page=zero", status=400)
    assert "needs CLIP" in _text(client, "/?q=vase&mode=visual", status=400)


def test_ware_page_shows_the_full_record(client: FlaskClient, catalogue: Catalogue) -> None:
    page = _text(client, f"/wares/{catalogue.vase}")
    for expected in (
        "Flat Sided Vase with Eight Buddhist Emblems",
        '<p class="record__title-alt" lang="zh">八吉祥纹抱月瓶</p>',
        f'<a href="/makers/{catalogue.maker}" lang="en">Josiah Wedgwood and Sons</a>',
        "(manufacturer)",
        'Qianlong Reign, Qing Dynasty <span class="muted">('
        '<span class="nowrap">1736–1795</span>)</span>',
        "Jingdezhen",
        "Porcelain",
        "underglaze blue",
        "Qianlong six-character mark",
        "H. 49.5 cm<br>H 49.5 cm",
        "A moon flask painted in cobalt blue.",
        '<div class="prose" lang="zh"><p>青花八吉祥纹抱月瓶。</p></div>',
        "Imperial collection",
        'href="http://creativecommons.org/licenses/by/2.5/" rel="license noopener"',
        "CC BY 2.5",
        "Photo: Alex Amies, chinesenotes.com, CC BY 2.5",
        f'href="/collections/{catalogue.collection}"',
        f'href="/institutions/{catalogue.institution}"',
        f'href="/iiif/3/manifests/ware/{catalogue.vase}"',
        f'href="/api/v1/wares/{catalogue.vase}"',
    ):
        assert expected in page, expected


def test_ware_page_switches_photographs_without_javascript(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, f"/wares/{catalogue.vase}")
    assert f'src="/images/{catalogue.vase_front}/display.jpg" width="600" height="400"' in page
    assert f'href="/wares/{catalogue.vase}?photo=2#photo"' in page
    second = _text(client, f"/wares/{catalogue.vase}?photo=2")
    assert f'src="/images/{catalogue.vase_base}/display.jpg"' in second
    assert "photograph 2 of 2" in second
    # An out-of-range choice falls back to the first photograph rather than failing.
    assert f"/images/{catalogue.vase_front}/display.jpg" in _text(
        client, f"/wares/{catalogue.vase}?photo=9"
    )


def test_ware_page_lists_visually_similar_published_wares(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    page = _text(client, f"/wares/{catalogue.vase}")
    similar = page.split("Visually similar wares", 1)[1]
    # The card opens the teapot's matching photograph with the matched region outlined.
    link = re.search(rf'href="/wares/{catalogue.teapot}\?photo=1&amp;region=([0-9,]+)"', similar)
    assert link, similar[:600]
    assert "Same object or pattern (" in similar or "Similar" in similar
    assert "Secret draft bowl" not in page
    teapot = _text(client, f"/wares/{catalogue.teapot}?photo=1&region={link.group(1)}")
    assert (
        'class="match__outline"' in teapot and f'<rect x="{link.group(1).split(",")[0]}"' in teapot
    )
    # A region outside the photograph is ignored, not drawn.
    outside = _text(client, f"/wares/{catalogue.teapot}?region=0,0,9999,9")
    assert (
        "match__outline" not in outside.split('class="gallery__stage"', 1)[1].split("</figure>")[0]
    )


def test_unpublished_and_missing_records_are_not_found(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    for url in (
        f"/wares/{catalogue.draft}",
        "/wares/999999",
        f"/makers/{catalogue.hidden_maker}",
        "/makers/999999",
        "/collections/999999",
        "/institutions/999999",
        "/no/such/page",
    ):
        page = _text(client, url, status=404)
        assert "Not found" in page and "Back to search" in page


def test_maker_collection_institution_and_about_pages(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    maker = _text(client, f"/makers/{catalogue.maker}")
    assert "Josiah Wedgwood and Sons" in maker and "2 wares in the archive" in maker
    assert "1759" in maker and "Secret draft bowl" not in maker
    collection = _text(client, f"/collections/{catalogue.collection}")
    assert "Chinese ceramics" in collection and "2 wares" in collection
    institution = _text(client, f"/institutions/{catalogue.institution}")
    assert "Capital Museum, Beijing" in institution and "3 wares" in institution
    assert "Plate without photograph" in institution and "Secret draft bowl" not in institution
    about = _text(client, "/about")
    assert "Photo: Alex Amies, chinesenotes.com, CC BY 2.5" in about
    assert 'href="http://creativecommons.org/licenses/by/2.5/"' in about
    assert "Carnegie Museum of Art collection metadata, CC0 1.0" in about
    assert "compares colour, texture and shape" in about
    assert re.search(r"3 published wares\s+with 3 photographs,\s+by 1 maker,", about)


def test_record_text_is_escaped_on_search_and_ware_pages(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    for url in ("/?q=teapot", f"/wares/{catalogue.teapot}", f"/wares/{catalogue.vase}"):
        page = _text(client, url)
        assert "<script>alert" not in page and "<img src=x" not in page
    search = _text(client, "/?q=teapot")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in search
    # The index's highlight survives as markup; the record's text inside it does not.
    assert "<mark>Teapot</mark> &lt;script&gt;" in search
    assert XSS not in _text(client, f"/makers/{catalogue.maker}")


def test_pages_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


class _InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block: inline scripts, styles and
    event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        # A JSON-LD data block is not code: the browser never runs it, so CSP leaves it be.
        is_data = dict(attrs).get("type") == "application/ld+json"
        if tag == "script" and "src" not in names and not is_data:
            self.found.append("inline <script>")
        if tag == "style" or "style" in names:
            self.found.append(f"inline style on <{tag}>")
        self.found.extend(f"{name} on <{tag}>" for name in names if name.startswith("on"))


def test_pages_hold_no_inline_script_or_style(client: FlaskClient, catalogue: Catalogue) -> None:
    for url in ("/", "/?q=", f"/wares/{catalogue.vase}", f"/wares/{catalogue.teapot}", "/about"):
        parser = _InlineCode()
        parser.feed(_text(client, url))
        assert parser.found == [], url


def test_static_files_are_versioned_by_content_and_cached_long(client: FlaskClient) -> None:
    page = _text(client, "/")
    href = re.search(r'href="(/static/potbank\.css\?v=[0-9a-f]{12})"', page)
    assert href, "the stylesheet link carries no content version"
    response = client.get(href.group(1))
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    response.close()
    plain = client.get("/static/potbank.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    plain.close()
