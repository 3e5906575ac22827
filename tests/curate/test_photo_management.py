"""A ware's photographs on the curating screen: turn, crop and undo, each photograph's caption,
alt text and rights, and how the public page, the image routes and IIIF show them."""

from __future__ import annotations

import html
import io
import re

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from archive.models import AuditEvent, Photograph, WareStatus
from tests.curate.conftest import Site
from tests.web.conftest import CC_BY

CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"


def _photo(site: Site, photo_id: int) -> Photograph:
    with site.sessions() as session:
        photo = session.get(Photograph, photo_id)
        assert photo is not None
        session.expunge(photo)
        return photo


def _size(client: FlaskClient, url: str) -> tuple[int, int]:
    response = client.get(url)
    data = response.data
    response.close()  # a file sent from the store stays open until the response is closed
    assert response.status_code == 200, url
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _publish(client: FlaskClient, token: str, ware_id: int) -> None:
    """Publish the ware's working copy (where a published ware's photograph changes wait)."""
    published = client.post(
        f"/curate/wares/{ware_id}/working-copy/publish", data={"csrf_token": token}
    )
    assert published.status_code == 302


def test_turning_a_published_photograph_shows_it_upright_everywhere(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    photo_id = ware.photographs[0].id
    sha = ware.photographs[0].sha256
    client, token = signed_in("curator")
    turned = client.post(
        f"/curate/wares/{ware.id}/photos/{photo_id}/turn", data={"csrf_token": token, "turn": "90"}
    )
    assert turned.status_code == 302
    # A published ware's turn waits in its working copy (tests/curate/test_copy_photos.py).
    assert _photo(site, photo_id).rotation == 0
    _publish(client, token, ware.id)
    photo = _photo(site, photo_id)
    assert (photo.rotation, photo.width, photo.height) == (90, 150, 200)
    assert photo.image_key != sha
    assert ware.id in site.synced  # the indexes were brought along
    page = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert "Photograph turned." in page and 'data-rotation="90"' in page
    assert _size(client, f"/curate/photos/{photo_id}/thumb.jpg") == (150, 200)

    visitor = site_client(client)
    public = visitor.get(f"/wares/{ware.id}").get_data(as_text=True)
    assert f"/images/{photo.image_key}/display.jpg" in public
    assert "original (as contributed)" in public  # not the turned size under the original
    assert _size(visitor, f"/images/{photo.image_key}/display.jpg") == (150, 200)
    # The old derivative's URL still answers with the bytes it always had.
    assert _size(visitor, f"/images/{sha}/display.jpg") == (200, 150)

    manifest = visitor.get(f"/iiif/3/manifests/ware/{ware.id}").get_json()
    canvas = manifest["items"][0]
    assert (canvas["width"], canvas["height"]) == (150, 200)
    body = canvas["items"][0]["items"][0]["body"]
    assert photo.image_key in body["id"] and photo.image_key in body["service"][0]["id"]
    info = visitor.get(f"/iiif/3/{photo.image_key}/info.json").get_json()
    assert (info["width"], info["height"]) == (150, 200)
    assert _size(visitor, f"/iiif/3/{photo.image_key}/full/max/0/default.jpg") == (150, 200)
    assert _size(visitor, f"/iiif/3/{photo.image_key}/0,0,150,100/max/0/default.jpg") == (150, 100)
    # The identifier it had is sent on to the one it has now.
    moved = visitor.get(f"/iiif/3/{sha}/info.json")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith(f"/iiif/3/{photo.image_key}/info.json")

    undone = client.post(
        f"/curate/wares/{ware.id}/photos/{photo_id}/as-contributed", data={"csrf_token": token}
    )
    assert undone.status_code == 302
    _publish(client, token, ware.id)
    photo = _photo(site, photo_id)
    assert (photo.rotation, photo.image_key, photo.width) == (0, sha, 200)


def site_client(client: FlaskClient) -> FlaskClient:
    """A visitor's client on the same app."""
    return client.application.test_client()


def test_crop_refused_outside_the_photograph_then_made_and_undone(signed_in, site: Site):
    ware = site.make_ware(photo=True)
    photo_id = ware.photographs[0].id
    client, token = signed_in("partner_a")
    url = f"/curate/wares/{ware.id}/photos/{photo_id}"

    def crop(x: str, y: str, w: str, h: str):  # type: ignore[no-untyped-def]
        values = {"x": x, "y": y, "w": w, "h": h}
        data = {f"crop-{part}-{photo_id}": value for part, value in values.items()}
        return client.post(f"{url}/crop", data={"csrf_token": token, **data}, follow_redirects=True)

    outside = crop("150", "0", "100", "50").get_data(as_text=True)
    assert "is not inside the 200×150 photograph" in html.unescape(outside)
    assert "whole numbers" in crop("a", "0", "10", "10").get_data(as_text=True)
    assert _photo(site, photo_id).crop is None
    assert crop("20", "10", "100", "50").status_code == 200
    photo = _photo(site, photo_id)
    assert (photo.crop, photo.width, photo.height) == ("20,10,100,50", 100, 50)
    assert _size(client, f"/curate/photos/{photo_id}/display.jpg") == (100, 50)
    client.post(f"{url}/uncrop", data={"csrf_token": token})
    photo = _photo(site, photo_id)
    assert (photo.crop, photo.width, photo.height) == (None, 200, 150)
    with site.sessions() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id
            )
        ).all()
    assert actions.count("show_photograph") == 2


