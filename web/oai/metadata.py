"""Catalogue records as XML: Dublin Core (``oai_dc``) and LIDO 1.0, for OAI-PMH and exports.

Built with ElementTree, so every value is escaped by the serialiser, never by hand. Links are
made with ``url_for``: call these inside a request (or a test request context for the CLI).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from flask import url_for

from archive.models import Photograph, Ware
from web.iiif.presentation import rights_uri

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
LIDO_NS = "http://www.lido-schema.org"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
LIDO_SCHEMA = "http://www.lido-schema.org/schema/v1.0/lido-v1.0.xsd"

IDENTIFIER_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"

# Readable prefixes in every document we write; the namespaces, not the prefixes, carry meaning.
for _prefix, _uri in (
    ("oai_dc", OAI_DC_NS),
    ("dc", DC_NS),
    ("lido", LIDO_NS),
    ("xsi", XSI_NS),
    ("oai-identifier", IDENTIFIER_NS),
):
    ET.register_namespace(_prefix, _uri)

# Metadata formats this archive disseminates: prefix -> (schema, namespace).
METADATA_FORMATS: dict[str, tuple[str, str]] = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "lido": (LIDO_SCHEMA, LIDO_NS),
}

NOT_SPECIFIED = "not specified"

# Photograph views as LIDO resource perspectives.
_PERSPECTIVES = {"front": "front", "base": "base", "mark": "mark", "detail": "detail"}


def _dc(parent: ET.Element, name: str, text: str | None, lang: str | None = None) -> None:
    if not text:
        return
    element = ET.SubElement(parent, f"{{{DC_NS}}}{name}")
    element.text = text
    if lang:
        element.set(XML_LANG, lang)


def year_range(earliest: int | None, latest: int | None) -> str | None:
    """A W3C-style year or year range (``1815/1825``) for machine readers, else None."""
    if earliest is None and latest is None:
        return None
    if latest is None or earliest == latest:
        return str(earliest)
    if earliest is None:
        return str(latest)
    return f"{earliest}/{latest}"


def ware_url(ware: Ware) -> str:
    """The public page of a ware."""
    return url_for("pages.ware", ware_id=ware.id, _external=True)


def original_url(photo: Photograph) -> str:
    """The photograph exactly as contributed (its bytes hash to its identifier)."""
    return url_for("images.original", sha256=photo.sha256, _external=True)


def iiif_service_url(photo: Photograph) -> str:
    """The base URI of the photograph's IIIF image service."""
    return url_for("iiif.image_base", identifier=photo.image_key, _external=True)


def dublin_core(ware: Ware) -> ET.Element:
    """The ware as ``oai_dc:dc``: all fifteen elements where the record has something for them."""
    root = ET.Element(f"{{{OAI_DC_NS}}}dc")
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
    _dc(root, "title", ware.title_en, "en")
    _dc(root, "title", ware.title_zh, "zh")
    if not (ware.title_en or ware.title_zh):
        _dc(root, "title", ware.accession_number)
    for credit in ware.makers:
        role = "" if credit.role.value == "maker" else f" ({credit.role.value})"
        # The decorator painted what a manufacturer made: a contributor, not the creator.
        name = "contributor" if credit.role.value == "decorator" else "creator"
        _dc(root, name, credit.maker.name + role)
        _dc(root, name, credit.maker.name_zh, "zh")
    for subject in (ware.object_type, ware.pattern, ware.technique):
        _dc(root, "subject", subject)
    _dc(root, "description", ware.description_en, "en")
    _dc(root, "description", ware.description_zh, "zh")
    if ware.marks:
        _dc(root, "description", f"Marks and inscriptions: {ware.marks}", "en")
    _dc(root, "publisher", ware.institution.name, "en")
    _dc(root, "publisher", ware.institution.name_zh, "zh")
    photographers = {p.photographer for p in ware.photographs if p.photographer}
    for photographer in sorted(photographers):
        _dc(root, "contributor", f"{photographer} (photographer)")
    _dc(root, "date", ware.date_text)
    _dc(root, "date", year_range(ware.year_earliest, ware.year_latest))
    # DCMI Type vocabulary: the ware itself is a physical object, and it is shown in images.
    _dc(root, "type", "PhysicalObject")
    if ware.photographs:
        _dc(root, "type", "StillImage")
    _dc(root, "format", ware.material)
    _dc(root, "format", ware.dimensions_text)
    _dc(root, "identifier", ware.accession_number)
    _dc(root, "identifier", ware_url(ware))
    _dc(root, "source", ware.provenance)
    languages = []
    if ware.title_en or ware.description_en:
        languages.append("en")
    if ware.title_zh or ware.description_zh:
        languages.append("zh")
    for language in languages:
        _dc(root, "language", language)
    if ware.photographs:
        _dc(root, "relation", url_for("iiif.ware_manifest", ware_id=ware.id, _external=True))
    if ware.collection:
        _dc(root, "relation", ware.collection.name)
    for photo in ware.photographs:
        _dc(root, "relation", original_url(photo))
    _dc(root, "coverage", ware.place)
    _dc(root, "coverage", ware.period)
    _dc(root, "rights", ware.rights)
    _dc(root, "rights", ware.credit_line)
    return root


