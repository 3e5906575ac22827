"""The kinds of index a generation holds, each knowing how to build itself into a generation
folder, apply a set of catalogue changes and compare itself with the catalogue.

The index writer (``index.writer``) treats them alike: a new kind (the local-feature index of
visual search, say) plugs in by implementing ``IndexKind`` and being passed in the writer's list
of kinds (or added to ``EXTRA_KINDS``). A kind must make ``apply`` idempotent: the writer may
apply the same change twice after a crash, and replays changes over a fresh build.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from sqlalchemy.orm import Session

from archive.db import in_chunks
from index.chinese import ensure_jieba
from index.documents import document_fingerprint, public_wares, ware_documents
from index.text import TextIndex
from index.vectors import held_ids

if TYPE_CHECKING:
    from index.photo_description import PhotoDescription
    from index.sync import BackgroundTextIndex, IndexSync

Progress = Callable[[int, int], None]


@dataclass
class ChangeSet:
    """What the indexes must redo: wares to re-read from the catalogue (a published one is
    (re)indexed, any other is removed) and photographs that no longer exist or are shown
    otherwise (turned, cropped: dropped, their ware's re-reading describes them afresh)."""

    ware_ids: set[int] = field(default_factory=set)
    removed_photo_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.ware_ids or self.removed_photo_ids)


@dataclass
class ApplyHints:
    """What a caller already has that saves work: vectors by image key it computed, wares it
    just created (no index holds them yet), a keyword-index writer process of its own."""

    embeddings: Mapping[str, np.ndarray] = field(default_factory=dict)
    new_ids: set[int] = field(default_factory=set)
    text_writer: BackgroundTextIndex | None = None
    # Local features and form vectors by image key (the ingest's photo workers computed them).
    local_features: Mapping[str, PhotoDescription] = field(default_factory=dict)
    # Someone waits for these changes (a curator's save, applied ahead of a backlog): the
    # keyword index commits them without merging, which the next ordinary commit does.
    waiting: bool = False


@dataclass
class KindDrift:
    """How one index differs from the catalogue, and the changes that repair it."""

    lines: list[str] = field(default_factory=list)
    repair: ChangeSet = field(default_factory=ChangeSet)
    # Set when only a rebuild can repair it (vectors of another embedder).
    rebuild_reason: str | None = None

    @property
    def clean(self) -> bool:
        return not self.lines and self.rebuild_reason is None


def id_lines(label: str, ids: list[int]) -> list[str]:
    """'3 wares missing from ...: 1, 2, 3' (at most 20 ids shown), or nothing when none."""
    if not ids:
        return []
    shown = ", ".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
    return [f"{len(ids)} {label}: {shown}"]


class IndexKind(Protocol):
    """One index of a generation."""

    name: str

    def build(self, folder: Path, session: Session, progress: Progress | None) -> int:
        """Fill an empty generation folder from the catalogue; returns how many items."""

    def apply(self, folder: Path, session: Session, changes: ChangeSet, hints: ApplyHints) -> None:
        """Bring the index in ``folder`` up to date for these changes (idempotent)."""

    def verify(self, folder: Path, session: Session) -> KindDrift:
        """Compare the index in ``folder`` with the catalogue, by content."""

    def close(self) -> None:
        """Release what the kind keeps open between calls."""

    def tidy(self, folder: Path) -> bool:
        """One bounded step of upkeep, run while the writer has nothing to apply (merging an
        index's small parts); True if another step would do more."""

    def prepare(self, folder: Path) -> None:
        """Do the one-off work of a first ``apply`` now (load dictionaries, models, open the
        index in ``folder``): a writer calls it when elected, before any change is waiting."""


class KeywordKind:
    """The Whoosh keyword index, in ``<generation>/text``."""

    name = "keyword"

    def __init__(self) -> None:
        self._open: TextIndex | None = None

    def index(self, folder: Path) -> TextIndex:
        path = folder / "text"
        if self._open is None or self._open.path != path:
            self.close()
            self._open = TextIndex(path)
        return self._open

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
            self._open = None

    def build(self, folder: Path, session: Session, progress: Progress | None) -> int:
        docs = ware_documents(session)
        self.index(folder).add(docs)
        return len(docs)

    def tidy(self, folder: Path) -> bool:
        return self.index(folder).consolidate()

    def prepare(self, folder: Path) -> None:
        # The glossary (read when the index opens) and jieba's dictionary: about 2 s at the
        # first Chinese title otherwise, 20 s on a loaded machine, while a curator's save
        # waited behind them.
        self.index(folder)
        ensure_jieba()

    def apply(self, folder: Path, session: Session, changes: ChangeSet, hints: ApplyHints) -> None:
        if not changes.ware_ids:
            return
        docs = ware_documents(session, changes.ware_ids)
        hidden = changes.ware_ids - {doc["id"] for doc in docs}
        new_ids = hints.new_ids & changes.ware_ids
        writer = hints.text_writer
        if writer is not None and writer.path == folder / "text":
            writer.submit(docs, new_ids, hidden)
        else:
            self.index(folder).add(
                docs, new_ids=new_ids, remove_ids=hidden, merge=not hints.waiting
            )

    def verify(self, folder: Path, session: Session) -> KindDrift:
        expected = {doc["id"]: document_fingerprint(doc) for doc in ware_documents(session)}
        indexed = self.index(folder).fingerprints()
        missing = sorted(set(expected) - set(indexed))
        extra = sorted(set(indexed) - set(expected))
        stale = sorted(i for i in set(expected) & set(indexed) if expected[i] != indexed[i])
        lines = [
            *id_lines("wares missing from the keyword index", missing),
            *id_lines("wares in the keyword index that should not be", extra),
            *id_lines("wares whose keyword-index document is out of date", stale),
        ]
        return KindDrift(lines, ChangeSet(set(missing) | set(extra) | set(stale)))


