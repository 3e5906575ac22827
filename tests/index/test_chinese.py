"""Mixed Chinese/English analysis."""

from __future__ import annotations

from index.chinese import mixed_analyzer, segment


def _tokens(text: str, mode: str = "") -> list[tuple[str, int]]:
    return [(t.text, t.pos) for t in mixed_analyzer()(text, positions=True, mode=mode)]


def test_glossary_compounds_are_segmented() -> None:
    assert "梅瓶" in segment("青釉刻花牡丹纹梅瓶")
    texts = [text for text, _ in _tokens("青釉刻花牡丹纹梅瓶")]
    assert {"青釉", "梅瓶", "牡丹"} <= set(texts)


def test_sub_words_share_their_word_position() -> None:
    positions = dict(_tokens("牡丹纹梅瓶"))
    assert positions["牡丹"] == positions["牡丹纹"]
    assert positions["梅瓶"] == positions["牡丹纹"] + 1


def test_query_mode_has_no_sub_words() -> None:
    assert _tokens("牡丹纹", mode="query") == [("牡丹纹", 0)]


def test_english_is_stemmed_folded_and_stopped() -> None:
    assert _tokens("The Sèvres Vases and Figures") == [("sevr", 0), ("vase", 1), ("figur", 2)]


def test_mixed_text_keeps_word_order() -> None:
    assert [t for t, _ in _tokens("Vase 青花 Kangxi")] == ["vase", "青花", "kangxi"]
