"""The content-addressed image store: originals and derivatives under their SHA-256."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from archive.imaging import DERIVATIVE_SIZES, ProcessedImage, process_image

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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
    processed: ProcessedImage


class ImageStore:
    """Files under ``root``: ``originals/ab/cd/<sha>.<ext>`` and ``derived/<size>/ab/cd/<sha>.jpg``.

    Identical bytes are stored once; writes are atomic (temporary file, then rename), so a crash
    never leaves a half-written image under its final name.
    """

    def __init__(self, root: Path, max_pixels: int = 100_000_000) -> None:
        self.root = Path(root)
        self.max_pixels = max_pixels

    def put(self, data: bytes) -> StoredImage:
        """Validate ``data`` by content; store it and its derivatives, or raise ImageRejected."""
        processed = process_image(data, self.max_pixels)
        sha = hashlib.sha256(data).hexdigest()
        _write_once(self.original_path(sha, processed.extension), data)
        for size, payload in processed.derivatives.items():
            _write_once(self.derivative_path(sha, size), payload)
        return StoredImage(
            sha256=sha,
            format=processed.format,
            extension=processed.extension,
            width=processed.width,
            height=processed.height,
            byte_size=len(data),
            phash=processed.phash,
            processed=processed,
        )

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


def _check_sha(sha256: str) -> None:
    # Paths are built only from a verified hex digest, so no request can reach outside the store.
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256 hex digest")


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
