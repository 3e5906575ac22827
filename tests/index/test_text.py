"""TextIndex: fielded, bilingual, faceted keyword search that never crashes on a bad query."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.text import SORTS, TextIndex, TextResults, centuries
from tests.conftest import shared_data_or_skip

WARES: list[dict[str, Any]] = [
    {
        "id": 1,
        "title": "Jasper vase",
        "maker": "Wedgwood",
        "object_type": "vase",
        "material": "stoneware; jasper",
        "place": "Etruria, Staffordshire",
        "year_earliest": 1785,
        "year_latest": 1790,
        "institution": "Potteries Museum",
        "collection": "Wedgwood",
        "description": "Blue jasper with white relief of dancing figures.",
        "has_photo": True,
        "accession": "2001.12.1",
    },
    {
        "id": 2,
        "title": "Willow pattern plate",
        "maker": "Spode",
        "object_type": "plate",
        "material": "earthenware",
        "pattern": "Willow",
        "place": "Stoke-on-Trent",
        "year_earliest": 1810,
        "year_latest": 1820,
        "institution": "Potteries Museum",
        "description": "Transfer-printed in underglaze blue.",
        "has_photo": False,
        "accession": "2001.12.2",
    },
    {
        "id": 3,
        "title": "Queen's ware teapot",
        "maker": "Wedgwood; Josiah Spode",
        "object_type": "teapot",
        "material": "porcelain",
        "year_earliest": 1770,
        "year_latest": 1775,
        "institution": "Potteries Museum",
        "has_photo": True,
        "accession": "2001.12.3",
    },
    {
        "id": 4,
        "title": "",
        "title_zh": "青花缠枝莲纹梅瓶",
        "object_type": "vase",
        "material": "porcelain",
        "period": "明 宣德",
        "place": "景德镇",
        "year_earliest": 1426,
        "year_latest": 1435,
        "institution": "Jingdezhen Museum",
        "has_photo": True,
        "accession": "JDZ-7",
    },
    {
        "id": 5,
        "title": "Celadon bowl",
        "object_type": "bowl",
        "material": "stoneware",
        "place": "Longquan",
        "period": "Southern Song",
        "year_earliest": 1127,
        "year_latest": 1279,
        "institution": "Jingdezhen Museum",
        "has_photo": False,
        "accession": "JDZ-8",
        "description": "Thick green glaze over a grey body.",
    },
]


@pytest.fixture
def index(tmp_path: Path) -> TextIndex:
    text_index = TextIndex(tmp_path / "text")
    text_index.add(WARES)
    return text_index


def ids(results: TextResults) -> list[int]:
    return [hit.id for hit in results.hits]


def test_counts_ids_and_browse_all(index: TextIndex) -> None:
    assert index.count() == 5
    assert index.ids() == {1, 2, 3, 4, 5}
    results = index.search("")
    assert results.total == 5 and results.message == ""
    assert ids(results)[0] == 5  # browse order is by title ("celadon bowl" first, untitled last)


def test_upsert_replaces_and_remove_deletes(index: TextIndex) -> None:
    index.add([{**WARES[0], "title": "Portland vase copy"}])
    assert index.count() == 5
    assert ids(index.search("portland")) == [1]
    assert index.search("jasper vase").total == 0 or 1 not in ids(index.search('"jasper vase"'))
    assert index.remove([1, 99]) == 1
    assert index.count() == 4 and 1 not in index.ids()


def test_fielded_boolean_phrase_and_prefix(index: TextIndex) -> None:
    assert set(ids(index.search("maker:wedgwood material:porcelain"))) == {3}
    assert set(ids(index.search("maker:wedgwood"))) == {1, 3}
    assert set(ids(index.search("wedgwood NOT teapot"))) == {1}
    assert set(ids(index.search("spode OR longquan"))) == {2, 3, 5}
    assert ids(index.search('"dancing figures"')) == [1]
    assert index.search('"figures dancing"').total == 0
    assert set(ids(index.search("wedg*"))) == {1, 3}
    assert ids(index.search("type:teapot")) == [3]
    assert ids(index.search("2001.12.2")) == [2]


def test_title_outranks_description(index: TextIndex) -> None:
    index.add([{"id": 6, "title": "Saucer", "description": "Shaped like a celadon bowl."}])
    assert ids(index.search("celadon bowl"))[0] == 5


def test_cross_language_glossary(index: TextIndex) -> None:
    assert 4 in ids(index.search("blue and white"))
    assert 4 in ids(index.search("meiping"))
    assert 4 in ids(index.search("Jingdezhen"))
    assert 5 in ids(index.search("青瓷"))
    assert 5 in ids(index.search("龙泉"))
    assert 4 in ids(index.search("梅瓶"))  # inside the compound 青花缠枝莲纹梅瓶
    assert 4 in ids(index.search("Xuande"))


def test_date_ranges_and_reigns(index: TextIndex) -> None:
    assert set(ids(index.search("date:1780-1800"))) == {1}
    assert set(ids(index.search("date:1700-1800 wedgwood"))) == {1, 3}
    assert set(ids(index.search("date:宣德"))) == {4}
    assert set(ids(index.search("date:Qing"))) == {1, 2, 3}  # 1644–1912
    assert set(ids(index.search('date:"18th century"'))) == {1, 3}
    assert set(ids(index.search("", filters={"year_from": 1100, "year_to": 1300}))) == {5}
    bad = index.search("date:whenever vase")
    assert "date" in bad.message and set(ids(bad)) == {1, 4}


def test_facets_and_filters(index: TextIndex) -> None:
    results = index.search("")
    facets = {name: {f.value: f.count for f in values} for name, values in results.facets.items()}
    assert facets["object_type"] == {"vase": 2, "plate": 1, "teapot": 1, "bowl": 1}
    assert facets["maker"] == {"Wedgwood": 2, "Spode": 1, "Josiah Spode": 1}
    assert facets["material"]["stoneware"] == 2 and facets["material"]["jasper"] == 1
    assert facets["has_photo"] == {"yes": 3, "no": 2}
    assert facets["century"]["18th century"] == 2
    filtered = index.search("", filters={"object_type": "vase", "has_photo": True})
    assert set(ids(filtered)) == {1, 4}
    counts = {f.value: f.count for f in filtered.facets["institution"]}
    assert counts == {"Potteries Museum": 1, "Jingdezhen Museum": 1}
    either = index.search("", filters={"maker": ["Spode", "Josiah Spode"]})
    assert set(ids(either)) == {2, 3}
    with pytest.raises(ValueError, match="unknown filter"):
        index.search("", filters={"colour": "red"})


def test_pagination(index: TextIndex) -> None:
    first, second = index.search("", per_page=2), index.search("", page=2, per_page=2)
    assert first.total == 5 and first.pages == 3
    assert not set(ids(first)) & set(ids(second))


def test_did_you_mean(index: TextIndex) -> None:
    results = index.search("wedgewood")
    assert results.total == 0
    assert results.suggestion == "wedgwood"
    assert "Did you mean: wedgwood?" in results.message
    assert index.search("wedgwood").suggestion == ""


def test_did_you_mean_never_offers_a_word_of_a_removed_ware(index: TextIndex) -> None:
    # A ware unpublished (removed from the index) leaves its words in Whoosh's lexicon until
    # its segment is merged away; the suggestion must not reveal them.
    index.add([{"id": 50, "title": "Xylograph secret tureen", "has_photo": False}])
    index.add([{"id": 51, "title": "Plain dish", "has_photo": False}])
    assert index.search("xylogroph").suggestion == "xylograph"
    index.remove([50])
    results = index.search("xylogroph")
    assert results.total == 0
    assert results.suggestion == "" and "xylograph" not in results.message
    # Once a published ware holds the word again, it is offered again.
    index.add([{"id": 52, "title": "Xylograph bowl", "has_photo": False}])
    assert index.search("xylogroph").suggestion == "xylograph"


@pytest.mark.parametrize(
    "query",
    [
        "title:(",
        '"blue and white',
        "((vase",
        "vase))",
        "x" * 5000,
        "vase " * 1000,
        "vase\x00\x07\x1b[31m",
        "AND OR NOT",
        ":",
        '"',
        "title:",
        "foo:bar",
        "*",
        "date:",
        "[1 TO",
        "^2",
        "~",
        "maker:(wedgwood",
        "\u202e\ufeff",
        "年" * 3000,
    ],
)
def test_malformed_queries_never_raise(index: TextIndex, query: str) -> None:
    results = index.search(query)
    assert results.total >= 0


def test_malformed_queries_explain_and_still_search(index: TextIndex) -> None:
    unbalanced = index.search('"willow pattern')
    assert "quotation" in unbalanced.message and ids(unbalanced) == [2]
    assert "bracket" in index.search("title:(").message
    long = index.search("vase " + "x" * 5000)
    assert "cut" in long.message
    control = index.search("plate\x00")
    assert "Control" in control.message and ids(control) == [2]


def test_highlight_snippets_mark_matches(index: TextIndex) -> None:
    hit = index.search("relief").hits[0]
    assert "<mark" in hit.highlight and "relief" in hit.highlight


def test_reopening_keeps_documents(index: TextIndex, tmp_path: Path) -> None:
    index.close()
    assert TextIndex(tmp_path / "text").count() == 5


def test_centuries() -> None:
    assert centuries(1700, 1799) == ["18th century"]
    assert centuries(1790, 1810) == ["18th century", "19th century"]
    assert centuries(-500, -401) == ["5th century BCE"]
    assert centuries(-5000, -3000) == []
    assert centuries(None, None) == []


def _caption_docs() -> list[dict[str, Any]]:
    labels = shared_data_or_skip("chinesenotes", "labels.csv")
    with labels.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "id": i,
            "title": r["title_en"],
            "title_zh": r["title_zh"],
            "description": r["caption"],
            "description_zh": r["caption_zh"],
            "object_type": r["object_type"],
            "material": r["material"],
            "has_photo": True,
        }
        for i, r in enumerate(rows, start=1)
    ]


def test_real_captions_in_both_languages(tmp_path: Path) -> None:
    docs = _caption_docs()
    by_id = {d["id"]: d for d in docs}
    index = TextIndex(tmp_path / "captions")
    index.add(docs)
    english_only = {d["id"] for d in docs if "Jingdezhen" in d["description"]}
    found = set(ids(index.search("景德镇", per_page=100)))
    assert english_only and english_only <= found
    blue = index.search("青花", per_page=100)
    assert blue.total >= 5
    assert all(
        "blue" in (by_id[i]["title"] + by_id[i]["description"]).lower()
        or "青花" in by_id[i]["title_zh"] + by_id[i]["description_zh"]
        for i in ids(blue)
    )
    celadon = set(ids(index.search("celadon", per_page=100)))
    assert celadon == set(ids(index.search("青瓷", per_page=100)))
    kangxi = index.search("康熙")
    assert kangxi.total >= 1 and any("Kangxi" in by_id[i]["title"] for i in ids(kangxi))
    assert index.search("Yaozhou meiping").total >= 1


def test_phrase_search_with_a_46_word_gap(tmp_path: Path) -> None:
    """whoosh-ng reads position lists ending in byte 46 ('.') as pickles (index.whoosh_compat)."""
    filler = " ".join(f"word{i}" for i in range(44))
    index = TextIndex(tmp_path / "gap")
    index.add([{"id": 1, "title": "x", "description": f"blue glaze {filler} blue glaze"}])
    assert ids(index.search('"blue glaze"')) == [1]


def test_stop_words_do_not_empty_the_results(index: TextIndex) -> None:
    assert ids(index.search("jasper with white relief of dancing figures")) == [1]
    assert index.search("the willow pattern").suggestion == ""


def test_sorting_by_title_and_date(index: TextIndex) -> None:
    assert ids(index.search("", sort="date")) == [5, 4, 3, 1, 2]
    assert ids(index.search("museum", sort="title")) == [5, 1, 3, 2, 4]
    with pytest.raises(ValueError, match="unknown sort"):
        index.search("", sort="price")


def test_warm_and_scores_order_hits(index: TextIndex) -> None:
    index.warm()
    hits = index.search("wedgwood OR spode OR celadon").hits
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(h.score > 0 for h in hits)


def test_numpy_engine_matches_whoosh(tmp_path: Path) -> None:
    """The numpy evaluation finds exactly the documents Whoosh's own matchers find."""
    docs = _caption_docs()
    index = TextIndex(tmp_path / "parity")
    index.add(docs)
    searcher = index._current_searcher()
    _, engine = index._doc_table(searcher)
    for text in [
        "porcelain",
        "blue white",
        '"blue and white"',
        "vase NOT celadon",
        "bowl OR plate",
        "ming*",
        '"Qing Dynasty" Kangxi',
        "青花",
        "清 康熙",
        "title:celadon",
        "porcelain ANDMAYBE dragon",
    ]:
        query = index._parser.parse(text)
        mine = set(np.flatnonzero(engine.evaluate(query).mask & engine.live).tolist())
        assert mine == set(searcher.docs_for_query(query)), text


