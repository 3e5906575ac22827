"""The main curating flows through the test client: edit and publish, submit and review."""

from __future__ import annotations

import io

from sqlalchemy import select

from archive.curation import ReviewDecision, ReviewNote
from archive.models import AuditEvent, Ware, WareStatus
from tests.conftest import make_image_bytes
from tests.curate.conftest import Site
from tests.web.conftest import CC_BY

RECORD = {
    "accession_number": "NEW-1",
    "collection": "Blue and white",
    "title_en": "Moon flask",
    "title_zh": "抱月瓶",
    "object_type": "flask",
    "year_earliest": "1736",
    "year_latest": "1795",
    "height_cm": "30.5",
    "description_en": "Painted in cobalt blue.",
    "description_zh": "青花。",
    "rights": CC_BY,
    "maker_name": ["Jingdezhen imperial kilns", "Tang Ying"],
    "maker_role": ["manufacturer", "designer"],
    "maker_qualifier": ["", "supervisor"],
}


def _location_id(response) -> int:  # type: ignore[no-untyped-def]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_curator_creates_edits_adds_photographs_and_publishes(signed_in, site: Site):
    client, token = signed_in("curator")
    created = client.post(
        "/curate/wares/new",
        data={**RECORD, "csrf_token": token, "institution": "Capital Museum, Beijing"},
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    ware_id = _location_id(created)
    upload = client.post(
        f"/curate/wares/{ware_id}/photos",
        data={
            "csrf_token": token,
            "view": "front",
            "photographer": "Alex Amies",
            "licence": CC_BY,
            "photos": [
                (io.BytesIO(make_image_bytes(seed=11)), "front.jpg"),
                (io.BytesIO(make_image_bytes(seed=12, fmt="PNG")), "base.png"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None
        photos = [photo.id for photo in ware.photographs]
        assert [credit.role.value for credit in ware.makers] == ["manufacturer", "designer"]
        assert ware.collection is not None and ware.collection.name == "Blue and white"
        assert {photo.photographer for photo in ware.photographs} == {"Alex Amies"}
    assert len(photos) == 2
    arranged = client.post(
        f"/curate/wares/{ware_id}/photos/arrange",
        data={
            "csrf_token": token,
            f"position-{photos[0]}": "1",
            f"position-{photos[1]}": "2",
            f"view-{photos[1]}": "base",
            "main": str(photos[1]),
        },
    )
    assert arranged.status_code == 302
    edited = client.post(
        f"/curate/wares/{ware_id}",
        data={**RECORD, "title_en": "Moon flask with emblems", "csrf_token": token},
    )
    assert edited.status_code == 302
    published = client.post(f"/curate/wares/{ware_id}/publish", data={"csrf_token": token})
    assert published.status_code == 302
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None
        assert ware.status is WareStatus.PUBLISHED
        assert ware.title_en == "Moon flask with emblems"
        assert ware.photographs[0].id == photos[1]
        assert ware.photographs[0].view.value == "base"
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware_id)
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "create",
        "add_photograph",
        "add_photograph",
        "arrange_photographs",
        "update",
        "publish",
    ]
    assert ware_id in site.synced
    public = client.get(f"/wares/{ware_id}")
    assert public.status_code == 200
    assert "Moon flask with emblems" in public.get_data(as_text=True)


def test_publishing_needs_a_rights_statement(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(rights=None)
    response = client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    assert response.status_code == 302
    with site.sessions() as session:
        assert session.get(Ware, ware.id).status is WareStatus.DRAFT  # type: ignore[union-attr]
    page = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert "rights statement is required to publish" in page


def test_partner_submits_and_curator_asks_for_changes_then_approves(signed_in, site: Site):
    partner, partner_token = signed_in("partner_a")
    created = partner.post(
        "/curate/wares/new",
        # The partner names another institution: it is ignored, the ware is the partner's.
        data={
            **RECORD,
            "csrf_token": partner_token,
            "institution": "Jingdezhen Ceramic University",
        },
    )
    ware_id = _location_id(created)
    with site.sessions() as session:
        ware = session.get(Ware, ware_id)
        assert ware is not None and ware.institution_id == site.institution_a
    partner.post(
        f"/curate/wares/{ware_id}/photos",
        data={
            "csrf_token": partner_token,
            # The very photograph of the published vase: the ware is held for review at once.
            "photos": [(io.BytesIO(_vase_front_bytes(site)), "mine.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert (
        partner.post(
            f"/curate/wares/{ware_id}/publish", data={"csrf_token": partner_token}
        ).status_code
        == 403
    )
    # Held, it is in the review queue already.
    assert (
        partner.post(
            f"/curate/wares/{ware_id}/submit", data={"csrf_token": partner_token}
        ).status_code
        == 409
    )

    curator, curator_token = signed_in("curator")
    queue = curator.get("/curate/review").get_data(as_text=True)
    assert f'id="ware-{ware_id}"' in queue
    assert 'data-testid="held-copy"' in queue
    assert "Flat Sided Vase with Eight Buddhist Emblems" in queue
    refused = curator.post(
        f"/curate/review/{ware_id}", data={"csrf_token": curator_token, "decision": "reject"}
    )
    assert refused.status_code == 302
    with site.sessions() as session:
        assert session.get(Ware, ware_id).status is WareStatus.SUBMITTED  # type: ignore[union-attr]
    curator.post(
        f"/curate/review/{ware_id}",
        data={"csrf_token": curator_token, "decision": "changes", "comment": "Add the base mark."},
    )
    dashboard = partner.get("/curate/").get_data(as_text=True)
    assert "Add the base mark." in dashboard
    partner.post(
        f"/curate/wares/{ware_id}",
        data={**RECORD, "marks": "Qianlong seal mark", "csrf_token": partner_token},
    )
    partner.post(f"/curate/wares/{ware_id}/submit", data={"csrf_token": partner_token})
    queue = curator.get("/curate/review").get_data(as_text=True)
    assert "Changes since the last review" in queue
    assert "Qianlong seal mark" in queue
    # And what happened since, from the audit trail: the partner's edit and submission.
    since = queue[queue.index('data-testid="since-review"') :]
    since = since[: since.index("</ul>")]
    assert "Edited" in since and "Submitted for review" in since and "partner" in since
    curator.post(
        f"/curate/review/{ware_id}",
        data={"csrf_token": curator_token, "decision": "approve", "confirmed": "yes"},
    )
    with site.sessions() as session:
        assert session.get(Ware, ware_id).status is WareStatus.PUBLISHED  # type: ignore[union-attr]
        decisions = session.scalars(
            select(ReviewNote.decision).where(ReviewNote.ware_id == ware_id).order_by(ReviewNote.id)
        ).all()
    assert decisions == [
        ReviewDecision.SUBMITTED,
        ReviewDecision.CHANGES_REQUESTED,
        ReviewDecision.SUBMITTED,
        ReviewDecision.APPROVED,
    ]
    outcome = partner.get(f"/curate/wares/{ware_id}").get_data(as_text=True)
    assert "approved" in outcome and "Add the base mark." in outcome


def _vase_front_bytes(site: Site) -> bytes:
    path = next((site.settings.store_dir / "originals").rglob(f"{site.catalogue.vase_front}.*"))
    return path.read_bytes()


def test_soft_delete_and_restore(signed_in, site: Site):
    client, token = signed_in("partner_a")
    ware = site.make_ware()
    assert (
        client.post(
            f"/curate/wares/{ware.id}/delete", data={"csrf_token": token, "confirmed": "yes"}
        ).status_code
        == 302
    )
    listing = client.get("/curate/?status=deleted").get_data(as_text=True)
    assert ware.accession_number in listing
    assert ware.accession_number not in client.get("/curate/").get_data(as_text=True)
    assert (
        client.post(f"/curate/wares/{ware.id}/restore", data={"csrf_token": token}).status_code
        == 302
    )
    with site.sessions() as session:
        assert session.get(Ware, ware.id).deleted_at is None  # type: ignore[union-attr]


def test_history_shows_a_readable_diff_and_restores_a_version(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware()
    first = {**RECORD, "accession_number": ware.accession_number, "csrf_token": token}
    client.post(f"/curate/wares/{ware.id}", data={**first, "title_en": "Version one"})
    client.post(f"/curate/wares/{ware.id}", data={**first, "title_en": "Version two"})
    page = client.get(f"/curate/wares/{ware.id}/history").get_data(as_text=True)
    assert "<del>Version one</del>" in page and "<ins>Version two</ins>" in page
    assert "Title (English)" in page
    with site.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id)
        ).all()
        version_one = events[1].id
    restored = client.post(
        f"/curate/wares/{ware.id}/history/{version_one}/restore",
        data={"csrf_token": token, "confirmed": "yes"},
    )
    assert restored.status_code == 302
    with site.sessions() as session:
        current = session.get(Ware, ware.id)
        assert current is not None and current.title_en == "Version one"
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id.desc())
        ).first()
    assert last is not None and last.action == "restore_version"
    assert last.before == {"title_en": "Version two"} and last.after == {"title_en": "Version one"}
