"""A ware's photographs: upload several at once, order them, mark their views, write each one's
caption, alt text, photographer, licence and credit, turn and crop them (the original is kept
and every turn or crop can be undone), delete them, and serve them to the accounts that may see
an unpublished ware."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from flask import abort, flash, redirect, request, send_file, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from archive.curation import WareDraft
from archive.editing import (
    PHOTO_TEXT_FIELDS,
    EditRefused,
    add_photograph,
    arrange_photographs,
    remove_photograph,
    show_photograph,
    turned_rendition,
    undo_photograph_removal,
)
from archive.ids import parse_id
from archive.imaging import DERIVATIVE_SIZES, ImageRejected, Rendition
from archive.models import PhotoView, Ware, WareStatus
from archive.pending_photos import (
    Entry,
    add_entry,
    arrange_entries,
    copy_entries,
    find_entry,
    put_back_entry,
    remove_entry,
    show_entry,
)
from archive.store import StoredImage, StoreUnwritable
from archive.working_copies import removed_in_copy, working_copy
from web.auth import Rule, access
from web.curate.access import actor, editable_ware, visible_photo
from web.curate.blueprint import curate
from web.curate.copy_photos import change_copy_photos, in_working_copy
from web.curate.forms import RIGHTS_PATTERN, clean_text
from web.curate.holding import check_new_photographs
from web.curate.indexing import sync_wares
from web.curate.safety import offer_undo, unconfirmed
from web.views.context import app_state, db_session
from web.views.formatting import translate as _

MAX_FILES_PER_UPLOAD = 50


def _read_limited(upload: FileStorage, limit: int) -> bytes | None:
    """The upload's bytes, or None when it is larger than ``limit``."""
    data = upload.stream.read(limit + 1)
    return None if len(data) > limit else data


def _display_name(upload: FileStorage) -> str | None:
    # Kept only as a label for curators; the stored file is named by its SHA-256.
    name = PurePath((upload.filename or "").replace("\\", "/")).name
    return name[:300] or None


