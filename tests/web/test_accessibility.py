"""Accessibility and loading basics on every public page, in both languages: a language, one
heading, labelled controls, alt text, sized and lazy thumbnails, unique ids, named links."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import Catalogue

LANGUAGES = {"en": {}, "zh": {"Accept-Language": "zh-CN"}}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    inside_label: bool
    text: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collects the elements the checks need, with whether each sits inside a <label>."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.labels_open = 0
        self.links_open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.labels_open > 0)
        self.elements.append(element)
        if tag == "label":
            self.labels_open += 1
        if tag == "a":
            self.links_open.append(element)
        if tag == "img" and self.links_open:
            self.links_open[-1].text.append(element.attrs.get("alt", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.labels_open -= 1
        if tag == "a" and self.links_open:
            self.links_open.pop()

    def handle_data(self, data: str) -> None:
        for link in self.links_open:
            link.text.append(data)


def _pages(catalogue: Catalogue) -> list[str]:
    return [
        "/",
        "/?q=",
        "/?q=vase&material=porcelain",
        "/?q=qwertyuiop",
        f"/wares/{catalogue.vase}",
        f"/wares/{catalogue.bare}",
        f"/makers/{catalogue.maker}",
        f"/collections/{catalogue.collection}",
        f"/institutions/{catalogue.institution}",
        "/about",
        "/timeline",
        "/map",
        "/browse/material/porcelain",
        "/exhibitions",
    ]


def _problems(html: str) -> list[str]:
    parser = PageParser()
    parser.feed(html)
    elements = parser.elements
    found: list[str] = []
    root = next(e for e in elements if e.tag == "html")
    if not root.attrs.get("lang"):
        found.append("<html> has no lang")
    if sum(e.tag == "h1" for e in elements) != 1:
        found.append("not exactly one <h1>")
    ids = [e.attrs["id"] for e in elements if "id" in e.attrs]
    found += [f"duplicate id {i!r}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    labelled = {e.attrs.get("for") for e in elements if e.tag == "label"}
    for e in elements:
        kind = e.attrs.get("type", "")
        if e.tag in ("input", "select", "textarea") and kind not in ("hidden", "submit"):
            named = e.inside_label or e.attrs.get("id") in labelled or "aria-label" in e.attrs
            if not named:
                found.append(f"unlabelled <{e.tag} name={e.attrs.get('name')!r}>")
        if e.tag == "img":
            if "alt" not in e.attrs:
                found.append(f"<img src={e.attrs.get('src')!r}> has no alt")
            # The drop zone's preview has no source until a file is chosen.
            if "hidden" not in e.attrs and not ("width" in e.attrs and "height" in e.attrs):
                found.append(f"<img src={e.attrs.get('src')!r}> has no size")
            if "/thumb.jpg" in e.attrs.get("src", "") and e.attrs.get("loading") != "lazy":
                found.append(f"thumbnail {e.attrs['src']!r} is not lazy")
        if e.tag == "a" and not ("".join(e.text).strip() or e.attrs.get("aria-label")):
            found.append(f"link to {e.attrs.get('href')!r} has no name")
    return found


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_public_pages_meet_the_basics(
    client: FlaskClient, catalogue: Catalogue, language: str
) -> None:
    for path in _pages(catalogue):
        response = client.get(path, headers=LANGUAGES[language])
        assert response.status_code == 200, path
        assert _problems(response.get_data(as_text=True)) == [], path


def test_the_checks_catch_a_bad_page() -> None:
    bad = (
        '<html><body><h1>a</h1><h1>b</h1><input name="q"><img src="/x/thumb.jpg">'
        '<a href="/y"></a><p id="d"></p><p id="d"></p></body></html>'
    )
    assert _problems(bad) == [
        "<html> has no lang",
        "not exactly one <h1>",
        "duplicate id 'd'",
        "unlabelled <input name='q'>",
        "<img src='/x/thumb.jpg'> has no alt",
        "<img src='/x/thumb.jpg'> has no size",
        "thumbnail '/x/thumb.jpg' is not lazy",
        "link to '/y' has no name",
    ]
