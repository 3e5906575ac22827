"""Readers that stream source rows with their line numbers: CSV, JSON arrays, JSONL, gzip of any
of these, and a folder or ZIP of photographs with a sidecar table.

Every reader yields ``(line, row)`` pairs where ``row`` is a dict or a ``RowError`` for a row that
cannot be read (bad UTF-8, a line that is not JSON, more cells than the header): the caller reports
it and goes on. Nothing holds more than one row (or one chunk of a file) in memory.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ingest.records import RowError

# Museum exports put whole essays in one cell; the csv module's default 128 KiB cap is too small.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

Row = dict[str, Any]
RowStream = Iterator[tuple[int, Row | RowError]]

TABLE_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1 << 16
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class SourceError(ValueError):
    """A source that cannot be read on (not a table, malformed JSON array): fatal for the file."""

    def __init__(self, reason: str, line: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def table_format(name: str, head: bytes) -> str:
    """``csv``, ``json`` or ``jsonl``, from a file name (``.gz`` aside) or else its first bytes."""
    stem = name.lower().removesuffix(".gz")
    suffix = stem[stem.rfind(".") :] if "." in stem else ""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix == ".json" and text[:1] == b"{":
        # A ".json" file of one object per line is JSONL whatever its name says.
        return "jsonl"
    if suffix in TABLE_SUFFIXES:
        return TABLE_SUFFIXES[suffix]
    if text[:1] == b"[":
        return "json"
    return "jsonl" if text[:1] == b"{" else "csv"


def open_table(path: Path) -> tuple[IO[bytes], str]:
    """Open a table file as a binary stream (un-gzipped) and say which format it holds."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    # The caller owns the stream and closes it (open_source does so through an ExitStack).
    stream: gzip.GzipFile | io.BufferedReader = (
        gzip.GzipFile(path, "rb") if gzipped else path.open("rb")
    )
    try:
        head = stream.peek(_CHUNK)[:_CHUNK]
    except (OSError, EOFError) as error:
        stream.close()
        # The system's words without the file's path (a web upload's path is the server's).
        detail = getattr(error, "strerror", None) or str(error)
        raise SourceError(f"the file cannot be read ({detail})") from None
    return stream, table_format(path.name, head)


def read_table(
    stream: IO[bytes], fmt: str, delimiter: str | None = None, encoding: str = "utf-8"
) -> RowStream:
    """Rows of a binary table stream in format ``csv``, ``json`` or ``jsonl`` (JSON is always
    UTF-8; a CSV may be in another ``encoding``, as Excel's "CSV" is cp1252 on Windows)."""
    if fmt == "csv":
        return read_csv_stream(stream, delimiter, encoding)
    if fmt == "json":
        return read_json_array(stream)
    if fmt == "jsonl":
        return read_jsonl(stream)
    raise SourceError(f"unknown table format {fmt!r}: use csv, json or jsonl")


def read_csv_rows(path: Path, delimiter: str | None = None) -> RowStream:
    """Yield (line number, row) from a CSV file (UTF-8, with or without BOM, gzip or not)."""
    stream, _ = open_table(path)
    with stream:
        yield from read_csv_stream(stream, delimiter)


def read_csv_stream(
    stream: IO[bytes], delimiter: str | None = None, encoding: str = "utf-8"
) -> RowStream:
    """Yield (line number, row) from a binary CSV stream; the header is line 1.

    The delimiter (comma, semicolon, tab or bar, as Excel writes them in different locales) is
    taken from the header line unless given. Line numbers are those of the row's first physical
    line, so a quoted newline inside a field does not throw off an error report. Bytes that are not
    valid in the encoding make that row a RowError naming the column, not the end of the file.
    """
    utf8 = codecs.lookup(encoding).name == "utf-8"
    # surrogateescape keeps undecodable bytes as lone surrogates, so the damage is found per row.
    text = io.TextIOWrapper(
        stream, encoding="utf-8-sig" if utf8 else encoding, errors="surrogateescape", newline=""
    )
    try:
        yield from _csv_rows(text, delimiter, "UTF-8" if utf8 else encoding)
    finally:
        # The stream belongs to the caller: leave it open for them to close. If the caller
        # stopped early and closed it first, there is nothing left to detach.
        with contextlib.suppress(ValueError):
            text.detach()


