"""Kill -9 a real metadata-only ``potbank ingest`` (set-based batches, the keyword index written
by a child process) mid-run, run it again: identical to an uninterrupted run."""

from __future__ import annotations

import pytest

from tests.ingest.resume_runs import META_ROWS, kill_and_rerun, metadata_collection


@pytest.mark.slow
def test_kill_minus_nine_during_a_metadata_ingest_then_rerun(tmp_path):
    source = metadata_collection(tmp_path / "source")
    clean = kill_and_rerun(tmp_path, source, META_ROWS)
    assert len(clean["catalogue"]) == len(clean["text"]) == META_ROWS
