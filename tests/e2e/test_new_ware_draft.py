"""The new-ware form in a real browser: what is typed is kept in the browser (there is no record
to autosave into yet), offered back when the form is opened again, and forgotten once the ware
is created."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CURATOR, screenshot, sign_in

pytestmark = pytest.mark.e2e
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"


def test_a_new_wares_typed_form_is_restored_after_a_reload(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, curate_site.url, CURATOR)
    page.goto(curate_site.url + "/curate/wares/new")
    offer = page.get_by_test_id("local-draft-offer")
    assert offer.is_hidden()
    page.get_by_label("Accession number").fill("CM-DRAFT-1")
    page.get_by_label("Title (English)").fill("Ewer typed before a reload")
    page.locator('input[name="maker_name"]').first.fill("Longquan kilns")
    page.wait_for_timeout(600)  # the form is kept a moment after the last keystroke

    page.reload()
    offer.wait_for(state="visible")
    assert page.get_by_label("Title (English)").input_value() == ""
    screenshot(page, "new-ware-draft-offered")
    offer.get_by_role("button", name="Restore it").click()
    assert offer.is_hidden()
    assert page.get_by_label("Accession number").input_value() == "CM-DRAFT-1"
    assert page.get_by_label("Title (English)").input_value() == "Ewer typed before a reload"
    assert page.locator('input[name="maker_name"]').first.input_value() == "Longquan kilns"

    page.get_by_label("Rights statement (licence URI)").fill(CC0)
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r"/curate/wares/\d+$"))
    # Created: the kept form is forgotten, so a new form starts blank with nothing offered.
    page.goto(curate_site.url + "/curate/wares/new")
    page.wait_for_load_state("load")
    assert page.get_by_test_id("local-draft-offer").is_hidden()
    kept = page.evaluate("() => Object.keys(window.localStorage)")
    assert not [key for key in kept if key.startswith("potbank:new-ware:")]
