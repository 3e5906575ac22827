"""Turning and cropping a photograph: the original stays untouched, the derivatives follow, the
history records it, the index log hands the photograph to the indexes, and it can be undone."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from archive.catalogue import get_or_create_institution, upsert_ware
from archive.editing import (
    EditRefused,
    arrange_photographs,
    full_snapshot,
    show_photograph,
    turn_photograph,
)
from archive.imaging import Rendition, parse_box, turn_box
from archive.index_log import IndexChange
from archive.models import AuditEvent, Photograph, PhotoView
from archive.store import ImageStore
from tests.conftest import make_image_bytes


def _marked(size: tuple[int, int] = (400, 300)) -> bytes:
    """A photograph whose top-left corner is red and the rest blue: its orientation is seen."""
    image = Image.new("RGB", size, (20, 40, 200))
    image.paste((230, 20, 20), (0, 0, size[0] // 4, size[1] // 4))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _red_corner(path) -> str:  # type: ignore[no-untyped-def]
    """Which corner of a derivative is red."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        w, h = rgb.size
        corners = {
            "top-left": (2, 2),
            "top-right": (w - 3, 2),
            "bottom-right": (w - 3, h - 3),
            "bottom-left": (2, h - 3),
        }
        reds = [name for name, xy in corners.items() if rgb.getpixel(xy)[0] > 150]
    assert len(reds) == 1, reds
    return reds[0]


def test_turning_a_box_four_times_brings_it_back():
    box, size = (10, 20, 30, 40), (400, 300)
    turned = box
    for step in range(4):
        turned = turn_box(turned, size if step % 2 == 0 else size[::-1])
    assert turned == box
    assert turn_box(box, size) == (300 - 20 - 40, 10, 40, 30)


def test_a_crop_turns_with_the_photograph_and_maps_boxes_both_ways():
    upright = (400, 300)
    cropped = Rendition(0, (0, 0, 100, 75))  # the top-left quarter
    turned = cropped.turned(90, upright)
    # Turned right, the top-left corner is the top-right one: 300 wide, 400 high.
    assert turned == Rendition(90, (225, 0, 75, 100))
    assert turned.shown_size(upright) == (75, 100)
    box = (10, 5, 20, 10)  # in the upright photograph, inside the crop
    shown = turned.box_from_upright(box, upright)
    assert shown is not None
    assert turned.box_to_upright(shown, upright) == box
    assert turned.box_from_upright((300, 200, 50, 50), upright) is None  # outside the crop
    assert Rendition().key("a" * 64) == "a" * 64
    assert turned.key("a" * 64) != "a" * 64 and len(turned.key("a" * 64)) == 64
    with pytest.raises(ValueError):
        Rendition(45)
    with pytest.raises(ValueError):
        Rendition(0, (0, 0, 500, 10)).checked(upright)
    assert Rendition(90, (0, 0, 300, 400)).checked(upright) == Rendition(90)
    assert parse_box("1, 2,3,4") == (1, 2, 3, 4)


def _ware_with_photo(session, store: ImageStore, data: bytes):  # type: ignore[no-untyped-def]
    museum = get_or_create_institution(session, "Potteries Museum")
    ware, _ = upsert_ware(
        session,
        institution=museum,
        accession_number="R1",
        fields={"title_en": "Sideways plate", "status": "published", "rights": "CC0"},
    )
    from archive.catalogue import attach_photograph

    photo, _ = attach_photograph(session, ware, store.put(data), view=PhotoView.FRONT)
    session.commit()
    return ware, photo


def test_turn_and_crop_keep_the_original_and_undo(session, tmp_path):
    store = ImageStore(tmp_path / "store")
    data = _marked()
    ware, photo = _ware_with_photo(session, store, data)
    original = store.original_path(photo.sha256, photo.format)
    first_change = session.scalar(select(IndexChange.seq).order_by(IndexChange.seq.desc()))

    assert turn_photograph(session, store, ware, photo, 90, actor="c@x", user_id=None)
    session.commit()
    assert original.read_bytes() == data  # lossless: the contributed bytes are untouched
    assert (photo.rotation, photo.crop, photo.width, photo.height) == (90, None, 300, 400)
    assert photo.image_key != photo.sha256
    assert _red_corner(store.derivative_path(photo.image_key, "display")) == "top-right"
    assert _red_corner(store.derivative_path(photo.sha256, "display")) == "top-left"
    # The index log drops what the indexes held of the photograph before its ware adds it back.
    logged = session.execute(
        select(IndexChange.ware_id, IndexChange.photo_id)
        .where(IndexChange.seq > (first_change or 0))
        .order_by(IndexChange.seq)
    ).all()
    assert logged == [(None, photo.id), (ware.id, None)]
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.action == "show_photograph"
    assert event.after["photograph_details"][0]["rotation"] == 90

    # A crop of the turned photograph: its top-right 150 pixels square, with the red corner.
    assert show_photograph(
        session, store, ware, photo, Rendition(90, (150, 0, 150, 150)), actor="c@x", user_id=None
    )
    session.commit()
    assert (photo.width, photo.height, photo.crop) == (150, 150, "150,0,150,150")
    with Image.open(store.derivative_path(photo.image_key, "display")) as shown:
        assert shown.size == (150, 150)
    assert _red_corner(store.derivative_path(photo.image_key, "display")) == "top-right"
    # Turning again turns the crop with it: still the red corner, now at the bottom right.
    turn_photograph(session, store, ware, photo, 90, actor="c@x", user_id=None)
    session.commit()
    assert photo.rotation == 180 and photo.crop == "250,150,150,150"
    assert _red_corner(store.derivative_path(photo.image_key, "thumb")) == "bottom-right"

    with pytest.raises(EditRefused):
        show_photograph(
            session, store, ware, photo, Rendition(0, (350, 0, 100, 10)), actor="c", user_id=None
        )
    session.rollback()

    assert show_photograph(session, store, ware, photo, Rendition(), actor="c@x", user_id=None)
    session.commit()
    assert (photo.image_key, photo.rotation, photo.crop) == (photo.sha256, 0, None)
    assert (photo.width, photo.height) == (400, 300)
    assert not show_photograph(session, store, ware, photo, Rendition(), actor="c", user_id=None)


