"""The bilingual glossary: coverage, lookups both ways, reign years."""

from __future__ import annotations

from index.glossary import default_glossary, normalise_term

MING = [
    "洪武",
    "建文",
    "永乐",
    "洪熙",
    "宣德",
    "正统",
    "景泰",
    "天顺",
    "成化",
    "弘治",
    "正德",
    "嘉靖",
    "隆庆",
    "万历",
    "泰昌",
    "天启",
    "崇祯",
]
QING = ["顺治", "康熙", "雍正", "乾隆", "嘉庆", "道光", "咸丰", "同治", "光绪", "宣统"]


def test_glossary_has_200_sourced_entries() -> None:
    glossary = default_glossary()
    assert len(glossary) >= 200
    assert all(entry.source and entry.zh and entry.en for entry in glossary.entries)


def test_equivalents_go_both_ways() -> None:
    glossary = default_glossary()
    assert "青花" in glossary.equivalents("blue and white")
    assert "青花" in glossary.equivalents("Blue-and-White")
    assert "blue and white" in glossary.equivalents("青花")
    assert "Jingdezhen" in glossary.equivalents("景德镇")
    assert {"青瓷", "青釉"} <= set(glossary.equivalents("celadon"))
    assert "famille rose" in glossary.equivalents("粉彩")
    assert glossary.equivalents("no such thing") == []


def test_every_ming_and_qing_reign_has_years() -> None:
    glossary = default_glossary()
    for reign in MING + QING:
        ranges = glossary.year_ranges(reign)
        assert ranges, reign
        assert ranges[0][0] >= 1368 and ranges[0][1] <= 1912, reign
    assert glossary.year_ranges("Hongwu") == [(1368, 1398)]
    assert glossary.year_ranges("宣统") == [(1909, 1912)]
    assert glossary.year_ranges("Kangxi") == [(1662, 1722)]


def test_ambiguous_names_give_every_range() -> None:
    assert default_glossary().year_ranges("Jin") == [(266, 420), (1115, 1234)]


def test_normalise_term_folds_case_accents_and_hyphens() -> None:
    assert normalise_term("Sèvres") == normalise_term("sevres")
    assert normalise_term("blue-and-white") == "blue and white"
