"""A batch job keeps the real keyword index in step, run by run, through a child writer."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from archive.batch import run_batch
from archive.catalogue import get_or_create_institution
from archive.models import Role, Ware, WareStatus
from archive.settings import Settings
from archive.users import create_user
from archive.workbench import BatchAction, BatchJob
from index.sync import IndexSync, text_index_for
from web.curate import batch_jobs
from web.curate.batch_jobs import ChunkIndexer


def _found(settings: Settings, query: str) -> int:
    text = text_index_for(settings)
    try:
        return text.search(query, per_page=1).total
    finally:
        text.close()


@pytest.mark.parametrize("run", [2, 1000])  # a child writer over several runs; one run in process
def test_batch_indexes_changed_wares_as_it_goes(
    settings: Settings, session_factory: sessionmaker[Session], monkeypatch, run: int
):
    monkeypatch.setattr(batch_jobs, "INDEX_RUN", run)
    monkeypatch.setattr("archive.batch.CHUNK", 2)
    with session_factory() as session:
        museum = get_or_create_institution(session, "Museum")
        rows = [
            {
                "institution_id": museum.id,
                "accession_number": f"M-{n}",
                "title_en": f"Jug {n}",
                "material": "creamware",
                "status": WareStatus.PUBLISHED if n < 5 else WareStatus.DRAFT,
            }
            for n in range(6)
        ]
        session.execute(insert(Ware), rows)
        user = create_user(session, "c@example.org", "x" * 12, Role.CURATOR)
        session.commit()
        IndexSync(settings).rebuild(session)
        ids = list(session.scalars(select(Ware.id)))
        job = BatchJob(
            user_id=user.id,
            action=BatchAction.SET_FIELD.value,
            params={"field": "material", "value": "pearlware", "publish_at_once": True},
            ware_ids=ids,
        )
        session.add(job)
        session.commit()
        indexer = ChunkIndexer(settings)
        run_batch(session, job, actor="c", committed=lambda done: indexer.add(session, done))
        indexer.finish(session)
    assert not indexer.failed
    assert (indexer.writer is not None) == (run == 2)
    assert _found(settings, "material:pearlware") == 5  # the draft stays out of the index
    assert _found(settings, "material:creamware") == 0
