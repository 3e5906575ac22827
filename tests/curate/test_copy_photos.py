"""Photograph changes to a published ware wait in its working copy: a new photograph, a
removal, captions, turns and crops stay off every public door (page, API, IIIF, search) until
the changes are published, are dropped by Discard, and a ware not published changes at once."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.curation import DuplicateHold, WareDraft
from archive.models import AuditEvent, Photograph, Ware, WareStatus
from archive.store import ImageStore
from tests.conftest import make_image_bytes
from tests.curate.conftest import YES, Site

NEW = make_image_bytes(colour=(200, 30, 30), size=(300, 200))


def _upload(client: FlaskClient, token: str, ware_id: int, data: bytes = NEW) -> str:
    answer = client.post(
        f"/curate/wares/{ware_id}/photos",
        data={"csrf_token": token, "photos": (io.BytesIO(data), "new.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _status(client: FlaskClient, url: str) -> int:
    answer = client.get(url)
    answer.close()  # a file sent is closed with its response
    return answer.status_code


def _digests(site: Site, ware_id: int) -> list[str]:
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None
        return [photo.sha256 for photo in ware.photographs]


def _copy(site: Site, ware_id: int) -> WareDraft | None:
    with site.sessions() as session:
        return session.scalar(select(WareDraft).where(WareDraft.ware_id == ware_id))


def _public_digests(client: FlaskClient, ware_id: int) -> str:
    """Everything a visitor gets about the ware: API record, page and IIIF manifest."""
    return "".join(
        client.get(url).get_data(as_text=True)
        for url in (
            f"/api/v1/wares/{ware_id}",
            f"/wares/{ware_id}",
            f"/iiif/3/manifests/ware/{ware_id}",
            f"/oai?verb=GetRecord&metadataPrefix=lido&identifier=oai:potbank.local:wares/{ware_id}",
        )
    )


def test_a_new_photograph_stays_private_until_published(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    client, token = signed_in("curator")
    before = _digests(site, ware.id)
    page = _upload(client, token, ware.id)
    assert "added to the working copy" in page and 'data-testid="photo-pending"' in page
    assert _digests(site, ware.id) == before  # the ware itself is unchanged
    draft = _copy(site, ware.id)
    assert draft is not None and draft.photographs is not None and len(draft.photographs) == 2
    new = draft.photographs[1]
    # The curator sees a preview from the store; a visitor gets nothing of it.
    preview = client.get(f"/curate/wares/{ware.id}/working-copy/photos/{new['sha256']}/thumb.jpg")
    preview.close()
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    partner, _token = signed_in("partner_a")  # may not edit a published ware
    assert _status(partner, preview.request.path) == 403
    visitor = _visitor(client)
    assert new["sha256"] not in _public_digests(visitor, ware.id)
    assert _status(visitor, f"/images/{new['sha256']}/thumb.jpg") == 404
    assert _status(visitor, f"/iiif/3/{new['sha256']}/info.json") == 404
    preview_url = f"/curate/wares/{ware.id}/working-copy/photos/{new['sha256']}/thumb.jpg"
    assert _status(visitor, preview_url) != 200  # signed out: sent to sign in
    # The comparison with the public version shows it, from the history's thumbnails.
    compared = client.get(f"/curate/wares/{ware.id}/working-copy/compare").get_data(as_text=True)
    thumb = f"/curate/wares/{ware.id}/history/photos/{new['sha256'][:12]}.jpg"
    assert thumb in compared and _status(client, thumb) == 200
    assert _status(partner, thumb) == 404  # sees the ware, may not edit it: not its copy
    assert ware.id not in site.synced

    published = client.post(
        f"/curate/wares/{ware.id}/working-copy/publish",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Changes published." in published.get_data(as_text=True)
    assert _digests(site, ware.id) == [*before, new["sha256"]]
    assert _copy(site, ware.id) is None
    assert new["sha256"] in _public_digests(visitor, ware.id)
    assert _status(visitor, f"/images/{new['sha256']}/thumb.jpg") == 200
    assert ware.id in site.synced  # the indexes were brought along
    with site.sessions() as session:
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.action == "publish_working_copy"
        assert len(last.after["photographs"]) == 2
    history = client.get(f"/curate/wares/{ware.id}/history").get_data(as_text=True)
    assert "Photograph added to the working copy" in history
    assert "Working copy published" in history


def _visitor(client: FlaskClient) -> FlaskClient:
    return client.application.test_client()


def test_removal_caption_and_turn_wait_for_publishing(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    client, token = signed_in("curator")
    _upload(client, token, ware.id)
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    with site.sessions() as session:
        photos = session.scalars(
            select(Photograph).where(Photograph.ware_id == ware.id).order_by(Photograph.position)
        ).all()
        first, second = photos[0].id, photos[1].id
        first_sha = photos[0].sha256
    visitor = _visitor(client)

    asked = client.post(
        f"/curate/wares/{ware.id}/photos/{first}/delete", data={"csrf_token": token}
    )
    assert asked.status_code == 200 and "keeps it until you publish" in asked.get_data(as_text=True)
    client.post(f"/curate/wares/{ware.id}/photos/{first}/delete", data={"csrf_token": token, **YES})
    client.post(
        f"/curate/wares/{ware.id}/photos/arrange",
        data={"csrf_token": token, f"position-{second}": "1", f"caption_en-{second}": "Red glaze"},
    )
    client.post(
        f"/curate/wares/{ware.id}/photos/{second}/turn", data={"csrf_token": token, "turn": "90"}
    )
    # The public still has both photographs, untouched.
    public = _public_digests(visitor, ware.id)
    assert first_sha in public and "Red glaze" not in public
    with site.sessions() as session:
        photo = session.get(Photograph, second)
        assert photo is not None and photo.rotation == 0 and photo.caption_en is None
    page = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert 'data-testid="photos-removed"' in page and "Red glaze" in page
    assert 'data-rotation="90"' in page

    compared = client.get(f"/curate/wares/{ware.id}/working-copy/compare")
    assert compared.status_code == 200

    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    with site.sessions() as session:
        remaining = session.scalars(select(Photograph).where(Photograph.ware_id == ware.id)).all()
        assert [p.id for p in remaining] == [second]
        assert (remaining[0].rotation, remaining[0].caption_en) == (90, "Red glaze")
        assert (remaining[0].width, remaining[0].height) == (200, 300)
    public = _public_digests(visitor, ware.id)
    assert first_sha not in public and "Red glaze" in public


def test_discard_drops_pending_photographs_and_undo_brings_them_back(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    client, token = signed_in("curator")
    before = _digests(site, ware.id)
    _upload(client, token, ware.id)
    discarded = client.post(
        f"/curate/wares/{ware.id}/working-copy/discard",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    assert "Changes discarded." in discarded.get_data(as_text=True)
    assert _copy(site, ware.id) is None and _digests(site, ware.id) == before
    with site.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "discard_working_copy")
        ).one()
        event_id = event.id
    client.post(
        f"/curate/wares/{ware.id}/working-copy/undo-discard/{event_id}", data={"csrf_token": token}
    )
    draft = _copy(site, ware.id)
    assert draft is not None and draft.photographs is not None and len(draft.photographs) == 2
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    assert len(_digests(site, ware.id)) == 2


def test_a_field_edit_and_photographs_publish_together(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    client, token = signed_in("curator")
    _upload(client, token, ware.id)
    # Autosaving the form keeps the pending photographs in the copy.
    client.post(
        f"/curate/wares/{ware.id}/working-copy",
        data={
            "csrf_token": token,
            "accession_number": ware.accession_number,
            "title_en": "Kept together",
            "rights": ware.rights or "",
        },
    )
    draft = _copy(site, ware.id)
    assert draft is not None and draft.photographs is not None
    assert draft.values["title_en"] == "Kept together"
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None and record.title_en == "Kept together"
        assert len(record.photographs) == 2


def test_a_ware_not_published_changes_at_once(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.DRAFT, photo=True)
    client, token = signed_in("curator")
    _upload(client, token, ware.id)
    assert len(_digests(site, ware.id)) == 2
    assert _copy(site, ware.id) is None


def test_a_copied_photograph_is_flagged_when_published(signed_in, site: Site):
    other = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    client, token = signed_in("curator")
    with site.sessions() as session:
        original = session.get(Ware, other.id)
        assert original is not None
        digest = original.photographs[0].sha256
    store = ImageStore(site.settings.store_dir, site.settings.max_image_pixels)
    copied = store.original_path(digest, "jpg").read_bytes()
    page = _upload(client, token, ware.id, copied)
    assert "possible duplicate" in page
    published = client.post(
        f"/curate/wares/{ware.id}/working-copy/publish",
        data={"csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "possible duplicate" in published and other.accession_number in published


def test_the_new_ware_form_is_kept_in_the_browser_until_created(signed_in, site: Site):
    client, token = signed_in("curator")
    form = client.get("/curate/wares/new").get_data(as_text=True)
    key = re.search(r'data-local-draft="(potbank:new-ware:\d+)"', form)
    assert key and 'data-testid="local-draft-offer"' in form
    created = client.post(
        "/curate/wares/new",
        data={
            "csrf_token": token,
            "accession_number": "LD-1",
            "title_en": "Kept bowl",
            "institution": "Capital Museum, Beijing",
        },
    )
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert f'data-local-draft-clear="{key.group(1)}"' in page  # the browser forgets it
    again = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "data-local-draft-clear" not in again  # once only
    other, _token = signed_in("admin")
    theirs = other.get("/curate/wares/new").get_data(as_text=True)
    assert key.group(1) not in theirs  # one kept form per account


def test_a_removal_in_the_working_copy_can_be_undone(signed_in, site: Site):
    ware = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    photo_id = ware.photographs[0].id
    client, token = signed_in("curator")
    page = client.post(
        f"/curate/wares/{ware.id}/photos/{photo_id}/delete",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    ).get_data(as_text=True)
    draft = _copy(site, ware.id)
    assert draft is not None and draft.photographs == []
    assert _digests(site, ware.id) == [ware.photographs[0].sha256]  # still public
    undo = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="undo"', page)
    assert undo and "/photos/copy-undo/" in undo.group(1)
    client.post(undo.group(1), data={"csrf_token": token})
    # Back as it was: the copy had nothing else, so there is nothing left to publish.
    assert _copy(site, ware.id) is None
    again = client.post(undo.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing had changed." in again.get_data(as_text=True)  # it is there already
    assert _copy(site, ware.id) is None


def test_a_copy_applied_after_unpublishing_is_held_for_review(signed_in, site: Site):
    other = site.make_ware(status=WareStatus.PUBLISHED, photo=True)
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    client, token = signed_in("curator")
    store = ImageStore(site.settings.store_dir, site.settings.max_image_pixels)
    copied = store.original_path(other.photographs[0].sha256, "jpg").read_bytes()
    _upload(client, token, ware.id, copied)
    client.post(f"/curate/wares/{ware.id}/unpublish", data={"csrf_token": token, **YES})
    # Its photographs still go to the copy (they stay together), and applying it holds the ware.
    assert _digests(site, ware.id) == []
    applied = client.post(
        f"/curate/wares/{ware.id}/working-copy/publish",
        data={"csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "held for review" in applied
    with site.sessions() as session:
        hold = session.scalars(select(DuplicateHold).where(DuplicateHold.ware_id == ware.id)).one()
        assert hold.match_ware_id == other.id
