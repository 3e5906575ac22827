"""Linked Art 1.0 documents (CIDOC-CRM as JSON-LD) for wares, makers, institutions, collections.

Builders only: catalogue rows in, plain dicts out, every URL made by ``url_for`` so the ids point
at this server however it is reached. Each document follows the Linked Art API 1.0 schemas
(checked by the tests against the project's published JSON schemas): names in both languages
with their AAT language, the accession number as an Identifier, production with its makers,
place and time-span, AAT-classified object types and materials where a vocabulary knows the id
(statements otherwise), dimensions, rights, photographs as digital images with their IIIF image
service, and the IIIF manifest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for

from archive.models import Collection, Institution, Maker, Photograph, Ware
from index.glossary import default_glossary, is_chinese
from web.iiif.presentation import PRESENTATION_CONTEXT, image_url, rights_uri
from web.linked_art import vocabulary as aat
from web.linked_art.vocabulary import Term

CONTEXT = "https://linked.art/ns/v1/linked-art.json"
IIIF_IMAGE_API = "http://iiif.io/api/image"
IIIF_PRESENTATION_API = "http://iiif.io/api/presentation"

# Maker kinds that name a person; other recorded kinds (factory, kiln, company...) are groups.
PERSON_KINDS = frozenset({"person", "individual", "artist", "potter", "painter", "designer"})


Json = dict[str, Any]


def _typed(term: Term, meta: Term | None = None) -> Json:
    reference = term.ref("Type")
    if meta is not None:
        reference["classified_as"] = [meta.ref("Type")]
    return reference


def _language(text: str, declared: str | None = None) -> list[Json]:
    lang = declared if declared in aat.LANGUAGES else ("zh" if is_chinese(text) else "en")
    return [aat.LANGUAGES[lang].ref("Language")]


def name(content: str, *, primary: bool = True, lang: str | None = None) -> Json:
    """A Name in its language (English or Chinese), classified Primary or Alternate Name."""
    kind = aat.PRIMARY_NAME if primary else aat.ALTERNATE_NAME
    return {
        "type": "Name",
        "classified_as": [kind.ref("Type")],
        "content": content,
        "language": _language(content, lang),
    }


def bilingual_names(en: str | None, zh: str | None, fallback: str) -> list[Json]:
    """Primary names in English and Chinese (one per language, as Linked Art asks)."""
    names = [name(text, lang=lang) for lang, text in (("en", en), ("zh", zh)) if text]
    return names or [
        {"type": "Name", "classified_as": [aat.PRIMARY_NAME.ref()], "content": fallback}
    ]


def statement(term: Term, content: str, lang: str | None = None) -> Json:
    """A Statement (a LinguisticObject with content) of the kind ``term`` names."""
    text: Json = {
        "type": "LinguisticObject",
        "classified_as": [_typed(term, aat.BRIEF_TEXT)],
        "content": content,
    }
    if lang:
        text["language"] = [aat.LANGUAGES[lang].ref("Language")]
    return text


def _statements(pairs: Iterable[tuple[Term, str | None, str | None]]) -> list[Json]:
    return [statement(term, text, lang) for term, text, lang in pairs if text]


def home_page(url: str, label: str) -> Json:
    """The entity's web page, as Linked Art's ``subject_of`` expects it."""
    return {
        "type": "LinguisticObject",
        "_label": label,
        "digitally_carried_by": [
            {
                "type": "DigitalObject",
                "classified_as": [aat.WEB_PAGE.ref()],
                "format": "text/html",
                "access_point": [{"id": url, "type": "DigitalObject"}],
            }
        ],
    }


def object_uri(ware_id: int) -> str:
    """The Linked Art URI of a ware."""
    return url_for("linked_art.object_document", ware_id=ware_id, _external=True)


def maker_class(maker: Maker) -> str:
    """``Person`` or ``Group``: from the recorded kind, else from the maker's roles.

    A maker with no recorded kind who only ever appears as a manufacturer is taken as a
    firm (a pottery, a factory); anyone else as a person.
    """
    kind = (maker.kind or "").strip().lower()
    if kind:
        return "Person" if kind in PERSON_KINDS else "Group"
    roles = {credit.role.value for credit in maker.credits}
    return "Group" if roles == {"manufacturer"} else "Person"


def maker_ref(maker: Maker) -> Json:
    """A reference to a maker's Person or Group document."""
    kind = maker_class(maker)
    endpoint = "linked_art.person_document" if kind == "Person" else "linked_art.group_document"
    return {
        "id": url_for(endpoint, maker_id=maker.id, _external=True),
        "type": kind,
        "_label": maker.name,
    }


