"""Naming and opening what a bulk upload sent: the records file is stored under a name the
server chooses (only a known table suffix is kept from the user's), and photographs are read
from the ZIP in memory by the ingest package's ``ZipPhotos``, never extracted."""

from __future__ import annotations

import zipfile
from pathlib import PurePath

from ingest.sources import TABLE_SUFFIXES

RECORDS_STEM = "records"
PHOTOS_NAME = "photos.zip"


class UploadRejected(ValueError):
    """A bulk upload that cannot be taken; the message says why."""


def records_name(filename: str | None, head: bytes) -> str:
    """The stored name of the records file: ``records`` plus a suffix the readers understand.

    A ZIP (a table with its photographs) or a gzip keeps that form; otherwise the user's
    suffix is kept if it is a known table suffix, so ``.jsonl`` is read as JSON lines.
    """
    if head.startswith(b"PK\x03\x04"):
        return f"{RECORDS_STEM}.zip"
    suffixes = [suffix.lower() for suffix in PurePath(filename or "").suffixes[-2:]]
    gzipped = head.startswith(b"\x1f\x8b")
    table = next((suffix for suffix in reversed(suffixes) if suffix in TABLE_SUFFIXES), "")
    if not table:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        table = ".json" if text[:1] in (b"[", b"{") else ".csv"
    return f"{RECORDS_STEM}{table}{'.gz' if gzipped else ''}"


def zip_base(archive: zipfile.ZipFile) -> str:
    """The folder all members share, if any: "compress folder" puts everything under one, and
    rows name the photographs without it."""
    names = [info.filename.replace("\\", "/") for info in archive.infolist() if not info.is_dir()]
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop()
    return ""
