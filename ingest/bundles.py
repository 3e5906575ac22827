"""What ``potbank ingest SOURCE`` can be: a table file, a folder of photographs with a sidecar
table, or a ZIP of the same; and where the photographs a row names are read from.

ZIP members are read in memory, never extracted, so a member name cannot write anywhere; names a
row asks for are normalised and must stay inside the archive, and every member is read with a size
cap (the size in a ZIP header can lie, so the cap is on the bytes actually inflated).
"""

from __future__ import annotations

import gzip
import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.records import RowError
from ingest.sources import (
    TABLE_SUFFIXES,
    RowStream,
    SourceError,
    open_table,
    read_table,
    table_format,
)

# Preferred names of the sidecar table in a folder or ZIP, before any other single table.
SIDECAR_STEMS = ("wares", "records", "metadata", "sidecar")
IMAGES_FOLDER = "images"


# Names that look like photographs, for finding the ones no row names (content decides the rest).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")


class PhotoReader(Protocol):
    """Reads the photograph a row names, or raises RowError saying why it cannot."""

    def read(self, name: str) -> bytes: ...

    def unused(self) -> list[str]:
        """The photographs the source offers that nothing has read, by name."""
        ...


def _looks_like_photo(name: str) -> bool:
    base = posixpath.basename(name)
    return base.lower().endswith(IMAGE_SUFFIXES) and not base.startswith(".")


class NoPhotos:
    """For records given without any folder of photographs."""

    def read(self, name: str) -> bytes:
        raise RowError("the row names photographs but no --images folder was given")

    def unused(self) -> list[str]:
        return []


@dataclass(frozen=True)
class FolderPhotos:
    """Photographs in a folder (or its ``images/`` subfolder), by name relative to it.

    ``offered`` says whether the folder was given as the source's photographs (a bundle, or
    ``--images``), so that photographs in it that no row names are worth reporting; a table's
    own folder, searched only as a convenience, is not.
    """

    root: Path
    max_bytes: int
    offered: bool = True
    # Resolved paths read so far (threads add to it; a set's add is atomic).
    read_paths: set[Path] = field(default_factory=set, compare=False)

    def read(self, name: str) -> bytes:
        root = self.root.resolve()
        for base in (root, root / IMAGES_FOLDER):
            path = (base / name).resolve()
            # A file name from a spreadsheet must not reach outside the images folder.
            if not path.is_relative_to(root):
                raise RowError("the photograph's path leads outside the images folder")
            if path.is_file():
                if path.stat().st_size > self.max_bytes:
                    raise RowError(f"the file is larger than {self.max_bytes:,} bytes")
                self.read_paths.add(path)
                return path.read_bytes()
        raise RowError("no such file in the images folder")

    def unused(self) -> list[str]:
        if not self.offered:
            return []
        root = self.root.resolve()
        found = [
            path
            for path in root.rglob("*")
            if _looks_like_photo(path.name) and path.is_file() and path not in self.read_paths
        ]
        return sorted(path.relative_to(root).as_posix() for path in found)


class ZipPhotos:
    """Photographs inside a ZIP, by member name relative to the sidecar's folder there."""

    def __init__(self, archive: zipfile.ZipFile, base: str, max_bytes: int) -> None:
        self.archive = archive
        self.base = base
        self.max_bytes = max_bytes
        self.members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        self.read_members: set[str] = set()

    def read(self, name: str) -> bytes:
        wanted = name.replace("\\", "/")
        if wanted.startswith("/") or ".." in wanted.split("/"):
            raise RowError("the photograph's path leads outside the ZIP folder")
        for base in (self.base, posixpath.join(self.base, IMAGES_FOLDER)):
            member = self.members.get(posixpath.normpath(posixpath.join(base, wanted)))
            if member is not None:
                self.read_members.add(member.filename)
                return read_member(self.archive, member, self.max_bytes)
        raise RowError("no such file in the ZIP")

    def unused(self) -> list[str]:
        prefix = f"{self.base}/" if self.base else ""
        return sorted(
            name.removeprefix(prefix)
            for name in self.members
            if name.startswith(prefix)
            and _looks_like_photo(name)
            and "__MACOSX" not in name.split("/")
            and name not in self.read_members
        )


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, max_bytes: int) -> bytes:
    """A ZIP member's bytes, refusing more than ``max_bytes`` once inflated (a ZIP bomb guard)."""
    if member.file_size > max_bytes:
        raise RowError(f"the file is larger than {max_bytes:,} bytes")
    try:
        with archive.open(member) as handle:
            data = handle.read(max_bytes + 1)
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError) as error:
        raise RowError(f"the ZIP member cannot be read ({error})") from None
    if len(data) > max_bytes:
        raise RowError(f"the file is larger than {max_bytes:,} bytes")
    return data