def _csv_rows(text: IO[str], delimiter: str | None, encoding: str) -> RowStream:
    first = text.readline()
    if not first.strip():
        return
    chosen = delimiter or max(DELIMITERS, key=first.count)
    reader = csv.reader(_chain_first(first, text), delimiter=chosen, strict=False)
    header = [name.strip() for name in next(reader)]
    if any(_has_bad_bytes(name) for name in header):
        raise SourceError(f"the header is not valid {encoding}: save the file as UTF-8", 1)
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        yield start, _csv_row(header, cells, encoding)


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_row(header: list[str], cells: list[str], encoding: str) -> Row | RowError:
    if len(cells) > len(header):
        return RowError(f"the row has {len(cells)} cells but the header names {len(header)}")
    row = dict(zip(header, cells, strict=False))
    for name, value in row.items():
        if _has_bad_bytes(value):
            reason = f"the text is not valid {encoding}: save the file as UTF-8"
            return RowError(reason, name or None)
    return row


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def read_jsonl(stream: IO[bytes]) -> RowStream:
    """Yield (line number, object) from JSON Lines; a bad line is a RowError, not the end."""
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line:
            continue
        try:
            item = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, RowError("the line is not valid UTF-8")
            continue
        except ValueError as error:
            yield number, RowError(f"the line is not valid JSON ({error})")
            continue
        yield number, _object_or_error(item)


def _object_or_error(item: Any) -> Row | RowError:
    if isinstance(item, dict):
        return item
    return RowError(f"a record must be a JSON object, not {type(item).__name__}")


def read_json_array(stream: IO[bytes]) -> RowStream:
    """Yield (line number, object) from a JSON array of objects, parsed incrementally.

    Each element is decoded with ``json.JSONDecoder.raw_decode`` as soon as it is complete in the
    buffer, so a file of any size is read with memory for one element and one chunk. A syntax
    error cannot be skipped (the next element's start is unknown), so it ends the file with a
    SourceError naming the line.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict")
    try:
        yield from _array_items(text)
    finally:
        text.detach()


def _array_items(text: IO[str]) -> RowStream:
    decoder = json.JSONDecoder()
    parser = _ArrayParser(text)
    parser.expect("[")
    if parser.peek() == "]":
        return
    while True:
        parser.peek()
        line = parser.line
        item = parser.decode(decoder)
        yield line, _object_or_error(item)
        separator = parser.peek()
        if separator == "]":
            return
        parser.expect(",")


class _ArrayParser:
    """A buffer over a text stream that hands out whole JSON values and counts lines."""

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.buffer = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def _more(self, at_least: int = _CHUNK) -> bool:
        if self.eof:
            return False
        # Drop what is consumed, so the buffer holds only the current element and what follows.
        self.buffer = self.buffer[self.pos :]
        self.pos = 0
        try:
            chunk = self.text.read(max(at_least, _CHUNK))
        except UnicodeDecodeError as error:
            raise SourceError(f"the file is not valid UTF-8 ({error.reason})", self.line) from None
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _advance(self, end: int) -> None:
        self.line += self.buffer.count("\n", self.pos, end)
        self.pos = end

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), without consuming it."""
        while True:
            blank = _WHITESPACE.match(self.buffer, self.pos)
            self._advance(blank.end() if blank else self.pos)
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise SourceError(f"malformed JSON array: expected {char!r}, found {shown}", self.line)
        self._advance(self.pos + 1)

    def decode(self, decoder: json.JSONDecoder) -> Any:
        self.peek()
        while True:
            try:
                item, end = decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                # An element cut off by the end of the buffer needs more text; anything else is
                # malformed. (An unterminated string is reported at its start, so it may be either.)
                cut_off = error.pos >= len(self.buffer) - 1 or error.msg.startswith("Unterminated")
                if cut_off and self._more(len(self.buffer)):
                    continue
                raise SourceError(f"malformed JSON ({error.msg})", self.line) from None
            # A number at the very end of the buffer may go on in the next chunk.
            if end == len(self.buffer) and self._more():
                continue
            self._advance(end)
            return item
