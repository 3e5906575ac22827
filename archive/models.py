"""SQLAlchemy 2.0 typed models for the whole catalogue."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from archive.portable_text import enforce_lengths

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Role(enum.StrEnum):
    ADMIN = "admin"
    CURATOR = "curator"
    PARTNER = "partner"


class WareStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"


class MakerRole(enum.StrEnum):
    MAKER = "maker"
    MANUFACTURER = "manufacturer"
    DESIGNER = "designer"
    DECORATOR = "decorator"


class PhotoView(enum.StrEnum):
    FRONT = "front"
    BASE = "base"
    MARK = "mark"
    DETAIL = "detail"
    OTHER = "other"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no native ENUM type) so adding a value never needs a type migration.
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Institution(Base):
    """A contributing body: a museum, a university."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(200))
    place: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    collections: Mapped[list[Collection]] = relationship(back_populates="institution")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    institution: Mapped[Institution | None] = relationship()


class Collection(Base):
    __tablename__ = "collection"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Chosen by a curator for the home page (audited).
    featured: Mapped[bool] = mapped_column(default=False, server_default=false())

    institution: Mapped[Institution] = relationship(back_populates="collections")


class Maker(Base):
    """A person, factory or kiln; ``key`` is the normalised name that merges spelling variants."""

    __tablename__ = "maker"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    name_zh: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(40))
    place: Mapped[str | None] = mapped_column(String(300))
    nationality: Mapped[str | None] = mapped_column(String(100))
    active_from: Mapped[int | None] = mapped_column(Integer)
    active_to: Mapped[int | None] = mapped_column(Integer)
    # The authority record curators keep (audited): life dates, a short biography in both
    # languages, and identifiers in other authorities (Wikidata "Q…", Getty ULAN "500…").
    born: Mapped[int | None] = mapped_column(Integer)
    died: Mapped[int | None] = mapped_column(Integer)
    biography_en: Mapped[str | None] = mapped_column(Text)
    biography_zh: Mapped[str | None] = mapped_column(Text)
    wikidata_id: Mapped[str | None] = mapped_column(String(20))
    ulan_id: Mapped[str | None] = mapped_column(String(20))

    aliases: Mapped[list[MakerName]] = relationship(
        back_populates="maker", cascade="all, delete-orphan", order_by="MakerName.id"
    )
    credits: Mapped[list[WareMaker]] = relationship(back_populates="maker")


class MakerName(Base):
    """An alternative name of a maker, in any language."""

    __tablename__ = "maker_name"
    __table_args__ = (UniqueConstraint("maker_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("maker.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(16))

    maker: Mapped[Maker] = relationship(back_populates="aliases")


class Ware(Base):
    """A catalogued object."""

    __tablename__ = "ware"
    __table_args__ = (
        UniqueConstraint("institution_id", "accession_number"),
        Index("ix_ware_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    collection_id: Mapped[int | None] = mapped_column(ForeignKey("collection.id"))
    accession_number: Mapped[str] = mapped_column(String(100))
    title_en: Mapped[str | None] = mapped_column(Text)
    title_zh: Mapped[str | None] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(200))
    description_en: Mapped[str | None] = mapped_column(Text)
    description_zh: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(300))
    date_text: Mapped[str | None] = mapped_column(String(300))
    year_earliest: Mapped[int | None] = mapped_column(Integer)
    year_latest: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(300))
    material: Mapped[str | None] = mapped_column(String(300))
    technique: Mapped[str | None] = mapped_column(String(300))
    pattern: Mapped[str | None] = mapped_column(String(300))
    marks: Mapped[str | None] = mapped_column(Text)
    dimensions_text: Mapped[str | None] = mapped_column(String(500))
    height_cm: Mapped[float | None] = mapped_column(Float)
    width_cm: Mapped[float | None] = mapped_column(Float)
    depth_cm: Mapped[float | None] = mapped_column(Float)
    diameter_cm: Mapped[float | None] = mapped_column(Float)
    credit_line: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str | None] = mapped_column(Text)
    rights: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[WareStatus] = mapped_column(_enum(WareStatus), default=WareStatus.DRAFT)
    source_record: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Chosen by a curator for the home page (audited).
    featured: Mapped[bool] = mapped_column(default=False, server_default=false())

    institution: Mapped[Institution] = relationship()
    collection: Mapped[Collection | None] = relationship()
    makers: Mapped[list[WareMaker]] = relationship(
        back_populates="ware", cascade="all, delete-orphan", order_by="WareMaker.position"
    )
    photographs: Mapped[list[Photograph]] = relationship(
        back_populates="ware", cascade="all, delete-orphan", order_by="Photograph.position"
    )

    @property
    def title(self) -> str:
        """The best title to show: English, else Chinese, else the accession number."""
        return self.title_en or self.title_zh or self.accession_number

    @property
    def main_photograph(self) -> Photograph | None:
        return self.photographs[0] if self.photographs else None


