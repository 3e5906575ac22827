"""Chinese as a first-class query language: sub-words, traditional characters, pinyin, glossary
matching by parts, ranking of native matches above expansions, fielded glossary terms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from index.chinese import GramTokenizer, char_grams
from index.glossary import default_glossary
from index.query import prepare_query
from index.script import pinyin_key, romanisation_key, to_simplified
from index.text import TextIndex

WARES: list[dict[str, Any]] = [
    {
        "id": 1,
        "title_zh": "青釉刻花莲瓣纹罐",
        "description_zh": "南朝 上海博物馆",
        "object_type": "jar",
    },
    {
        "id": 2,
        "title_zh": "青花双凤纹盘",
        "description_zh": "景德镇窑 明宣德",
        "object_type": "dish",
    },
    {"id": 3, "title_zh": "青花云龙纹尊", "description_zh": "景德镇窑 清 雍正"},
    {"id": 4, "title": "Vase, blue and white jasper", "maker": "Wedgwood"},
    {"id": 5, "title": "Chess piece (pawn)", "maker": "Wedgwood; John Flaxman"},
    {"id": 6, "title": "Bust of Shakespeare", "maker": "Wedgwood", "material": "black basaltes"},
    {"id": 7, "title": "Dinner plate", "maker": "Spode", "object_type": "plate"},
    {"id": 8, "title": "Jasperware medallion", "maker": "Wedgwood", "material": "jasper"},
    {"id": 9, "title": "Vase", "maker": "Minton", "description": "Designed by Christopher Dresser"},
    {"id": 10, "title_zh": "龍紋瓶", "description_zh": "清代 窯址出土"},
    {"id": 11, "title": "Blue and white bowl", "description": "Underglaze blue, Jingdezhen"},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> TextIndex:
    built = TextIndex(Path(tmp_path_factory.mktemp("chinese")))
    built.add(WARES)
    return built


def ids(index: TextIndex, query: str) -> list[int]:
    return [hit.id for hit in index.search(query, per_page=50).hits]


def test_script_helpers() -> None:
    assert to_simplified("龍紋鳳窯裡") == "龙纹凤窑里"
    assert to_simplified("blue") == "blue"
    assert pinyin_key("景德镇") == "jingdezhen"
    assert romanisation_key("qīng huā") == romanisation_key("qing1hua1") == "qinghua"
    assert char_grams("莲瓣纹") == ["莲瓣", "瓣纹"] and char_grams("凤") == ["凤"]
    tokens = [(t.text, t.pos) for t in GramTokenizer()("鳳紋 x", positions=True)]
    assert tokens == [("凤", 0), ("凤纹", 0), ("纹", 1)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("莲瓣", {1}),  # inside 莲瓣纹, which jieba may cut otherwise
        ("双凤", {2}),  # a sub-word no dictionary holds
        ("凤", {2}),  # one character inside a word
        ("鳳紋", {2}),  # traditional query, simplified text
        ("龙纹", {10, 3}),  # simplified query, traditional text (and 云龙纹)
        ("窑", {2, 3, 10}),  # 窯 in the text is 窑
    ],
)
def test_sub_words_and_scripts(index: TextIndex, query: str, expected: set[int]) -> None:
    assert expected <= set(ids(index, query))


def test_phrase_of_chinese_words_survives_segmentation(index: TextIndex) -> None:
    assert ids(index, '"青花 云龙"') == [3]
    assert ids(index, '"云龙 青花"') == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("碧玉", {4, 8}),  # part of 碧玉细炻器: jasper
        ("玄武岩", {6}),  # part of 黑玄武岩: basalt
        ("盘子", {2, 7}),  # holds 盘: plate, dish
        ("胸像", {6}),
        ("国际象棋", {5}),
        ("象棋", {5}),
        ("弗拉克斯曼", {5}),
        ("德雷瑟", {9}),
        ("maker:韦奇伍德", {4, 5, 6, 8}),
        ("type:盘", {2, 7}),
        ("type:盤", {2, 7}),
    ],
)
def test_glossary_by_parts_and_fields(index: TextIndex, query: str, expected: set[int]) -> None:
    assert set(ids(index, query)) == expected


@pytest.mark.parametrize("query", ["qinghua", "qing hua", "qīnghuā", "QingHua", "qing1hua1"])
def test_pinyin_finds_what_the_characters_find(index: TextIndex, query: str) -> None:
    assert set(ids(index, query)) == set(ids(index, "青花"))


def test_pinyin_of_places_and_reigns(index: TextIndex) -> None:
    assert {2, 3} <= set(ids(index, "jing de zhen"))
    assert 3 in ids(index, "yongzheng")


def test_native_matches_rank_above_expansions(index: TextIndex) -> None:
    found = ids(index, "青花")
    assert set(found) >= {2, 3, 4, 11}
    # Chinese blue-and-white first, Wedgwood's "blue and white jasper" after them.
    assert found.index(4) > max(found.index(2), found.index(3))
    english = ids(index, "blue and white")
    assert english.index(2) > english.index(11)


def test_expansions_are_reported(index: TextIndex) -> None:
    results = index.search("青花")
    assert ("青花", ["青花瓷", "blue and white", "qinghua", "underglaze blue"]) in [
        (term, others) for term, others in results.expansions
    ]
    assert index.search("pawn").expansions == []


def test_highlight_marks_the_chinese_word_inside_longer_words(index: TextIndex) -> None:
    snippet = index.search("双凤").hits[0].highlight
    assert "<mark" in snippet and "双凤" in snippet


def test_did_you_mean_still_works(index: TextIndex) -> None:
    assert index.search("medalion").suggestion == "medallion"


def test_glossary_parts() -> None:
    glossary = default_glossary()
    containing, parts = glossary.part_entries("碧玉")
    assert [e.en[0] for e in containing] == ["jasperware"] and parts == []
    assert glossary.part_entries("盘子") == ([], ["盘"])
    assert glossary.part_entries("青花") == ([], [])  # an entry itself
    assert glossary.pinyin_lookup("meiping")[0].zh[0] == "梅瓶"
    assert glossary.pinyin_lookup("pan") == []  # one character's pinyin is not matched


def test_query_weights_native_above_same_language_above_other() -> None:
    text = prepare_query("青花", default_glossary(), set()).text
    assert text.startswith('((青花 OR zh_grams:"青花"^0.6)')
    assert '"blue and white"^0.35' in text


def test_unranked_query_has_no_boosts_or_gram_field_and_keeps_its_alternatives() -> None:
    """The curators' SQL search reads the same rewrite without what only ranking needs."""
    glossary, fields = default_glossary(), {"maker"}
    for raw in ("青花", "盘子", "碧玉", "qinghua jingdezhen", "bowl^2", '"cobalt blue"^2'):
        ranked = prepare_query(raw, glossary, fields).text
        unranked = prepare_query(raw, glossary, fields, ranked=False).text
        assert "^" not in unranked and "zh_grams" not in unranked, (raw, unranked)
        # Every alternative the ranked query searches is still searched.
        for name in re.findall(r'"[^"]+"|[^\s()"^]+', re.sub(r"\^[0-9.]+", "", ranked)):
            if name not in ("OR", "AND", "zh_grams:"):
                assert name.strip('"') in unranked, (raw, name, unranked)
    assert prepare_query("青花", glossary, fields, ranked=False).text.startswith("(青花 OR 青花瓷")
    # A phrase of Chinese words is also its characters in a row, wherever a record cuts them.
    assert (
        prepare_query('"青花 云龙"', glossary, fields, ranked=False).text
        == '("青花 云龙" OR "青花云龙")'
    )
    assert prepare_query("maker:wedgwood^3", glossary, fields, ranked=False).text.startswith(
        '(maker:"wedgwood" OR'
    )
