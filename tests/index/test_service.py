"""The search facade over a real instance: keyword, image, words-to-image and hybrid search."""

from __future__ import annotations

import pytest

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.store import ImageStore
from index.embedders import ClipEmbedder
from index.service import SearchService
from index.sync import IndexSync
from tests.conftest import make_image_bytes
from tests.index.conftest import TINY

BLUE = (30, 60, 160)
CELADON = (150, 190, 160)


@pytest.fixture
def catalogue(settings, session_factory):
    """Three published wares with a photograph each and one draft, indexed."""
    store = ImageStore(settings.store_dir)
    wares = {}
    with session_factory() as session:
        museum = get_or_create_institution(session, "Shanghai Museum")
        for accession, title, colour, material, status in (
            ("B-1", "Blue and white dish", BLUE, "porcelain", "published"),
            ("C-1", "Celadon vase 青瓷", CELADON, "stoneware", "published"),
            ("C-2", "Celadon bowl", CELADON, "porcelain", "published"),
            ("D-1", "Blue and white draft jar", BLUE, "porcelain", "draft"),
        ):
            ware, _ = upsert_ware(
                session,
                institution=museum,
                accession_number=accession,
                fields={"title_en": title, "material": material, "status": status},
            )
            seed = len(wares)
            attach_photograph(session, ware, store.put(make_image_bytes(colour=colour, seed=seed)))
            wares[accession] = ware.id
        session.commit()
        IndexSync(settings).update_wares(session, wares.values())
    return wares


def test_keyword_search_finds_published_wares_only(settings, session_factory, catalogue):
    page = SearchService(settings, session_factory).search("blue and white", mode="keyword")
    assert [hit.ware_id for hit in page.hits] == [catalogue["B-1"]]
    assert page.hits[0].sources == ("keyword",)


def test_image_search_ranks_the_same_photograph_first_and_applies_filters(
    settings, session_factory, catalogue
):
    service = SearchService(settings, session_factory)
    query = make_image_bytes(colour=CELADON, seed=1, quality=40)
    page = service.search("", image=query, mode="visual")
    assert page.hits[0].ware_id == catalogue["C-1"]
    assert catalogue["D-1"] not in [hit.ware_id for hit in page.hits]
    filtered = service.by_image(query, filters={"material": ["porcelain"]})
    assert catalogue["C-1"] not in [hit.ware_id for hit in filtered.hits]
    assert catalogue["C-2"] in [hit.ware_id for hit in filtered.hits]


def test_similar_wares_exclude_the_ware_itself(settings, session_factory, catalogue):
    similar = SearchService(settings, session_factory).similar(catalogue["C-1"])
    assert catalogue["C-1"] not in similar
    assert similar and set(similar) <= {catalogue["B-1"], catalogue["C-2"]}


def test_hybrid_fuses_words_and_photograph_and_says_who_found_what(
    settings, session_factory, catalogue
):
    service = SearchService(settings, session_factory)
    page = service.search("celadon", image=make_image_bytes(colour=BLUE, seed=0), mode="hybrid")
    sources = {hit.ware_id: set(hit.sources) for hit in page.hits}
    assert sources[catalogue["C-1"]] >= {"keyword", "visual"}
    assert sources[catalogue["B-1"]] == {"visual"}


def test_words_to_photographs_needs_clip_and_says_so(settings, session_factory, catalogue):
    service = SearchService(settings, session_factory)
    with pytest.raises(ValueError, match="needs CLIP"):
        service.search("a blue dish", mode="visual")
    # Without CLIP a hybrid search by words is the keyword search.
    assert service.search("celadon", mode="hybrid").mode == "keyword"
    assert service.embedder_status()["kind"] == "descriptor"


@pytest.mark.slow
def test_with_clip_words_search_photographs_and_join_the_fusion(
    settings, session_factory, catalogue, tiny_checkpoint
):
    clip = ClipEmbedder(TINY, str(tiny_checkpoint))
    with session_factory() as session:
        IndexSync(settings, clip).rebuild(session)
    service = SearchService(settings, session_factory, embedder=clip)
    assert service.embedder_status()["kind"] == "clip"
    by_words = service.search("a celadon vase", mode="visual")
    assert {hit.ware_id for hit in by_words.hits} == {
        catalogue["B-1"],
        catalogue["C-1"],
        catalogue["C-2"],
    }
    assert by_words.hits[0].sources == ("clip-text",)
    hybrid = service.search("celadon", mode="hybrid")
    found = {hit.ware_id: set(hit.sources) for hit in hybrid.hits}
    assert found[catalogue["C-1"]] == {"keyword", "clip-text"}
