"""Safe edits: a published ware's edit waits in a working copy until it is published (every
public door keeps the public version meanwhile), autosave keeps half-typed work, destructive
actions ask first (a page without JavaScript) and can be undone, and restoring a version brings
its photographs back."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from archive.curation import WareDraft
from archive.editing import edit_ware, ware_makers
from archive.models import AuditEvent, Photograph, Ware, WareStatus
from tests.conftest import make_image_bytes
from tests.curate.conftest import YES, Site, sign_in
from tests.web.conftest import CC_BY


def _form(ware: Ware, token: str, **changes: str) -> dict[str, str]:
    return {
        "accession_number": ware.accession_number,
        "title_en": ware.title_en or "",
        "rights": CC_BY,
        "csrf_token": token,
        **changes,
    }


def _public_title(client: FlaskClient, ware_id: int) -> str:
    return client.get(f"/api/v1/wares/{ware_id}").get_json()["title"]


def _found(client: FlaskClient, words: str) -> list[int]:
    answer = client.get("/api/v1/search", query_string={"q": words}).get_json()
    return [result["id"] for result in answer["results"]]


def _undo_url(page: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="undo"', page)
    assert found, "no Undo offered"
    return found.group(1)


def _copy(site: Site, ware_id: int) -> WareDraft | None:
    with site.sessions() as session:
        return session.scalar(select(WareDraft).where(WareDraft.ware_id == ware_id))


def test_a_published_wares_edit_stays_private_until_published(real_app: Flask, site: Site):
    client = real_app.test_client()
    token = sign_in(client, "curator")
    ware = site.make_ware(photo=True)
    client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    public = real_app.test_client()
    old = ware.title_en or ""
    assert _found(public, old) == [ware.id]

    saved = client.post(
        f"/curate/wares/{ware.id}", data=_form(ware, token, title_en="Zanzibar tureen")
    )
    assert saved.status_code == 302
    # Every public door still shows the published version: page, API, search, IIIF.
    assert _public_title(public, ware.id) == old
    page = public.get(f"/wares/{ware.id}").get_data(as_text=True)
    assert old in page and "Zanzibar" not in page
    assert _found(public, "Zanzibar") == [] and _found(public, old) == [ware.id]
    manifest = public.get(f"/iiif/3/manifests/ware/{ware.id}")
    assert manifest.status_code == 200 and old in manifest.get_data(as_text=True)
    assert "Zanzibar" not in manifest.get_data(as_text=True)
    record = public.get(
        "/oai",
        query_string={
            "verb": "GetRecord",
            "metadataPrefix": "oai_dc",
            "identifier": f"oai:potbank.local:wares/{ware.id}",
        },
    ).get_data(as_text=True)
    assert old in record and "Zanzibar" not in record
    # The curator sees the working copy with the banner, and can compare it with the public.
    mine = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert 'value="Zanzibar tureen"' in mine and "Unpublished changes" in mine
    assert "Publish changes" in mine and "Compare with public" in mine
    # A partner of the ware's institution, who may not edit a published ware, sees the record.
    partner = real_app.test_client()
    sign_in(partner, "partner_a")
    theirs = partner.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert old in theirs and "Zanzibar" not in theirs
    assert partner.get(f"/curate/wares/{ware.id}/working-copy/compare").status_code == 403
    compared = client.get(f"/curate/wares/{ware.id}/working-copy/compare").get_data(as_text=True)
    assert f"<del>{old}</del>" in compared and "<ins>Zanzibar tureen</ins>" in compared
    assert compared.count('<th scope="row">') == 1  # the title alone: nothing else differs
    with site.sessions() as session:
        saved_event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.entity_type == "ware_draft", AuditEvent.entity_id == ware.id
            )
        )
        assert saved_event is not None and saved_event.action == "save_working_copy"
        assert saved_event.after == {"title_en": "Zanzibar tureen"}

    published = client.post(
        f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token}
    )
    assert published.status_code == 302
    assert _public_title(public, ware.id) == "Zanzibar tureen"
    assert "Zanzibar tureen" in public.get(f"/wares/{ware.id}").get_data(as_text=True)
    assert _found(public, "Zanzibar") == [ware.id]
    assert _copy(site, ware.id) is None
    with site.sessions() as session:
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.action == "publish_working_copy"
        assert last.before == {"title_en": old} and last.after == {"title_en": "Zanzibar tureen"}
    history = client.get(f"/curate/wares/{ware.id}/history").get_data(as_text=True)
    assert "Working copy published" in history and "Working copy saved" in history


def test_publishing_keeps_changes_made_meanwhile_to_other_fields(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    client.post(f"/curate/wares/{ware.id}", data=_form(ware, token, title_en="New title"))
    # A batch (or another curator) changes another field of the record in the meantime.
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None
        edit_ware(
            session,
            record,
            accession_number=record.accession_number,
            fields={"material": "porcelain"},
            makers=ware_makers(record),
            collection=record.collection,
            actor="batch",
            user_id=None,
        )
        session.commit()
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    with site.sessions() as session:
        record = session.get(Ware, ware.id)
        assert record is not None
        assert (record.title_en, record.material) == ("New title", "porcelain")


def test_autosave_keeps_half_typed_work_and_discard_is_confirmed_and_undone(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    # Half-typed: no title yet and a year that is not one; nothing of it is lost.
    answer = client.post(
        f"/curate/wares/{ware.id}/working-copy",
        data=_form(ware, token, title_en="", year_earliest="17"),
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["saved"] is True and "Draft saved" in answer.get_json()["message"]
    assert _copy(site, ware.id) is not None
    page = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert 'name="title_en" value=""' in page and 'value="17"' in page
    with site.sessions() as session:
        assert session.get(Ware, ware.id).title_en == ware.title_en  # type: ignore[union-attr]
        # Autosaves keep only the latest text: no history entry per keystroke.
        assert not session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "ware_draft")
        ).all()
    # An invalid copy is not published: the form comes back with the field marked.
    refused = client.post(
        f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token}
    )
    assert refused.status_code == 422
    assert "A title in English or Chinese is required." in refused.get_data(as_text=True)

    # Discard asks first (a page, without JavaScript) and does nothing until confirmed.
    asked = client.post(f"/curate/wares/{ware.id}/working-copy/discard", data={"csrf_token": token})
    assert asked.status_code == 200 and "Please confirm" in asked.get_data(as_text=True)
    assert _copy(site, ware.id) is not None
    done = client.post(
        f"/curate/wares/{ware.id}/working-copy/discard",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    assert _copy(site, ware.id) is None
    client.post(_undo_url(done.get_data(as_text=True)), data={"csrf_token": token, **YES})
    back = _copy(site, ware.id)
    assert back is not None and back.values["year_earliest"] == "17"
    # Typing the record back as it was leaves nothing pending: the copy goes away.
    client.post(f"/curate/wares/{ware.id}/working-copy", data=_form(ware, token))
    assert _copy(site, ware.id) is None


def test_an_unpublished_ware_is_saved_directly_and_its_autosave_applied(signed_in, site: Site):
    client, token = signed_in("partner_a")
    ware = site.make_ware()
    client.post(f"/curate/wares/{ware.id}/working-copy", data=_form(ware, token, pattern="Lotus"))
    page = client.get(f"/curate/wares/{ware.id}").get_data(as_text=True)
    assert "Apply changes" in page and 'value="Lotus"' in page
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    with site.sessions() as session:
        assert session.get(Ware, ware.id).pattern == "Lotus"  # type: ignore[union-attr]
    assert _copy(site, ware.id) is None
    # Saving the form of a draft writes the record and uses up any autosaved copy.
    client.post(f"/curate/wares/{ware.id}/working-copy", data=_form(ware, token, pattern="Peony"))
    client.post(f"/curate/wares/{ware.id}", data=_form(ware, token, pattern="Crane"))
    with site.sessions() as session:
        assert session.get(Ware, ware.id).pattern == "Crane"  # type: ignore[union-attr]
    assert _copy(site, ware.id) is None


def test_delete_asks_first_and_can_be_undone(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    asked = client.post(f"/curate/wares/{ware.id}/delete", data={"csrf_token": token})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Please confirm" in text
    assert f'action="/curate/wares/{ware.id}/delete"' in text and 'value="yes"' in text
    with site.sessions() as session:
        assert session.get(Ware, ware.id).deleted_at is None  # type: ignore[union-attr]
    done = client.post(
        f"/curate/wares/{ware.id}/delete",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    with site.sessions() as session:
        assert session.get(Ware, ware.id).deleted_at is not None  # type: ignore[union-attr]
    assert client.get(f"/wares/{ware.id}").status_code == 404
    undo = _undo_url(done.get_data(as_text=True))
    assert undo == f"/curate/wares/{ware.id}/restore"
    client.post(undo, data={"csrf_token": token, **YES})
    with site.sessions() as session:
        assert session.get(Ware, ware.id).deleted_at is None  # type: ignore[union-attr]
    assert client.get(f"/wares/{ware.id}").status_code == 200


def test_a_removed_photograph_comes_back_with_undo(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware()
    for seed in (71, 72):
        client.post(
            f"/curate/wares/{ware.id}/photos",
            data={
                "csrf_token": token,
                "photos": [(io.BytesIO(make_image_bytes(seed=seed)), f"p{seed}.jpg")],
                "photographer": f"Photographer {seed}",
                "view": "base",
            },
            content_type="multipart/form-data",
        )
    with site.sessions() as session:
        first = session.get(Ware, ware.id).photographs[0].id  # type: ignore[union-attr]
    # Turned and captioned before it goes: it comes back turned and captioned.
    client.post(
        f"/curate/wares/{ware.id}/photos/{first}/turn", data={"csrf_token": token, "turn": "90"}
    )
    with site.sessions() as session:
        session.get(Photograph, first).caption_en = "The base, with its mark"
        session.commit()
        before = [
            (p.sha256, p.view, p.photographer, p.position, p.rotation, p.image_key, p.caption_en)
            for p in session.get(Ware, ware.id).photographs  # type: ignore[union-attr]
        ]
    assert before[0][4] == 90 and before[0][5] != before[0][0]
    asked = client.post(
        f"/curate/wares/{ware.id}/photos/{first}/delete", data={"csrf_token": token}
    )
    assert asked.status_code == 200 and "Please confirm" in asked.get_data(as_text=True)
    done = client.post(
        f"/curate/wares/{ware.id}/photos/{first}/delete",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    with site.sessions() as session:
        assert len(session.get(Ware, ware.id).photographs) == 1  # type: ignore[union-attr]
    client.post(_undo_url(done.get_data(as_text=True)), data={"csrf_token": token, **YES})
    with site.sessions() as session:
        after = [
            (p.sha256, p.view, p.photographer, p.position, p.rotation, p.image_key, p.caption_en)
            for p in session.get(Ware, ware.id).photographs  # type: ignore[union-attr]
        ]
    assert after == before


def test_restoring_a_version_brings_back_its_photographs(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(photo=True)
    original = ware.photographs[0].sha256
    client.post(
        f"/curate/wares/{ware.id}/photos",
        data={"csrf_token": token, "photos": [(io.BytesIO(make_image_bytes(seed=81)), "b.jpg")]},
        content_type="multipart/form-data",
    )
    with site.sessions() as session:
        first_version = session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id)
        ).all()[1]  # after the first photograph was added
        photos = session.get(Ware, ware.id).photographs  # type: ignore[union-attr]
        added = photos[1].sha256
    client.post(
        f"/curate/wares/{ware.id}/photos/{ware.photographs[0].id}/delete",
        data={"csrf_token": token, **YES},
    )
    asked = client.post(
        f"/curate/wares/{ware.id}/history/{first_version}/restore", data={"csrf_token": token}
    )
    assert asked.status_code == 200 and "Please confirm" in asked.get_data(as_text=True)
    done = client.post(
        f"/curate/wares/{ware.id}/history/{first_version}/restore",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    with site.sessions() as session:
        shas = [p.sha256 for p in session.get(Ware, ware.id).photographs]  # type: ignore[union-attr]
    assert shas == [original]
    # Undo goes back to the version before the restore: the second photograph alone.
    client.post(_undo_url(done.get_data(as_text=True)), data={"csrf_token": token, **YES})
    with site.sessions() as session:
        shas = [p.sha256 for p in session.get(Ware, ware.id).photographs]  # type: ignore[union-attr]
    assert shas == [added]


def test_restore_finds_a_photograph_no_event_kept_in_the_store(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(photo=True)
    original = ware.photographs[0].sha256
    with site.sessions() as session:
        version = session.scalars(
            select(AuditEvent.id)
            .where(AuditEvent.entity_type == "ware", AuditEvent.entity_id == ware.id)
            .order_by(AuditEvent.id)
        ).all()[-1]
        # Gone without a trace in the history (as removals before this release were).
        session.execute(delete(Photograph).where(Photograph.ware_id == ware.id))
        session.commit()
    client.post(
        f"/curate/wares/{ware.id}/history/{version}/restore", data={"csrf_token": token, **YES}
    )
    with site.sessions() as session:
        photos = session.get(Ware, ware.id).photographs  # type: ignore[union-attr]
        assert [p.sha256 for p in photos] == [original]
        assert photos[0].width == 200 and photos[0].height == 150
    thumb = client.get(f"/curate/photos/{photos[0].id}/thumb.jpg")
    thumb.get_data()
    thumb.close()  # the file is streamed: closing releases it
    assert thumb.status_code == 200


def test_approving_asks_first(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.SUBMITTED)
    asked = client.post(
        f"/curate/review/{ware.id}", data={"csrf_token": token, "decision": "approve"}
    )
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="decision" value="approve"' in text
    with site.sessions() as session:
        assert session.get(Ware, ware.id).status is WareStatus.SUBMITTED  # type: ignore[union-attr]
    done = client.post(
        f"/curate/review/{ware.id}",
        data={"csrf_token": token, "decision": "approve", **YES},
        follow_redirects=True,
    )
    with site.sessions() as session:
        assert session.get(Ware, ware.id).status is WareStatus.PUBLISHED  # type: ignore[union-attr]
    # Undo takes the approval back: in the queue again, the public no longer sees it.
    undo = _undo_url(done.get_data(as_text=True))
    client.post(undo, data={"csrf_token": token})
    with site.sessions() as session:
        assert session.get(Ware, ware.id).status is WareStatus.SUBMITTED  # type: ignore[union-attr]
    assert client.get(f"/api/v1/wares/{ware.id}").status_code == 404
    assert f'id="ware-{ware.id}"' in client.get("/curate/review").get_data(as_text=True)


def test_undo_of_an_approval_leaves_a_ware_changed_since(signed_in, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.SUBMITTED)
    done = client.post(
        f"/curate/review/{ware.id}",
        data={"csrf_token": token, "decision": "approve", **YES},
        follow_redirects=True,
    )
    undo = _undo_url(done.get_data(as_text=True))
    client.post(f"/curate/wares/{ware.id}/unpublish", data={"csrf_token": token, **YES})
    refused = client.post(undo, data={"csrf_token": token}, follow_redirects=True)
    assert "cannot be undone" in refused.get_data(as_text=True)
    with site.sessions() as session:
        assert session.get(Ware, ware.id).status is WareStatus.DRAFT  # type: ignore[union-attr]


def _manifest(client: FlaskClient, ware_id: int) -> str:
    return client.get(f"/iiif/3/manifests/ware/{ware_id}").get_data(as_text=True)


def _oai(client: FlaskClient, ware_id: int) -> str:
    """The ware's OAI-PMH record (without the response's own date)."""
    answer = client.get(
        "/oai",
        query_string={
            "verb": "GetRecord",
            "metadataPrefix": "oai_dc",
            "identifier": f"oai:potbank.local:wares/{ware_id}",
        },
    ).get_data(as_text=True)
    return re.sub(r"<responseDate>[^<]*</responseDate>", "", answer)


def _photos(site: Site, ware_id: int) -> list[tuple[str, int, str | None, str | None]]:
    with site.sessions() as session:
        return [
            (p.sha256, p.rotation, p.crop, p.caption_en)
            for p in session.get(Ware, ware_id).photographs  # type: ignore[union-attr]
        ]


def _last_event(site: Site, ware_id: int, entity: str = "ware") -> AuditEvent:
    with site.sessions() as session:
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity, AuditEvent.entity_id == ware_id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None
        return event


def test_restoring_a_published_wares_version_waits_in_its_working_copy(real_app: Flask, site: Site):
    client = real_app.test_client()
    token = sign_in(client, "curator")
    ware = site.make_ware(photo=True)
    first = ware.photographs[0]
    # The version to come back to: its photograph turned a quarter, cropped and captioned.
    client.post(
        f"/curate/wares/{ware.id}/photos/{first.id}/turn", data={"csrf_token": token, "turn": "90"}
    )
    client.post(
        f"/curate/wares/{ware.id}/photos/{first.id}/crop",
        data={
            "csrf_token": token,
            **{
                f"crop-{k}-{first.id}": v
                for k, v in (("x", "10"), ("y", "20"), ("w", "100"), ("h", "120"))
            },
        },
    )
    client.post(
        f"/curate/wares/{ware.id}/photos/arrange",
        data={"csrf_token": token, f"caption_en-{first.id}": "The base, with its mark"},
    )
    version = _last_event(site, ware.id).id
    then = _photos(site, ware.id)
    assert then[0][1:] == (90, "10,20,100,120", "The base, with its mark")
    # Then it changed: a new title, the photograph as contributed without its caption, a
    # second photograph; and it was published so.
    client.post(f"/curate/wares/{ware.id}", data=_form(ware, token, title_en="Later title"))
    client.post(
        f"/curate/wares/{ware.id}/photos/{first.id}/as-contributed", data={"csrf_token": token}
    )
    client.post(
        f"/curate/wares/{ware.id}/photos/arrange",
        data={"csrf_token": token, f"caption_en-{first.id}": ""},
    )
    client.post(
        f"/curate/wares/{ware.id}/photos",
        data={"csrf_token": token, "photos": [(io.BytesIO(make_image_bytes(seed=93)), "n.jpg")]},
        content_type="multipart/form-data",
    )
    client.post(f"/curate/wares/{ware.id}/publish", data={"csrf_token": token})
    published = _photos(site, ware.id)
    assert [p[1:] for p in published] == [(0, None, None), (0, None, None)]
    public = real_app.test_client()
    seen = (
        _public_title(public, ware.id),
        public.get(f"/wares/{ware.id}").get_data(as_text=True),
        _manifest(public, ware.id),
        _oai(public, ware.id),
    )
    assert seen[0] == "Later title" and "The base, with its mark" not in seen[2]

    asked = client.post(
        f"/curate/wares/{ware.id}/history/{version}/restore", data={"csrf_token": token}
    )
    assert "publish the changes" in asked.get_data(as_text=True)
    done = client.post(
        f"/curate/wares/{ware.id}/history/{version}/restore",
        data={"csrf_token": token, **YES},
        follow_redirects=True,
    )
    assert "restored into the working copy" in done.get_data(as_text=True)
    # Every public door keeps the published version: the record is untouched.
    assert _photos(site, ware.id) == published
    assert (
        _public_title(public, ware.id),
        public.get(f"/wares/{ware.id}").get_data(as_text=True),
        _manifest(public, ware.id),
        _oai(public, ware.id),
    ) == seen
    assert _found(public, "Later title") == [ware.id]
    draft = _copy(site, ware.id)
    assert draft is not None and draft.values["title_en"] == ware.title_en
    assert draft.photographs is not None
    assert [
        (e["sha256"], e["rotation"], e["crop"], e["caption_en"]) for e in draft.photographs
    ] == then
    event = _last_event(site, ware.id, "ware_draft")
    assert event.action == "copy_restore_version"
    assert event.after["title_en"] == ware.title_en
    history = client.get(f"/curate/wares/{ware.id}/history").get_data(as_text=True)
    assert "Earlier version restored into the working copy (not public yet)" in history

    # Undo puts the copy back as it was (there was none).
    client.post(_undo_url(done.get_data(as_text=True)), data={"csrf_token": token, **YES})
    assert _copy(site, ware.id) is None
    assert _last_event(site, ware.id, "ware_draft").action == "undo_copy_restore_version"

    # Restored again and published: every public door shows that version, photographs too.
    client.post(
        f"/curate/wares/{ware.id}/history/{version}/restore", data={"csrf_token": token, **YES}
    )
    client.post(f"/curate/wares/{ware.id}/working-copy/publish", data={"csrf_token": token})
    assert _copy(site, ware.id) is None
    assert _photos(site, ware.id) == then
    assert _public_title(public, ware.id) == ware.title_en
    assert ware.title_en in public.get(f"/wares/{ware.id}").get_data(as_text=True)
    manifest = _manifest(public, ware.id)
    assert "The base, with its mark" in manifest
    with site.sessions() as session:
        shown = session.get(Ware, ware.id).photographs[0]  # type: ignore[union-attr]
        assert shown.image_key != shown.sha256 and shown.image_key in manifest
    assert published[1][0] not in manifest
    assert ware.title_en in _oai(public, ware.id)
    assert _found(public, "Later title") == []
    assert _last_event(site, ware.id).action == "publish_working_copy"
