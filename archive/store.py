"""The content-addressed image store: originals and derivatives under their SHA-256."""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archive.imaging import DERIVATIVE_SIZES, ProcessedImage, Rendition, process_image, upright_size

logger = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class StoreUnwritable(OSError):
    """The store could not write a photograph (a full or read-only disk, lost permissions): a
    fault of the instance, not of the photograph. The message names no server path."""


@dataclass(frozen=True)
class StoredImage:
    """An image now in the store, with what the catalogue records about it."""

    sha256: str
    format: str
    extension: str
    width: int
    height: int
    byte_size: int
    phash: str
    # The decoded pixels and derivative bytes; None once handed back from a worker process.
    processed: ProcessedImage | None
    # The same bytes were in the store before this put (an earlier run, or another ware's copy).
    already_stored: bool = False
    # The dHash of each orientation, ``phash`` first (see ``archive.imaging.orientation_hashes``).
    orientations: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderedImage:
    """A photograph's derivatives as shown (turned, cropped): their key, size and hash."""

    key: str
    rendition: Rendition
    width: int
    height: int
    phash: str


class ImageStore:
    """Files under ``root``: ``originals/ab/cd/<sha>.<ext>`` and ``derived/<size>/ab/cd/<sha>.jpg``.

    Identical bytes are stored once; writes are atomic (temporary file, then rename), so a crash
    never leaves a half-written image under its final name.
    """

    def __init__(self, root: Path, max_pixels: int = 100_000_000) -> None:
        self.root = Path(root)
        self.max_pixels = max_pixels

    def put(self, data: bytes, *, durable: bool = True) -> StoredImage:
        """Validate ``data`` by content; store it and its derivatives, or raise ImageRejected.

        Each file is on disk when this returns (fsync). A caller storing many images passes
        ``durable=False`` and calls ``sync`` once before anything refers to them: one flush of
        the file system instead of three per image.
        """
        processed = process_image(data, self.max_pixels)
        sha = hashlib.sha256(data).hexdigest()
        original = self.original_path(sha, processed.extension)
        already_stored = original.exists()
        try:
            _write_once(original, data, durable)
            for size, payload in processed.derivatives.items():
                _write_once(self.derivative_path(sha, size), payload, durable)
        except OSError as error:
            # The path and the system's words go to the log; users are told what happened.
            logger.error("the image store could not write %s: %s", sha, error)
            raise StoreUnwritable(
                "the image store could not save the photograph "
                f"({(error.strerror or type(error).__name__).lower()})"
            ) from error
        return StoredImage(
            sha256=sha,
            format=processed.format,
            extension=processed.extension,
            width=processed.width,
            height=processed.height,
            byte_size=len(data),
            phash=processed.phash,
            processed=processed,
            already_stored=already_stored,
            orientations=processed.orientations,
        )

    def render(self, sha256: str, extension: str, rendition: Rendition) -> RenderedImage:
        """Make (once) the derivatives of a stored original turned and cropped as ``rendition``
        says, under its key; the original itself is only read. Raises ``ValueError`` when the
        crop is outside the photograph, ``StoreUnwritable`` when they cannot be written."""
        try:
            data = self.original_path(sha256, extension).read_bytes()
        except OSError as error:
            logger.error("the image store could not read %s: %s", sha256, error)
            raise StoreUnwritable(
                "the image store could not read the original photograph"
            ) from error
        rendition = rendition.checked(upright_size(data, self.max_pixels))
        processed = process_image(data, self.max_pixels, rendition)
        key = rendition.key(sha256)
        try:
            for size, payload in processed.derivatives.items():
                _write_once(self.derivative_path(key, size), payload)
        except OSError as error:
            logger.error("the image store could not write %s: %s", key, error)
            raise StoreUnwritable(
                "the image store could not save the photograph "
                f"({(error.strerror or type(error).__name__).lower()})"
            ) from error
        return RenderedImage(key, rendition, processed.width, processed.height, processed.phash)

    def upright_size(self, sha256: str, extension: str) -> tuple[int, int]:
        """The size of a stored original as seen (EXIF orientation applied), from its header."""
        with self.original_path(sha256, extension).open("rb") as handle:
            return upright_size(handle.read(), self.max_pixels)

    def original_path(self, sha256: str, extension: str) -> Path:
        _check_sha(sha256)
        if extension not in {"jpg", "png", "webp", "tif"}:
            raise ValueError(f"unknown image extension {extension!r}")
        return self.root / "originals" / sha256[:2] / sha256[2:4] / f"{sha256}.{extension}"

    def derivative_path(self, sha256: str, size: str) -> Path:
        """Where a derivative lives; ``size`` is one of ``DERIVATIVE_SIZES``."""
        _check_sha(sha256)
        if size not in DERIVATIVE_SIZES:
            raise ValueError(f"unknown derivative size {size!r}")
        return self.root / "derived" / size / sha256[:2] / sha256[2:4] / f"{sha256}.jpg"

    def has(self, sha256: str, extension: str) -> bool:
        return self.original_path(sha256, extension).exists()

    def find(self, prefix: str) -> StoredImage | None:
        """The stored image whose digest starts with ``prefix`` (12 hex digits at least, as the
        history names photographs), read back with its derivatives made sure of; None when the
        store has none or more than one."""
        if not re.fullmatch(r"[0-9a-f]{12,64}", prefix):
            return None
        folder = self.root / "originals" / prefix[:2] / prefix[2:4]
        found = sorted(folder.glob(f"{prefix}*.*")) if folder.is_dir() else []
        if len(found) != 1:
            return None
        return self.put(found[0].read_bytes())

    def sync(self) -> None:
        """Flush everything written to the store's file system (files, renames) to disk."""
        self.root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.root, os.O_RDONLY)
        try:
            if _syncfs is None or _syncfs(descriptor) != 0:
                os.sync()  # not Linux, or syncfs failed: flush every file system
        finally:
            os.close(descriptor)


def _check_sha(sha256: str) -> None:
    # Paths are built only from a verified hex digest, so no request can reach outside the store.
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def _write_once(path: Path, data: bytes, durable: bool = True) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