def _lido(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{LIDO_NS}}}{name}")
    for key, value in attributes.items():
        element.set(XML_LANG if key == "lang" else f"{{{LIDO_NS}}}{key}", value)
    if text is not None:
        element.text = text
    return element


def _term(parent: ET.Element, wrapper: str, text: str, **attributes: str) -> ET.Element:
    element = _lido(parent, wrapper, **attributes)
    _lido(element, "term", text)
    return element


def _appellations(parent: ET.Element, en: str | None, zh: str | None) -> None:
    # The first name given is the preferred one; the other language is an alternate.
    first = True
    for lang, text in (("en", en), ("zh", zh)):
        if text:
            _lido(
                parent,
                "appellationValue",
                text,
                lang=lang,
                pref="preferred" if first else "alternate",
            )
            first = False


def lido_record(ware: Ware, record_id: str, datestamp: datetime | None = None) -> ET.Element:
    """The ware as a LIDO 1.0 record (``lido:lido``), elements in the order the schema sets."""
    root = ET.Element(f"{{{LIDO_NS}}}lido")
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{LIDO_NS} {LIDO_SCHEMA}")
    _lido(root, "lidoRecID", record_id, type="local", source=ware.institution.name)
    descriptive = _lido(root, "descriptiveMetadata", lang="en")
    _classification(descriptive, ware)
    _identification(descriptive, ware)
    _production_event(descriptive, ware)
    if ware.pattern:
        relations = _lido(descriptive, "objectRelationWrap")
        subject = _lido(_lido(_lido(relations, "subjectWrap"), "subjectSet"), "subject")
        _term(subject, "subjectConcept", ware.pattern)
    _administrative(root, ware, record_id, datestamp)
    return root


def _classification(descriptive: ET.Element, ware: Ware) -> None:
    wrap = _lido(descriptive, "objectClassificationWrap")
    work_types = _lido(wrap, "objectWorkTypeWrap")
    # The schema requires a work type; "not specified" is LIDO practice when none is recorded.
    _term(work_types, "objectWorkType", ware.object_type or NOT_SPECIFIED)
    classes = _lido(wrap, "classificationWrap")
    _term(classes, "classification", "ceramics", type="object type")


def _identification(descriptive: ET.Element, ware: Ware) -> None:
    wrap = _lido(descriptive, "objectIdentificationWrap")
    title_set = _lido(_lido(wrap, "titleWrap"), "titleSet")
    if ware.title_en or ware.title_zh:
        _appellations(title_set, ware.title_en, ware.title_zh)
    else:
        _lido(title_set, "appellationValue", ware.accession_number)
    if ware.marks:
        inscriptions = _lido(_lido(wrap, "inscriptionsWrap"), "inscriptions")
        _lido(inscriptions, "inscriptionTranscription", ware.marks)
    repository = _lido(_lido(wrap, "repositoryWrap"), "repositorySet", type="current")
    name = _lido(_lido(repository, "repositoryName"), "legalBodyName")
    _appellations(name, ware.institution.name, ware.institution.name_zh)
    _lido(repository, "workID", ware.accession_number, type="inventory number")
    descriptions = [
        (text, lang, kind)
        for text, lang, kind in (
            (ware.description_en, "en", "description"),
            (ware.description_zh, "zh", "description"),
            (ware.provenance, "en", "provenance"),
        )
        if text
    ]
    if descriptions:
        description_wrap = _lido(wrap, "objectDescriptionWrap")
        for text, lang, kind in descriptions:
            description = _lido(description_wrap, "objectDescriptionSet", type=kind)
            _lido(description, "descriptiveNoteValue", text, lang=lang)
    measured = [
        (kind, value)
        for kind, value in (
            ("height", ware.height_cm),
            ("width", ware.width_cm),
            ("depth", ware.depth_cm),
            ("diameter", ware.diameter_cm),
        )
        if value is not None
    ]
    if ware.dimensions_text or measured:
        measurements = _lido(_lido(wrap, "objectMeasurementsWrap"), "objectMeasurementsSet")
        if ware.dimensions_text:
            _lido(measurements, "displayObjectMeasurements", ware.dimensions_text)
        if measured:
            values = _lido(measurements, "objectMeasurements")
            for kind, value in measured:
                one = _lido(values, "measurementsSet")
                _lido(one, "measurementType", kind)
                _lido(one, "measurementUnit", "cm")
                _lido(one, "measurementValue", f"{value:g}")


