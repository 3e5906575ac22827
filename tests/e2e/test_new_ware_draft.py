"""The new-ware form in a real browser: what is typed is kept in the browser (there is no record
to autosave into yet), offered back when the form is opened again, and forgotten once the ware
is created, or when the curator signs out (the next person at a shared computer never sees
it)."""

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


def test_signing_out_forgets_the_kept_form(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, curate_site.url, CURATOR)
    page.goto(curate_site.url + "/curate/wares/new")
    page.get_by_label("Accession number").fill("CM-SHARED-1")
    page.get_by_label("Title (English)").fill("Typed on a shared computer")
    page.wait_for_timeout(600)  # the form is kept a moment after the last keystroke
    kept = page.evaluate("() => Object.keys(window.localStorage)")
    assert [key for key in kept if key.startswith("potbank:new-ware:")]
    # Something else this origin keeps: only the server's Clear-Site-Data header removes it.
    page.evaluate("() => window.localStorage.setItem('probe', 'kept')")

    page.goto(curate_site.url + "/logout")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(curate_site.url + "/")
    page.wait_for_load_state("load")
    assert page.evaluate("() => Object.keys(window.localStorage)") == []

    # The next person signs in on the same browser: the form starts blank, nothing offered.
    sign_in(page, curate_site.url, CURATOR)
    page.goto(curate_site.url + "/curate/wares/new")
    page.wait_for_load_state("load")
    assert page.get_by_test_id("local-draft-offer").is_hidden()
    assert page.get_by_label("Title (English)").input_value() == ""


def test_the_sign_out_script_forgets_the_kept_form_by_itself(page, curate_site) -> None:  # type: ignore[no-untyped-def]
    """For a browser that ignores Clear-Site-Data, the sign-out page's script removes the kept
    forms (and only those) before the form is sent."""
    sign_in(page, curate_site.url, CURATOR)
    page.goto(curate_site.url + "/logout")
    page.evaluate(
        "() => { window.localStorage.setItem('potbank:new-ware:1', '{}');"
        " window.localStorage.setItem('probe', 'kept'); }"
    )
    # The server's answer is replaced by one without the header: only the script can have
    # removed anything.
    page.route(
        "**/logout",
        lambda route: (
            route.fulfill(status=200, content_type="text/html", body="<p>held</p>")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("held").wait_for()
    assert page.evaluate("() => Object.keys(window.localStorage)") == ["probe"]