@curate.post("/wares/<int:ware_id>/photos")
@access(Rule.SIGNED_IN)
def upload_photos(ware_id: int) -> Response:
    """Add the chosen photographs; each is checked by content and size, never by its name."""
    ware = editable_ware(ware_id)
    uploads = [item for item in request.files.getlist("photos") if item.filename]
    if not uploads:
        flash(_("Choose one or more photographs to upload."), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id))
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        flash(_("At most {n} photographs at a time.", n=MAX_FILES_PER_UPLOAD), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id))
    photographer = clean_text(request.form.get("photographer"))[:300] or None
    licence = clean_text(request.form.get("licence"))[:300] or None
    attribution = clean_text(request.form.get("attribution"))[:500] or None
    if licence and not RIGHTS_PATTERN.match(licence):
        flash(_("Use a Creative Commons or rightsstatements.org URI for the licence."), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")
    view_name = request.form.get("view", PhotoView.FRONT.value)
    view = PhotoView(view_name) if view_name in PhotoView._value2member_map_ else PhotoView.FRONT
    state = app_state()
    email, user_id = actor()
    added: list[tuple[str, StoredImage]] = []
    stored_images: list[tuple[str, StoredImage, str | None]] = []
    for upload in uploads:
        label = _display_name(upload) or _("unnamed file")
        data = _read_limited(upload, state.settings.max_upload_bytes)
        if data is None:
            flash(_("{name}: larger than this archive accepts.", name=label), "error")
            continue
        try:
            stored = state.store.put(data)
        except ImageRejected as rejection:
            flash(_("{name}: {reason}", name=label, reason=str(rejection)), "error")
            continue
        except StoreUnwritable:
            # Logged by the store with its path; the curator is told plainly.
            flash(
                _(
                    "{name}: the archive could not save this photograph just now. Nothing was "
                    "changed; please try again later or tell the archive's administrator.",
                    name=label,
                ),
                "error",
            )
            continue
        stored_images.append((label, stored, _display_name(upload)))
    details = {"photographer": photographer, "licence": licence, "attribution": attribution}
    if in_working_copy(ware):
        return _upload_to_copy(ware, stored_images, view, details)
    for label, stored, filename in stored_images:
        if add_photograph(
            db_session(),
            ware,
            stored,
            view=view,
            original_filename=filename,
            actor=email,
            user_id=user_id,
            **details,
        ):
            added.append((label, stored))
    # Before the commit: a held ware is never published, not even for a moment.
    copies = check_new_photographs(ware, added, actor=email, user_id=user_id)
    db_session().commit()
    if added:
        sync_wares(db_session(), [ware.id])
        flash(_("{n} photograph(s) added.", n=len(added)))
    for message, _held in copies:
        flash(message, "warning")
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


def _upload_to_copy(
    ware: Ware,
    stored_images: list[tuple[str, StoredImage, str | None]],
    view: PhotoView,
    details: dict[str, str | None],
) -> Response:
    """Add stored photographs to the working copy of a public ware: not public until the
    changes are published (copies of other wares' photographs are named now, and checked
    again when they are published, when a ware no longer public is held for them)."""
    added: list[tuple[str, StoredImage]] = []

    def add(entries: list[Entry]) -> None:
        for label, stored, filename in stored_images:
            if add_entry(entries, stored, view=view, original_filename=filename, **details):
                added.append((label, stored))

    change_copy_photos(ware, add, "copy_add_photograph")
    if added:
        flash(
            _(
                "{n} photograph(s) added to the working copy. The public sees them once you "
                "publish the changes.",
                n=len(added),
            )
        )
    if ware.status is WareStatus.PUBLISHED:  # only named: nothing to hold until published
        email, user_id = actor()
        for message, _held in check_new_photographs(ware, added, actor=email, user_id=user_id):
            flash(message, "warning")
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


@curate.post("/wares/<int:ware_id>/photos/arrange")
@access(Rule.SIGNED_IN)
def arrange_photos(ware_id: int) -> Response:
    """Reorder the photographs, choose the main one and mark each one's view."""
    ware = editable_ware(ware_id)
    copied = in_working_copy(ware)
    # (id, position, view) of each photograph: the working copy's while it has one.
    shown = (
        [(e["id"], e["position"], e["view"]) for e in copy_entries(ware, _copy(ware))]
        if copied
        else [(photo.id, photo.position, photo.view.value) for photo in ware.photographs]
    )
    positions: dict[int, float] = {}
    views: dict[int, PhotoView] = {}
    for photo_id, position, current in shown:
        raw = request.form.get(f"position-{photo_id}", str(position + 1))
        try:
            positions[photo_id] = float(raw)
        except ValueError:
            positions[photo_id] = position + 1
        view = request.form.get(f"view-{photo_id}", current)
        if view in PhotoView._value2member_map_:
            views[photo_id] = PhotoView(view)
    texts = {photo_id: _photo_texts(photo_id) for photo_id, _p, _v in shown}
    for photo_id, found in texts.items():
        licence = found.get("licence")
        if licence and not RIGHTS_PATTERN.match(licence):
            flash(_("Use a Creative Commons or rightsstatements.org URI for the licence."), "error")
            return redirect(url_for("curate.ware", ware_id=ware.id) + f"#photo-{photo_id}")
    main = parse_id(request.form.get("main"))
    if main is not None and main in positions:
        # The chosen main photograph goes first, the others keep their relative order.
        positions[main] = float("-inf")
    # (A new photograph of the working copy has a negative id: it goes after the others.)
    order = sorted(positions, key=lambda photo_id: (positions[photo_id], photo_id < 0, photo_id))
    email, user_id = actor()
    try:
        if copied:
            changed = (
                change_copy_photos(
                    ware,
                    lambda entries: arrange_entries(entries, order, views, texts),
                    "copy_arrange_photographs",
                )
                is not None
            )
        else:
            changed = arrange_photographs(
                db_session(), ware, order, views, actor=email, user_id=user_id, texts=texts
            )
    except EditRefused as refusal:
        db_session().rollback()
        flash(str(refusal), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id))
    db_session().commit()
    if changed and not copied:
        sync_wares(db_session(), [ware.id])
    if changed and copied:
        flash(_("Photographs saved in the working copy; the public sees them once published."))
    else:
        flash(_("Photographs saved.") if changed else _("Nothing had changed."))
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


def _photo_texts(photo_id: int) -> dict[str, str | None]:
    """The texts the form sent for a photograph (a field it did not send is left as it is)."""
    found: dict[str, str | None] = {}
    for name in PHOTO_TEXT_FIELDS:
        raw = request.form.get(f"{name}-{photo_id}")
        if raw is not None:
            found[name] = clean_text(raw) or None
    return found


def _copy(ware: Ware) -> WareDraft | None:
    return working_copy(db_session(), ware.id)


# How a photograph shown as (digest, format, rotation, crop) is to be shown next.
NextRendition = Callable[[str, str, int, str | None], Rendition]


