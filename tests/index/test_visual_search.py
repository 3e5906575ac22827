"""Search by photograph through every stage, on a real instance (SQLite and PostgreSQL): a
sherd finds its ware, a mark finds marks, and an unrelated photograph finds nothing close."""

from __future__ import annotations

import json

import pytest

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.store import ImageStore
from index import visual_index
from index.form import FormDescriptor
from index.mark_likeness import MarkDescriber, mark_features
from index.service import SearchService
from index.sync import IndexSync, current_generation
from index.visual_index import LocalFeatureSync, feature_dir
from index.visual_search import REASON_MARK, REASON_SAME
from tests.index.visual_images import mark_bytes, sherd_bytes, unrelated_bytes, ware_bytes

WARES = 6


@pytest.fixture
def collection(settings, session_factory):
    """Six decorated wares, three wares with a mark photograph of one reign and one of
    another, and a draft ware whose photograph must never be found."""
    store = ImageStore(settings.store_dir)
    ids: dict[str, int] = {}
    with session_factory() as session:
        museum = get_or_create_institution(session, "Jingdezhen Museum")

        def add(accession: str, data: bytes, status: str = "published", **photo: str) -> None:
            ware, _ = upsert_ware(
                session,
                institution=museum,
                accession_number=accession,
                fields={"title_en": accession, "status": status},
            )
            attach_photograph(session, ware, store.put(data), **photo)
            ids[accession] = ware.id

        for seed in range(WARES):
            add(f"W-{seed}", ware_bytes(seed))
        for variant in range(3):
            add(f"M-{variant}", mark_bytes(1, variant), view="mark")
        add("M-other", mark_bytes(2, 0), view="mark")
        add("D-draft", ware_bytes(99), status="draft")
        session.commit()
        IndexSync(settings).update_wares(session, ids.values())
    return ids


def test_a_sherd_finds_its_ware_first_with_the_matched_region(
    settings, session_factory, collection
):
    service = SearchService(settings, session_factory)
    for seed in (1, 4):
        page = service.by_image(sherd_bytes(seed, area=0.2))
        top = page.hits[0]
        assert top.ware_id == collection[f"W-{seed}"]
        assert top.reason == REASON_SAME and top.matches >= 15
        # The sherd came from the middle of the 900 × 1200 photograph, a fifth of its area.
        x, y, w, h = top.region
        assert 150 <= x + w / 2 <= 750 and 300 <= y + h / 2 <= 950
        assert w * h <= 0.5 * 900 * 1200


def test_a_mark_finds_the_marks_of_its_kind_before_anything_else(
    settings, session_factory, collection
):
    service = SearchService(settings, session_factory)
    page = service.by_image(mark_bytes(1, 5, turn=20))
    same_reign = {collection[f"M-{variant}"] for variant in range(3)}
    assert {hit.ware_id for hit in page.hits[:3]} == same_reign
    only_marks = service.by_image(mark_bytes(1, 5, turn=20), view="mark")
    marks = same_reign | {collection["M-other"]}
    assert only_marks.hits and {hit.ware_id for hit in only_marks.hits} <= marks


def test_a_mark_query_lists_the_other_marks_and_a_ware_query_none(
    settings, session_factory, collection
):
    """A new photograph of a mark is taken for one (it verifies the marks of its reign, and
    looks like the labelled marks), so the mark of the other reign, which matches it neither
    closely nor by geometry, is listed after them as another mark; a ware lists no marks."""
    service = SearchService(settings, session_factory)
    page = service.by_image(mark_bytes(1, 5, turn=20))
    listed = [(hit.ware_id, hit.reason) for hit in page.hits]
    assert (collection["M-other"], REASON_MARK) in listed[3:]
    marks = {collection[f"M-{variant}"] for variant in range(3)} | {collection["M-other"]}
    ware_page = service.by_image(ware_bytes(2))
    assert ware_page.hits[0].ware_id == collection["W-2"]
    assert not marks & {hit.ware_id for hit in ware_page.hits}


def test_an_upload_is_described_for_mark_likeness_only_when_the_search_needs_it(
    settings, session_factory, collection, monkeypatch
):
    # The real describer, counted: a ware found by geometry is that ware, so nothing asks
    # whether it looks like a mark; a mark query describes it once, to rank the other marks.
    calls = []

    def counted(picture):
        calls.append(picture.size)
        return mark_features(picture)

    monkeypatch.setattr(visual_index, "mark_features", counted)
    service = SearchService(settings, session_factory)
    assert service.by_image(ware_bytes(2)).hits[0].ware_id == collection["W-2"]
    assert calls == []
    page = service.by_image(mark_bytes(1, 5, turn=20))
    assert (collection["M-other"], REASON_MARK) in [(hit.ware_id, hit.reason) for hit in page.hits]
    assert len(calls) == 1


