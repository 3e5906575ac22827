"""Kill -9 a real ``potbank ingest`` mid-run, run it again: the catalogue, the image store and both
indexes end up identical to those of an uninterrupted run, nothing duplicated, nothing lost."""

from __future__ import annotations

import pytest

from tests.ingest.resume_runs import ROWS, kill_and_rerun, photographed_collection


@pytest.mark.slow
def test_kill_minus_nine_then_rerun_equals_an_uninterrupted_run(tmp_path):
    clean = kill_and_rerun(tmp_path, photographed_collection(tmp_path / "source"), ROWS)
    assert len(clean["catalogue"]) == ROWS and len(clean["vectors"]) == ROWS