def _show(ware_id: int, photo_id: int, rendition_of: NextRendition, done: str) -> Response:
    """Turn or crop a photograph: in the working copy of a public ware, else on the ware (then
    the index log already holds the photograph: ``archive.index_log`` notices its new image
    key, and the indexes are brought along)."""
    ware = editable_ware(ware_id)
    store = app_state().store
    back = url_for("curate.ware", ware_id=ware.id) + f"#photo-{photo_id}"
    copied = in_working_copy(ware)
    if copied:
        if find_entry(copy_entries(ware, _copy(ware)), photo_id) is None:
            abort(404)

        def show(entries: list[Entry]) -> None:
            entry = find_entry(entries, photo_id) or {}
            rendition = rendition_of(
                entry["sha256"], entry["format"], entry.get("rotation") or 0, entry.get("crop")
            )
            show_entry(store, entry, rendition)

        def change() -> bool:
            return change_copy_photos(ware, show, "copy_show_photograph") is not None

    else:
        photo = next((item for item in ware.photographs if item.id == photo_id), None)
        if photo is None:
            abort(404)
        email, user_id = actor()

        def change() -> bool:
            rendition = rendition_of(photo.sha256, photo.format, photo.rotation, photo.crop)
            return show_photograph(
                db_session(), store, ware, photo, rendition, actor=email, user_id=user_id
            )

    try:
        changed = change()
    except EditRefused as refusal:
        db_session().rollback()
        flash(str(refusal), "error")
        return redirect(back)
    except StoreUnwritable:
        db_session().rollback()
        flash(
            _(
                "The archive could not save this photograph just now. Nothing was changed; "
                "please try again later or tell the archive's administrator."
            ),
            "error",
        )
        return redirect(back)
    db_session().commit()
    if changed and not copied:
        sync_wares(db_session(), [ware.id])
    if not changed:
        flash(_("Nothing had changed."))
    elif copied:
        flash(_("{done} (in the working copy: not public until published)", done=_(done)))
    else:
        flash(_(done))
    return redirect(back)


# The turns offered: a quarter to the right, a half, a quarter to the left (three to the right).
TURNS = {"90": 90, "180": 180, "270": 270}


@curate.post("/wares/<int:ware_id>/photos/<int(signed=True):photo_id>/turn")
@access(Rule.SIGNED_IN)
def turn_photo(ware_id: int, photo_id: int) -> Response:
    """Turn a photograph a quarter or a half turn clockwise (its crop turns with it)."""
    quarter = TURNS.get(request.form.get("turn", ""))
    if quarter is None:
        flash(_("Choose a turn of 90, 180 or 270 degrees."), "error")
        return redirect(url_for("curate.ware", ware_id=ware_id) + f"#photo-{photo_id}")
    store = app_state().store
    return _show(
        ware_id,
        photo_id,
        lambda sha256, extension, rotation, crop: turned_rendition(
            store, sha256, extension, rotation, crop, quarter
        ),
        "Photograph turned.",
    )


def _crop_box(photo_id: int) -> tuple[int, int, int, int] | None:
    """The crop the form sent for a photograph, in pixels of the turned photograph, or None."""
    values = []
    for part in ("x", "y", "w", "h"):
        raw = (request.form.get(f"crop-{part}-{photo_id}") or "").strip()
        if not raw.isdigit() or len(raw) > 7:
            return None
        values.append(int(raw))
    x, y, w, h = values
    return (x, y, w, h) if w > 0 and h > 0 else None


@curate.post("/wares/<int:ware_id>/photos/<int(signed=True):photo_id>/crop")
@access(Rule.SIGNED_IN)
def crop_photo(ware_id: int, photo_id: int) -> Response:
    """Show only a region of the (turned) photograph; the original stays whole."""
    box = _crop_box(photo_id)
    if box is None:
        flash(_("Give the crop as whole numbers of pixels: left, top, width and height."), "error")
        return redirect(url_for("curate.ware", ware_id=ware_id) + f"#photo-{photo_id}")
    return _show(
        ware_id,
        photo_id,
        lambda _sha, _ext, rotation, _crop: Rendition(rotation, box),
        "Photograph cropped.",
    )


@curate.post("/wares/<int:ware_id>/photos/<int(signed=True):photo_id>/uncrop")
@access(Rule.SIGNED_IN)
def uncrop_photo(ware_id: int, photo_id: int) -> Response:
    """Undo the crop: show the whole photograph again (turned as it is)."""
    return _show(
        ware_id,
        photo_id,
        lambda _sha, _ext, rotation, _crop: Rendition(rotation),
        "Crop undone: the whole photograph is shown.",
    )


@curate.post("/wares/<int:ware_id>/photos/<int(signed=True):photo_id>/as-contributed")
@access(Rule.SIGNED_IN)
def reset_photo(ware_id: int, photo_id: int) -> Response:
    """Undo every turn and crop: show the photograph as it was contributed."""
    return _show(
        ware_id,
        photo_id,
        lambda _sha, _ext, _rotation, _crop: Rendition(),
        "The photograph is shown as it was contributed.",
    )


