"""An image store that cannot write, seen from the web: the bulk job fails its rows and says so,
a single upload gets a plain message; neither shows a server path or an exception."""

from __future__ import annotations

import io

from sqlalchemy import select

from archive.models import Ware, WareStatus
from tests.conftest import make_image_bytes
from tests.curate.conftest import Site
from tests.curate.test_bulk import _csv, _upload, _zip
from tests.ingest.test_unwritable_store import break_store
from tests.web.conftest import CC_BY


def test_a_bulk_job_fails_the_rows_whose_photographs_cannot_be_stored(signed_in, site: Site):
    client, token = signed_in("curator")
    break_store(site.settings)
    records = _csv(
        [
            {"accession_number": "U-1", "title_en": "Vase", "rights": CC_BY, "images": "v.jpg"},
            {"accession_number": "U-2", "title_en": "Bowl without photo", "rights": CC_BY},
        ]
    )
    photos = _zip({"v.jpg": make_image_bytes(seed=31)})
    job_id = _upload(client, token, records, "w.csv", photos, institution="Capital Museum, Beijing")
    status = client.get(f"/curate/bulk/{job_id}/status").get_json()
    assert status["status"] == "failed"
    page = client.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
    assert "1 rows were not loaded because the image store could not save" in page
    assert "the image store could not save the photograph" in page
    assert str(site.settings.home) not in page and "Traceback" not in page
    with site.sessions() as session:
        numbers = set(
            session.scalars(select(Ware.accession_number).where(Ware.accession_number.like("U-%")))
        )
    assert numbers == {"U-2"}


def test_a_single_upload_to_a_broken_store_gets_a_plain_message(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.DRAFT)
    break_store(site.settings)
    response = client.post(
        f"/curate/wares/{ware.id}/photos",
        data={"csrf_token": token, "photos": [(io.BytesIO(make_image_bytes(seed=3)), "p.jpg")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "the archive could not save this photograph just now" in page
    assert str(site.settings.home) not in page
    with site.sessions() as session:
        assert not session.get(Ware, ware.id).photographs  # type: ignore[union-attr]
