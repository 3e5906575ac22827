"""ware_documents: the search documents of the public wares, read from the catalogue."""

from __future__ import annotations

from archive.models import (
    Collection,
    Institution,
    Maker,
    MakerName,
    Photograph,
    Ware,
    WareMaker,
    WareStatus,
    utcnow,
)
from index.documents import ware_documents


def test_documents_of_public_wares_with_makers_aliases_and_photographs(session) -> None:
    wedgwood = Maker(
        key="wedgwood",
        name="Wedgwood",
        name_zh="玮致活",
        aliases=[MakerName(name="Josiah Wedgwood and Sons"), MakerName(name="Wedgwood")],
    )
    bentley = Maker(key="bentley", name="Thomas Bentley", aliases=[])
    institution = Institution(name="Potteries Museum")
    collection = Collection(name="Jasper", institution=institution)
    credits = [WareMaker(maker=bentley, position=1), WareMaker(maker=wedgwood, position=0)]
    vase = Ware(
        accession_number="A.1",
        title_en="Vase",
        title_zh="花瓶",
        object_type="vase",
        material="jasper",
        year_earliest=1780,
        year_latest=1790,
        status=WareStatus.PUBLISHED,
        institution=institution,
        collection=collection,
        makers=credits,
        photographs=[Photograph(sha256="0" * 64, format="jpg", width=1, height=1, byte_size=1)],
    )
    plain = Ware(
        accession_number="A.2",
        title_en="Plate",
        status=WareStatus.PUBLISHED,
        institution=institution,
        makers=[WareMaker(maker=wedgwood, position=0)],
    )
    draft = Ware(accession_number="A.3", title_en="Draft", institution=institution)
    deleted = Ware(
        accession_number="A.4",
        title_en="Gone",
        status=WareStatus.PUBLISHED,
        deleted_at=utcnow(),
        institution=institution,
    )
    session.add_all([vase, plain, draft, deleted])
    session.commit()

    docs = ware_documents(session, [deleted.id, plain.id, vase.id, draft.id])
    assert [doc["id"] for doc in docs] == sorted([vase.id, plain.id])
    assert ware_documents(session) == docs  # every public ware, read without an id list
    doc = next(doc for doc in docs if doc["id"] == vase.id)
    assert doc["accession"] == "A.1" and doc["title"] == "Vase" and doc["title_zh"] == "花瓶"
    assert doc["maker"] == "Wedgwood; Thomas Bentley"
    # Other names once each, never repeating a main name.
    assert doc["maker_aliases"] == "玮致活; Josiah Wedgwood and Sons"
    assert doc["institution"] == "Potteries Museum" and doc["collection"] == "Jasper"
    assert doc["has_photo"] is True and (doc["year_earliest"], doc["year_latest"]) == (1780, 1790)
    assert doc["description"] == "" and doc["marks"] == ""
    other = next(doc for doc in docs if doc["id"] == plain.id)
    assert other["has_photo"] is False and other["collection"] == ""
    assert other["year_earliest"] is None and other["maker"] == "Wedgwood"
    assert ware_documents(session, []) == []
