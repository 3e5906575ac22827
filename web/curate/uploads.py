"""Reading a bulk upload safely: its rows (CSV or JSON in the native template) and its ZIP of
photographs, with limits on what a ZIP may expand to and where its files may land."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.sources import read_csv_rows

MAX_ZIP_MEMBERS = 10_000
CHUNK = 1 << 16


class UploadRejected(ValueError):
    """A bulk upload that cannot be read; the message says why."""


def data_kind(data: bytes) -> str:
    """``json`` or ``csv``, by content: a JSON document starts with ``[`` (after any BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("the records file is not UTF-8 text") from None
    return "json" if text.lstrip().startswith(("[", "{")) else "csv"


def read_rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(number, row) pairs: CSV line numbers, or 1-based positions in a JSON list."""
    if kind == "csv":
        yield from read_csv_rows(path)
        return
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UploadRejected(f"the JSON could not be read: {error}") from None
    if isinstance(document, dict):
        document = document.get("records", document.get("wares"))
    if not isinstance(document, list):
        raise UploadRejected("the JSON must be a list of records (objects)")
    for number, record in enumerate(document, start=1):
        if isinstance(record, dict):
            yield number, {str(key): _cell(value) for key, value in record.items()}
        else:
            yield number, {"accession_number": ""}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell(item) for item in value)
    return str(value)


def extract_photos(zip_path: Path, target: Path, *, max_total: int, max_file: int) -> list[str]:
    """Unpack the photographs of ``zip_path`` under ``target``; returns members skipped and why.

    Refused: members that would land outside ``target`` (absolute paths, ``..``, drive letters),
    links, more than MAX_ZIP_MEMBERS members, and more than ``max_total`` bytes in all, counted
    as they are written rather than trusted from the ZIP's own headers (a ZIP bomb lies there).
    """
    if not zipfile.is_zipfile(zip_path):
        raise UploadRejected("the photographs file is not a ZIP archive")
    skipped: list[str] = []
    written = 0
    root = target.resolve()
    with zipfile.ZipFile(zip_path) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_MEMBERS:
            raise UploadRejected(f"the ZIP holds more than {MAX_ZIP_MEMBERS:,} files")
        prefix = _common_folder(members)
        for info in members:
            name = info.filename.replace("\\", "/")
            parts = [part for part in name.split("/") if part not in ("", ".")]
            if prefix and parts[:1] == [prefix]:
                parts = parts[1:]
            if stat.S_ISLNK(info.external_attr >> 16):
                skipped.append(f"{name[:200]}: links are not accepted")
                continue
            if not parts or ".." in parts or name.startswith("/") or ":" in name:
                skipped.append(f"{name[:200]}: a path that leads outside the upload")
                continue
            destination = root.joinpath(*parts)
            if not destination.resolve().is_relative_to(root):
                skipped.append(f"{name[:200]}: a path that leads outside the upload")
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            written += _copy_limited(archive, info, destination, max_total - written, max_file)
    return skipped


def _common_folder(members: list[zipfile.ZipInfo]) -> str | None:
    # Most ZIPs made by "compress folder" put everything under one folder: rows name the files
    # without it, so it is dropped.
    tops = {info.filename.replace("\\", "/").split("/", 1)[0] for info in members}
    if len(tops) == 1 and all("/" in info.filename.replace("\\", "/") for info in members):
        return tops.pop()
    return None


def _copy_limited(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, budget: int, max_file: int
) -> int:
    size = 0
    with archive.open(info) as source, destination.open("wb") as sink:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > budget:
                raise UploadRejected("the ZIP expands to more than this archive accepts")
            if size > max_file:
                break
            sink.write(chunk)
    if size > max_file:
        # Too large to be accepted as a photograph anyway; its row will report it as missing.
        destination.unlink()
    return size


def remove_folder(folder: Path) -> None:
    """Delete an upload's working folder."""
    shutil.rmtree(folder, ignore_errors=True)
