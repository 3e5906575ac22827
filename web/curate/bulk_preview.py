"""A bulk upload's dry run and its mapping: the files wait in an upload folder (marked by a
manifest) while the curator checks them, maps the columns and imports, so the import never asks
for the files again. Nothing here writes to the catalogue, the indexes or the image store."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from archive.models import Institution
from ingest.dry_run import DryRun, dry_run, mark_existing
from ingest.mapping import guess_targets, profile_columns
from ingest.profiles import (
    TARGETS,
    Profile,
    ProfileError,
    builtin_profiles,
    column_profile,
    load_profile,
    parse_profile,
    profile_names,
    profile_toml,
)
from ingest.records import IngestProblem, RowError, ordered
from ingest.sources import SourceError
from web.curate import jobs
from web.curate.uploads import PHOTOS_NAME, UploadRejected, records_name
from web.views.context import AppState

# The mapping built on the screen rather than chosen by name.
COLUMNS_MODE = ""
COLUMNS_PROFILE = "columns"
# Rows read to find the columns of a JSON source (a CSV's header names them all).
COLUMN_SAMPLE = 50
MAX_COLUMNS = 200
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Preview:
    """An upload waiting in its folder for the curator's import."""

    token: str
    user_id: int
    institution_id: int | None
    as_submission: bool
    source_name: str
    mapping: str
    folder: Path


@dataclass(frozen=True)
class Mapping:
    """The mapping a dry run uses: a named profile or one built from ``columns``; ``error``
    says why the columns as assigned make no profile."""

    mode: str
    columns: dict[str, str]
    profile: Profile | None
    error: str | None = None


def create(
    state: AppState,
    *,
    user_id: int,
    institution_id: int | None,
    as_submission: bool,
    records: FileStorage,
    data: bytes,
    photos: FileStorage | None,
    mapping: str,
) -> Preview:
    """Keep the uploaded files in a new folder for a dry run."""
    token = secrets.token_hex(16)
    folder = state.settings.home / "uploads" / token
    folder.mkdir(parents=True)
    (folder / records_name(records.filename, data[:4096])).write_bytes(data)
    if photos is not None and photos.filename:
        # Streamed to disk: a ZIP may be large; members are read from it with size caps.
        photos.save(folder / PHOTOS_NAME)
    manifest = {
        "user_id": user_id,
        "institution_id": institution_id,
        "as_submission": as_submission,
        "source_name": (records.filename or "upload")[-300:],
        "mapping": mapping,
    }
    # Written last: a folder without it is an unclaimed upload, removed within the hour.
    (folder / jobs.PREVIEW_MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return _preview(token, folder, manifest)


def find(state: AppState, token: str, user_id: int) -> Preview | None:
    """The account's waiting upload ``token`` (None for another's, an imported or a gone one)."""
    if not _TOKEN.match(token):
        return None
    folder = state.settings.home / "uploads" / token
    try:
        manifest = json.loads((folder / jobs.PREVIEW_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("user_id") != user_id:
        return None
    return _preview(token, folder, manifest)


def _preview(token: str, folder: Path, manifest: dict[str, Any]) -> Preview:
    return Preview(
        token,
        int(manifest["user_id"]),
        manifest.get("institution_id"),
        bool(manifest.get("as_submission")),
        str(manifest.get("source_name", "upload")),
        str(manifest.get("mapping", COLUMNS_MODE)),
        folder,
    )


def claim(preview: Preview, mapping: Mapping) -> str:
    """Hand the folder over to an import: a built mapping is written beside the files; returns
    the name the job records for its mapping."""
    if mapping.mode == COLUMNS_MODE:
        assert mapping.profile is not None
        data = column_profile(COLUMNS_PROFILE, "Built on the mapping screen", mapping.columns)
        (preview.folder / jobs.MAPPING_FILE).write_text(profile_toml(data), encoding="utf-8")
    (preview.folder / jobs.PREVIEW_MANIFEST).unlink(missing_ok=True)
    return COLUMNS_PROFILE if mapping.mode == COLUMNS_MODE else mapping.mode


def discard(preview: Preview) -> None:
    """Remove a waiting upload's files (the curator chose not to import them)."""
    shutil.rmtree(preview.folder, ignore_errors=True)


def columns(state: AppState, preview: Preview, mode: str | None) -> list[str]:
    """The source's columns in the order they first appear (top-level keys of JSON records),
    read with the delimiter and encoding of the profile ``mode`` names, if it names one."""
    home = state.settings.home
    found: dict[str, None] = {}
    try:
        reader = load_profile(mode if mode in profile_names(home) else "potbank", home)
    except ProfileError:
        reader = load_profile("potbank")  # the mapping screen says what is wrong with it
    try:
        with jobs.opened_upload(state, preview.folder, reader) as (rows, _):
            for _, row in itertools.islice(rows, COLUMN_SAMPLE):
                if not isinstance(row, RowError):
                    found.update(dict.fromkeys(str(key) for key in row))
    except (SourceError, UploadRejected):
        pass  # the dry run reports why the file cannot be read
    return [name for name in found if name][:MAX_COLUMNS]


def mapping_from(
    state: AppState, mode: str | None, assigned: dict[str, str] | None, names: list[str]
) -> Mapping:
    """The mapping asked for: a profile by name (its columns shown as it reads them), or the
    columns as assigned on the screen; with neither, the columns as guessed from their names."""
    home = state.settings.home
    if mode and mode in profile_names(home):
        try:
            profile = load_profile(mode, home)
        except ProfileError as error:
            return Mapping(mode, dict.fromkeys(names, ""), None, str(error))
        return Mapping(mode, profile_columns(profile, names), profile)
    if assigned is None:
        builtin = [load_profile(name) for name in builtin_profiles()]
        assigned = guess_targets(names, builtin)
    chosen = {name: assigned.get(name, "") for name in names}
    chosen = {name: target if target in TARGETS else "" for name, target in chosen.items()}
    try:
        data = column_profile(COLUMNS_PROFILE, "", chosen)
    except ProfileError as error:
        return Mapping(COLUMNS_MODE, chosen, None, str(error))
    return Mapping(COLUMNS_MODE, chosen, parse_profile(data, COLUMNS_PROFILE))


def check(state: AppState, session: Session, preview: Preview, profile: Profile) -> DryRun:
    """The dry run of the waiting upload with ``profile``, under the uploader's rules."""
    institution = (
        session.get(Institution, preview.institution_id) if preview.institution_id else None
    )
    noted: list[IngestProblem] = []
    try:
        with jobs.opened_upload(state, preview.folder, profile) as (rows, photos):
            mapped = jobs.upload_records(
                session, preview.user_id, preview.as_submission, profile, institution, rows, noted
            )
            result = dry_run(
                mapped,
                photos,
                institution=institution.name if institution else None,
                max_pixels=state.settings.max_image_pixels,
            )
    except UploadRejected as error:
        return DryRun(problems=[IngestProblem(0, None, "source", str(error))], readable=False)
    mark_existing(session, result)
    result.problems = ordered(result.problems + noted)
    return result
