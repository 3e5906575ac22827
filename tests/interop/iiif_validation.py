"""Running the official IIIF Image API validator (``iiif-validator`` on PyPI) against a server.

The validator checks pixels against its own test image: 1000×1000, ten by ten squares of 100
pixels, square (x, y) painted in the colour its ``ValidationInfo.colorInfo[x][y]`` names, and
it samples the middle 74×74 of a square. ``validator_image`` paints that image from the
validator's own colour table (with a dark grid line between squares so region errors show), so
the test image is the one the validator expects without shipping a copy.
"""

from __future__ import annotations

import gc
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageDraw

SQUARE = 100


@dataclass(frozen=True)
class ValidatorResult:
    """One validator test: its name, level, whether it passed and what it reported."""

    name: str
    level: int
    passed: bool
    message: str = ""


def validator_image() -> bytes:
    """The validator's 1000×1000 test image as PNG bytes, from its own colour table."""
    from iiif_validator.validator import ValidationInfo

    colours = ValidationInfo().colorInfo
    image = Image.new("RGB", (10 * SQUARE, 10 * SQUARE))
    draw = ImageDraw.Draw(image)
    for x in range(10):
        for y in range(10):
            box = (x * SQUARE, y * SQUARE, (x + 1) * SQUARE - 1, (y + 1) * SQUARE - 1)
            draw.rectangle(box, fill=tuple(colours[x][y]), outline=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def run_validator(
    server: str,
    identifier: str,
    *,
    level: int = 2,
    only: tuple[str, ...] = (),
    prefix: str = "iiif/3",
) -> list[ValidatorResult]:
    """Run the validator's Image API 3.0 tests up to ``level`` (or just ``only``).

    ``server`` is ``host:port``. Each test gets a fresh ``ImageAPI``, as the validator's own
    command line does.
    """
    from iiif_validator.validator import ImageAPI, TestSuite, ValidationInfo

    tests = TestSuite(ValidationInfo()).list_tests("3.0")
    results = []
    for name, spec in sorted(tests.items(), key=lambda item: (item[1]["level"], item[0])):
        if (only and name not in only) or (not only and spec["level"] > level):
            continue
        api = ImageAPI(identifier, server, prefix, "http", "", "3.0", debug=False)
        with warnings.catch_warnings():
            # The validator leaves urllib responses to the garbage collector.
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                TestSuite(ValidationInfo()).run_test(name, api)
            except Exception as error:  # the validator raises its findings
                results.append(ValidatorResult(name, spec["level"], False, _describe(error)))
                continue

        if api.exception:
            results.append(ValidatorResult(name, spec["level"], False, _describe(api.exception)))
        else:
            results.append(ValidatorResult(name, spec["level"], True))
    with warnings.catch_warnings():
        # Collect its responses now, while the warning is ignored, not in a later test.
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return results


def _describe(error: object) -> str:
    parts = [
        f"{field}={getattr(error, field)!r}"
        for field in ("type", "got", "expected", "message")
        if getattr(error, field, None) not in (None, "")
    ]
    return "; ".join(parts) or repr(error)
