"""How to cite a ware: Chicago, APA, BibTeX and RIS with its stable URL and the access date,
plus the metadata reference managers read from the page (Highwire ``citation_*`` tags, Dublin
Core, a COinS span) and schema.org JSON-LD."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from flask import url_for
from markupsafe import Markup

from archive.models import Ware
from web.views.presenters import image_url, ware_date

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Citation:
    """What every citation format is built from."""

    title: str
    title_zh: str | None
    makers: list[str]
    date: str
    year: str
    object_type: str | None
    material: str | None
    institution: str
    accession: str
    url: str
    accessed: date
    ware_id: int

    @property
    def accessed_long(self) -> str:
        return f"{MONTHS[self.accessed.month - 1]} {self.accessed.day}, {self.accessed.year}"

    def chicago(self) -> str:
        """Chicago (notes and bibliography), for an object in a collection."""
        parts = [", ".join(self.makers) or None, f"“{self.title}”", self.date or None]
        parts += [self.material, f"{self.institution}, {self.accession}"]
        head = ", ".join(part for part in parts if part)
        return f"{head}. Potbank. Accessed {self.accessed_long}. {self.url}."

    def apa(self) -> str:
        """APA 7th edition."""
        who = ", ".join(self.makers) or self.institution
        kind = f" [{self.object_type.capitalize()}]" if self.object_type else ""
        return (
            f"{who}. ({self.date or 'n.d.'}). {self.title}{kind}. {self.institution}. "
            f"Retrieved {self.accessed_long}, from {self.url}"
        )

    def bibtex(self) -> str:
        """A BibTeX ``@misc`` entry."""

        def clean(text: str) -> str:
            return text.replace("{", "").replace("}", "")

        def braced(text: str) -> str:
            return "{" + clean(text) + "}"

        fields = [("title", braced(self.title))]
        if self.makers:
            # Each maker braced whole: a firm's name is not a first and last name.
            names = " and ".join("{" + clean(maker) + "}" for maker in self.makers)
            fields.append(("author", "{" + names + "}"))
        if self.year:
            fields.append(("year", braced(self.year)))
        fields += [
            ("howpublished", braced(f"\\url{{{self.url}}}")),
            ("publisher", braced(self.institution)),
            ("note", braced(f"{self.accession}; accessed {self.accessed.isoformat()}")),
            ("urldate", braced(self.accessed.isoformat())),
        ]
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        return f"@misc{{potbank-ware-{self.ware_id},\n{body}\n}}"

    def ris(self) -> str:
        """An RIS record (type ART, artwork)."""
        lines = [("TY", "ART"), ("TI", self.title)]
        if self.title_zh and self.title_zh != self.title:
            lines.append(("TT", self.title_zh))
        lines += [("AU", maker) for maker in self.makers]
        if self.year:
            lines.append(("PY", self.year))
        if self.date:
            lines.append(("DA", self.date))
        lines += [("PB", self.institution), ("M1", self.accession), ("UR", self.url)]
        lines.append(("Y2", self.accessed.isoformat()))
        if self.material:
            lines.append(("M3", self.material))
        lines.append(("ER", ""))
        return "\r\n".join(f"{tag}  - {value}" for tag, value in lines) + "\r\n"

    def coins(self) -> str:
        """The OpenURL ContextObject a COinS span carries."""
        pairs = [
            ("ctx_ver", "Z39.88-2004"),
            ("rft_val_fmt", "info:ofi/fmt:kev:mtx:dc"),
            ("rft.type", "artwork"),
            ("rft.title", self.title),
            ("rft.identifier", self.url),
            ("rft.publisher", self.institution),
        ]
        pairs += [("rft.creator", maker) for maker in self.makers]
        if self.date:
            pairs.append(("rft.date", self.date))
        return urlencode(pairs)


def citation_of(ware: Ware, today: date | None = None) -> Citation:
    """The citation of a public ware as of ``today`` (UTC) by default."""
    makers = list(dict.fromkeys(credit.maker.name for credit in ware.makers))
    year = ""
    if ware.year_earliest is not None:
        year = str(ware.year_earliest)
        if ware.year_latest is not None and ware.year_latest != ware.year_earliest:
            year = f"{ware.year_earliest}–{ware.year_latest}"
    return Citation(
        title=ware.title,
        title_zh=ware.title_zh,
        makers=makers,
        date=ware_date(ware),
        year=year,
        object_type=ware.object_type,
        material=ware.material,
        institution=ware.institution.name,
        accession=ware.accession_number,
        url=url_for("pages.ware", ware_id=ware.id, _external=True),
        accessed=today or datetime.now(UTC).date(),
        ware_id=ware.id,
    )


def meta_tags(ware: Ware, citation: Citation) -> list[tuple[str, str]]:
    """``<meta name content>`` pairs Zotero and Google Scholar read (Highwire, Dublin Core)."""
    tags = [("citation_title", citation.title)]
    tags += [("citation_author", maker) for maker in citation.makers]
    if ware.year_earliest is not None:
        tags.append(("citation_date", str(ware.year_earliest)))
    tags += [
        ("citation_publisher", citation.institution),
        ("citation_public_url", citation.url),
        ("DC.title", citation.title),
        ("DC.type", "PhysicalObject"),
        ("DC.identifier", citation.url),
        ("DC.publisher", citation.institution),
    ]
    tags += [("DC.creator", maker) for maker in citation.makers]
    if citation.date:
        tags.append(("DC.date", citation.date))
    return tags


def json_ld(ware: Ware, citation: Citation) -> Markup:
    """schema.org ``VisualArtwork`` (a ``CreativeWork``) as JSON-LD, safe inside ``<script>``."""
    document: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "VisualArtwork",
        "@id": citation.url,
        "url": citation.url,
        "name": citation.title,
        "identifier": citation.accession,
        "isPartOf": {"@type": "Collection", "name": citation.institution},
        "holdingArchive": {"@type": "ArchiveOrganization", "name": citation.institution},
    }
    if ware.title_zh:
        document["alternateName"] = ware.title_zh
    if citation.makers:
        document["creator"] = [{"@type": "Person", "name": m} for m in citation.makers]
    if citation.date:
        document["dateCreated"] = citation.date
    if ware.material:
        document["artMedium"] = ware.material
    if ware.object_type:
        document["artform"] = ware.object_type
    if ware.description_en:
        document["description"] = ware.description_en
    if ware.rights:
        document["license"] = ware.rights
    if ware.main_photograph is not None:
        document["image"] = image_url(ware.main_photograph, "display", external=True)
    text = json.dumps(document, ensure_ascii=False)
    # "<" escaped, so no text in a record can close the script element.
    return Markup(text.replace("<", "\\u003c"))  # noqa: S704
