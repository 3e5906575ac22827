"""Curators add and edit vocabulary terms in the browser: checked, audited, shown at once."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.models import AuditEvent
from archive.vocabulary import VocabularyTerm
from tests.curate.conftest import Site, sign_in
from web.views.vocabulary import CHECK_EVERY_SECONDS

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
TERM = {"category": "collection", "en": "Chinese ceramics", "zh": "中国陶瓷", "source": "curator"}


def _public_collection_label(client: FlaskClient, site: Site) -> dict[str, str]:
    record = client.get(f"/api/v1/wares/{site.catalogue.vase}").get_json()
    return record["collection"]["label"]


def test_a_curator_adds_and_edits_a_term(client: FlaskClient, site: Site) -> None:
    assert _public_collection_label(client, site) == {
        "en": "Chinese ceramics",
        "zh": "Chinese ceramics",
    }
    token = sign_in(client, "curator")
    listing = client.get("/curate/vocabulary").get_data(as_text=True)
    assert "Chinese ceramics" in listing  # listed among the values without a Chinese name
    response = client.post("/curate/vocabulary/new", data={**TERM, "csrf_token": token})
    assert response.status_code == 302
    assert _public_collection_label(client, site) == {"en": "Chinese ceramics", "zh": "中国陶瓷"}
    page = client.get(f"/wares/{site.catalogue.vase}", headers=CHINESE).get_data(as_text=True)
    assert "中国陶瓷" in page
    with site.sessions() as session:
        term = session.scalars(select(VocabularyTerm)).one()
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "vocabulary_term")
        ).one()
        assert event.action == "create" and event.after["zh"] == "中国陶瓷"
    edited = {**TERM, "zh": "中国瓷器", "csrf_token": token}
    assert client.post(f"/curate/vocabulary/{term.id}", data=edited).status_code == 302
    assert _public_collection_label(client, site)["zh"] == "中国瓷器"
    with site.sessions() as session:
        update = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "update", AuditEvent.entity_type == "vocabulary_term"
            )
        ).one()
        assert update.before == {"zh": "中国陶瓷"} and update.after == {"zh": "中国瓷器"}


def test_bad_terms_are_refused_with_reasons(client: FlaskClient, site: Site) -> None:
    token = sign_in(client, "curator")
    for change, field in (
        ({"zh": "Chinese"}, "zh"),
        ({"aat_id": "12345"}, "aat_id"),
        ({"category": "nonsense"}, "category"),
        ({"en": ""}, "en"),
    ):
        response = client.post(
            "/curate/vocabulary/new", data={**TERM, **change, "csrf_token": token}
        )
        assert response.status_code == 422, change
        # The error stands in the field's own label, after its input.
        labels = response.get_data(as_text=True).split('<label class="field">')
        marked = [part for part in labels if "field__error" in part]
        assert len(marked) == 1 and f'name="{field}"' in marked[0], change
    assert client.post("/curate/vocabulary/new", data=TERM).status_code == 400  # no CSRF token
    with site.sessions() as session:
        assert session.scalars(select(VocabularyTerm)).all() == []


def test_a_term_saved_by_another_worker_shows_within_about_a_second(
    client: FlaskClient, site: Site
) -> None:
    # Another process writes the term: this one learns of it at its next check (at most
    # CHECK_EVERY_SECONDS later), not through a write request of its own.
    assert _public_collection_label(client, site)["zh"] == "Chinese ceramics"
    with site.sessions() as session:
        session.add(VocabularyTerm(**TERM))
        session.commit()
    started = time.monotonic()
    while _public_collection_label(client, site)["zh"] != "中国陶瓷":
        assert time.monotonic() - started < CHECK_EVERY_SECONDS + 2, "the term never showed"
        time.sleep(0.05)
