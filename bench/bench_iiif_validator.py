"""The official IIIF Image API validator against a live Potbank, and what gzip saves on JSON-LD.

A throw-away instance gets one published ware photographed with the validator's test grid
(painted from the validator's own colour table) and a demo-sized manifest; ``potbank serve``'s
server (waitress) serves it on loopback. Then:

1. every Image API 3.0 test of ``iiif-validator`` up to level 3, one row each: levels 0-2 are
   what Potbank claims (info.json says ``level2``); level 3 is run as the reference of what a
   fuller server would add (arbitrary rotation, more formats) and is expected to fail;
2. the bytes on the wire of info.json, a manifest and the top collection, plain (the baseline)
   and gzipped, measured in the same run.

    python bench/bench_iiif_validator.py [--quick]

``--quick`` runs levels 0 and 1 only. Known validator bugs: ``size_noup`` (level 1),
``format_webp`` and ``size_up`` (level 3); see docs/interop.md for the specification's words.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.catalogue import (  # noqa: E402
    attach_photograph,
    get_or_create_institution,
    upsert_ware,
)
from archive.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from archive.settings import load_settings  # noqa: E402
from archive.store import ImageStore  # noqa: E402
from tests.conftest import serving  # noqa: E402
from tests.interop.iiif_validation import run_validator, validator_image  # noqa: E402
from web.app import create_app  # noqa: E402

# Validator bugs (see docs/interop.md for the specification's words): size_noup fails a right
# 200 for !w,h without ^ and crashes; format_webp calls Python 2's urllib.urlopen; size_up expects
# ^max to be the image's own size although info.json advertises maxWidth/maxArea (the
# specification: ^max is "the maximum size permitted by maxWidth, maxHeight, or maxArea").
KNOWN_VALIDATOR_BUGS = {"size_noup", "format_webp", "size_up"}


def _instance(home: Path) -> tuple[object, str, int]:
    settings = load_settings({"POTBANK_HOME": str(home)})
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    store = ImageStore(settings.store_dir, settings.max_image_pixels)
    with make_session_factory(engine)() as session:
        institution = get_or_create_institution(session, "Validator Museum")
        ware, _ = upsert_ware(
            session,
            institution=institution,
            accession_number="V-1",
            fields={"status": "published", "title_en": "Validator grid", "title_zh": "验证网格"},
        )
        stored = store.put(validator_image())
        attach_photograph(session, ware, stored)
        session.commit()
        ware_id = ware.id
    engine.dispose()
    return create_app(settings), stored.sha256, ware_id


def _size(url: str, gzip: bool) -> int:
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback only)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return len(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="levels 0 and 1 only")
    options = parser.parse_args()
    top = 1 if options.quick else 3
    with tempfile.TemporaryDirectory() as folder:
        app, identifier, ware_id = _instance(Path(folder))
        with serving(app) as base:
            started = time.perf_counter()
            results = run_validator(base.removeprefix("http://"), identifier, level=top)
            seconds = time.perf_counter() - started
            documents = {
                "info.json": f"{base}/iiif/3/{identifier}/info.json",
                "manifest": f"{base}/iiif/3/manifests/ware/{ware_id}",
                "top collection": f"{base}/iiif/3/collections",
                "Linked Art object": f"{base}/linked-art/object/{ware_id}",
            }
            sizes = {name: (_size(url, False), _size(url, True)) for name, url in documents.items()}

    print(f"IIIF Image API 3.0 validator (iiif-validator 1.0.5), {seconds:.1f} s")
    print(f"{'level':>5}  {'test':<24} result")
    for result in results:
        verdict = "pass" if result.passed else "FAIL"
        if not result.passed and result.name in KNOWN_VALIDATOR_BUGS:
            verdict = "FAIL (validator bug)"
        elif not result.passed and result.level == 3:
            verdict = "FAIL (level 3, not claimed)"
        print(f"{result.level:>5}  {result.name:<24} {verdict}")
    print()
    print(f"{'level':>5}  {'passed':>6}  {'failed':>6}  real failures")
    for level in range(top + 1):
        at = [r for r in results if r.level == level]
        real = [r.name for r in at if not r.passed and r.name not in KNOWN_VALIDATOR_BUGS]
        passed = sum(r.passed for r in at)
        print(f"{level:>5}  {passed:>6}  {len(at) - passed:>6}  {', '.join(real) or '-'}")
    print()
    print(f"{'document':<18} {'plain B (baseline)':>18} {'gzip B':>8} {'saved':>6}")
    for name, (plain, zipped) in sizes.items():
        print(f"{name:<18} {plain:>18} {zipped:>8} {1 - zipped / plain:>6.0%}")


if __name__ == "__main__":
    main()
