"""The indexes follow the curating pages: publishing adds a ware, unpublishing and deleting take
it out (an edit of a published ware reaches them when its working copy is published:
test_safe_edits). Runs the real index update."""

from __future__ import annotations

from flask import Flask

from archive.settings import Settings
from index.sync import text_index_for
from tests.curate.conftest import Site, sign_in


def _indexed(settings: Settings) -> set[int]:
    index = text_index_for(settings)
    try:
        return set(index.ids())
    finally:
        index.close()


def test_publish_edit_unpublish_and_delete_reach_the_index(real_app: Flask, site: Site):
    client = real_app.test_client()
    token = sign_in(client, "curator")
    ware = site.make_ware(photo=True)
    assert ware.id not in _indexed(site.settings)
    client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    assert ware.id in _indexed(site.settings)
    # The public search (the real facade) finds it by its title straight away.
    found = client.get(f"/api/v1/search?q={ware.title_en}").get_json()["results"]
    assert [r["id"] for r in found] == [ware.id]
    client.post(
        f"/curate/wares/{ware.id}/unpublish", data={"csrf_token": token, "confirmed": "yes"}
    )
    assert ware.id not in _indexed(site.settings)
    assert client.get(f"/api/v1/search?q={ware.title_en}").get_json()["total"] == 0
    client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    client.post(f"/curate/wares/{ware.id}/delete", data={"csrf_token": token, "confirmed": "yes"})
    assert ware.id not in _indexed(site.settings)
    client.post(f"/curate/wares/{ware.id}/restore", data={"csrf_token": token})
    assert ware.id in _indexed(site.settings)


def test_a_turned_photograph_is_described_afresh_by_every_visual_index(real_app: Flask, site: Site):
    import numpy as np

    from archive.models import WareStatus
    from index.generations import Generations
    from index.sync import IndexSync
    from index.visual_index import open_feature_index, open_form_index

    def described(photo_id: int) -> tuple[np.ndarray, np.ndarray, bool]:
        folder = Generations(site.settings.index_dir).current().path
        vectors = IndexSync(site.settings).open_vectors(folder)
        forms = open_form_index(folder)
        features = open_feature_index(folder)
        assert forms is not None and features is not None
        return vectors.vector(photo_id), forms.vector(photo_id), photo_id in features

    client = real_app.test_client()
    token = sign_in(client, "curator")
    ware = site.make_ware(photo=True)
    photo_id = ware.photographs[0].id
    client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    assert ware.status is WareStatus.DRAFT  # the fixture's copy; the catalogue's is published
    vector, form, has_features = described(photo_id)
    assert has_features
    client.post(
        f"/curate/wares/{ware.id}/photos/{photo_id}/turn", data={"csrf_token": token, "turn": "90"}
    )
    # The ware is public: the turn waits in its working copy, the indexes describe it as it was.
    waiting, waiting_form, _features = described(photo_id)
    assert np.allclose(vector, waiting) and np.allclose(form, waiting_form)
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    turned_vector, turned_form, still_has_features = described(photo_id)
    assert still_has_features
    # Described from the turned derivatives, not left as they were.
    assert not np.allclose(vector, turned_vector)
    assert not np.allclose(form, turned_form)
