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
