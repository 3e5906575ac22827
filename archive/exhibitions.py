"""Exhibitions: curated bilingual narratives of wares and details of their photographs.

An exhibition has a title and introduction in English and Chinese and ordered sections; each
section has text and ordered items, each a ware, optionally one of its photographs and a region
of it (a IIIF region ``x,y,w,h`` in pixels of the original), with a caption. Exhibitions are
drafts until a curator publishes them; only published ones are public.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.models import Base, Photograph, Ware, _enum, utcnow


class ExhibitionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Exhibition(Base):
    """A curated exhibition; ``slug`` is its stable address."""

    __tablename__ = "exhibition"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title_en: Mapped[str | None] = mapped_column(String(300))
    title_zh: Mapped[str | None] = mapped_column(String(300))
    intro_en: Mapped[str | None] = mapped_column(Text)
    intro_zh: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ExhibitionStatus] = mapped_column(
        _enum(ExhibitionStatus), default=ExhibitionStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sections: Mapped[list[ExhibitionSection]] = relationship(
        back_populates="exhibition",
        cascade="all, delete-orphan",
        order_by="ExhibitionSection.position",
    )

    @property
    def title(self) -> str:
        """The best title to show: English, else Chinese, else the slug."""
        return self.title_en or self.title_zh or self.slug


class ExhibitionSection(Base):
    """One section of an exhibition: a heading, text, and the items it shows."""

    __tablename__ = "exhibition_section"
    __table_args__ = (Index("ix_exhibition_section_exhibition", "exhibition_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exhibition_id: Mapped[int] = mapped_column(ForeignKey("exhibition.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    heading_en: Mapped[str | None] = mapped_column(String(300))
    heading_zh: Mapped[str | None] = mapped_column(String(300))
    text_en: Mapped[str | None] = mapped_column(Text)
    text_zh: Mapped[str | None] = mapped_column(Text)

    exhibition: Mapped[Exhibition] = relationship(back_populates="sections")
    items: Mapped[list[ExhibitionItem]] = relationship(
        back_populates="section", cascade="all, delete-orphan", order_by="ExhibitionItem.position"
    )


class ExhibitionItem(Base):
    """A ware shown in a section, or a region of one of its photographs, with a caption."""

    __tablename__ = "exhibition_item"
    __table_args__ = (Index("ix_exhibition_item_section", "section_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("exhibition_section.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    ware_id: Mapped[int] = mapped_column(ForeignKey("ware.id", ondelete="CASCADE"))
    photograph_id: Mapped[int | None] = mapped_column(
        ForeignKey("photograph.id", ondelete="SET NULL")
    )
    # A IIIF region "x,y,w,h" in pixels of the original photograph; None shows it whole.
    region: Mapped[str | None] = mapped_column(String(60))
    caption_en: Mapped[str | None] = mapped_column(Text)
    caption_zh: Mapped[str | None] = mapped_column(Text)

    section: Mapped[ExhibitionSection] = relationship(back_populates="items")
    ware: Mapped[Ware] = relationship()
    photograph: Mapped[Photograph | None] = relationship()