def test_similar_wares_of_a_mark_are_marks(settings, session_factory, collection):
    similar = SearchService(settings, session_factory).similar_hits(collection["M-0"])
    assert {hit.ware_id for hit in similar[:2]} == {collection["M-1"], collection["M-2"]}
    assert all(hit.reason for hit in similar)


def test_an_unrelated_photograph_gets_nothing_close_instead_of_the_collection(
    settings, session_factory, collection
):
    page = SearchService(settings, session_factory).by_image(unrelated_bytes())
    assert page.nothing_close and page.total == 0 and not page.hits


def test_drafts_are_never_found_and_verify_checks_the_local_index(
    settings, session_factory, collection
):
    service = SearchService(settings, session_factory)
    found = {hit.ware_id for hit in service.by_image(ware_bytes(99)).hits}
    assert collection["D-draft"] not in found
    sync = IndexSync(settings)
    with session_factory() as session:
        assert sync.verify(session).clean
        local = LocalFeatureSync(feature_dir(current_generation(settings).path), sync.store)
        local.fresh().save()
        drift = sync.verify(session)
        assert drift.kinds["local"].lines[0].startswith(f"{WARES + 4} photographs missing")
        assert any("local-feature index" in line for line in drift.lines())
        sync.rebuild(session)
        assert sync.verify(session).clean


def test_verify_reports_form_vectors_of_another_describer_and_rebuild_mends_them(
    settings, session_factory, collection
):
    """A form index made by an older describer is reported (not emptied) by verify, with the
    rebuild that replaces it."""
    meta = feature_dir(current_generation(settings).path) / "form.faiss.json"
    stored = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**stored, "embedder": "potbank-form-v0"}), encoding="utf-8")
    sync = IndexSync(settings)
    with session_factory() as session:
        reason = sync.verify(session).kinds["local"].rebuild_reason
        assert reason is not None and "potbank index rebuild" in reason
        assert "potbank-form-v0" in reason and FormDescriptor.name in reason
        assert json.loads(meta.read_text(encoding="utf-8"))["embedder"] == "potbank-form-v0"
        sync.rebuild(session)
        assert sync.verify(session).clean
    rebuilt = feature_dir(current_generation(settings).path) / "form.faiss.json"
    assert json.loads(rebuilt.read_text(encoding="utf-8"))["embedder"] == FormDescriptor.name


def test_verify_reports_mark_likeness_of_another_version_and_rebuild_mends_it(
    settings, session_factory, collection
):
    meta = feature_dir(current_generation(settings).path) / "marks.faiss.json"
    stored = json.loads(meta.read_text(encoding="utf-8"))
    meta.write_text(json.dumps({**stored, "embedder": "potbank-mark-likeness-v0"}), "utf-8")
    sync = IndexSync(settings)
    with session_factory() as session:
        reason = sync.verify(session).kinds["local"].rebuild_reason
        assert reason is not None and "potbank-mark-likeness-v0" in reason
        assert MarkDescriber.name in reason and "mark-likeness index" in reason
        sync.rebuild(session)
        assert sync.verify(session).clean
    rebuilt = feature_dir(current_generation(settings).path) / "marks.faiss.json"
    assert json.loads(rebuilt.read_text(encoding="utf-8"))["embedder"] == MarkDescriber.name


def test_verify_reports_an_inverted_file_of_the_first_layout_and_rebuild_mends_it(
    settings, session_factory, collection, monkeypatch
):
    """An inverted file built before the vocabulary layout (its meta.json names no layout) is
    reported by verify, still searched meanwhile, and rebuilt in the current layout."""
    from index import feature_index

    # These photographs' keypoints: an inverted file, of the vocabulary layout.
    monkeypatch.setattr(feature_index, "APPROXIMATE_FROM", 500)
    monkeypatch.setattr(feature_index, "VOCABULARY_FROM", 500)
    sync = IndexSync(settings)
    with session_factory() as session:
        sync.rebuild(session)
        meta_path = feature_dir(current_generation(settings).path) / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        assert meta["kind"].startswith("ivf") and meta["layout"] == feature_index.LAYOUT
        assert sync.verify(session).clean
        del meta["layout"]
        meta_path.write_text(json.dumps(meta), encoding="utf-8")
        reason = sync.verify(session).kinds["local"].rebuild_reason
        assert reason is not None and "potbank index rebuild" in reason
        assert "potbank-keypoint-lists-v1" in reason and feature_index.LAYOUT in reason
        page = SearchService(settings, session_factory).by_image(sherd_bytes(1, area=0.2))
        assert page.hits[0].ware_id == collection["W-1"]
        sync.rebuild(session)
        assert sync.verify(session).clean
    rebuilt = feature_dir(current_generation(settings).path) / "meta.json"
    assert json.loads(rebuilt.read_text(encoding="utf-8"))["layout"] == feature_index.LAYOUT