def institution_ref(institution: Institution) -> Json:
    """A reference to an institution's Group document."""
    return {
        "id": url_for(
            "linked_art.institution_document", institution_id=institution.id, _external=True
        ),
        "type": "Group",
        "_label": institution.name,
    }


def place_ref(place: str) -> Json:
    """A reference to the Place document of a place name as the catalogue writes it."""
    return {
        "id": url_for("linked_art.place_document", place=place, _external=True),
        "type": "Place",
        "_label": place,
    }


def set_ref(collection: Collection) -> Json:
    """A reference to a collection's Set document."""
    return {
        "id": url_for("linked_art.set_document", collection_id=collection.id, _external=True),
        "type": "Set",
        "_label": collection.name,
    }


def _year_start(year: int) -> str:
    # ISO 8601 / xsd:dateTime: four digits at least, a minus sign before the years BCE.
    return f"{'-' if year < 0 else ''}{abs(year):04d}-01-01T00:00:00Z"


def _year_end(year: int) -> str:
    return f"{'-' if year < 0 else ''}{abs(year):04d}-12-31T23:59:59Z"


def timespan(earliest: int | None, latest: int | None, *display: str | None) -> Json | None:
    """A TimeSpan from the earliest and latest years, named by the date as written."""
    if earliest is None and latest is None and not any(display):
        return None
    span: Json = {"type": "TimeSpan"}
    names = [
        {"type": "Name", "content": text, "language": _language(text)} for text in display if text
    ]
    if names:
        span["identified_by"] = names
    first = earliest if earliest is not None else latest
    last = latest if latest is not None else earliest
    if first is not None and last is not None:
        span["begin_of_the_begin"] = _year_start(first)
        span["end_of_the_end"] = _year_end(last)
    return span


def _production(ware: Ware) -> Json | None:
    production: Json = {"type": "Production"}
    span = timespan(ware.year_earliest, ware.year_latest, ware.date_text, ware.period)
    if span:
        production["timespan"] = span
    if ware.place:
        production["took_place_at"] = [place_ref(ware.place)]
    credits = list(ware.makers)
    if len(credits) == 1 and credits[0].role.value == "maker" and not credits[0].qualifier:
        production["carried_out_by"] = [maker_ref(credits[0].maker)]
    elif credits:
        # Several makers, or a stated role: one part of the production per maker and role.
        production["part"] = [
            {
                "type": "Production",
                "_label": credit.role.value
                + (f" ({credit.qualifier})" if credit.qualifier else ""),
                "carried_out_by": [maker_ref(credit.maker)],
            }
            for credit in credits
        ]
    if ware.technique:
        production["referred_to_by"] = [statement(aat.PRODUCTION_STATEMENT, ware.technique)]
    return production if len(production) > 1 else None


def _dimensions(ware: Ware) -> list[Json]:
    measured = (
        (aat.HEIGHT, ware.height_cm),
        (aat.WIDTH, ware.width_cm),
        (aat.DEPTH, ware.depth_cm),
        (aat.DIAMETER, ware.diameter_cm),
    )
    return [
        {
            "type": "Dimension",
            "classified_as": [term.ref()],
            "value": value,
            "unit": aat.CENTIMETERS.ref("MeasurementUnit"),
        }
        for term, value in measured
        if value is not None
    ]


def digital_image(photo: Photograph) -> Json:
    """A photograph as a VisualItem shown by a digital image, with its IIIF image service."""
    image: Json = {
        "type": "DigitalObject",
        "_label": f"Photograph ({photo.view.value})",
        "classified_as": [aat.DIGITAL_IMAGE.ref()],
        "format": "image/jpeg",
        "access_point": [{"id": image_url(photo, "max"), "type": "DigitalObject"}],
        "conforms_to": [{"id": IIIF_IMAGE_API, "type": "InformationObject"}],
    }
    credit = photo.attribution or (f"Photo: {photo.photographer}" if photo.photographer else None)
    licence = rights_uri(photo.licence) or photo.licence
    statements = _statements(
        ((aat.CREDIT_LINE, credit, None), (aat.RIGHTS_STATEMENT, licence, None))
    )
    if statements:
        image["referred_to_by"] = statements
    return {"type": "VisualItem", "digitally_shown_by": [image]}


