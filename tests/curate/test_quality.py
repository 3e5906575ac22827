"""The data-quality page and the ware form reading years from the date as written."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from archive.catalogue import get_or_create_maker
from archive.models import Photograph, Ware, WareMaker
from tests.curate.conftest import Site
from tests.curate.test_workbench import listed

SignedIn = Callable[[str], tuple[FlaskClient, str]]


def _counts(page: str) -> dict[str, int]:
    cells = re.findall(r"<td>([^<]+)</td>\s*<td><a href=\"[^\"]+\">(\d+)</a></td>", page)
    return {label: int(number) for label, number in cells}


def test_counts_link_to_the_wares_they_count(signed_in: SignedIn, site: Site):
    client, _ = signed_in("curator")
    with site.sessions() as session:
        undated = session.scalar(select(Ware).where(Ware.accession_number == "CN-0004"))
        undated.date_text = "some time ago"
        # A second ware carrying the vase's photograph: a duplicate.
        vase_photo = session.scalar(
            select(Photograph).where(Photograph.ware_id == site.catalogue.vase)
        )
        session.add(
            Photograph(
                ware_id=site.catalogue.teapot,
                sha256=vase_photo.sha256,
                format="jpeg",
                width=1,
                height=1,
                byte_size=1,
                position=5,
            )
        )
        session.commit()
    page = client.get("/curate/quality").get_data(as_text=True)
    counts = _counts(page)
    assert counts["Without a photograph"] == 2  # CN-0004 and JCI-001
    assert counts["Without a rights statement"] == 4
    assert counts["Without years"] == 4
    assert counts["With a date the catalogue could not read into years"] == 1
    assert counts["Sharing a photograph with another ware (same file or same visual hash)"] == 2
    assert listed(client, "check=unparsed_date") == ["CN-0004"]
    assert sorted(listed(client, "check=duplicate_photo")) == ["CN-0001", "CN-0002"]
    zh = client.get("/curate/quality", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "数据质量" in zh


def test_lone_makers_with_near_identical_names(signed_in: SignedIn, site: Site):
    client, _ = signed_in("curator")
    with site.sessions() as session:
        typo = get_or_create_maker(session, "Josiah Wedgwod and Sons", "wedgwod")
        session.add(WareMaker(ware_id=site.catalogue.draft, maker_id=typo.id))
        far = get_or_create_maker(session, "Spode", "spode")
        session.add(WareMaker(ware_id=site.catalogue.draft, maker_id=far.id))
        session.commit()
    page = client.get("/curate/quality").get_data(as_text=True)
    lone = page[page.index('data-testid="lone-makers"') :]
    assert "Josiah Wedgwod and Sons" in lone and "Josiah Wedgwood and Sons" in lone
    assert "Spode" not in lone


def test_the_form_reads_years_from_the_date_or_says_it_cannot(signed_in: SignedIn, site: Site):
    client, token = signed_in("curator")

    def create(accession: str, date: str, **extra: str) -> str:
        response = client.post(
            "/curate/wares/new",
            data={
                "csrf_token": token,
                "institution": "Capital Museum, Beijing",
                "accession_number": accession,
                "title_en": "Dated ware",
                "date_text": date,
                **extra,
            },
        )
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    page = create("D-1", "Qing dynasty, Qianlong")
    assert "Years read from the date: 1736–1795." in page
    page = create("D-2", "circa 1430")
    assert "could not be read" not in page
    page = create("D-3", "some time ago")
    assert "The years could not be read from the date" in page
    create("D-4", "circa 1430", year_earliest="1400")  # typed years are kept as typed
    with site.sessions() as session:
        years = {
            ware.accession_number: (ware.year_earliest, ware.year_latest, ware.period)
            for ware in session.scalars(select(Ware).where(Ware.accession_number.like("D-%")))
        }
    assert years == {
        "D-1": (1736, 1795, "Qing dynasty, Qianlong reign"),
        "D-2": (1425, 1435, None),
        "D-3": (None, None, None),
        "D-4": (1400, None, None),
    }
