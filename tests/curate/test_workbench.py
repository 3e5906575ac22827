"""The curators' wares list as a working table: sort, filters, the search syntax in SQL, batch
jobs over chosen rows or all results with undo, saved searches and named sets."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.curation import WareDraft
from archive.editing import ware_history
from archive.models import AuditEvent, Collection, Ware, WareStatus
from archive.workbench import BatchJob, BatchStatus, SavedSearch, WareSet
from tests.curate.conftest import Site
from web.curate import batch_jobs

SignedIn = Callable[[str], tuple[FlaskClient, str]]
ROW = re.compile(r'<td><a href="/curate/wares/\d+">([^<]+)</a></td>')


def listed(client: FlaskClient, query: str = "") -> list[str]:
    """The accession numbers the list shows, in its order."""
    page = client.get(f"/curate/?{query}")
    assert page.status_code == 200
    return ROW.findall(page.get_data(as_text=True))


def test_sort_by_any_column_both_ways(signed_in: SignedIn):
    client, _ = signed_in("curator")
    assert listed(client, "sort=accession&order=asc")[:4] == [
        "CN-0001",
        "CN-0002",
        "CN-0003",
        "CN-0004",
    ]
    assert listed(client, "sort=accession&order=desc")[-1] == "CN-0001"
    for column in ("title", "institution", "collection", "maker", "type", "date", "status"):
        assert len(listed(client, f"sort={column}")) == 5
    # Wedgwood is the first maker alphabetically; wares without makers sort last.
    assert listed(client, "sort=maker&order=asc")[:2] == ["CN-0001", "CN-0002"]
    assert listed(client, "sort=nonsense&order=sideways")  # falls back to the default


def test_filters_narrow_the_list(signed_in: SignedIn, site: Site):
    client, _ = signed_in("curator")
    with site.sessions() as session:
        collection = session.scalar(select(Collection.id))
    assert listed(client, f"collection={collection}&sort=accession&order=asc") == [
        "CN-0001",
        "CN-0002",
    ]
    assert listed(client, f"institution={site.institution_b}") == ["JCI-001"]
    assert listed(client, "maker=wedgwood&sort=accession&order=asc") == ["CN-0001", "CN-0002"]
    assert listed(client, "type=vase") == ["CN-0001"]
    assert set(listed(client, "photo=no")) == {"CN-0004", "JCI-001"}
    assert "CN-0003" in listed(client, "photo=yes")
    assert listed(client, "rights=yes") == ["CN-0001"]
    assert listed(client, "from=1700&to=1750") == ["CN-0001"]
    assert listed(client, "from=1800") == []
    assert listed(client, "status=draft") == ["CN-0003"]
    page = client.get("/curate/?from=late").get_data(as_text=True)
    assert "A year is a whole number" in page


def test_the_search_syntax_works_on_drafts_too(signed_in: SignedIn):
    client, _ = signed_in("curator")
    assert listed(client, "q=secret") == ["CN-0003"]  # a draft: not in the keyword index
    assert listed(client, "q=maker:wedgwood+NOT+teapot") == ["CN-0001"]
    assert listed(client, 'q="cobalt+blue"') == ["CN-0001"]
    assert listed(client, "q=bowl+OR+plate&sort=accession&order=asc") == [
        "CN-0003",
        "CN-0004",
        "JCI-001",
    ]
    assert listed(client, "q=date:Qianlong") == ["CN-0001"]
    # The glossary bridges the languages: 青花 finds a record written "underglaze blue".
    assert listed(client, "q=景德镇") == ["CN-0001"]
    assert listed(client, "q=material:porcel*") == ["CN-0001"]
    # A boost only ranks: the SQL search (which does not) drops it rather than look for "^2".
    assert listed(client, 'q=maker:wedgwood^2+NOT+"teapot"^3') == ["CN-0001"]
    assert listed(client, "q=secret^0.5") == ["CN-0003"]
    # A broken query is repaired with a message, never an error; a dangling operator is ignored.
    for odd in (
        '(bowl "unclosed',
        "OR bowl",
        "bowl ANDNOT",
        "NOT",
        "maker:",
        "((",
        "a)b(",
        "*",
        "%_\\",
    ):
        assert client.get("/curate/", query_string={"q": odd}).status_code == 200, odd
    assert listed(client, "q=OR+secret") == ["CN-0003"]


def test_partner_filters_stay_inside_their_institution(signed_in: SignedIn, site: Site):
    client, _ = signed_in("partner_a")
    assert "JCI-001" not in listed(client, f"institution={site.institution_b}")
    assert listed(client, "q=celadon") == []
    assert 'name="ware"' not in client.get("/curate/").get_data(as_text=True)


def _run(client: FlaskClient, token: str, data: dict[str, object]) -> BatchJob | str:
    response = client.post("/curate/batch", data={**data, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    match = re.search(r"/curate/batch/(\d+)$", location)
    if match is None:
        return client.get(location).get_data(as_text=True)
    assert batch_jobs.wait_all()
    return int(match.group(1))  # type: ignore[return-value]


def test_batch_set_field_on_selected_rows_then_undo(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    wares = [site.make_ware(status=WareStatus.PUBLISHED) for _ in range(3)]
    ids = [ware.id for ware in wares]
    site.synced.clear()
    job_id = _run(
        client,
        token,
        {
            "action": "set_field",
            "field": "material",
            "value": "bone china",
            "ware": ids,
            # Published wares changed at once (the default keeps it in their working copies).
            "published_wares": "publish",
            "confirmed": "yes",
        },
    )
    with site.sessions() as session:
        job = session.get(BatchJob, job_id)
        assert (job.status, job.changed, job.total) == (BatchStatus.FINISHED, 3, 3)
        assert {session.get(Ware, i).material for i in ids} == {"bone china"}
        assert ware_history(session, ids[0])[-1].action == "batch_set_field"
    assert sorted(site.synced) == sorted(ids)  # the indexes were brought up to date
    page = client.get(f"/curate/batch/{job_id}").get_data(as_text=True)
    assert "3 wares changed" in page and "Undo this batch" in page
    status = client.get(f"/curate/batch/{job_id}/status").get_json()
    assert status["processed"] == 3 and status["active"] is False
    response = client.post(f"/curate/batch/{job_id}/undo", data={"csrf_token": token})
    assert response.status_code == 302
    assert batch_jobs.wait_all()
    with site.sessions() as session:
        assert {session.get(Ware, i).material for i in ids} == {None}
        assert session.get(BatchJob, job_id).undone_by_id is not None
    again = client.post(f"/curate/batch/{job_id}/undo", data={"csrf_token": token})
    assert "cannot be undone" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_batch_over_all_results_of_a_filter(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    job_id = _run(
        client,
        token,
        {
            "action": "append_field",
            "field": "technique",
            "value": "gilded",
            "scope": "all",
            "filter": "maker=wedgwood",
            "published_wares": "publish",
            "confirmed": "yes",
        },
    )
    with site.sessions() as session:
        techniques = dict(session.execute(select(Ware.accession_number, Ware.technique)).all())
        assert session.get(BatchJob, job_id).changed == 2
    assert techniques["CN-0001"] == "underglaze blue; gilded"
    assert techniques["CN-0002"] == "gilded"
    assert techniques["CN-0003"] is None


def test_batch_publish_reports_what_it_skipped(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    without = site.make_ware(rights=None).id
    with_rights = site.make_ware().id
    job_id = _run(client, token, {"action": "publish", "ware": [without, with_rights]})
    page = client.get(f"/curate/batch/{job_id}").get_data(as_text=True)
    assert "1 ware changed" in page and "no rights statement" in page
    zh = client.get(f"/curate/batch/{job_id}", headers={"Accept-Language": "zh-CN"})
    assert "无" in zh.get_data(as_text=True)


def test_bad_batches_are_refused_with_a_message(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware().id
    cases = [
        ({"action": "set_field", "field": "material", "value": "x"}, "Choose at least one ware"),
        ({"action": "explode", "ware": ware}, "Choose what to do"),
        ({"action": "set_field", "field": "status", "value": "x", "ware": ware}, "Choose a field"),
        (
            {"action": "set_field", "field": "year_earliest", "value": "soon", "ware": ware},
            "A whole year",
        ),
        (
            {"action": "set_field", "field": "rights", "value": "mine", "ware": ware},
            "Creative Commons",
        ),
        ({"action": "add_to_collection", "collection": "999", "ware": ware}, "Choose a collection"),
        ({"action": "add_to_set", "set": "999", "ware": ware}, "Choose a set"),
        (
            {"action": "append_field", "field": "height_cm", "value": "3", "ware": ware},
            "holds a number",
        ),
    ]
    for data, message in cases:
        page = _run(client, token, data)
        assert isinstance(page, str) and message in page, data
    with site.sessions() as session:
        assert session.scalar(select(BatchJob.id)) is None


def test_saved_searches_private_or_shared(signed_in: SignedIn, site: Site):
    owner, token = signed_in("partner_a")
    for name, shared in (("Drafts", "1"), ("Mine only", "")):
        response = owner.post(
            "/curate/searches",
            data={"name": name, "filter": "status=draft", "shared": shared, "csrf_token": token},
        )
        assert response.status_code == 302
    page = owner.get("/curate/").get_data(as_text=True)
    assert "Drafts" in page and "Mine only" in page and "?status=draft" in page
    with site.sessions() as session:
        searches = {s.name: s for s in session.scalars(select(SavedSearch))}
    assert searches["Drafts"].shared and not searches["Mine only"].shared
    other, other_token = signed_in("partner_b")
    assert "Drafts" not in other.get("/curate/").get_data(as_text=True)  # another institution
    refused = other.post(
        f"/curate/searches/{searches['Drafts'].id}/delete", data={"csrf_token": other_token}
    )
    assert refused.status_code == 404
    empty = owner.post("/curate/searches", data={"name": " ", "csrf_token": token})
    assert "Give it a name" in owner.get(empty.headers["Location"]).get_data(as_text=True)


def test_named_sets_gather_wares_by_batch(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    client.post("/curate/sets", data={"name": "Loan to Stoke", "csrf_token": token})
    with site.sessions() as session:
        chosen = session.scalar(select(WareSet))
    assert chosen is not None and chosen.name == "Loan to Stoke"
    ids = [site.make_ware().id, site.make_ware().id]
    _run(client, token, {"action": "add_to_set", "set": chosen.id, "ware": ids})
    assert len(listed(client, f"set={chosen.id}")) == 2
    assert "Loan to Stoke" in client.get("/curate/sets").get_data(as_text=True)
    _run(client, token, {"action": "remove_from_set", "set": chosen.id, "ware": ids[:1]})
    assert len(listed(client, f"set={chosen.id}")) == 1
    # Another curator's private set is neither listed nor usable.
    admin, admin_token = signed_in("admin")
    assert listed(admin, f"set={chosen.id}") == []
    refused = admin.post(
        "/curate/batch",
        data={"action": "add_to_set", "set": chosen.id, "ware": ids, "csrf_token": admin_token},
    )
    assert "Choose a set" in admin.get(refused.headers["Location"]).get_data(as_text=True)


def _copy_values(site: Site, ware_id: int) -> dict[str, object] | None:
    with site.sessions() as session:
        draft = session.scalar(select(WareDraft).where(WareDraft.ware_id == ware_id))
        return None if draft is None else draft.merged_onto(draft.base)


def test_a_batch_edits_published_wares_in_their_working_copies_until_published(
    signed_in: SignedIn, site: Site
):
    client, token = signed_in("curator")
    public = [site.make_ware(status=WareStatus.PUBLISHED) for _ in range(3)]
    draft = site.make_ware()
    ids = [ware.id for ware in public]
    # One of them already has unpublished changes: the batch adds to them.
    edited = public[0]
    client.post(
        f"/curate/wares/{edited.id}",
        data={
            "accession_number": edited.accession_number,
            "title_en": "Retitled in the copy",
            "rights": edited.rights,
            "csrf_token": token,
        },
    )
    site.synced.clear()
    job_id = _run(
        client,
        token,
        {
            "action": "set_field",
            "field": "material",
            "value": "bone china",
            "ware": [*ids, draft.id],
        },
    )
    with site.sessions() as session:
        job = session.get(BatchJob, job_id)
        assert (job.status, job.changed) == (BatchStatus.FINISHED, 4)
        # The records of the published wares are as published; the draft changed directly.
        assert {session.get(Ware, i).material for i in ids} == {None}
        assert session.get(Ware, draft.id).material == "bone china"
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "ware_draft", AuditEvent.entity_id == ids[1])
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None and event.action == "batch_copy_set_field"
        assert (event.before, event.after) == ({"material": ""}, {"material": "bone china"})
    assert site.synced == [draft.id]  # nothing public changed but the draft
    for ware in public:
        assert _copy_values(site, ware.id)["material"] == "bone china"  # type: ignore[index]
    assert _copy_values(site, edited.id)["title_en"] == "Retitled in the copy"  # type: ignore[index]
    assert client.get(f"/api/v1/wares/{ids[1]}").get_json().get("material") in (None, "")
    page = client.get(f"/curate/batch/{job_id}").get_data(as_text=True)
    assert "in their working copies" in page
    # The job's page leads to the list of the wares with unpublished changes.
    assert 'href="/curate/?check=working_copy"' in page
    assert sorted(listed(client, "check=working_copy")) == sorted(
        w.accession_number for w in public
    )
    history = client.get(f"/curate/wares/{ids[1]}/history").get_data(as_text=True)
    assert "Field set in the working copy by a batch (not public yet)" in history

    # Undone as one unit: the copies the batch began are gone, the earlier one keeps its title.
    client.post(f"/curate/batch/{job_id}/undo", data={"csrf_token": token})
    assert batch_jobs.wait_all()
    assert _copy_values(site, ids[1]) is None and _copy_values(site, ids[2]) is None
    kept = _copy_values(site, edited.id)
    assert (
        kept is not None and kept["material"] == "" and kept["title_en"] == "Retitled in the copy"
    )
    with site.sessions() as session:
        assert session.get(Ware, draft.id).material is None

    # Again, then "Publish changes" over them all: the copies go public, audited per ware.
    _run(
        client, token, {"action": "append_field", "field": "material", "value": "gilt", "ware": ids}
    )
    site.synced.clear()
    publish_id = _run(client, token, {"action": "publish_changes", "ware": [*ids, draft.id]})
    with site.sessions() as session:
        job = session.get(BatchJob, publish_id)
        assert job.changed == 3
        assert [skip["reason"] for skip in job.skipped] == ["no_copy"]
        assert {session.get(Ware, i).material for i in ids} == {"gilt"}
        assert session.get(Ware, edited.id).title_en == "Retitled in the copy"
        assert session.scalars(select(WareDraft).where(WareDraft.ware_id.in_(ids))).all() == []
        assert ware_history(session, ids[1])[-1].action == "batch_publish_changes"
    assert sorted(site.synced) == sorted(ids)
    assert client.get(f"/api/v1/wares/{ids[1]}").get_json()["title"] == public[1].title_en
    page = client.get(f"/curate/batch/{publish_id}").get_data(as_text=True)
    assert "it has no unpublished changes" in page and "Undo this batch" in page

    # Undoing the publication puts the records back and the changes into the copies again.
    client.post(f"/curate/batch/{publish_id}/undo", data={"csrf_token": token})
    assert batch_jobs.wait_all()
    with site.sessions() as session:
        assert {session.get(Ware, i).material for i in ids} == {None}
        assert session.get(Ware, edited.id).title_en == edited.title_en
    assert _copy_values(site, ids[2])["material"] == "gilt"  # type: ignore[index]
    assert _copy_values(site, edited.id)["title_en"] == "Retitled in the copy"  # type: ignore[index]


def test_publishing_a_field_edit_at_once_is_asked_first(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")
    ware = site.make_ware(status=WareStatus.PUBLISHED)
    data = {
        "action": "set_field",
        "field": "pattern",
        "value": "Willow",
        "ware": [ware.id],
        "published_wares": "publish",
        "csrf_token": token,
    }
    asked = client.post("/curate/batch", data=data)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Please confirm" in text
    assert 'name="published_wares" value="publish"' in text
    with site.sessions() as session:
        assert session.scalars(select(BatchJob)).all() == []
    job_id = _run(client, token, {**data, "confirmed": "yes"})
    with site.sessions() as session:
        assert session.get(Ware, ware.id).pattern == "Willow"
        assert session.get(BatchJob, job_id).params["publish_at_once"] is True