def test_exif_turned_photograph_is_turned_from_how_it_is_seen(session, tmp_path):
    store = ImageStore(tmp_path / "store")
    image = Image.open(io.BytesIO(_marked((400, 300))))
    exif = image.getexif()
    exif[0x0112] = 6  # the camera was turned: seen 300×400
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    ware, photo = _ware_with_photo(session, store, buffer.getvalue())
    assert (photo.width, photo.height) == (300, 400)
    turn_photograph(session, store, ware, photo, 270, actor="c@x", user_id=None)
    session.commit()
    assert (photo.width, photo.height) == (400, 300)
    # EXIF 6 then a quarter turn left: as the pixels were stored.
    assert _red_corner(store.derivative_path(photo.image_key, "display")) == "top-left"


def test_captions_alt_text_and_rights_per_photograph_are_audited(session, tmp_path):
    store = ImageStore(tmp_path / "store")
    ware, photo = _ware_with_photo(session, store, make_image_bytes(seed=3))
    texts = {
        photo.id: {
            "caption_en": "The plate from above",
            "caption_zh": "俯视",
            "alt_en": "A blue plate with a red corner",
            "alt_zh": "蓝色盘子",
            "photographer": "A. Lens",
            "licence": "https://creativecommons.org/licenses/by/4.0/",
            "attribution": "© Potteries Museum",
        }
    }
    assert arrange_photographs(
        session, ware, [photo.id], {}, actor="c@x", user_id=None, texts=texts
    )
    session.commit()
    stored = session.get(Photograph, photo.id)
    assert stored is not None and stored.caption_zh == "俯视" and stored.alt_en.startswith("A blue")
    assert stored.rights == "https://creativecommons.org/licenses/by/4.0/"
    assert full_snapshot(ware)["photograph_details"][0]["photographer"] == "A. Lens"
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.action == "arrange_photographs"
    assert "photograph_details" in event.after
    # Without a licence of its own, the record's rights statement applies to the photograph.
    texts[photo.id]["licence"] = None
    arrange_photographs(session, ware, [photo.id], {}, actor="c@x", user_id=None, texts=texts)
    assert (stored.rights, stored.rights_inherited) == ("CC0", True)
    with pytest.raises(EditRefused):
        arrange_photographs(
            session,
            ware,
            [photo.id],
            {},
            actor="c",
            user_id=None,
            texts={photo.id: {"alt_en": "x" * 501}},
        )


def test_an_exhibition_detail_follows_its_photograph_through_a_turn_and_crop(session, tmp_path):
    from archive.exhibitions import Exhibition, ExhibitionItem, ExhibitionSection

    store = ImageStore(tmp_path / "store")
    ware, photo = _ware_with_photo(session, store, _marked())
    item = ExhibitionItem(ware_id=ware.id, photograph_id=photo.id, region="0,0,100,75")
    session.add(Exhibition(slug="red", sections=[ExhibitionSection(items=[item])], title_en="Red"))
    session.commit()
    turn_photograph(session, store, ware, photo, 90, actor="c@x", user_id=None)
    session.commit()
    # The red corner, turned to the top right of the 300×400 photograph.
    assert item.region == "225,0,75,100"
    show_photograph(
        session, store, ware, photo, Rendition(90, (200, 0, 100, 50)), actor="c", user_id=None
    )
    session.commit()
    assert item.region == "25,0,75,50"  # cut to the crop
    show_photograph(
        session, store, ware, photo, Rendition(90, (0, 200, 100, 100)), actor="c", user_id=None
    )
    session.commit()
    assert item.region is None  # the crop leaves none of it: the whole photograph