def manifest_reference(ware: Ware) -> Json:
    """The ware's IIIF Presentation 3 manifest, as Linked Art links one."""
    manifest = url_for("iiif.ware_manifest", ware_id=ware.id, _external=True)
    return {
        "type": "LinguisticObject",
        "_label": "IIIF manifest",
        "digitally_carried_by": [
            {
                "type": "DigitalObject",
                "format": f'application/ld+json;profile="{PRESENTATION_CONTEXT}"',
                "access_point": [{"id": manifest, "type": "DigitalObject"}],
                "conforms_to": [{"id": IIIF_PRESENTATION_API, "type": "InformationObject"}],
            }
        ],
    }


def object_document(ware: Ware) -> Json:
    """The Linked Art HumanMadeObject of a published ware."""
    label = ware.title_en or ware.title_zh or ware.accession_number
    accession: Json = {
        "type": "Identifier",
        "classified_as": [aat.ACCESSION_NUMBER.ref()],
        "content": ware.accession_number,
    }
    types = aat.terms_for(ware.object_type, "object_type")
    materials = aat.terms_for(ware.material, "material")
    document: Json = {
        "@context": CONTEXT,
        "id": object_uri(ware.id),
        "type": "HumanMadeObject",
        "_label": label,
        "identified_by": [*bilingual_names(ware.title_en, ware.title_zh, label), accession],
        "classified_as": [
            _typed(aat.DECORATIVE_ARTS, aat.TYPE_OF_WORK),
            *(_typed(term, aat.TYPE_OF_WORK) for term in types),
        ],
    }
    statements = _statements(
        (
            (aat.DESCRIPTION, ware.description_en, "en"),
            (aat.DESCRIPTION, ware.description_zh, "zh"),
            # An object type with no AAT id stays as text: a statement of the type of work.
            (aat.TYPE_OF_WORK, None if types else ware.object_type, None),
            (aat.MATERIALS_STATEMENT, ware.material, None),
            (aat.INSCRIPTION_STATEMENT, ware.marks, None),
            (aat.DIMENSIONS_STATEMENT, ware.dimensions_text, None),
            (aat.PROVENANCE_STATEMENT, ware.provenance, None),
            (aat.CREDIT_LINE, ware.credit_line, None),
            (aat.RIGHTS_STATEMENT, rights_uri(ware.rights) or ware.rights, None),
        )
    )
    if statements:
        document["referred_to_by"] = statements
    production = _production(ware)
    if production:
        document["produced_by"] = production
    if materials:
        document["made_of"] = [term.ref("Material") for term in materials]
    dimensions = _dimensions(ware)
    if dimensions:
        document["dimension"] = dimensions
    document["current_custodian"] = [institution_ref(ware.institution)]
    if ware.collection:
        document["member_of"] = [set_ref(ware.collection)]
    if ware.photographs:
        document["representation"] = [digital_image(photo) for photo in ware.photographs]
    pages = [home_page(url_for("pages.ware", ware_id=ware.id, _external=True), label)]
    if ware.photographs:
        pages.append(manifest_reference(ware))
    document["subject_of"] = pages
    return document


def _professional_activity(first: int | None, last: int | None) -> list[Json]:
    span = timespan(first, last)
    if span is None:
        return []
    return [
        {
            "type": "Activity",
            "classified_as": [aat.PROFESSIONAL_ACTIVITY.ref()],
            "timespan": span,
        }
    ]


def maker_document(maker: Maker) -> Json:
    """The Linked Art Person or Group of a maker with published wares."""
    reference = maker_ref(maker)
    names = [name(maker.name)]
    if maker.name_zh and maker.name_zh != maker.name:
        names.append(name(maker.name_zh, lang="zh"))
    seen = {maker.name, maker.name_zh}
    for alias in maker.aliases:
        if alias.name not in seen:
            seen.add(alias.name)
            names.append(name(alias.name, primary=False, lang=alias.language))
    document: Json = {
        "@context": CONTEXT,
        "id": reference["id"],
        "type": reference["type"],
        "_label": maker.name,
        "identified_by": names,
    }
    activity = _professional_activity(maker.active_from, maker.active_to)
    if activity:
        document["carried_out"] = activity
    if maker.place:
        document["residence"] = [place_ref(maker.place)]
    document["subject_of"] = [
        home_page(url_for("pages.maker", maker_id=maker.id, _external=True), maker.name)
    ]
    return document