def test_highlight_can_be_skipped(index: TextIndex) -> None:
    hits = index.search("relief", highlight=False).hits
    assert [h.id for h in hits] == [1] and hits[0].highlight == ""


def test_random_query_strings_never_raise(index: TextIndex) -> None:
    import random

    rng = random.Random(4)
    alphabet = 'ab 青花"()*?:^~-+[]{}\\/!&|ANDORNOT年\x00\t\u3000' + "date:1700-"
    for _ in range(150):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        results = index.search(query, filters={"has_photo": True}, sort=rng.choice(SORTS))
        assert results.total >= 0


def test_replacing_every_document_leaves_no_dead_segment(tmp_path: Path) -> None:
    """Whoosh's own merging keeps a segment whose documents were all replaced; ours drops it,
    and rewrites one nearly all replaced, so batches do not pile dead postings up."""
    text = TextIndex(tmp_path / "batches")
    ids = range(1, 201)
    text.add([{"id": i, "title": f"Jug {i}", "material": "creamware"} for i in ids])
    for material in ("pearlware", "creamware", "pearlware"):
        for start in range(1, 201, 50):
            chunk = range(start, start + 50)
            text.add([{"id": i, "title": f"Jug {i}", "material": material} for i in chunk])
    # A batch replacing all but 5 of a segment's documents: rewritten, the 5 kept.
    text.add([{"id": i, "title": f"Jug {i}", "material": "stoneware"} for i in range(1, 196)])
    segments = text._index._segments()
    assert all(segment.deleted_count() < 0.9 * segment.doc_count_all() for segment in segments)
    assert sum(segment.doc_count() for segment in segments) == 200
    assert text.search("material:stoneware", per_page=1).total == 195
    assert text.search("material:pearlware", per_page=1).total == 5
    assert text.count() == 200


