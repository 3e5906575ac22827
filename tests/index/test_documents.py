"""ware_document from archive models."""

from __future__ import annotations

from archive.models import Collection, Institution, Maker, MakerName, Photograph, Ware, WareMaker
from index.documents import ware_document


def test_ware_document_has_the_documented_keys() -> None:
    wedgwood = Maker(
        key="wedgwood",
        name="Wedgwood",
        name_zh="玮致活",
        aliases=[MakerName(name="Josiah Wedgwood and Sons")],
    )
    bentley = Maker(key="bentley", name="Thomas Bentley", aliases=[])
    institution = Institution(name="Potteries Museum")
    collection = Collection(name="Jasper", institution=institution)
    credits = [WareMaker(maker=bentley, position=1), WareMaker(maker=wedgwood, position=0)]
    ware = Ware(
        id=7,
        accession_number="A.1",
        title_en="Vase",
        title_zh="花瓶",
        object_type="vase",
        material="jasper",
        year_earliest=1780,
        year_latest=1790,
        institution=institution,
        collection=collection,
        makers=credits,
        photographs=[Photograph(sha256="0" * 64, format="jpeg")],
    )
    doc = ware_document(ware)
    assert doc["id"] == 7 and doc["accession"] == "A.1"
    assert doc["maker"] == "Wedgwood; Thomas Bentley"
    assert doc["maker_aliases"] == "玮致活; Josiah Wedgwood and Sons"
    assert doc["institution"] == "Potteries Museum" and doc["collection"] == "Jasper"
    assert doc["has_photo"] is True and doc["year_latest"] == 1790
    assert doc["description"] == "" and doc["title_zh"] == "花瓶"
