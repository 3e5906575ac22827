"""The Chinese site speaks Chinese: no English interface words and no ASCII punctuation inside
Chinese text on any public page. Latin words may only come from catalogue data that has no
Chinese form (a title only in English, a maker's name, an accession number), from names that
have none (IIIF, JSON ...), or from what the visitor typed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from archive.models import Collection, Institution, Maker, Photograph, Ware
from tests.web.conftest import Catalogue

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
# Names with no Chinese form: formats, standards, licences, the product's own name.
NAMES = {
    "Potbank",
    # Citation styles and formats (a citation itself is sample output, in <samp>).
    "Chicago",
    "APA",
    "BibTeX",
    "RIS",
    "IIIF",
    "JSON",
    "CSV",
    "API",
    "OpenAPI",
    "OAI",
    "PMH",
    "CLIP",
    "JPEG",
    "PNG",
    "WebP",
    "TIFF",
    "CC",
    "BY",
    "SA",
    "NC",
    "ND",
    "GitHub",
    "Getty",
    "AAT",
    "ID",
    "Dublin",
    "Core",
    "LIDO",
    # Linked Art (JSON-LD) is the name of a standard, like Dublin Core.
    "Linked",
    "Art",
    "LD",
    "MIT",
    "Ctrl",
    "Alex",
    "Amies",
    "chinesenotes",
    "com",
    "Creative",
    "Commons",
    "Attribution",
    "XML",
    "cm",
    "mm",
    # The language switch names each language in itself.
    "English",
}
# Text marked as being in another language (lang="en": a search term of the other language) is
# not interface text; neither is code (an embedder's or a variable's name, a command).
CHINESE_TAGS = ("zh", "zh-Hans", "zh-Hant", "zh-CN")
CODE_TAGS = ("code", "kbd", "samp")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_ASCII_PUNCTUATION_IN_CHINESE = re.compile(rf"[{_HAN}][:;,?!()]|[(][{_HAN}]")


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Text(HTMLParser):
    """Visible text and the attributes a reader meets (alt, title, aria-label, placeholder)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        lang = dict(attrs).get("lang")
        other = tag in CODE_TAGS or (
            tag != "html" and lang is not None and lang not in CHINESE_TAGS
        )
        self.stack.append((tag, other or tag in ("script", "style")))
        if self.stack[-1][1]:
            self.skip += 1
        if tag in VOID:
            self.handle_endtag(tag)
        # COinS (span.Z3988): a machine-readable citation in a title no reader is shown.
        coins = tag == "span" and "Z3988" in (dict(attrs).get("class") or "").split()
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value and not coins:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            opened, skipped = self.stack.pop()
            if skipped:
                self.skip -= 1
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def _data_strings(sessions) -> list[str]:
    """Every text of the catalogue (longest first), to be taken out before the scan."""
    found: set[str] = set()
    with sessions() as session:
        for model in (Ware, Maker, Institution, Collection, Photograph):
            for row in session.scalars(select(model)):
                for column in model.__table__.columns:
                    value = getattr(row, column.key, None)
                    if isinstance(value, str) and value.strip():
                        found.add(value.strip())
                        found.update(p.strip() for p in re.split(r"[;\n]", value) if p.strip())
    return sorted(found, key=len, reverse=True)


def _pages(catalogue: Catalogue) -> list[str]:
    return [
        "/",
        "/?q=",
        "/?q=vase&material=porcelain",
        "/?q=青花&object_type=vase",
        "/?q=&year_from=1700&year_to=1800",
        "/?q=qwertyuiop",
        f"/wares/{catalogue.vase}",
        f"/wares/{catalogue.bare}",
        f"/makers/{catalogue.maker}",
        f"/collections/{catalogue.collection}",
        f"/institutions/{catalogue.institution}",
        "/about",
        "/no-such-page",
    ]


def _problems(html: str, data: list[str], typed: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    text = " ".join(parser.parts)
    for value in [*data, typed]:
        if value:
            text = text.replace(value, " ")
    # Configuration variables (POTBANK_CLIP_PRETRAINED) are names with no Chinese form.
    text = re.sub(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", " ", text)
    # Addresses shown as such (a ware's stable address to cite) have no Chinese form either.
    text = re.sub(r"https?://\S+", " ", text)
    problems = [f"English word {word!r}" for word in re.findall(r"[A-Za-z]{2,}", text)]
    problems = [p for p in problems if p.split("'")[1] not in NAMES]
    problems += [
        f"ASCII punctuation in Chinese: {m.group()!r}"
        for m in _ASCII_PUNCTUATION_IN_CHINESE.finditer(text)
    ]
    return sorted(set(problems))


@pytest.mark.parametrize("index", range(13))
def test_every_public_page_of_the_chinese_site_is_chinese(
    client: FlaskClient, catalogue: Catalogue, session_factory, index: int
) -> None:
    path = _pages(catalogue)[index]
    response = client.get(path, headers=CHINESE)
    assert response.status_code == (404 if path == "/no-such-page" else 200), path
    typed = re.search(r"q=([^&]*)", path)
    problems = _problems(
        response.get_data(as_text=True),
        _data_strings(session_factory),
        typed.group(1) if typed else "",
    )
    assert problems == [], f"{path}: {problems}"
