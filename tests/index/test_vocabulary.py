"""The bilingual vocabulary: catalogue values named in the reader's language."""

from __future__ import annotations

from index.vocabulary import Vocabulary, build, curated_term


def test_glossary_values_in_both_languages() -> None:
    vocabulary = build()
    assert vocabulary.pair("jar") == {"en": "jar", "zh": "罐"}
    assert vocabulary.label("Porcelain", "zh") == "瓷"
    assert vocabulary.label("景德鎮", "en") == "Jingdezhen"  # traditional, other language
    assert vocabulary.label("Shanghai Museum", "zh") == "上海博物馆"


def test_centuries_compounds_and_unknown_values() -> None:
    vocabulary = build()
    assert vocabulary.label("18th century", "zh") == "18 世纪"
    assert vocabulary.label("3rd century BCE", "zh") == "公元前 3 世纪"
    assert vocabulary.label("pottery/earthenware", "zh") == "陶、陶"
    assert vocabulary.label("flux-capacitor ware", "zh") == "flux-capacitor ware"
    assert not vocabulary.knows("flux-capacitor ware") and vocabulary.knows("jar")


def test_filter_names_and_curated_terms_take_precedence() -> None:
    assert {"jar", "罐", "jars"} <= set(build().names("罐"))
    curated = curated_term("material", "celadon-glazed ware", "青釉器", "celadon ware|青瓷器")
    vocabulary = build([curated], [("Test Museum", "测试博物馆")])
    assert vocabulary.label("Celadon-glazed ware", "zh") == "青釉器"
    assert vocabulary.label("Celadon-glazed ware", "en") == "Celadon-glazed ware"  # as written
    assert vocabulary.label("青瓷器", "en") == "celadon-glazed ware"
    assert vocabulary.label("Test Museum", "zh") == "测试博物馆"
    assert isinstance(vocabulary, Vocabulary)
