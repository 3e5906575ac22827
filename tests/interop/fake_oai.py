"""A small OAI-PMH 2.0 server for harvest tests: ``pages`` pages of Dublin Core records, each
record linking one photograph served beside it, each page answered after ``delay`` seconds (so a
test can kill a harvest half-way), counting the pages it has served."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from tests.conftest import make_image_bytes

CC_BY = "https://creativecommons.org/licenses/by/4.0/"


@dataclass
class FakeRemote:
    """What the server serves and what it has served."""

    pages: int
    per_page: int
    delay: float = 0.0
    base: str = ""
    pages_served: int = 0
    _images: dict[int, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"{self.base}/oai"

    @property
    def records(self) -> int:
        return self.pages * self.per_page

    def image(self, number: int) -> bytes:
        with self._lock:
            if number not in self._images:
                self._images[number] = make_image_bytes((160, 120), seed=number)
            return self._images[number]

    def page(self, number: int) -> str:
        records = []
        for item in range(number * self.per_page, (number + 1) * self.per_page):
            records.append(
                "<record><header>"
                f"<identifier>oai:fake:{item}</identifier><datestamp>2026-01-01</datestamp>"
                "</header><metadata>"
                '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>Harvested dish {item}</dc:title>"
                f"<dc:identifier>FK-{item:05d}</dc:identifier>"
                f"<dc:identifier>{self.base}/images/{item}.jpg</dc:identifier>"
                f"<dc:rights>{CC_BY}</dc:rights>"
                "<dc:publisher>Remote Museum</dc:publisher>"
                "</oai_dc:dc></metadata></record>"
            )
        token = f"page-{number + 1}" if number + 1 < self.pages else ""
        return (
            f"<ListRecords>{''.join(records)}"
            f"<resumptionToken>{escape(token)}</resumptionToken></ListRecords>"
        )


def _answer(remote: FakeRemote, query: dict[str, list[str]]) -> str:
    verb = query.get("verb", [""])[0]
    if verb == "ListMetadataFormats":
        body = (
            "<ListMetadataFormats><metadataFormat><metadataPrefix>oai_dc</metadataPrefix>"
            "<schema>http://www.openarchives.org/OAI/2.0/oai_dc.xsd</schema>"
            "<metadataNamespace>http://www.openarchives.org/OAI/2.0/oai_dc/</metadataNamespace>"
            "</metadataFormat></ListMetadataFormats>"
        )
    elif verb == "ListSets":
        body = '<error code="noSetHierarchy">no sets</error>'
    elif verb == "ListRecords":
        token = query.get("resumptionToken", ["page-0"])[0]
        number = int(token.removeprefix("page-"))
        body = remote.page(number)
        with remote._lock:
            remote.pages_served += 1
    else:
        body = '<error code="badVerb">unknown verb</error>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-11-30T12:00:00Z</responseDate>"
        f'<request verb="{escape(verb)}">{escape(remote.endpoint)}</request>{body}</OAI-PMH>'
    )


@contextmanager
def fake_remote(pages: int, per_page: int, delay: float = 0.0) -> Iterator[FakeRemote]:
    """Serve a ``FakeRemote`` on a free loopback port while the block runs."""
    remote = FakeRemote(pages, per_page, delay)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path.startswith("/images/"):
                data = remote.image(int(parts.path.removeprefix("/images/").split(".")[0]))
                kind = "image/jpeg"
            else:
                query = parse_qs(parts.query)
                if query.get("verb", [""])[0] == "ListRecords":
                    threading.Event().wait(remote.delay)
                data = _answer(remote, query).encode()
                kind = "text/xml; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_arguments: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    remote.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield remote
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