def test_a_commit_merges_only_small_segments_and_consolidating_merges_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge runs inside a commit, where a curator's save waits for it: commits never merge
    into a segment over MAX_MERGED_DOCS; ``consolidate`` then merges step by step, keeping
    every document, replacement and deletion."""
    import index.text as text_module

    monkeypatch.setattr(text_module, "MAX_MERGED_DOCS", 40)
    text = TextIndex(tmp_path / "bounded")
    for start in range(0, 300, 10):
        text.add(
            [
                {"id": i, "title": f"Bowl {i}", "material": "porcelain"}
                for i in range(start, start + 10)
            ]
        )
    segments = text._index._segments()
    assert max(segment.doc_count_all() for segment in segments) <= 40
    assert len(segments) >= 300 // 40
    text.add([{"id": i, "title": f"Bowl {i}", "material": "celadon"} for i in range(0, 300, 7)])
    text.remove([1, 2, 3])
    before = {q: text.search(q, per_page=500).total for q in ("bowl", "material:celadon")}
    steps = 0
    while text.consolidate(max_docs=120):
        steps += 1
        assert steps < 50
    segments = text._index._segments()
    assert steps >= 1 and len(segments) < 300 // 40
    assert max(segment.doc_count() for segment in segments) <= 120
    assert (
        {q: text.search(q, per_page=500).total for q in before}
        == before
        == {
            "bowl": 297,
            "material:celadon": 43,
        }
    )
    assert text.count() == 297


def test_a_commit_someone_waits_for_does_not_merge(tmp_path: Path) -> None:
    """A curator's save applied ahead of a backlog commits its one document without merging
    (``merge=False``): the merge it would have run waits for the next ordinary commit."""
    import index.text as text_module

    text = TextIndex(tmp_path / "waiting")
    for start in range(0, 10 * (text_module.MERGE_FACTOR - 1), 10):
        text.add([{"id": i, "title": f"Cup {i}"} for i in range(start, start + 10)])
    before = len(text._index._segments())
    text.add([{"id": 500, "title": "Saved cup"}], merge=False)
    assert len(text._index._segments()) == before + 1  # an ordinary commit merges them
    assert text.search("saved", per_page=1).total == 1
    text.add([{"id": 501, "title": "Next cup"}])
    assert len(text._index._segments()) < before + 1
    assert text.count() == 10 * (text_module.MERGE_FACTOR - 1) + 2


def test_searchers_after_commits_reuse_unchanged_segments_and_see_every_change(
    tmp_path: Path,
) -> None:
    """Per-segment rows, lengths and postings are kept across commits (index.segment_cache);
    what changed (new documents, replacements, deletions, facet values) is still seen."""
    text = TextIndex(tmp_path / "reuse")
    text.add([{"id": i, "title": f"Dish {i}", "material": "porcelain"} for i in range(1, 41)])
    assert text.search("dish", per_page=1).total == 40
    first = text._table
    [(old_leaf, _)] = text._current_searcher().reader().leaf_readers()
    old_rows = text._segments.value(old_leaf, ("rows", first.facets), lambda: None)
    assert old_rows is not None  # read when the first table was built
    text.add([{"id": 41, "title": "Dish 41", "material": "lustreware"}])
    text.add([{"id": 5, "title": "Dish 5", "material": "lustreware"}])
    text.remove([7])
    results = text.search("dish", per_page=100, facet_limit=10)
    assert text._table is not first
    assert results.total == 40 and 7 not in {hit.id for hit in results.hits}
    materials = {facet.value: facet.count for facet in results.facets["material"]}
    assert materials == {"porcelain": 38, "lustreware": 2}
    assert text.search("material:lustreware", per_page=10).total == 2
    table = text._table
    reader = text._current_searcher().reader()
    expected = np.zeros(reader.doc_count_all(), dtype=bool)
    expected[list(reader.all_doc_ids())] = True
    assert (table.live == expected).all()
    assert sorted(table.ware_id[table.live].tolist()) == [i for i in range(1, 42) if i != 7]
    # The first segment was not read again: the new table took its rows from the cache.
    leaves = [leaf for leaf, _ in reader.leaf_readers()]
    assert any(
        text._segments.value(leaf, ("rows", table.facets), lambda: None) is old_rows
        for leaf in leaves
    )


def test_a_repeated_query_is_parsed_once_with_the_same_results_and_notes(
    index: TextIndex,
) -> None:
    first = index.search('maker:wedgwood "blue jasper')
    hits_before = index._parsed.cache_info().hits
    again = index.search('maker:wedgwood "blue jasper')
    assert index._parsed.cache_info().hits == hits_before + 1
    assert [hit.id for hit in again.hits] == [hit.id for hit in first.hits]
    assert again.notes == first.notes and again.total == first.total


def test_a_bulk_writer_merges_for_the_fewest_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest's keyword process (bulk: it holds the write lock, nobody's save waits for it)
    merges as Whoosh does; the serving writer's commits stay bounded."""
    import index.text as text_module

    monkeypatch.setattr(text_module, "MAX_MERGED_DOCS", 40)
    served, bulk = TextIndex(tmp_path / "served"), TextIndex(tmp_path / "bulk", bulk=True)
    for text in (served, bulk):
        for start in range(0, 400, 10):
            text.add([{"id": i, "title": f"Cup {i}"} for i in range(start, start + 10)])
        assert text.count() == 400
    assert len(bulk._index._segments()) < len(served._index._segments())
    assert max(segment.doc_count_all() for segment in bulk._index._segments()) > 40
