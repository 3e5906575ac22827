"""Readers that stream source rows with their line numbers."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from pathlib import Path

# Museum exports put whole essays in one cell; the csv module's default 128 KiB cap is too small.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def read_csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 CSV (with or without BOM); the header is line 1.

    Line numbers are those of the row's first physical line, so a quoted newline inside a
    field does not throw off the numbers an error report gives.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        line = reader.line_num + 1
        for row in reader:
            yield line, {key: (value or "") for key, value in row.items() if key is not None}
            line = reader.line_num + 1