class VectorKind:
    """The FAISS image index, in ``<generation>/vectors.faiss``: built with the active embedder,
    kept by the embedder that built it (``IndexSync.embedder_for``) until a rebuild."""

    name = "vectors"

    def __init__(self, sync: IndexSync) -> None:
        self.sync = sync

    def close(self) -> None:
        """Nothing stays open: the index file is read and written whole."""

    def tidy(self, folder: Path) -> bool:
        return False  # one file, written whole: nothing to merge

    def prepare(self, folder: Path) -> None:
        self.sync.embedder_for(folder)  # the descriptor (or CLIP) loads once, here

    def build(self, folder: Path, session: Session, progress: Progress | None) -> int:
        from index.sync import photographs_of

        vectors = self.sync.fresh_vectors(folder)
        public = set(session.scalars(public_wares()))
        photos = [p for p in photographs_of(session, None) if p.ware_id in public]
        self.sync.embed_into(vectors, photos, progress=progress, embedder=self.sync.active)
        vectors.rebuild()  # exact or approximate search for the final size
        vectors.save()
        return len(photos)

    def apply(self, folder: Path, session: Session, changes: ChangeSet, hints: ApplyHints) -> None:
        from index.sync import photographs_of, vector_path

        photos = photographs_of(session, changes.ware_ids)
        public = public_among(session, changes.ware_ids)
        gone = {p.id for p in photos if p.ware_id not in public} | changes.removed_photo_ids
        embedder = self.sync.embedder_for(folder)
        held = held_ids(vector_path(folder), embedder.name, embedder.dim)
        shown = {p.id for p in photos if p.ware_id in public}
        if held is not None and not gone & held and shown <= held:
            return  # no photograph shown or hidden (a text-only edit): the index is as it was
        vectors = self.sync.open_vectors(folder)
        removed = vectors.remove(sorted(gone)) if gone else 0
        present = set(vectors.ids().tolist())
        fresh = [p for p in photos if p.ware_id in public and p.id not in present]
        known = hints.embeddings if embedder.name == self.sync.embedder.name else {}
        self.sync.embed_into(vectors, fresh, known, embedder=embedder)
        if removed or fresh:
            vectors.save()

    def verify(self, folder: Path, session: Session) -> KindDrift:
        from index.sync import photographs_of, stored_vector_embedder

        # The embedder the index takes (an older built-in descriptor's index answers until a
        # rebuild), and the active one, which verify compares against.
        embedder = self.sync.embedder_for(folder)
        active = self.sync.active
        stored = stored_vector_embedder(folder)
        public = set(session.scalars(public_wares()))
        photos = [p for p in photographs_of(session, None) if p.ware_id in public]
        expected = {p.id: p.ware_id for p in photos}
        indexed: set[int] = set()
        if stored == embedder.name:
            indexed = set(self.sync.open_vectors(folder).ids().tolist())
        missing = sorted(set(expected) - indexed)
        extra = sorted(indexed - set(expected))
        drift = KindDrift(
            [
                *id_lines("photographs missing from the image index", missing),
                *id_lines("photographs in the image index that should not be", extra),
            ],
            ChangeSet({expected[i] for i in missing}, set(extra)),
        )
        if stored is not None and stored != active.name:
            drift.rebuild_reason = (
                f"the image index was built with {stored} but the active "
                f"embedder is {active.name}: run 'potbank index rebuild'"
            )
        return drift


def public_among(session: Session, ids: set[int]) -> set[int]:
    from archive.models import Ware

    return {
        ware_id
        for chunk in in_chunks(sorted(ids))
        for ware_id in session.scalars(public_wares().where(Ware.id.in_(chunk)))
    }


# Factories of further index kinds (given the IndexSync), e.g. visual search's local features.
EXTRA_KINDS: list[Callable[[IndexSync], IndexKind]] = []


def default_kinds(sync: IndexSync) -> list[IndexKind]:
    """Every index an instance keeps: keyword, vectors, visual search's local features and form
    (``index.local_kind``) and any registered in EXTRA_KINDS."""
    from index.local_kind import LocalFeatureKind

    return [
        KeywordKind(),
        VectorKind(sync),
        LocalFeatureKind(sync),
        *(factory(sync) for factory in EXTRA_KINDS),
    ]
