"""Every route of the app against hostile input: ids past the database's integer range, digits
that are not ASCII, malformed tokens and keys, broken and oversized images. No answer may be a
500, an id that cannot name a row is a 404, XML stays well-formed, and an oversized image costs
bounded memory.

Routes come from ``app.url_map``, so a route added later is swept without touching this file.
It lives with the curating tests because it signs in as an admin to reach every route.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from archive.models import User
from ingest.oai_harvest import parse_xml
from tests.conftest import make_image_bytes, png_header_only, truncated_jpeg
from tests.curate.conftest import EMAILS, Site, sign_in
from tests.interop.xml_schemas import schema_errors

# 2^31 (PostgreSQL's integer), 2^63 (SQLite's), 10^20, and digits Python's int() reads but a
# URL id must not: superscript two, Arabic-Indic three, full-width three; and a 5,000-digit one.
HOSTILE_IDS = (
    "2147483648",
    "9223372036854775808",
    "100000000000000000000",
    "\u00b2",
    "\u0663",
    "\uff13",
    "0",
    "1" * 5000,
)
HOSTILE_TEXT = ("\u00b2", "x" * 300, "\x00", "../../secret_key", "\u202e", "\x1b[31m", "0" * 64)
HOSTILE_QUERY = {
    "page": "\u00b2",
    "photo": "\u0663",
    "per_page": "9" * 30,
    "q": "\x00\x1f\u202e\"'<",
    "year_from": "\u00b2",
    "image": "../../secret_key",
    "format": "\x00",
    "sort": "\uff13",
    "next": "//evil.example/\x00",
    "status": "\u00b2",
}
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
# Signing out would end the sweep's session: it has its own tests.
SKIPPED_ENDPOINTS = {"auth.logout"}


def _url(rule: Any, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return quote(values[match.group("name")], safe="")

    return _ARGUMENT.sub(fill, rule.rule)


def _int_arguments(rule: Any) -> set[str]:
    return {
        match.group("name")
        for match in _ARGUMENT.finditer(rule.rule)
        if match.group("converter") == "int"
    }


def _valid_values(site: Site, app: Flask, rule: Any) -> dict[str, str]:
    catalogue = site.catalogue
    with site.sessions() as session:
        partner = session.scalar(select(User.id).where(User.email == EMAILS["partner_a"]))
    values = {
        "ware_id": catalogue.vase,
        "maker_id": catalogue.maker,
        "collection_id": catalogue.collection,
        "institution_id": catalogue.institution,
        "user_id": partner,
        "photo_id": 1,
        "event_id": 1,
        "job_id": 1,
        "sha256": catalogue.vase_front,
        "identifier": catalogue.vase_front,
        "size": "max" if rule.endpoint.startswith("iiif.") else "thumb",
        "region": "full",
        "rotation": "0",
        "quality_format": "default.jpg",
        "filename": "potbank.css",
        "key": "0" * 32,
        "anything": "nothing-here",
        "extension": "csv",
        "code": "zh",
    }
    return {name: str(values.get(name, "x")) for name in rule.arguments}


def _swept_rules(app: Flask) -> Iterator[tuple[Any, str]]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def _hostile_form(token: str) -> dict[str, Any]:
    return {
        "csrf_token": token,
        "main": "\u00b2",
        "institution": "\u0663",
        "year_earliest": "\u00b2",
        "year_latest": "9" * 30,
        "height_cm": "nan",
        "title_en": "\x00\x1b",
        "accession_number": "\u00b2" * 300,
        "email": "\x00@x",
        "password": "\x00",
        "image": (io.BytesIO(truncated_jpeg()), "pot.jpg"),
        "photos": [(io.BytesIO(truncated_jpeg()), "pot.jpg")],
        "records": (io.BytesIO(b"\xff\xfe\x00garbage\x00,\n\x00"), "rows.csv"),
    }


def _call(client: FlaskClient, method: str, url: str, token: str, **extra: Any) -> int:
    if method == "GET":
        response = client.get(url, **extra)
    else:
        response = client.open(
            url,
            method=method,
            data=_hostile_form(token),
            content_type="multipart/form-data",
            **extra,
        )
    status = response.status_code
    response.close()
    return status


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, "admin")


def test_ids_out_of_range_or_not_ascii_are_404_on_every_route(
    app: Flask, site: Site, admin: tuple[FlaskClient, str]
) -> None:
    client, token = admin
    failures, swept = [], 0
    for rule, method in _swept_rules(app):
        for name in _int_arguments(rule):
            for hostile in HOSTILE_IDS:
                values = {**_valid_values(site, app, rule), name: hostile}
                url = _url(rule, values)
                status = _call(client, method, url, token)
                swept += 1
                if status != 404:
                    failures.append((method, url[:80], status))
    assert swept > 100
    assert not failures, failures


def test_no_route_answers_500_to_hostile_text_queries_or_forms(
    app: Flask, site: Site, admin: tuple[FlaskClient, str]
) -> None:
    client, token = admin
    failures, swept = [], 0
    for rule, method in _swept_rules(app):
        valid = _valid_values(site, app, rule)
        urls = [_url(rule, valid)]
        for name in set(rule.arguments) - _int_arguments(rule):
            urls += [_url(rule, {**valid, name: hostile}) for hostile in HOSTILE_TEXT]
        for url in urls:
            for query in ({}, HOSTILE_QUERY):
                status = _call(client, method, url, token, query_string=query)
                swept += 1
                if status >= 500:
                    failures.append((method, url[:80], query != {}, status))
    assert swept > 200
    assert not failures, failures


OAI_IDENTIFIERS = (
    "oai:potbank.local:wares/\u00b2",
    "oai:potbank.local:wares/2147483648",
    "oai:potbank.local:wares/100000000000000000000",
    "oai:potbank.local:wares/\u0663",
    "oai:potbank.local:wares/1\x01",
)
OAI_SETS = ("institution:2147483648", "institution:1:collection:99999999999999999999", "\u00b2")
OAI_TOKENS = ("\x01\x02", "abc.\x0b", "\x00", "\ufffe", "\uffff", "W10." + "0" * 32, "=" * 9)


def test_oai_answers_well_formed_xml_to_hostile_arguments(client: FlaskClient, site: Site) -> None:
    requests: list[dict[str, str]] = []
    for identifier in OAI_IDENTIFIERS:
        requests.append({"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "oai_dc"})
        requests.append({"verb": "ListMetadataFormats", "identifier": identifier})
    for spec in OAI_SETS:
        requests.append({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": spec})
    for token in OAI_TOKENS:
        requests.append({"verb": "ListRecords", "resumptionToken": token})
    requests.append({"verb": "Identify", "\x01": "\x02"})
    requests.append({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "\x0c"})
    for arguments in requests:
        for method in ("GET", "POST"):
            if method == "GET":
                response = client.get("/oai", query_string=arguments)
            else:
                response = client.post("/oai", data=arguments)
            assert response.status_code == 200, arguments
            body = response.get_data()
            root = parse_xml(body)  # raises when the XML is not well-formed
            # ... and valid against the official OAI-PMH schema, like every other OAI answer.
            assert schema_errors(body) == [], arguments
            errors = root.findall("{http://www.openarchives.org/OAI/2.0/}error")
            assert errors, (arguments, body[:300])
            assert errors[0].get("code") in {
                "idDoesNotExist",
                "noRecordsMatch",
                "badResumptionToken",
                "badArgument",
            }, (arguments, errors[0].get("code"))


@cache
def _huge_png() -> bytes:
    """A real 100-megapixel PNG (one colour, so a few hundred kilobytes)."""
    import struct
    import zlib

    width = height = 10_000
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x7f" * (width * 3)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@cache
def _big_jpeg() -> bytes:
    """A 48-megapixel JPEG: over the query limit as a file, within it at libjpeg's 1/8 scale."""
    buffer = io.BytesIO()
    with Image.new("RGB", (8000, 6000), (140, 90, 40)) as image:
        image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_growth() -> Iterator[list[int]]:
    """Sample resident memory while the block runs; yields a list that ends holding the peak
    growth over the start, in bytes."""
    start = _resident_bytes()
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _resident_bytes())
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    result: list[int] = []
    try:
        yield result
    finally:
        done.set()
        thread.join()
        result.append(max(peak[0], _resident_bytes()) - start)


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_oversized_image_searches_cost_bounded_memory(client: FlaskClient, site: Site) -> None:
    huge, big = _huge_png(), _big_jpeg()
    broken = (truncated_jpeg(), png_header_only(60_000, 60_000), b"\x89PNG\r\n\x1a\n" + b"\0" * 9)
    # Warm up: the first search opens the indexes and loads the embedder.
    warm = client.post(
        "/api/v1/search/image",
        data={"image": (io.BytesIO(make_image_bytes()), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert warm.status_code == 200
    statuses = []
    with peak_growth() as growth:
        for data in (huge, big, *broken, huge, big):
            # Encoded here: the test client spools a body over 500 kB to a file it never closes.
            boundary, body = encode_multipart({"image": FileStorage(io.BytesIO(data), "p.png")})
            response = client.post(
                "/api/v1/search/image",
                data=body,
                content_type=f"multipart/form-data; boundary={boundary}",
            )
            statuses.append(response.status_code)
            if response.status_code == 400:
                assert response.get_json()["error"]["code"] == "image_rejected"
    # The 100 MP PNG is refused from its header; the 48 MP JPEG is searched at 1/8 scale.
    assert statuses == [400, 200, 400, 400, 400, 400, 200]
    # Decoded whole, either would take 300 MB and 144 MB; at reduced size they take a few.
    assert growth[0] < 80 * 1024 * 1024, f"grew by {growth[0] / 2**20:.0f} MB"
