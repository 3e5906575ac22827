"""Memory and time of decoding a photograph to search with: the reduced-size decode under the
query pixel limit against the previous decode (whole image, archive limit of 100 MP), measured
in the same run, each case in a fresh process so its peak resident memory is its own.

    python bench/bench_query_images.py            # 48 MP JPEG, 16 MP PNG, 100 MP PNG
    python bench/bench_query_images.py --quick    # 12 MP JPEG, 4 MP PNG, 25 MP PNG
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE_LIMIT = 100_000_000
QUERY_LIMIT = 20_000_000


def _png(width: int, height: int) -> bytes:
    compressor = zlib.compressobj(6)
    row = b"\x00" + bytes(range(256)) * (width * 3 // 256) + b"\x40" * (width * 3 % 256)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def _jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    with Image.linear_gradient("L").resize((width, height)).convert("RGB") as image:
        image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(path: str, way: str) -> None:
    sys.path.insert(0, str(ROOT))
    from archive.imaging import ImageRejected, open_query_image, open_validated

    data = Path(path).read_bytes()
    # Resident now against the high-water mark afterwards (VmHWM: this process's own, where
    # ru_maxrss would carry the parent's peak across fork and exec).
    before = _status_kb("VmRSS")
    start = time.perf_counter()
    try:
        if way == "reduced":
            image = open_query_image(data, QUERY_LIMIT)
        else:
            # What the search did before: the archive's limit, draft for JPEG, whole decode.
            opened = open_validated(data, ARCHIVE_LIMIT)
            if opened.format == "JPEG":
                opened.draft("RGB", (1200, 1200))
            image = opened.convert("RGB")
        outcome = f"{image.width}×{image.height}"
    except ImageRejected:
        outcome = "refused (400)"
    seconds = time.perf_counter() - start
    grown = _status_kb("VmHWM") - before
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": grown / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller images")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    scale = 2 if args.quick else 1
    cases = [
        (f"JPEG {8000 // scale}×{6000 // scale}", _jpeg(8000 // scale, 6000 // scale)),
        (f"PNG {4000 // scale}×{4000 // scale}", _png(4000 // scale, 4000 // scale)),
        (f"PNG {10000 // scale}×{10000 // scale}", _png(10000 // scale, 10000 // scale)),
    ]
    print("Decoding a photograph to search with (peak memory growth of a fresh process)")
    print(f"{'image':<18} {'decode':<34} {'result':<14} {'peak MB':>8} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for label, data in cases:
            path = Path(folder) / "query"
            path.write_bytes(data)
            for way, name in (
                ("whole", "before: whole, 100 MP limit"),
                ("reduced", "now: reduced, query limit"),
            ):
                result = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), way],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(result.stdout)
                print(
                    f"{label:<18} {name:<34} {row['outcome']:<14} "
                    f"{row['peak_mb']:>8.0f} {row['seconds']:>8.2f}"
                )


if __name__ == "__main__":
    main()
