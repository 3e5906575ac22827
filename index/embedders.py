"""Image embedders: open_clip (CLIP) when configured, else the built-in visual descriptor.

open_clip pulls in torch (about 5 s to import), so it is imported only when a ClipEmbedder is made.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from index.descriptor import VisualDescriptor
from index.descriptor_v2 import VisualDescriptorV2
from index.torch_compat import import_open_clip

BATCH_SIZE = 32


class ImageEmbedder(Protocol):
    """What the vector index needs from an embedder."""

    name: str
    dim: int
    # The store derivative ("thumb" or "display") with enough pixels for this embedder: ingest
    # hands it the one already decoded, and rebuilds read that one back from the store.
    derivative: str
    # The shortest side it needs: the derivative is decoded no smaller (0: at full size).
    min_side: int
    # Cheap to copy and bound to one core: ingest's photo worker processes each embed with a
    # copy (so its class must be importable there). Models that load weights and spread over
    # cores themselves embed in the ingest process.
    portable: bool

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """(n, dim) float32, rows of unit length."""
        ...


def _checkpoint_label(pretrained: str) -> str:
    """A pretrained tag as is; a local file as its name plus a content hash (vectors differ)."""
    path = Path(pretrained)
    if not path.is_file():
        return pretrained
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()[:12]
    return f"{path.name}@{digest}"


class ClipEmbedder:
    """CLIP image and text towers from open_clip, from a pretrained tag or a local checkpoint."""

    supports_text = True
    # CLIP crops a 224 px square from the shorter side: a 320 px thumbnail can be too small.
    derivative = "display"
    portable = False

    def __init__(self, model_name: str, pretrained: str, device: str = "cpu") -> None:
        """Load `model_name` with `pretrained` (an open_clip tag or a checkpoint file path).

        Raises when the weights cannot be loaded; never falls back to random weights.
        """
        if not pretrained:
            raise ValueError("ClipEmbedder needs pretrained weights (a tag or a checkpoint path)")
        open_clip = import_open_clip()
        import torch

        self._torch = torch
        self.device = device
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, device=device
        )
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.dim = int(self.model.visual.output_dim)
        self.min_side = input_side(self.model)
        self.name = f"open_clip:{model_name}:{_checkpoint_label(pretrained)}"

    def _normalised(self, features: Any) -> np.ndarray:
        features = features / features.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        return features.float().cpu().numpy().astype(np.float32)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Image embeddings, shape (n, dim), float32, unit length."""
        parts = [np.zeros((0, self.dim), dtype=np.float32)]
        with self._torch.inference_mode():
            for start in range(0, len(images), BATCH_SIZE):
                batch = self._torch.stack(
                    [
                        self.preprocess(image.convert("RGB"))
                        for image in images[start : start + BATCH_SIZE]
                    ]
                )
                parts.append(self._normalised(self.model.encode_image(batch.to(self.device))))
        return np.concatenate(parts)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Text embeddings in the image space (for text-to-image search), shape (n, dim)."""
        parts = [np.zeros((0, self.dim), dtype=np.float32)]
        with self._torch.inference_mode():
            for start in range(0, len(texts), BATCH_SIZE):
                tokens = self.tokenizer(list(texts[start : start + BATCH_SIZE]))
                parts.append(self._normalised(self.model.encode_text(tokens.to(self.device))))
        return np.concatenate(parts)


def input_side(model: Any) -> int:
    """The side of the square an open_clip model's image tower takes (224 for ViT-B-32)."""
    size = getattr(model.visual, "image_size", 224)
    return int(min(size) if isinstance(size, tuple | list) else size)


@functools.lru_cache(maxsize=4)
def _load_clip(model_name: str, pretrained: str) -> ClipEmbedder:
    return ClipEmbedder(model_name, pretrained)


# Every built-in descriptor by name: the newest is the active one; older ones stay here so that
# an image index they built can still be searched (and kept up to date) until it is rebuilt.
BUILTIN_DESCRIPTORS: dict[str, type] = {
    VisualDescriptorV2.name: VisualDescriptorV2,
    VisualDescriptor.name: VisualDescriptor,
}


@functools.cache
def builtin_descriptor(name: str = VisualDescriptorV2.name) -> ImageEmbedder:
    """The built-in descriptor called ``name`` (KeyError if there is none)."""
    return BUILTIN_DESCRIPTORS[name]()


def _descriptor() -> ImageEmbedder:
    return builtin_descriptor()


def embedder_for_index(active: ImageEmbedder, stored_name: str | None) -> ImageEmbedder:
    """The embedder whose vectors an image index built by ``stored_name`` takes.

    That is ``active``, except when the index was built by an older built-in descriptor and
    the built-in descriptor is active: then the older one, so the index keeps answering
    queries and taking new photographs until `potbank index rebuild` (which `potbank index
    verify` asks for) re-embeds everything with the active one.
    """
    if (
        stored_name is not None
        and stored_name != active.name
        and active.name in BUILTIN_DESCRIPTORS
        and stored_name in BUILTIN_DESCRIPTORS
    ):
        return builtin_descriptor(stored_name)
    return active


def active_embedder(
    clip_model: Any, clip_pretrained: str | None = None
) -> tuple[ImageEmbedder, str]:
    """The embedder to use and a plain sentence saying why (shown in the UI, CLI and API).

    Takes the model name and pretrained tag/path, or a Settings object with `clip_model` and
    `clip_pretrained`. CLIP is used when pretrained weights are configured and load; otherwise
    the built-in descriptor.
    """
    if hasattr(clip_model, "clip_model"):
        clip_model, clip_pretrained = clip_model.clip_model, clip_model.clip_pretrained
    descriptor = _descriptor()
    if not clip_pretrained:
        return descriptor, (
            f"CLIP not configured (set POTBANK_CLIP_PRETRAINED); "
            f"using the built-in visual descriptor {descriptor.name}."
        )
    try:
        clip = _load_clip(str(clip_model), str(clip_pretrained))
    except Exception as error:  # any loading failure falls back; the reason is reported
        return descriptor, (
            f"CLIP weights could not be loaded ({clip_model}, {clip_pretrained}):"
            f" {error}; using the built-in visual descriptor {descriptor.name}."
        )
    return clip, f"CLIP {clip_model} with weights {clip_pretrained} ({clip.name})."