@curate.post("/wares/<int:ware_id>/photos/<int(signed=True):photo_id>/delete")
@access(Rule.SIGNED_IN)
def delete_photo(ware_id: int, photo_id: int) -> Response | tuple[str, int]:
    """Remove one photograph from the ware (asked first; the Undo offered after puts it back,
    as does restoring an earlier version from the history); from a public ware's working copy
    while it is public."""
    ware = editable_ware(ware_id)
    if in_working_copy(ware):
        return _remove_from_copy(ware, photo_id)
    photo = next((item for item in ware.photographs if item.id == photo_id), None)
    if photo is None:
        abort(404)
    # (A public ware's removal goes to its working copy above: here nothing public changes.)
    asked = unconfirmed(
        _("Remove photograph {n} from {title}?", n=photo.position + 1, title=ware.title),
        _("Remove"),
        back=url_for("curate.ware", ware_id=ware.id) + "#photographs",
    )
    if asked:
        return asked
    email, user_id = actor()
    event = remove_photograph(db_session(), ware, photo, actor=email, user_id=user_id)
    db_session().commit()
    sync_wares(db_session(), [ware.id])
    flash(_("Photograph removed."))
    if event is not None:
        offer_undo(
            _("A photograph was removed."),
            "curate.undo_remove_photo",
            ware_id=ware.id,
            event_id=event.id,
        )
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


def _remove_from_copy(ware: Ware, photo_id: int) -> Response | tuple[str, int]:
    """Take a photograph out of the working copy: the public keeps it until the changes are
    published (Discard brings it back into the copy)."""
    entries = copy_entries(ware, _copy(ware))
    entry = find_entry(entries, photo_id)
    if entry is None:
        abort(404)
    asked = unconfirmed(
        _(
            "Remove photograph {n} from the working copy of {title}? The public page keeps it "
            "until you publish the changes.",
            n=entry["position"] + 1,
            title=ware.title,
        ),
        _("Remove"),
        back=url_for("curate.ware", ware_id=ware.id) + "#photographs",
    )
    if asked:
        return asked
    event = change_copy_photos(
        ware,
        lambda found: remove_entry(found, photo_id),
        "copy_remove_photograph",
        removed=entry,
    )
    flash(_("Photograph removed from the working copy; the public sees it until you publish."))
    if event is not None:
        offer_undo(
            _("A photograph was removed from the working copy."),
            "curate.undo_copy_remove_photo",
            ware_id=ware.id,
            event_id=event.id,
        )
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


@curate.post("/wares/<int:ware_id>/photos/copy-undo/<int:event_id>")
@access(Rule.SIGNED_IN)
def undo_copy_remove_photo(ware_id: int, event_id: int) -> Response:
    """Put a photograph taken out of the working copy back where it was in the copy."""
    ware = editable_ware(ware_id)
    entry = removed_in_copy(db_session(), ware.id, event_id)
    if entry is None or not in_working_copy(ware):
        flash(_("That removal cannot be undone here any more."), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")
    event = change_copy_photos(
        ware, lambda entries: put_back_entry(entries, entry), "copy_undo_remove_photograph"
    )
    flash(_("Photograph put back.") if event is not None else _("Nothing had changed."))
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


@curate.post("/wares/<int:ware_id>/photos/undo/<int:event_id>")
@access(Rule.SIGNED_IN)
def undo_remove_photo(ware_id: int, event_id: int) -> Response:
    """Put back the photographs a removal took off, where and as they were."""
    ware = editable_ware(ware_id)
    email, user_id = actor()
    try:
        changed = undo_photograph_removal(
            db_session(), ware, event_id, actor=email, user_id=user_id
        )
    except EditRefused as refusal:
        db_session().rollback()
        flash(str(refusal), "error")
        return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")
    db_session().commit()
    if changed:
        sync_wares(db_session(), [ware.id])
    flash(_("Photograph put back.") if changed else _("Nothing had changed."))
    return redirect(url_for("curate.ware", ware_id=ware.id) + "#photographs")


@curate.get("/photos/<int:photo_id>/<size>.jpg")
@access(Rule.SIGNED_IN)
def photo_image(photo_id: int, size: str) -> Response:
    """A derivative of any photograph the account may see, published or not (never cached by
    shared caches, since it may be unpublished)."""
    if size not in DERIVATIVE_SIZES:
        abort(404)
    photo = visible_photo(photo_id)
    path = app_state().store.derivative_path(photo.image_key, size)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)
