"""The cross-language evaluation of bench/eval_chinese.py, run on the shared captions (its
quality tables only; the speed runs stay in the bench)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_data_or_skip

BENCH = Path(__file__).resolve().parents[2] / "bench" / "eval_chinese.py"


@pytest.fixture(scope="module")
def evaluation():
    spec = importlib.util.spec_from_file_location("eval_chinese", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_chinese"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_alignment_pairs_translations_not_neighbours(evaluation) -> None:
    shared_data_or_skip("chinesenotes", "labels.csv")
    pairs = {p.zh: p.en for p in evaluation.align(evaluation.load_photos(), {})}
    assert pairs["景德镇"] == "jingdezhen kiln" or pairs["景德镇"].startswith("jingdezhen")
    assert pairs["莲瓣"] == "lotus petal"
    assert len(pairs) >= 30


def test_cross_language_bars_hold(evaluation, tmp_path: Path) -> None:
    shared_data_or_skip("chinesenotes", "labels.csv")
    lines, met = evaluation.quality(tmp_path)
    assert met, "\n".join(lines)
    directions = [line for line in lines if line.startswith(("zh->en ", "en->zh "))]
    counts = [int(line.split()[1]) for line in directions if line.split()[1].isdigit()]
    assert len(counts) == 2 and min(counts) >= 30


def test_variants_of_a_query(evaluation) -> None:
    kinds = dict(evaluation.variants("景德镇"))
    assert kinds["traditional"] == "景德鎮"
    assert kinds["pinyin"] == "jing de zhen" and kinds["pinyin+tones"] == "jǐngdézhèn"
    assert "partial" not in dict(evaluation.variants("青花"))
