"""An image index built by the old built-in descriptor (v1) keeps working after the upgrade to
v2: queries are described with v1, new photographs join it as v1 vectors, `index verify` reports
the change, and `index rebuild` moves everything to v2."""

from __future__ import annotations

from archive.catalogue import attach_photograph, get_or_create_institution, upsert_ware
from archive.store import ImageStore
from index.descriptor import VisualDescriptor
from index.descriptor_v2 import VisualDescriptorV2
from index.service import SearchService
from index.sync import IndexSync, stored_vector_embedder
from tests.conftest import make_image_bytes

COLOURS = [(30, 60, 160), (150, 190, 160), (160, 90, 40), (200, 200, 190)]


def _add_ware(session, store, accession: str, seed: int) -> int:
    museum = get_or_create_institution(session, "Suzhou Museum")
    ware, _ = upsert_ware(
        session,
        institution=museum,
        accession_number=accession,
        fields={"title_en": f"Ware {accession}", "status": "published"},
    )
    image = make_image_bytes(colour=COLOURS[seed % len(COLOURS)], seed=seed)
    attach_photograph(session, ware, store.put(image))
    session.commit()
    return ware.id


def test_a_v1_index_answers_grows_is_reported_and_rebuilds_to_v2(settings, session_factory):
    store = ImageStore(settings.store_dir)
    with session_factory() as session:
        wares = [_add_ware(session, store, f"A-{seed}", seed) for seed in range(3)]
        # Built before the upgrade: the old descriptor's vectors.
        IndexSync(settings, VisualDescriptor()).update_wares(session, wares)
    assert stored_vector_embedder(settings) == VisualDescriptor.name

    service = SearchService(settings, session_factory)
    assert service.embedder.name == VisualDescriptorV2.name  # what is configured now
    assert service.index_embedder.name == VisualDescriptor.name  # what the index speaks
    query = make_image_bytes(colour=COLOURS[1], seed=1, quality=50)
    assert service.by_image(query).hits[0].ware_id == wares[1]

    with session_factory() as session:
        sync = IndexSync(settings)
        drift = sync.verify(session)
        vectors = drift.kinds["vectors"]
        assert not drift.clean and vectors.rebuild_reason is not None
        assert VisualDescriptor.name in vectors.rebuild_reason
        assert VisualDescriptorV2.name in vectors.rebuild_reason
        assert "potbank index rebuild" in vectors.rebuild_reason
        assert not vectors.lines  # the old index is complete, only old
        # A ware added before the rebuild joins the old index with an old vector.
        newcomer = _add_ware(session, store, "A-3", 3)
        sync.update_wares(session, [newcomer])
    assert stored_vector_embedder(settings) == VisualDescriptor.name
    assert service.by_image(make_image_bytes(colour=COLOURS[3], seed=3)).hits[0].ware_id == newcomer

    with session_factory() as session:
        counts = IndexSync(settings).rebuild(session)
        assert counts["photographs"] == 4
        assert IndexSync(settings).verify(session).clean
    assert stored_vector_embedder(settings) == VisualDescriptorV2.name
    assert service.index_embedder.name == VisualDescriptorV2.name
    assert service.by_image(query).hits[0].ware_id == wares[1]