class WareMaker(Base):
    """A maker's part in a ware: manufacturer, designer, decorator."""

    __tablename__ = "ware_maker"
    __table_args__ = (UniqueConstraint("ware_id", "maker_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    maker_id: Mapped[int] = mapped_column(ForeignKey("maker.id"))
    role: Mapped[MakerRole] = mapped_column(_enum(MakerRole), default=MakerRole.MAKER)
    qualifier: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    ware: Mapped[Ware] = relationship(back_populates="makers")
    maker: Mapped[Maker] = relationship(back_populates="credits")


def _image_key_default(context: Any) -> str:
    # A photograph shown as contributed is shown under its own digest.
    return str(context.get_current_parameters()["sha256"])


class Photograph(Base):
    """A photograph of a ware; the image itself lives in the store under its SHA-256.

    The contributed bytes are never changed: a curator's rotation and crop are recorded here
    and ``image_key`` names the derivatives (and IIIF image) made from the original with them
    (``archive.imaging.Rendition``); it is the SHA-256 itself while the photograph is shown as
    contributed. ``width`` and ``height`` are the size as shown (rotated and cropped).
    """

    __tablename__ = "photograph"
    __table_args__ = (
        UniqueConstraint("ware_id", "sha256"),
        Index("ix_photograph_sha256", "sha256"),
        Index("ix_photograph_image_key", "image_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    phash: Mapped[str | None] = mapped_column(String(32))
    view: Mapped[PhotoView] = mapped_column(_enum(PhotoView), default=PhotoView.FRONT)
    position: Mapped[int] = mapped_column(default=0)
    original_filename: Mapped[str | None] = mapped_column(String(300))
    photographer: Mapped[str | None] = mapped_column(String(300))
    licence: Mapped[str | None] = mapped_column(String(300))
    attribution: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # How the curator set it upright and framed it (audited): a clockwise quarter turn and a
    # region "x,y,w,h" in pixels of the turned photograph; None shows it whole.
    rotation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    crop: Mapped[str | None] = mapped_column(String(60))
    image_key: Mapped[str] = mapped_column(String(64), default=_image_key_default)
    # What each visitor is told of this photograph, in both languages (audited).
    caption_en: Mapped[str | None] = mapped_column(Text)
    caption_zh: Mapped[str | None] = mapped_column(Text)
    alt_en: Mapped[str | None] = mapped_column(String(500))
    alt_zh: Mapped[str | None] = mapped_column(String(500))

    ware: Mapped[Ware] = relationship(back_populates="photographs")

    @property
    def rights(self) -> str | None:
        """The licence or rights statement that applies to this photograph: its own, else the
        ware's (a record published under CC BY with photographs of no stated licence of their
        own is published with them, under that statement)."""
        return self.licence or self.ware.rights

    @property
    def rights_inherited(self) -> bool:
        """Whether ``rights`` is the ware's statement rather than the photograph's own."""
        return not self.licence and bool(self.ware.rights)


class AuditEvent(Base):
    """Who changed what, when, with the state before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        # The sign-in throttle counts one action's events since a moment (archive.accounts).
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()


class IngestRun(Base):
    """One run of the ingest pipeline: its source, counts and per-record errors."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    mapping: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)


# The curating tables live in their own module; importing it here puts them in this metadata,
# which Alembic and the migration test compare against.
from archive import curation as _curation  # noqa: E402, F401


class UserSession(Base):
    """A signed-in browser session, checked on every request: the cookie carries a random token
    and this row its digest, so deleting the row (sign-out, a new password, a disabled account)
    ends the session even for a copy of the cookie made before."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Roles per institution and collection, and invitations (see archive.grants, .invitations).
from archive import account_tables as _account_tables  # noqa: E402, F401

# The index change log and the index writer's lease (see archive.index_log).
# Exhibitions likewise.
from archive import exhibitions as _exhibitions  # noqa: E402, F401
from archive import index_log as _index_log  # noqa: E402, F401

# Long jobs with leases (see archive.jobs).
from archive import jobs as _jobs  # noqa: E402, F401

# Curators' bilingual vocabulary terms (issue 12), likewise in their own module.
from archive import vocabulary as _vocabulary  # noqa: E402, F401

# The curator's workbench: sets, saved searches, batch jobs, maker merges.
from archive import workbench as _workbench  # noqa: E402, F401

# The same row is kept or refused alike on SQLite and PostgreSQL: lengths are checked here.
enforce_lengths(Base)