def _production_event(descriptive: ET.Element, ware: Ware) -> None:
    event = _lido(_lido(_lido(descriptive, "eventWrap"), "eventSet"), "event")
    _term(event, "eventType", "Production")
    for credit in ware.makers:
        in_role = _lido(_lido(event, "eventActor"), "actorInRole")
        actor = _lido(in_role, "actor")
        _appellations(_lido(actor, "nameActorSet"), credit.maker.name, credit.maker.name_zh)
        _term(in_role, "roleActor", credit.role.value)
        if credit.qualifier:
            _lido(in_role, "attributionQualifierActor", credit.qualifier)
    years = (ware.year_earliest, ware.year_latest)
    if ware.date_text or any(year is not None for year in years):
        date = _lido(event, "eventDate")
        if ware.date_text:
            _lido(date, "displayDate", ware.date_text)
        if any(year is not None for year in years):
            earliest = ware.year_earliest if ware.year_earliest is not None else ware.year_latest
            latest = ware.year_latest if ware.year_latest is not None else ware.year_earliest
            span = _lido(date, "date")
            _lido(span, "earliestDate", str(earliest))
            _lido(span, "latestDate", str(latest))
    if ware.period:
        _term(event, "periodName", ware.period)
    if ware.place:
        place = _lido(_lido(event, "eventPlace"), "place")
        _lido(_lido(place, "namePlaceSet"), "appellationValue", ware.place)
    if ware.material or ware.technique:
        materials = _lido(event, "eventMaterialsTech")
        terms = _lido(materials, "materialsTech")
        if ware.material:
            _term(terms, "termMaterialsTech", ware.material, type="material")
        if ware.technique:
            _term(terms, "termMaterialsTech", ware.technique, type="technique")


def _rights(
    parent: ET.Element, wrapper: str, uri: str | None, holder: str | None, credit: str | None
) -> None:
    rights = _lido(parent, wrapper)
    if uri:
        _lido(_lido(rights, "rightsType"), "conceptID", uri, type="URI")
    if holder:
        _lido(_lido(_lido(rights, "rightsHolder"), "legalBodyName"), "appellationValue", holder)
    if credit:
        _lido(rights, "creditLine", credit)


def _administrative(
    root: ET.Element, ware: Ware, record_id: str, datestamp: datetime | None
) -> None:
    admin = _lido(root, "administrativeMetadata", lang="en")
    if ware.rights or ware.credit_line:
        _rights(
            _lido(admin, "rightsWorkWrap"), "rightsWorkSet", ware.rights, None, ware.credit_line
        )
    record = _lido(admin, "recordWrap")
    _lido(record, "recordID", record_id, type="local")
    _term(record, "recordType", "item")
    source = _lido(record, "recordSource")
    _appellations(_lido(source, "legalBodyName"), ware.institution.name, ware.institution.name_zh)
    info = _lido(record, "recordInfoSet")
    _lido(info, "recordInfoLink", ware_url(ware))
    stamp = datestamp or ware.updated_at
    if stamp is not None:
        _lido(info, "recordMetadataDate", utc_text(stamp))
    if ware.photographs:
        resources = _lido(admin, "resourceWrap")
        for photo in ware.photographs:
            _resource(resources, photo)


def _resource(resources: ET.Element, photo: Photograph) -> None:
    resource = _lido(resources, "resourceSet")
    _lido(resource, "resourceID", photo.sha256, type="sha256")
    master = _lido(resource, "resourceRepresentation", type="image_master")
    _lido(master, "linkResource", original_url(photo))
    service = _lido(resource, "resourceRepresentation", type="iiif_image_service")
    _lido(service, "linkResource", iiif_service_url(photo))
    _term(resource, "resourceType", "photograph")
    perspective = _PERSPECTIVES.get(photo.view.value)
    if perspective:
        _term(resource, "resourcePerspective", perspective)
    if photo.licence or photo.photographer or photo.attribution:
        _rights(
            resource,
            "rightsResource",
            rights_uri(photo.licence) or photo.licence,
            photo.photographer,
            photo.attribution,
        )


def utc_text(moment: datetime) -> str:
    """A datetime as OAI-PMH's UTC second-granularity text (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lido_wrap(records: Iterable[ET.Element]) -> ET.Element:
    """Several LIDO records in one ``lido:lidoWrap`` document (for exports)."""
    wrap = ET.Element(f"{{{LIDO_NS}}}lidoWrap")
    wrap.set(f"{{{XSI_NS}}}schemaLocation", f"{LIDO_NS} {LIDO_SCHEMA}")
    for record in records:
        record.attrib.pop(f"{{{XSI_NS}}}schemaLocation", None)
        wrap.append(record)
    return wrap
