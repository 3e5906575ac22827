"""CLIP plumbing with a tiny randomly initialised open_clip model saved as a local checkpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from index.descriptor_v2 import VisualDescriptorV2 as VisualDescriptor
from index.embedders import ClipEmbedder, active_embedder
from tests.index.conftest import TINY


def test_index_modules_do_not_import_torch() -> None:
    """open_clip/torch cost seconds to import: only a ClipEmbedder may load them."""
    code = (
        "import sys, index.embedders, index.text, index.vectors, index.hybrid; "
        "sys.exit(1 if {'open_clip', 'torch'} & set(sys.modules) else 0)"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


@pytest.mark.slow  # importing torch and open_clip takes about five seconds
def test_clip_embedder_from_local_checkpoint(tiny_checkpoint: Path) -> None:
    embedder = ClipEmbedder(TINY, pretrained=str(tiny_checkpoint))
    assert embedder.dim == 64
    assert embedder.name.startswith(f"open_clip:{TINY}:tiny.pt@")
    # It embeds in the ingest process, from the display image decoded down to its input size.
    assert (embedder.derivative, embedder.min_side, embedder.portable) == ("display", 32, False)
    images = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue", "green")]
    vectors = embedder.embed_images(images)
    assert vectors.shape == (3, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embedder.embed_images(images[:1]), vectors[:1], atol=1e-5)
    texts = embedder.embed_texts(["a blue and white vase", "青花瓷"])
    assert texts.shape == (2, 64)
    assert np.allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_images([]).shape == (0, 64)


@pytest.mark.slow
def test_active_embedder_uses_clip_when_it_loads(tiny_checkpoint: Path) -> None:
    embedder, reason = active_embedder(TINY, str(tiny_checkpoint))
    assert isinstance(embedder, ClipEmbedder) and "CLIP" in reason


def test_active_embedder_falls_back_with_a_reason(tmp_path: Path) -> None:
    embedder, reason = active_embedder("ViT-B-32", "")
    assert isinstance(embedder, VisualDescriptor) and "CLIP not configured" in reason
    missing = tmp_path / "nothing.pt"
    embedder, reason = active_embedder(TINY + "-missing", str(missing))
    assert isinstance(embedder, VisualDescriptor)
    assert reason.startswith("CLIP weights could not be loaded")


def test_active_embedder_reads_settings() -> None:
    class Settings:
        clip_model = "ViT-B-32"
        clip_pretrained = ""

    embedder, reason = active_embedder(Settings())
    assert isinstance(embedder, VisualDescriptor) and "not configured" in reason
