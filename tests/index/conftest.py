"""A tiny randomly initialised open_clip model, registered from an in-memory config and saved as a
local checkpoint: it exercises the real CLIP loading code without downloading weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.torch_compat import import_open_clip

TINY = "potbank-tiny-test"
CONFIG = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Register the tiny architecture with open_clip and save random weights to a file."""
    open_clip = import_open_clip()
    import torch

    folder = tmp_path_factory.mktemp("clip")
    (folder / f"{TINY}.json").write_text(json.dumps(CONFIG))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY, pretrained=None)
    checkpoint = folder / "tiny.pt"
    torch.save(model.state_dict(), checkpoint)
    return checkpoint