@dataclass
class Source:
    """An opened source: its rows, where its photographs are, and what kind it is."""

    rows: RowStream
    photos: PhotoReader
    kind: str


@contextmanager
def open_source(
    path: Path,
    images_dir: Path | None = None,
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    max_photo_bytes: int = 40 * 1024 * 1024,
) -> Iterator[Source]:
    """Open a table file, a folder with a sidecar table, or a ZIP of either, for streaming."""
    with ExitStack() as stack:
        if path.is_dir():
            table = sidecar_in_folder(path)
            stream, fmt = open_table(table)
            stack.enter_context(stream)
            photos = FolderPhotos(images_dir or path, max_photo_bytes)
            yield Source(read_table(stream, fmt, delimiter, encoding), photos, "folder")
        elif zipfile.is_zipfile(path):
            archive = stack.enter_context(zipfile.ZipFile(path))
            member = sidecar_in_zip(archive)
            stream: zipfile.ZipExtFile | gzip.GzipFile = stack.enter_context(archive.open(member))
            if stream.peek(2)[:2] == b"\x1f\x8b":
                stream = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))
            fmt = table_format(member.filename, stream.peek(1 << 16))
            base = posixpath.dirname(member.filename)
            zip_photos: PhotoReader = (
                FolderPhotos(images_dir, max_photo_bytes)
                if images_dir
                else ZipPhotos(archive, base, max_photo_bytes)
            )
            yield Source(read_table(stream, fmt, delimiter, encoding), zip_photos, "zip")
        else:
            stream, fmt = open_table(path)
            stack.enter_context(stream)
            # Without --images, photographs are looked for beside the table (and in images/).
            table_photos = FolderPhotos(
                images_dir or path.parent, max_photo_bytes, offered=images_dir is not None
            )
            yield Source(read_table(stream, fmt, delimiter, encoding), table_photos, fmt)


def _pick_sidecar(names: list[str], where: str) -> str:
    tables = [name for name in names if _is_table(name)]
    for stem in SIDECAR_STEMS:
        for name in tables:
            if posixpath.basename(name).lower().split(".")[0] == stem:
                return name
    if len(tables) == 1:
        return tables[0]
    if not tables:
        raise SourceError(f"no table (.csv, .json, .jsonl) in {where}")
    raise SourceError(
        f"several tables in {where} ({', '.join(sorted(tables)[:5])}): name the one to use "
        f"{' or '.join(stem + '.csv' for stem in SIDECAR_STEMS[:2])}"
    )


def _is_table(name: str) -> bool:
    lowered = name.lower().removesuffix(".gz")
    return any(lowered.endswith(suffix) for suffix in TABLE_SUFFIXES) and not lowered.endswith(
        ".txt"
    )


def sidecar_in_folder(folder: Path) -> Path:
    """The sidecar table at the top of a folder of photographs."""
    names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    return folder / _pick_sidecar(names, str(folder))


def sidecar_in_zip(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The sidecar table of a ZIP: the shallowest folder that holds one decides."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    names = [info.filename for info in members if "__MACOSX" not in info.filename.split("/")]
    tables = [name for name in names if _is_table(name)]
    if not tables:
        raise SourceError("no table (.csv, .json, .jsonl) in the ZIP")
    depth = min(name.count("/") for name in tables)
    chosen = _pick_sidecar([name for name in tables if name.count("/") == depth], "the ZIP")
    return archive.getinfo(chosen)
