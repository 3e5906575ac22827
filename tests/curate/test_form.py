"""The ware form says what is wrong and keeps what was typed."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from tests.curate.conftest import Site
from web.curate.forms import read_form


def test_each_field_is_checked():
    form = read_form(
        MultiDict(
            {
                "accession_number": "",
                "year_earliest": "around 1700",
                "year_latest": "1600",
                "height_cm": "-3",
                "rights": "javascript:alert(1)",
                "maker_name": "Spode",
                "maker_role": "owner",
            }
        )
    )
    assert set(form.errors) == {
        "accession_number",
        "title_en",
        "year_earliest",
        "height_cm",
        "rights",
        "makers",
    }
    assert form.values["year_earliest"] == "around 1700"


def test_years_in_the_wrong_order_and_control_characters():
    form = read_form(
        MultiDict(
            {
                "accession_number": "A\x00-1",
                "title_zh": " 青花 ",
                "year_earliest": "1795",
                "year_latest": "-200",
            }
        )
    )
    assert form.accession_number == "A-1"
    assert form.fields["title_zh"] == "青花"
    assert "year_latest" in form.errors


def test_a_rejected_form_is_shown_again_with_its_values(signed_in, site: Site):
    client, token = signed_in("curator")
    response = client.post(
        "/curate/wares/new",
        data={
            "csrf_token": token,
            "institution": "Capital Museum, Beijing",
            "accession_number": "CN-0001",
            "title_en": "Duplicate number",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "already has a ware CN-0001" in page and 'value="Duplicate number"' in page
    bad = client.post(
        "/curate/wares/new",
        data={"csrf_token": token, "institution": "Nowhere", "accession_number": "N-1"},
    )
    assert bad.status_code == 422
    assert "Choose one of the institutions." in bad.get_data(as_text=True)
