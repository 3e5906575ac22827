"""What the public-site audit found, fixed: dates shown once and kept on one line, centuries in
time order, plain words on which search is active, compressed text, responsive thumbnails, a
compact list for unphotographed results, and a demo curator account."""

from __future__ import annotations

import gzip
import os
import stat

import brotli
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from archive.settings import Settings
from archive.users import find_user, password_matches
from web.demo_setup import DEMO_CURATOR_EMAIL, ensure_demo_curator
from web.views.compression import accepted_encoding
from web.views.formatting import date_shown, nowrap_ranges
from web.views.searching import century_order


def test_a_written_date_that_holds_its_years_is_not_followed_by_them_again() -> None:
    shown = str(date_shown("Western Jin (265—317)", 265, 317))
    assert shown == 'Western Jin (<span class="nowrap">265–317</span>)'
    shown = str(date_shown("Songze Culture (c. 3,800—3,200 BCE)", -3800, -3200))
    assert "muted" not in shown and '<span class="nowrap">3,800–3,200</span>' in shown


def test_a_written_date_without_its_years_gets_them_once_in_brackets() -> None:
    shown = str(date_shown("Qianlong Reign", 1736, 1795))
    assert shown == (
        'Qianlong Reign <span class="muted">(<span class="nowrap">1736–1795</span>)</span>'
    )
    assert str(date_shown(None, 1736, 1795)) == '<span class="nowrap">1736–1795</span>'
    assert str(date_shown(None, None, None)) == ""


def test_ranges_are_escaped_before_they_are_kept_together() -> None:
    assert str(nowrap_ranges("<b>1800-1820</b>")) == (
        '&lt;b&gt;<span class="nowrap">1800–1820</span>&lt;/b&gt;'
    )


def test_centuries_sort_in_time_order() -> None:
    values = ["18th century", "3rd century BCE", "1st century", "10th century", "12th century BCE"]
    assert sorted(values, key=century_order) == [
        "12th century BCE",
        "3rd century BCE",
        "1st century",
        "10th century",
        "18th century",
    ]


def test_public_pages_say_in_plain_words_which_search_is_active(client: FlaskClient) -> None:
    for url in ("/", "/?q=vase", "/about"):
        page = client.get(url).get_data(as_text=True)
        assert "POTBANK_" not in page and "potbank-descriptor" not in page, url
    assert "compares colour, texture and shape" in client.get("/").get_data(as_text=True)


def test_the_search_form_has_no_image_without_a_source(client: FlaskClient) -> None:
    page = client.get("/?q=vase").get_data(as_text=True)
    assert "<img" not in page.split('class="photo-search"')[1].split("</form>")[0]


def test_html_css_and_json_are_compressed_for_clients_that_accept_it(
    client: FlaskClient,
) -> None:
    plain = client.get("/?q=vase").get_data()
    squeezed = client.get("/?q=vase", headers={"Accept-Encoding": "gzip, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    assert len(squeezed.get_data()) < len(plain) / 3
    assert brotli.decompress(squeezed.get_data()).count(b"<html") == 1
    zipped = client.get("/api/v1/search?q=vase", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert b'"total"' in gzip.decompress(zipped.get_data())
    css_url = next(
        part.split('"')[0]
        for part in plain.decode().split('href="')
        if part.startswith("/static/potbank.css")
    )
    css = client.get(css_url, headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert b".card" in gzip.decompress(css.get_data())
    css.close()


def test_photographs_and_refusing_clients_get_the_body_as_it_is(client: FlaskClient) -> None:
    page = client.get("/?q=vase", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in page.headers
    thumb = page.get_data(as_text=True).split('class="card__image" src="')[1].split('"')[0]
    image = client.get(thumb, headers={"Accept-Encoding": "gzip, br"})
    assert image.status_code == 200 and "Content-Encoding" not in image.headers
    image.close()


def test_accept_encoding_is_read_with_its_qualities() -> None:
    assert accepted_encoding("gzip, deflate, br") == "br"
    assert accepted_encoding("br;q=0, gzip") == "gzip"
    assert accepted_encoding("identity") is None
    assert accepted_encoding("*") == "br"
    assert accepted_encoding("") is None


def test_results_mostly_without_photographs_are_a_compact_list(
    client: FlaskClient, catalogue
) -> None:  # type: ignore[no-untyped-def]
    # "plate" finds only the ware without a photograph.
    page = client.get("/?q=plate").get_data(as_text=True)
    assert '<ul class="listing"' in page and 'class="card"' not in page
    assert "No photograph" not in page
    page = client.get("/?q=plate&view=grid").get_data(as_text=True)
    assert '<ul class="grid"' in page and 'class="card"' in page
    page = client.get("/?q=vase").get_data(as_text=True)
    assert '<ul class="grid"' in page and 'href="?q=vase&amp;view=list"' in page


def test_demo_creates_a_curator_once_and_prints_the_same_credentials(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    with session_factory() as session:
        email, password = ensure_demo_curator(settings, session)
    with session_factory() as session:
        assert ensure_demo_curator(settings, session) == (email, password)
        user = find_user(session, DEMO_CURATOR_EMAIL)
        assert user is not None and user.role.value == "curator"
        assert password_matches(user, password)
    mode = os.stat(settings.home / "demo_curator_password").st_mode
    assert stat.S_IMODE(mode) == 0o600