def test_caption_alt_text_and_rights_per_photograph(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True, rights=CC_BY)
    photo_id = ware.photographs[0].id
    client, token = signed_in("curator")
    visitor = site_client(client)
    # No licence of its own: the record's CC BY applies, and the page says so.
    public = visitor.get(f"/wares/{ware.id}").get_data(as_text=True)
    rights = re.search(r'data-testid="photo-rights">(.*?)</li>', public, re.S)
    assert rights and "rights not recorded" not in rights.group(1)
    assert "CC BY 2.5" in rights.group(1) and "as the record" in rights.group(1)

    fields = {
        "caption_en": "Seen from above",
        "caption_zh": "俯视图",
        "alt_en": "A blue dish <with> shapes",
        "alt_zh": "蓝色盘子",
        "photographer": "Ada Lens",
        "licence": CC_BY_SA,
        "attribution": "",
    }
    bad = client.post(
        f"/curate/wares/{ware.id}/photos/arrange",
        data={"csrf_token": token, f"licence-{photo_id}": "all mine"},
        follow_redirects=True,
    )
    assert "rightsstatements.org URI" in bad.get_data(as_text=True)
    saved = client.post(
        f"/curate/wares/{ware.id}/photos/arrange",
        data={"csrf_token": token, **{f"{name}-{photo_id}": v for name, v in fields.items()}},
    )
    assert saved.status_code == 302
    _publish(client, token, ware.id)
    photo = _photo(site, photo_id)
    assert (photo.caption_zh, photo.alt_en, photo.licence) == (
        "俯视图",
        "A blue dish <with> shapes",
        CC_BY_SA,
    )
    with site.sessions() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None and event.action == "publish_working_copy"
        assert event.after["photograph_details"][0]["alt_zh"] == "蓝色盘子"

    public = visitor.get(f"/wares/{ware.id}").get_data(as_text=True)
    assert 'alt="A blue dish &lt;with&gt; shapes"' in public
    assert "Seen from above" in public and "Ada Lens" in public
    rights = re.search(r'data-testid="photo-rights">(.*?)</li>', public, re.S)
    assert rights and "CC BY-SA 4.0" in rights.group(1) and "as the record" not in rights.group(1)
    chinese = visitor.get(f"/wares/{ware.id}", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert 'alt="蓝色盘子"' in chinese

    canvas = visitor.get(f"/iiif/3/manifests/ware/{ware.id}").get_json()["items"][0]
    assert canvas["label"] == {"en": ["Seen from above"], "zh": ["俯视图"]}
    assert canvas["summary"]["zh"] == ["蓝色盘子"]
    assert canvas["requiredStatement"]["value"] == {"none": ["Photo: Ada Lens"]}
    assert canvas["rights"] == "http://creativecommons.org/licenses/by-sa/4.0/"
    api = visitor.get(f"/api/v1/wares/{ware.id}").get_json()
    assert api["photographs"][0]["alt_zh"] == "蓝色盘子"
    assert api["photographs"][0]["rights"] == CC_BY_SA


def test_history_shows_photographs_as_thumbnails(signed_in, site: Site):
    ware = site.make_ware(photo=True)
    photo_id = ware.photographs[0].id
    sha = ware.photographs[0].sha256
    client, token = signed_in("curator")
    client.post(
        f"/curate/wares/{ware.id}/photos/{photo_id}/turn", data={"csrf_token": token, "turn": "180"}
    )
    client.post(f"/curate/wares/{ware.id}/photos/{photo_id}/delete", data={"csrf_token": token})
    page = client.get(f"/curate/wares/{ware.id}/history").get_data(as_text=True)
    thumbs = re.findall(r'src="(/curate/wares/\d+/history/photos/([0-9a-f]{12})\.jpg)"', page)
    digests = {digest for _, digest in thumbs}
    assert sha[:12] in digests and len(digests) == 2  # as contributed, and as turned
    for url, _digest in thumbs:
        assert _size(client, url)  # even now the photograph is removed
    assert client.get(f"/curate/wares/{ware.id}/history/photos/{'0' * 12}.jpg").status_code == 404
    other = site.make_ware(photo=True)
    # A digest of another ware's photograph is not served through this ware's history.
    digest = other.photographs[0].sha256[:12]
    assert client.get(f"/curate/wares/{ware.id}/history/photos/{digest}.jpg").status_code == 404


def test_a_review_snapshot_from_before_photo_details_shows_no_change_of_them(app):
    from web.curate.history import changes_of

    old = {"title_en": "Dish", "photographs": ["front 0123456789ab"]}
    new = {**old, "photograph_details": [{"photo": "0123456789ab", "rotation": 90}]}
    with app.test_request_context("/"):
        assert changes_of(old, new) == []
        turned = changes_of({**new, "photograph_details": [{"photo": "0123456789ab"}]}, new)
    assert [change.after_photos for change in turned] == [("0123456789ab",)]
    assert "90" in turned[0].after


def test_bad_photo_input_is_refused_with_a_reason_and_changes_nothing(signed_in, site: Site):
    ware = site.make_ware(photo=True)
    photo_id = ware.photographs[0].id
    client, token = signed_in("curator")
    url = f"/curate/wares/{ware.id}/photos"
    turned = client.post(
        f"{url}/{photo_id}/turn", data={"csrf_token": token, "turn": "45"}, follow_redirects=True
    )
    assert turned.status_code == 200 and "90, 180 or 270" in turned.get_data(as_text=True)
    too_long = client.post(
        f"{url}/arrange",
        data={"csrf_token": token, f"alt_en-{photo_id}": "x" * 600, f"caption_en-{photo_id}": "c"},
        follow_redirects=True,
    )
    assert too_long.status_code == 200 and "at most 500" in too_long.get_data(as_text=True)
    photo = _photo(site, photo_id)
    assert (photo.rotation, photo.alt_en, photo.caption_en) == (0, None, None)
    # Another ware's photograph is not reachable through this ware.
    other = site.make_ware(photo=True).photographs[0].id
    assert (
        client.post(f"{url}/{other}/turn", data={"csrf_token": token, "turn": "90"}).status_code
        == 404
    )
    # Without the form's token nothing is turned.
    assert client.post(f"{url}/{photo_id}/turn", data={"turn": "90"}).status_code == 400
    assert _photo(site, photo_id).rotation == 0
