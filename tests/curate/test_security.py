"""Hostile input and session attacks against sign-in and the curating pages."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask, url_for
from sqlalchemy import func, select

from archive.accounts import reset_password, set_active
from archive.models import Photograph, Ware, WareStatus
from tests.conftest import make_image_bytes, png_header_only
from tests.curate.conftest import EMAILS, PASSWORD, Site, page_token, sign_in
from tests.web.conftest import CC_BY, XSS
from web.app import create_app
from web.curate.forms import FIELDS
from web.views.context import app_state

ESCAPED = "&lt;script&gt;"


def _login(client, email: str, password: str, token: str, next_url: str | None = None):  # type: ignore[no-untyped-def]
    data = {"email": email, "password": password, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_posts_without_the_right_csrf_token_are_refused(signed_in, site: Site, token):
    client, _ = signed_in("curator")
    data = {"accession_number": "CSRF-1", "title_en": "Forged"}
    if token:
        data["csrf_token"] = token
    assert client.post("/curate/wares/new", data=data).status_code == 400
    assert (
        client.post(f"/curate/wares/{site.catalogue.draft}/publish", data=data).status_code == 400
    )
    anonymous = client.application.test_client()
    assert _login(anonymous, EMAILS["curator"], PASSWORD, token or "").status_code == 400
    with site.sessions() as session:
        assert session.scalar(select(Ware).where(Ware.accession_number == "CSRF-1")) is None
        draft = session.get(Ware, site.catalogue.draft)
        assert draft is not None and draft.status is WareStatus.DRAFT


# --- Sign-in ----------------------------------------------------------------------------------


def test_wrong_email_and_wrong_password_get_the_same_answer(client):
    token = page_token(client)
    unknown = _login(client, "nobody@example.org", PASSWORD, token)
    wrong = _login(client, EMAILS["curator"], "wrong password!", token)
    assert unknown.status_code == wrong.status_code == 401
    message = "Wrong email or password."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)


def test_sign_in_is_throttled_per_account_even_with_the_right_password(client):
    token = page_token(client)
    for _ in range(3):
        assert _login(client, EMAILS["partner_a"], "guess guess guess", token).status_code == 401
    blocked = _login(client, EMAILS["partner_a"], PASSWORD, token)
    assert blocked.status_code == 429
    assert blocked.headers["Retry-After"]
    # Another account is not slowed by someone guessing this one.
    assert _login(client, EMAILS["partner_b"], PASSWORD, token).status_code == 302


def test_sign_in_is_throttled_per_address(app: Flask):
    client = app.test_client()
    token = page_token(client)
    # Ten failures on ten accounts from one address: its next try waits, whichever account.
    for number in range(10):
        _login(client, f"guess{number}@example.org", "guess guess guess", token)
    assert _login(client, EMAILS["curator"], PASSWORD, token).status_code == 429
    elsewhere = app.test_client()
    other = elsewhere.post(
        "/login",
        data={
            "email": EMAILS["curator"],
            "password": PASSWORD,
            "csrf_token": page_token(elsewhere),
        },
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other.status_code == 302


def test_a_good_sign_in_starts_a_new_session(client):
    token = page_token(client)
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
        planted_token = planted.get("csrf_token")
    assert _login(client, EMAILS["curator"], PASSWORD, token).status_code == 302
    with client.session_transaction() as fresh:
        assert "planted" not in fresh
        assert fresh.get("csrf_token") != planted_token
        # The cookie names a fresh server-side session by a random token, not the account.
        assert len(fresh.get("_user_id", "")) >= 40


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        " //evil.example",
        "/%09/evil.example",
        "\t//evil.example",
    ],
)
def test_next_never_leaves_the_site(client, target: str):
    response = _login(client, EMAILS["curator"], PASSWORD, page_token(client), target)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/curate/", "/%09/evil.example")


def test_next_returns_to_a_local_page(client):
    response = _login(client, EMAILS["curator"], PASSWORD, page_token(client), "/curate/bulk")
    assert response.headers["Location"] == "/curate/bulk"
    anonymous = client.application.test_client()
    to_login = anonymous.get("/curate/review?x=1")
    assert to_login.headers["Location"] == "/login?next=/curate/review?x%3D1"


def test_cookies_are_httponly_samesite_and_secure_when_asked(settings, site: Site, monkeypatch):
    monkeypatch.setenv("POTBANK_SECURE_COOKIES", "1")
    app = create_app(settings, testing=True)
    try:
        client = app.test_client()
        token_page = client.get("/login", base_url="https://localhost")
        cookie = token_page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    finally:
        app_state(app).close()


def test_disabling_or_resetting_an_account_ends_its_sessions(signed_in, site: Site):
    client, _ = signed_in("partner_a")
    assert client.get("/curate/").status_code == 200
    with site.sessions() as session:
        reset_password(session, EMAILS["partner_a"], "a brand new password", actor="admin")
        session.commit()
    assert client.get("/curate/").status_code == 302
    other, _ = signed_in("partner_b")
    with site.sessions() as session:
        set_active(session, EMAILS["partner_b"], False, actor="admin")
        session.commit()
    assert other.get("/curate/").status_code == 302
    fresh = other.application.test_client()
    assert _login(fresh, EMAILS["partner_b"], PASSWORD, page_token(fresh)).status_code == 401


def test_logout_needs_a_post_with_a_token(signed_in):
    client, token = signed_in("curator")
    assert client.get("/logout").status_code == 200
    assert client.get("/curate/").status_code == 200
    assert client.post("/logout", data={}).status_code == 400
    page = client.get("/logout").get_data(as_text=True)
    assert 'data-forget-local-drafts="potbank:new-ware:"' in page
    signed_out = client.post("/logout", data={"csrf_token": token})
    assert signed_out.status_code == 302
    # The browser forgets what it keeps for Potbank (forms kept as typed): a shared computer.
    assert signed_out.headers["Clear-Site-Data"] == '"storage"'
    assert client.get("/curate/").status_code == 302


# --- XSS and SQL-looking input ---------------------------------------------------------------


def test_xss_in_every_field_is_escaped_on_every_page_and_in_the_api(signed_in, site: Site):
    client, token = signed_in("partner_a")
    record = {spec.name: f"{spec.name} {XSS}" for spec in FIELDS if spec.kind == "text"}
    record |= {spec.name: f"{spec.name} {XSS}" for spec in FIELDS if spec.kind == "textarea"}
    record |= {
        "rights": CC_BY,
        "accession_number": f"X-1 {XSS}"[:100],
        "collection": f"Coll {XSS}",
        "maker_name": f"Maker {XSS}",
        "maker_role": "designer",
        "maker_qualifier": f"q {XSS}"[:100],
        "csrf_token": token,
    }
    created = client.post("/curate/wares/new", data=record)
    assert created.status_code == 302, created.get_data(as_text=True)
    ware_id = int(created.headers["Location"].split("/")[-1])
    photo = (io.BytesIO(make_image_bytes(seed=31)), f"{XSS}.jpg")
    client.post(
        f"/curate/wares/{ware_id}/photos",
        data={
            "csrf_token": token,
            "photos": [photo],
            "photographer": f"Photographer {XSS}",
            "attribution": f"Credit {XSS}",
        },
        content_type="multipart/form-data",
    )
    client.post(f"/curate/wares/{ware_id}", data={**record, "title_en": f"Edited {XSS}"})
    client.post(f"/curate/wares/{ware_id}/submit", data={"csrf_token": token})
    curator, curator_token = signed_in("curator")
    queue = curator.get("/curate/review").get_data(as_text=True)
    curator.post(
        f"/curate/review/{ware_id}",
        data={"csrf_token": curator_token, "decision": "changes", "comment": f"Fix {XSS}"},
    )
    client.post(f"/curate/wares/{ware_id}/submit", data={"csrf_token": token})
    curator.post(
        f"/curate/review/{ware_id}",
        data={"csrf_token": curator_token, "decision": "approve", "confirmed": "yes"},
    )
    pages = {
        "queue": queue,
        "dashboard": client.get("/curate/").get_data(as_text=True),
        "curator dashboard": curator.get("/curate/").get_data(as_text=True),
        "ware": client.get(f"/curate/wares/{ware_id}").get_data(as_text=True),
        "history": curator.get(f"/curate/wares/{ware_id}/history").get_data(as_text=True),
        "public": client.get(f"/wares/{ware_id}").get_data(as_text=True),
    }
    for name, page in pages.items():
        assert XSS not in page, name
        assert "<script>alert" not in page and "<img src=x onerror" not in page, name
        assert ESCAPED in page, name
    api = client.get(f"/api/v1/wares/{ware_id}")
    assert api.status_code == 200
    raw = api.get_data(as_text=True)
    assert "<script>" not in raw and "\\u003cscript\\u003e" in raw
    assert XSS in str(api.get_json())


def test_sql_looking_input_is_only_text(signed_in, site: Site):
    client, token = signed_in("curator")
    injection = "'; DROP TABLE ware; --"
    response = client.post(
        "/curate/wares/new",
        data={
            "csrf_token": token,
            "institution": "Capital Museum, Beijing",
            "accession_number": "SQL-1",
            "title_en": injection,
            "description_en": "1' OR '1'='1",
        },
    )
    assert response.status_code == 302
    for words in ("' OR 1=1 --", "%", "_", "\\", injection):
        page = client.get("/curate/", query_string={"q": words})
        assert page.status_code == 200
    # The box speaks the search syntax: OR is its operator and "1" a word, nothing reaches SQL
    # as code, so the quote and the dashes change nothing.
    listing = client.get("/curate/", query_string={"q": "' OR 1=1 --"}).get_data(as_text=True)
    plain = client.get("/curate/", query_string={"q": "1 OR 1"}).get_data(as_text=True)
    rows = re.compile(r'<td><a href="/curate/wares/\d+">([^<]+)</a></td>')
    assert rows.findall(listing) == rows.findall(plain)
    assert "Secret draft bowl" not in listing
    assert "SQL-1" in client.get("/curate/", query_string={"q": "drop table"}).get_data(
        as_text=True
    )
    # A typed % is a character, not a wildcard: no ware has one in its number or title.
    percent = client.get("/curate/", query_string={"q": "%"}).get_data(as_text=True)
    assert 'data-testid="ware-list"' not in percent
    with site.sessions() as session:
        assert (session.scalar(select(func.count(Ware.id))) or 0) > 5
        saved = session.scalar(select(Ware).where(Ware.accession_number == "SQL-1"))
        assert saved is not None and saved.title_en == injection


# --- Files ------------------------------------------------------------------------------------


def _photo_count(site: Site, ware_id: int) -> int:
    with site.sessions() as session:
        return (
            session.scalar(select(func.count(Photograph.id)).where(Photograph.ware_id == ware_id))
            or 0
        )


def _post_photo(client, token: str, ware_id: int, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/curate/wares/{ware_id}/photos",
        data={"csrf_token": token, "photos": [(io.BytesIO(data), name)]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("payload", "name", "reason"),
    [
        (b"<html><script>alert(1)</script></html>", "innocent.jpg", "not an image"),
        (b"GIF89a/*" + b"\0" * 20 + b"*/=alert(1);", "polyglot.gif", "not an image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg", "not an image"),
        (png_header_only(100_000, 100_000), "bomb.png", "too large"),
        (b"", "empty.jpg", "not an image"),
    ],
)
def test_hostile_files_are_refused_by_content(signed_in, site: Site, payload, name, reason):
    client, token = signed_in("curator")
    ware = site.make_ware()
    page = _post_photo(client, token, ware.id, payload, name).get_data(as_text=True)
    assert reason in page or "the file is empty" in page
    assert _photo_count(site, ware.id) == 0


def test_a_jpeg_html_polyglot_is_stored_as_an_image_under_its_digest(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware()
    polyglot = make_image_bytes(seed=41) + b"<html><script>alert(1)</script></html>"
    _post_photo(client, token, ware.id, polyglot, "../../evil.html")
    with site.sessions() as session:
        photo = session.scalar(select(Photograph).where(Photograph.ware_id == ware.id))
        assert photo is not None
        assert photo.format == "jpg" and photo.original_filename == "evil.html"
        stored = list(site.settings.store_dir.rglob(f"{photo.sha256}.*"))
        assert [path.suffix for path in stored if "originals" in path.parts] == [".jpg"]
    image = client.get(f"/curate/photos/{photo.id}/display.jpg")
    assert image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    # The derivative is re-encoded from pixels: nothing appended to the upload survives.
    assert b"<script>" not in image.get_data()
    image.close()


def test_an_oversized_upload_is_refused(settings, site: Site):
    small = type(settings)(**{**settings.__dict__, "max_upload_bytes": 60_000})
    app = create_app(small, testing=True)
    app.extensions["potbank.index_sync"] = lambda _session, _ids: None
    try:
        client = app.test_client()
        token = sign_in(client, "curator")
        ware = site.make_ware()
        big = make_image_bytes((1600, 1200), seed=7, quality=100)
        assert len(big) > 60_000
        whole = client.post(
            f"/curate/wares/{ware.id}/photos",
            data={"csrf_token": token, "photos": [(io.BytesIO(big), "big.jpg")]},
            content_type="multipart/form-data",
        )
        assert whole.status_code == 413
        assert _photo_count(site, ware.id) == 0
    finally:
        app_state(app).close()


@pytest.mark.parametrize(
    "path",
    [
        "/curate/photos/1/..%2F..%2Fsecret_key.jpg",
        "/curate/photos/1/original.jpg",
        "/curate/photos/..%2F1/thumb.jpg",
        "/curate/photos/-1/thumb.jpg",
        "/curate/bulk/..%2F1",
        "/curate/wares/1/../../../secret_key",
    ],
)
def test_path_traversal_in_image_and_download_urls(signed_in, path: str):
    client, _ = signed_in("curator")
    response = client.get(path)
    assert response.status_code == 404
    assert b"secret" not in response.get_data().lower().replace(b"secret draft", b"")


def test_errors_show_no_internals(signed_in):
    client, token = signed_in("curator")
    page = client.post("/curate/review/999999", data={"csrf_token": token, "decision": "approve"})
    assert page.status_code == 404
    assert not re.search(r"Traceback|sqlalchemy|File \"", page.get_data(as_text=True))


@pytest.mark.parametrize(
    "path", ["/login", "/curate/", "/curate/review", "/curate/suggest?field=maker&q=a"]
)
def test_curating_pages_are_never_cached(signed_in, path: str):
    client, _ = signed_in("curator")
    response = client.get(path)
    assert "no-store" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]


def test_every_curating_post_route_refuses_a_missing_token(app: Flask, signed_in):
    client, _ = signed_in("admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()):
            continue
        if rule.endpoint.partition(".")[0] not in ("auth", "curate"):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        assert client.post(url, data={}).status_code == 400, url
        checked += 1
    assert checked >= 15


def test_a_photo_licence_must_be_a_licence_uri(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware()
    page = client.post(
        f"/curate/wares/{ware.id}/photos",
        data={
            "csrf_token": token,
            "licence": "javascript:alert(1)",
            "photos": [(io.BytesIO(make_image_bytes(seed=51)), "p.jpg")],
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "rightsstatements.org URI for the licence" in page
    assert _photo_count(site, ware.id) == 0
