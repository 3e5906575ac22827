"""Ingest speed: the three figures of issue 3, each beside a baseline measured in the same run.

1. Metadata only: ../shared/data/cmoa/cmoa-all.jsonl.gz (28,258 records, CC0) through the cmoa
   profile into the catalogue and the keyword index. Baseline: reading and mapping alone.
2. Photographs, embedding excluded: the 89 shared chinesenotes.com photographs repeated to
   --photos files (each copy made unique by trailing bytes after the JPEG end marker, so it is
   hashed, stored and catalogued as a new photo but decodes exactly like its original), ingested
   end to end with a no-op embedder. Baseline: the same photos through archive.imaging alone.
3. With an embedding model: the pipeline's time on the same photos against the model's own time
   (each file opened and embedded, in batches), for the built-in visual descriptor and for
   open_clip's ViT-B-32 with random weights (the real cost without downloading weights; loaded
   here only, never by the product). The descriptor runs on the photographs of figure 2; CLIP
   runs about 6 photos/s on 2 cores, so it gets a subset.

    python bench/bench_ingest.py [--photos 1000] [--descriptor-photos N] [--clip-photos 192]
                                 [--no-clip] [--records N] [--metadata-only]

Skips with a message when ../shared is absent (a fresh clone has none).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stand_in_embedder import NoEmbedder  # noqa: E402

from archive.db import make_engine, make_session_factory, upgrade_database  # noqa: E402
from archive.imaging import process_image  # noqa: E402
from archive.settings import Settings, load_settings  # noqa: E402
from index.descriptor import VisualDescriptor  # noqa: E402
from index.descriptor_v2 import VisualDescriptorV2  # noqa: E402
from index.embedders import ImageEmbedder  # noqa: E402
from ingest.bundles import open_source  # noqa: E402
from ingest.mapping import map_record  # noqa: E402
from ingest.native import TEMPLATE_COLUMNS  # noqa: E402
from ingest.pipeline import IngestOptions, IngestReport, ingest_source  # noqa: E402
from ingest.profiles import load_profile  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CMOA = SHARED / "cmoa" / "cmoa-all.jsonl.gz"
PHOTOS = SHARED / "chinesenotes" / "images"
EMBED_BATCH = 32


class RandomClip:
    """open_clip ViT-B-32 with random weights, embedding as index.embedders.ClipEmbedder does."""

    def __init__(self) -> None:
        from index.embedders import input_side
        from index.torch_compat import import_open_clip

        open_clip = import_open_clip()
        import torch

        self._torch = torch
        model, _, self.preprocess = open_clip.create_model_and_transforms(
            "ViT-B-32", pretrained=None
        )
        self.model = model.eval()
        self.dim = int(self.model.visual.output_dim)
        self.name = "open_clip:ViT-B-32:random"
        self.derivative = "display"
        self.min_side = input_side(self.model)
        self.portable = False

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        with self._torch.inference_mode():
            batch = self._torch.stack([self.preprocess(image.convert("RGB")) for image in images])
            features = self.model.encode_image(batch)
            features = features / features.norm(dim=-1, keepdim=True)
        return features.float().numpy()


def instance(folder: Path) -> tuple[Settings, Any]:
    settings = load_settings({"POTBANK_HOME": str(folder)})
    upgrade_database(settings.database_url)
    return settings, make_session_factory(make_engine(settings.database_url))


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def metadata_source(folder: Path, limit: int | None) -> Path:
    if limit is None:
        return CMOA
    path = folder / "cmoa-subset.jsonl.gz"
    with gzip.open(CMOA, "rt", encoding="utf-8") as source, gzip.open(path, "wt") as target:
        target.writelines(itertools.islice(source, limit))
    return path


def read_and_map(path: Path) -> int:
    profile = load_profile("cmoa")
    count = 0
    with open_source(path) as source:
        for _, row in source.rows:
            if isinstance(row, dict):
                try:
                    map_record(profile, row, "published")
                except ValueError:
                    continue
                count += 1
    return count


def photo_collection(folder: Path, count: int) -> tuple[Path, list[Path]]:
    """A native CSV naming ``count`` unique photo files made from the shared photographs."""
    images = folder / "images"
    images.mkdir(parents=True)
    originals = sorted(PHOTOS.glob("*.jpg"))
    files = []
    for number in range(count):
        original = originals[number % len(originals)]
        target = images / f"{number:05d}-{original.name}"
        # Bytes after the JPEG end-of-image marker are ignored by decoders: a new SHA-256, the
        # same pixels and the same decoding cost.
        target.write_bytes(original.read_bytes() + f"copy {number}".encode())
        files.append(target)
    table = folder / "wares.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TEMPLATE_COLUMNS)
        writer.writeheader()
        for number, path in enumerate(files):
            writer.writerow(
                {
                    "accession_number": f"B-{number:05d}",
                    "title_en": f"Benchmark ware {number}",
                    "images": path.name,
                }
            )
    return table, files


def process_alone(files: list[Path]) -> None:
    for path in files:
        process_image(path.read_bytes(), 100_000_000)


def embed_files(embedder: ImageEmbedder, files: list[Path]) -> None:
    for start in range(0, len(files), EMBED_BATCH):
        images = [Image.open(path) for path in files[start : start + EMBED_BATCH]]
        embedder.embed_images(images)
        for image in images:
            image.close()


def photo_ingest(folder: Path, table: Path, embedder: ImageEmbedder) -> Callable[[], IngestReport]:
    """The ingest of ``table`` into a fresh instance, ready to time: the instance (its database
    migrated) is made now, so only the ingest itself is measured."""
    settings, factory = instance(folder)
    options = IngestOptions(institution="Benchmark Museum")
    return lambda: ingest_source(settings, factory, table, "potbank", options, embedder=embedder)


def row(label: str, count: int, seconds: float, baseline: float, bar: str) -> str:
    rate = count / seconds
    return f"{label:<44} {count:>7,} {seconds:>8.1f} {rate:>9.1f} {seconds / baseline:>7.2f}  {bar}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--clip-photos", type=int, default=192)
    parser.add_argument(
        "--descriptor-photos", type=int, default=None, help="default: the --photos set itself"
    )
    parser.add_argument("--records", type=int, default=None, help="a prefix of cmoa-all")
    parser.add_argument("--no-clip", action="store_true")
    parser.add_argument(
        "--metadata-only", action="store_true", help="only the metadata figure and its baseline"
    )
    args = parser.parse_args()
    # Photo workers unpickle NoEmbedder, so they must be able to import its module.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH")) if p
    )
    if not CMOA.exists() or not PHOTOS.is_dir():
        print(f"skipped: needs the shared data set at {SHARED} (absent outside the dev machine)")
        return 0
    lines = [
        f"{'measure':<44} {'items':>7} {'seconds':>8} {'items/s':>9} {'ratio':>7}  bar",
    ]
    with tempfile.TemporaryDirectory(prefix="potbank-bench-") as scratch:
        work = Path(scratch)
        source = metadata_source(work, args.records)
        read_seconds, mapped = timed(lambda: read_and_map(source))
        lines.append(
            row("metadata: read + map only (baseline)", mapped, read_seconds, read_seconds, "")
        )
        settings, factory = instance(work / "metadata")
        meta_seconds, report = timed(
            lambda: ingest_source(settings, factory, source, "cmoa", IngestOptions())
        )
        records = report.created + report.updated + report.unchanged + report.rejected
        rate = records / meta_seconds
        lines.append(
            row(
                "metadata: catalogue + keyword index",
                records,
                meta_seconds,
                read_seconds,
                f">= 1,000/s: {'met' if rate >= 1000 else 'NOT met'}",
            )
        )

        if args.metadata_only:
            print("\n".join(lines))
            return 0
        table, files = photo_collection(work / "photos", args.photos)
        alone_seconds, _ = timed(lambda: process_alone(files))
        lines.append(
            row(
                "photos: decode + derivatives alone (baseline)",
                len(files),
                alone_seconds,
                alone_seconds,
                "",
            )
        )
        photo_seconds, photo_report = timed(
            photo_ingest(work / "photos-instance", table, NoEmbedder())
        )
        assert photo_report.photos_added == len(files), photo_report.summary
        rate = len(files) / photo_seconds
        lines.append(
            row(
                "photos: pipeline end to end, no model",
                len(files),
                photo_seconds,
                alone_seconds,
                f">= 40/s: {'met' if rate >= 40 else 'NOT met'}",
            )
        )

        models: list[tuple[str, Callable[[], ImageEmbedder], int]] = [
            ("descriptor", VisualDescriptorV2, args.descriptor_photos or args.photos),
            ("descriptor v1 (old)", VisualDescriptor, args.descriptor_photos or args.photos),
        ]
        if not args.no_clip:
            models.append(("CLIP ViT-B-32 (random)", RandomClip, args.clip_photos))
        for label, make, count in models:
            embedder = make()
            if count == len(files):
                subset_table, subset = table, files
            else:
                subset_table, subset = photo_collection(work / f"subset-{label[:4]}", count)
            model_seconds, _ = timed(lambda e=embedder, s=subset: embed_files(e, s))
            lines.append(
                row(f"{label}: model alone (baseline)", count, model_seconds, model_seconds, "")
            )
            pipeline_seconds, _ = timed(
                photo_ingest(work / f"instance-{label[:4]}", subset_table, embedder)
            )
            ratio = pipeline_seconds / model_seconds
            lines.append(
                row(
                    f"{label}: pipeline with the model",
                    count,
                    pipeline_seconds,
                    model_seconds,
                    f"<= 1.15x: {'met' if ratio <= 1.15 else 'NOT met'}",
                )
            )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
