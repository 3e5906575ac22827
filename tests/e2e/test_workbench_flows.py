"""The curator's workbench in a real browser, on SQLite and PostgreSQL: find 200 wares with the
list's search, select all results, set a field on every one as a background batch with
progress (into the published wares' working copies), publish the changes with a second batch,
then undo each batch as a whole from its page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from archive.curation import WareDraft
from archive.editing import ware_history
from archive.models import Maker, Ware, WareMaker
from index.sync import text_index_for
from tests.e2e.conftest import BENCH_WARES as WARES
from tests.e2e.conftest import screenshot, sign_in, wait_until

pytestmark = pytest.mark.e2e


def _materials(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return dict(
            session.execute(select(Ware.material, func.count()).group_by(Ware.material)).all()
        )


def _copies(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(WareDraft)) or 0


def _run_over_all_results(page, action: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("scope-all").check()
    panel = page.get_by_test_id("batch-panel")
    panel.locator("select[name=action]").select_option(action)


def test_batch_edit_of_200_wares_then_publish_and_undo(bench_site, page) -> None:  # type: ignore[no-untyped-def]
    base, sessions, settings = bench_site
    sign_in(page, base)

    page.get_by_label("Search").fill("accession:BAT*")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_test_id("ware-total").inner_text() == f"{WARES} wares"
    page.get_by_label("Select every ware on this page").check()
    assert page.locator("[data-selected-count]").inner_text() == "50"
    _run_over_all_results(page, "set_field")
    panel = page.get_by_test_id("batch-panel")
    assert panel.locator("input[name=value]").is_visible()
    assert not panel.locator("select[name=collection]").is_visible()
    panel.locator("select[name=field]").select_option("material")
    panel.locator("input[name=value]").fill("ironstone")
    # Publishing at once is asked first; declined, nothing runs.
    choice = page.get_by_test_id("published-wares")
    assert choice.locator("input[value=working_copy]").is_checked()
    choice.locator("input[value=publish]").check()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Run the batch").click()
    assert asked and "Publish this change at once?" in asked[0]
    assert "/curate/batch/" not in page.url
    # The default: each published ware's working copy; the public sees nothing yet.
    choice.locator("input[value=working_copy]").check()
    page.get_by_role("button", name="Run the batch").click()
    page.wait_for_url(re.compile(r"/curate/batch/\d+$"))
    edit_url = page.url
    # The progress page reloads itself when the job ends.
    page.get_by_test_id("undo-batch").wait_for(timeout=60_000)
    assert f"{WARES} wares changed" in page.get_by_test_id("job-summary").inner_text()
    assert _materials(sessions) == {"earthenware": WARES + 5}
    assert _copies(sessions) == WARES
    assert text_index_for(settings).search("material:ironstone", per_page=1).total == 0
    screenshot(page, "workbench-batch-done")

    # "Publish changes" over the same results publishes the 200 working copies.
    page.get_by_role("link", name="Back to the wares").click()
    _run_over_all_results(page, "publish_changes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Run the batch").click()
    page.wait_for_url(re.compile(r"/curate/batch/\d+$"))
    page.get_by_test_id("undo-batch").wait_for(timeout=60_000)
    assert f"{WARES} wares changed" in page.get_by_test_id("job-summary").inner_text()
    assert _materials(sessions) == {"ironstone": WARES, "earthenware": 5}
    assert _copies(sessions) == 0
    assert text_index_for(settings).search("material:ironstone", per_page=1).total == WARES

    # Undoing the publication puts the records back and the changes into the copies again.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("undo-batch").click()
    page.locator("text=The batch this undid").wait_for(timeout=60_000)
    page.get_by_test_id("job-status").filter(has_text="finished").wait_for(timeout=60_000)
    assert f"{WARES} wares changed" in page.get_by_test_id("job-summary").inner_text()
    assert _materials(sessions) == {"earthenware": WARES + 5}
    assert _copies(sessions) == WARES
    with sessions() as session:
        first = session.scalar(select(Ware.id).where(Ware.accession_number == "BAT-0000"))
        actions = [event.action for event in ware_history(session, first)]
    assert actions[-2:] == ["batch_publish_changes", "batch_undo"]
    assert text_index_for(settings).search("material:ironstone", per_page=1).total == 0

    # And the edit itself undone: the working copies it began are gone.
    page.goto(edit_url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("undo-batch").click()
    page.locator("text=The batch this undid").wait_for(timeout=60_000)
    page.get_by_test_id("job-status").filter(has_text="finished").wait_for(timeout=60_000)
    assert _copies(sessions) == 0


def _credited(sessions) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.execute(
            select(Ware.accession_number, Maker.name)
            .join(WareMaker, WareMaker.ware_id == Ware.id)
            .join(Maker, Maker.id == WareMaker.maker_id)
        ).all()
    return dict(rows)


def test_maker_merge_chosen_from_suggestions_then_undone(bench_site, page) -> None:  # type: ignore[no-untyped-def]
    base, sessions, _ = bench_site
    sign_in(page, base)
    page.get_by_role("link", name="Makers").click()
    page.get_by_role("link", name="Josiah Wedgwood & Sons").click()
    other = page.locator("input[name=other]")
    other.press_sequentially("Etrur", delay=30)
    wait_until(page, "() => document.querySelectorAll('datalist option').length > 0")
    value = page.evaluate("() => document.querySelector('datalist option').value")
    assert re.fullmatch(r"Wedgwood of Etruria \[#\d+\]", value)
    other.fill(value)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Merge", exact=True).click()
    page.get_by_test_id("undo-merge").wait_for()
    assert "2 wares now credit this maker" in page.content()
    assert set(_credited(sessions).values()) == {"Josiah Wedgwood & Sons"}
    assert "Wedgwood of Etruria" in page.get_by_test_id("maker-aliases").inner_text()
    screenshot(page, "workbench-maker-merged")
    page.get_by_test_id("undo-merge").click()
    page.locator("text=Merge undone.").wait_for()
    assert _credited(sessions) == {
        "BAT-0000": "Josiah Wedgwood & Sons",
        "OTHER-0200": "Wedgwood of Etruria",
        "OTHER-0201": "Wedgwood of Etruria",
    }


def test_the_ware_form_warns_before_leaving_unsaved_changes(bench_site, page) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = bench_site
    sign_in(page, base)
    page.goto(base + "/curate/wares/new")
    asked: list[str] = []
    answer = {"leave": False}

    def respond(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.type)
        dialog.accept() if answer["leave"] else dialog.dismiss()

    page.on("dialog", respond)
    page.get_by_label("Title (English)").fill("Half-typed")
    page.close(run_before_unload=True)
    for _ in range(100):
        if asked:
            break
        page.wait_for_timeout(50)
    assert asked == ["beforeunload"]  # dismissed, so the page stays open with its text
    assert page.get_by_label("Title (English)").input_value() == "Half-typed"
    # Leaving on purpose: the browser asks again, and goes once told to.
    answer["leave"] = True
    page.goto(base + "/curate/", wait_until="load")
    assert asked == ["beforeunload", "beforeunload"]