def institution_document(institution: Institution) -> Json:
    """The Linked Art Group of a contributing institution."""
    page = url_for("pages.institution", institution_id=institution.id, _external=True)
    document: Json = {
        "@context": CONTEXT,
        **institution_ref(institution),
        "identified_by": bilingual_names(institution.name, institution.name_zh, institution.name),
    }
    if institution.place:
        document["residence"] = [place_ref(institution.place)]
    pages = [home_page(page, institution.name)]
    if (institution.url or "").startswith(("http://", "https://")):
        pages.append(home_page(institution.url or "", institution.name))
    pages.append(
        _iiif_collection(
            url_for("iiif.institution_collection", institution_id=institution.id, _external=True)
        )
    )
    document["subject_of"] = pages
    return document


def _iiif_collection(url: str) -> Json:
    return {
        "type": "LinguisticObject",
        "_label": "IIIF collection",
        "digitally_carried_by": [
            {
                "type": "DigitalObject",
                "format": f'application/ld+json;profile="{PRESENTATION_CONTEXT}"',
                "access_point": [{"id": url, "type": "DigitalObject"}],
                "conforms_to": [{"id": IIIF_PRESENTATION_API, "type": "InformationObject"}],
            }
        ],
    }


def set_document(collection: Collection) -> Json:
    """The Linked Art Set of a catalogue collection (its wares point at it by ``member_of``)."""
    document: Json = {
        "@context": CONTEXT,
        **set_ref(collection),
        "identified_by": [name(collection.name)],
        "classified_as": [aat.COLLECTION.ref()],
    }
    if collection.description:
        document["referred_to_by"] = [
            statement(aat.DESCRIPTION, collection.description, _lang(collection.description))
        ]
    document["subject_of"] = [
        home_page(
            url_for("pages.collection", collection_id=collection.id, _external=True),
            collection.name,
        ),
        _iiif_collection(
            url_for("iiif.collection_collection", collection_id=collection.id, _external=True)
        ),
    ]
    return document


def _lang(text: str) -> str:
    return "zh" if is_chinese(text) else "en"


def place_document(place: str) -> Json:
    """The Linked Art Place of a place name, with its other-language names from the glossary."""
    names = [name(place)]
    primary_languages = {_lang(place)}
    for other in default_glossary().equivalents(place):
        # One primary name per language; further names in a language are alternates.
        lang = _lang(other)
        names.append(name(other, primary=lang not in primary_languages, lang=lang))
        primary_languages.add(lang)
    return {"@context": CONTEXT, **place_ref(place), "identified_by": names}


def exhibition_activity(
    uri: str,
    *,
    title_en: str | None,
    title_zh: str | None,
    year_from: int | None = None,
    year_to: int | None = None,
    place: str | None = None,
    organisers: Iterable[Institution] = (),
    page_url: str | None = None,
    description_en: str | None = None,
    description_zh: str | None = None,
) -> Json:
    """An exhibition as a Linked Art Activity classified Exhibition, from plain values.

    Takes what an exhibition holds (bilingual title and text, dates, venue, organisers, page)
    as plain values; ``views.activity_view`` serves a published one.
    """
    label = title_en or title_zh or uri
    document: Json = {
        "@context": CONTEXT,
        "id": uri,
        "type": "Activity",
        "_label": label,
        "identified_by": bilingual_names(title_en, title_zh, label),
        "classified_as": [aat.EXHIBITION.ref()],
    }
    statements = _statements(
        ((aat.DESCRIPTION, description_en, "en"), (aat.DESCRIPTION, description_zh, "zh"))
    )
    if statements:
        document["referred_to_by"] = statements
    span = timespan(year_from, year_to)
    if span:
        document["timespan"] = span
    if place:
        document["took_place_at"] = [place_ref(place)]
    hosts = [institution_ref(institution) for institution in organisers]
    if hosts:
        document["carried_out_by"] = hosts
    if page_url:
        document["subject_of"] = [home_page(page_url, label)]
    return document


def linked_art_graph(wares: Iterable[Ware]) -> Json:
    """Several wares' Linked Art objects in one JSON-LD document (for exports).

    One shared ``@context`` and the objects in ``@graph``, each exactly the document its own
    URL serves, less the context.
    """
    graph = []
    for ware in wares:
        document = object_document(ware)
        del document["@context"]
        graph.append(document)
    return {"@context": CONTEXT, "@graph": graph}
