"""The tiny CLIP fixture (``tiny_checkpoint``) lives in tests/conftest.py so the web tests share
it; its model name is re-exported here for the index tests that import it."""

from __future__ import annotations

from tests.conftest import TINY

__all__ = ["TINY"]
