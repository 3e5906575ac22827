"""A ware whose photograph copies another ware's (turned, mirrored or not) is held for review, on
the ware page and in a web bulk upload, shown side by side in the review queue, and released
only by a curator's decision there."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from archive.curation import BulkJob, DuplicateHold, ReviewDecision, ReviewNote
from archive.models import AuditEvent, Ware, WareStatus
from tests.curate.conftest import YES, Site
from tests.curate.test_bulk import _csv, _upload, _zip
from tests.web.conftest import CC_BY

SAMPLES = sorted(
    (Path(__file__).resolve().parents[2] / "samples/chinesenotes/images").glob("*.jpg")
)


def _turned(path: Path, turn: Image.Transpose) -> bytes:
    buffer = io.BytesIO()
    Image.open(path).transpose(turn).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _ware_with_photo(client, token, accession: str, photo: bytes, **fields) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    created = client.post(
        "/curate/wares/new",
        data={
            "csrf_token": token,
            "accession_number": accession,
            "title_en": f"Ware {accession}",
            "rights": CC_BY,
            "institution": "Capital Museum, Beijing",
            **fields,
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    ware_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    upload = client.post(
        f"/curate/wares/{ware_id}/photos",
        data={"csrf_token": token, "photos": [(io.BytesIO(photo), f"{accession}.jpg")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    return ware_id, upload.get_data(as_text=True)


def _status(site: Site, ware_id: int) -> WareStatus:
    with site.sessions() as session:
        return session.get(Ware, ware_id).status  # type: ignore[union-attr]


def test_a_turned_copy_added_on_the_ware_page_is_held_and_resolved_in_the_queue(
    signed_in, site: Site
):
    curator, token = signed_in("curator")
    original, _ = _ware_with_photo(curator, token, "ORIG-1", SAMPLES[0].read_bytes())
    curator.post(f"/curate/wares/{original}/publish", data={"csrf_token": token})
    assert _status(site, original) is WareStatus.PUBLISHED

    copy_bytes = _turned(SAMPLES[0], Image.Transpose.ROTATE_90)
    copy, page = _ware_with_photo(
        curator,
        token,
        "COPY-1",
        copy_bytes,
        date_text="1736-1795",
        place="Jingdezhen",
        object_type="vase",
        description_en="Painted in underglaze blue.",
        maker_name=["Tang Ying"],
        maker_role=["maker"],
    )
    # The curator may publish, yet the copy is held: in the queue, not on the site.
    assert (
        "held for review: it copies a photograph of ORIG-1 (a near copy, turned 90° anticlockwise)"
        in page
    )
    assert _status(site, copy) is WareStatus.SUBMITTED
    refused = curator.post(
        f"/curate/wares/{copy}/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert "held for review" in refused.get_data(as_text=True)
    assert _status(site, copy) is WareStatus.SUBMITTED

    # A different photograph is not held, and publishes.
    other, page = _ware_with_photo(curator, token, "OTHER-1", SAMPLES[1].read_bytes())
    assert "held for review" not in page
    curator.post(f"/curate/wares/{other}/publish", data={"csrf_token": token})
    assert _status(site, other) is WareStatus.PUBLISHED

    queue = curator.get("/curate/review").get_data(as_text=True)
    with site.sessions() as session:
        copy_photo = session.get(Ware, copy).photographs[0].id  # type: ignore[union-attr]
        original_photo = session.get(Ware, original).photographs[0].id  # type: ignore[union-attr]
    entry = queue[queue.index(f'id="ware-{copy}"') :]
    entry = entry[: entry.index("</article>")]
    # Side by side: this submission's photograph and the one it copies, linked to its ware.
    held = entry[entry.index('data-testid="held-copy"') :]
    assert f"/curate/photos/{copy_photo}/thumb.jpg" in held
    assert f"/curate/photos/{original_photo}/thumb.jpg" in held
    assert f'href="/curate/wares/{original}" data-testid="held-match"' in held
    # The key fields, for a decision from the list.
    for shown in ("1736-1795", "Tang Ying", "Jingdezhen", "vase", "Painted in underglaze blue."):
        assert shown in entry
    assert 'name="csrf_token"' in entry and 'value="approve"' in entry

    approved = curator.post(
        f"/curate/review/{copy}",
        data={"csrf_token": token, "decision": "approve", **YES},
    )
    assert approved.status_code == 302
    assert _status(site, copy) is WareStatus.PUBLISHED
    with site.sessions() as session:
        hold = session.scalar(select(DuplicateHold).where(DuplicateHold.ware_id == copy))
        assert hold is not None and hold.resolution == "approved" and hold.resolved_at
        assert hold.orientation == "turned-90-anticlockwise"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == copy).order_by(AuditEvent.id)
        ).all()
    assert actions[-3:] == ["hold", "release_hold", "publish"]
    queue = curator.get("/curate/review").get_data(as_text=True)
    assert f'id="ware-{copy}"' not in queue

    # Undo (offered on the queue after the approval) puts it back as it was: submitted, held
    # again, the approval's review note gone; the history says so.
    found = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="undo"', queue)
    assert found and found.group(1).startswith(f"/curate/review/{copy}/undo/")
    curator.post(found.group(1), data={"csrf_token": token})
    assert _status(site, copy) is WareStatus.SUBMITTED
    with site.sessions() as session:
        hold = session.scalar(select(DuplicateHold).where(DuplicateHold.ware_id == copy))
        assert hold is not None and (hold.resolution, hold.resolved_at) == (None, None)
        decisions = session.scalars(
            select(ReviewNote.decision).where(ReviewNote.ware_id == copy)
        ).all()
        assert decisions == [ReviewDecision.SUBMITTED]
        last = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == copy).order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.action == "undo_review_decision"
        assert last.before["review"]["decision"] == "approved"
    assert f'id="ware-{copy}"' in curator.get("/curate/review").get_data(as_text=True)
    refused = curator.post(
        f"/curate/wares/{copy}/publish", data={"csrf_token": token}, follow_redirects=True
    )
    assert "held for review" in refused.get_data(as_text=True)
    # Undone once: a second Undo finds nothing to take back.
    again = curator.post(found.group(1), data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be undone" in again.get_data(as_text=True)
    assert _status(site, copy) is WareStatus.SUBMITTED


def test_a_mirrored_copy_in_a_bulk_upload_is_held_and_the_report_links_the_match(
    signed_in, site: Site
):
    curator, token = signed_in("curator")
    original, _ = _ware_with_photo(curator, token, "ORIG-2", SAMPLES[2].read_bytes())
    records = _csv(
        [
            {
                "accession_number": "BULK-COPY",
                "title_en": "Copy",
                "rights": CC_BY,
                "images": "c.jpg",
            },
            {"accession_number": "BULK-NEW", "title_en": "New", "rights": CC_BY, "images": "n.jpg"},
        ]
    )
    photos = _zip(
        {
            "c.jpg": _turned(SAMPLES[2], Image.Transpose.FLIP_LEFT_RIGHT),
            "n.jpg": SAMPLES[3].read_bytes(),
        }
    )
    job_id = _upload(
        curator, token, records, "wares.csv", photos, institution="Capital Museum, Beijing"
    )
    with site.sessions() as session:
        wares = {
            ware.accession_number: ware
            for ware in session.scalars(select(Ware).where(Ware.accession_number.like("BULK-%")))
        }
        assert wares["BULK-COPY"].status is WareStatus.SUBMITTED
        assert wares["BULK-NEW"].status is WareStatus.PUBLISHED
        copy = wares["BULK-COPY"].id
        job = session.get(BulkJob, job_id)
        assert "1 held for review" in job.summary  # type: ignore[union-attr]
    report = curator.get(f"/curate/bulk/{job_id}").get_data(as_text=True)
    assert "held for review: a near copy, mirrored, of a photograph of ware" in report
    assert f'<a href="/curate/wares/{original}" data-testid="matching-ware">' in report
    assert f'href="/curate/review#ware-{copy}"' in report

    # Rejected from the list, with a reason: the hold ends with it.
    curator.post(
        f"/curate/review/{copy}",
        data={
            "csrf_token": token,
            "decision": "reject",
            "comment": "A copy of ORIG-2.",
            **YES,
        },
    )
    assert _status(site, copy) is WareStatus.REJECTED
    with site.sessions() as session:
        hold = session.scalar(select(DuplicateHold).where(DuplicateHold.ware_id == copy))
        assert hold is not None and hold.resolution == "rejected"


def test_removing_the_copied_photograph_ends_the_hold(signed_in, site: Site):
    curator, token = signed_in("curator")
    _ware_with_photo(curator, token, "ORIG-3", SAMPLES[4].read_bytes())
    copy, _ = _ware_with_photo(curator, token, "COPY-3", SAMPLES[4].read_bytes())
    assert _status(site, copy) is WareStatus.SUBMITTED
    curator.post(f"/curate/wares/{copy}/unpublish", data={"csrf_token": token, **YES})
    with site.sessions() as session:
        photo = session.get(Ware, copy).photographs[0].id  # type: ignore[union-attr]
    refused = curator.post(f"/curate/wares/{copy}/publish", data={"csrf_token": token})
    assert refused.status_code == 302 and _status(site, copy) is not WareStatus.PUBLISHED
    curator.post(f"/curate/wares/{copy}/photos/{photo}/delete", data={"csrf_token": token, **YES})
    curator.post(f"/curate/wares/{copy}/publish", data={"csrf_token": token})
    assert _status(site, copy) is WareStatus.PUBLISHED
