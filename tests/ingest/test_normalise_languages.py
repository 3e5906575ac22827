"""is_chinese and split_languages on literal mixed text and the chinesenotes labels."""

from __future__ import annotations

import csv

import pytest

from ingest.normalise import is_chinese, split_languages
from tests.conftest import shared_data_or_skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("青花云龙纹“春寿”瓶", True),
        ("清 康熙（公元1661〜1722年）", True),
        ("大清康熙年制", True),
        ("青花 blue", True),
        ("𠀀", True),  # Extension B
        ("White Pottery", False),
        ("Qing Dynasty 清", False),
        ("1661-1722", False),
        ("", False),
        (None, False),
        ("ひらがな", False),  # Japanese kana alone is not Chinese
    ],
)
def test_is_chinese(text: str | None, expected: bool) -> None:
    assert is_chinese(text) is expected


@pytest.mark.parametrize(
    ("text", "english", "chinese"),
    [
        ("Plum Blossom Vase 梅瓶", "Plum Blossom Vase", "梅瓶"),
        ("梅瓶 / Plum Blossom Vase", "Plum Blossom Vase", "梅瓶"),
        ("青花云龙纹“春寿”瓶", "", "青花云龙纹“春寿”瓶"),
        ("清 康熙（公元1661〜1722年）", "", "清 康熙（公元1661〜1722年）"),
        ("Qing Dynasty (1644-1911), 清", "Qing Dynasty (1644-1911)", "清"),
        ("Plate (“W. Penn’s Treaty”) 青花盘", "Plate (“W. Penn’s Treaty”)", "青花盘"),
        ("Blue and white 青花 porcelain 瓷器", "Blue and white porcelain", "青花 瓷器"),
        ("White Pottery", "White Pottery", ""),
        ("", "", ""),
        (None, "", ""),
    ],
)
def test_split_languages(text: str | None, english: str, chinese: str) -> None:
    assert split_languages(text) == (english, chinese)


def _labels() -> list[dict[str, str]]:
    path = shared_data_or_skip("chinesenotes", "labels.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_chinesenotes_titles_are_told_apart() -> None:
    for row in _labels():
        assert is_chinese(row["title_zh"]), row["title_zh"]
        assert not is_chinese(row["title_en"]), row["title_en"]


def test_chinesenotes_merged_titles_split_back() -> None:
    """An English and a Chinese title run together come apart into the source's own fields."""
    for row in _labels():
        assert split_languages(f"{row['title_en']} {row['title_zh']}") == (
            row["title_en"],
            row["title_zh"],
        )


def test_chinesenotes_chinese_captions_stay_whole() -> None:
    for row in _labels():
        caption = row["caption_zh"]
        if caption:
            english, chinese = split_languages(caption)
            assert english == "", caption
            assert chinese.replace(" ", "") == caption.replace(" / ", "").replace(" ", "")
