"""Places as an authority list: counts, and renaming (merging) a place as an undoable batch."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from archive.models import Ware
from tests.curate.conftest import Site
from web.curate import batch_jobs

SignedIn = Callable[[str], tuple[FlaskClient, str]]


def test_rename_a_place_on_every_ware_then_undo(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    second = site.make_ware().id
    with site.sessions() as session:
        session.get(Ware, second).place = "Jingdezhen"
        session.commit()
    page = client.get("/curate/places").get_data(as_text=True)
    assert "Jingdezhen" in page and "<td><a" in page
    response = client.post(
        "/curate/places/rename", data={"place": "Jingdezhen", "to": "景德镇", "csrf_token": token}
    )
    assert response.status_code == 302 and "/curate/batch/" in response.headers["Location"]
    assert batch_jobs.wait_all()
    with site.sessions() as session:
        assert {session.get(Ware, i).place for i in (site.catalogue.vase, second)} == {"景德镇"}
    undo = client.post(response.headers["Location"] + "/undo", data={"csrf_token": token})
    assert undo.status_code == 302
    assert batch_jobs.wait_all()
    with site.sessions() as session:
        assert session.get(Ware, second).place == "Jingdezhen"
    for data in ({"place": "Nowhere", "to": "X"}, {"place": "", "to": "X"}):
        refused = client.post("/curate/places/rename", data={**data, "csrf_token": token})
        assert refused.headers["Location"].endswith("/curate/places")
