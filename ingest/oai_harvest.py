"""Harvest another repository over OAI-PMH 2.0 into the catalogue, through the ingest pipeline.

Records arrive as LIDO (preferred when the remote offers it) or Dublin Core, are mapped to
``SourceRecord``s, and photographs are fetched from the remote's image links (its original file
when it names one, else its IIIF image service at full size) into a temporary folder that the
pipeline reads like any ``--images`` folder. Harvests are incremental: the remote's responseDate
of the last successful harvest is kept per endpoint, set and format in
``<home>/oai-harvests.json`` and sent as ``from`` next time. A record the remote reports deleted
unpublishes the local ware harvested from it (its status goes back to draft, with an audit event).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive.catalogue import upsert_ware
from archive.jobs import work_folder
from archive.models import Ware, WareStatus
from archive.settings import Settings
from index.sync import IndexSync
from ingest.normalise.makers import MakerCredit, normalise_role
from ingest.pipeline import IngestOptions, IngestReport, run_ingest
from ingest.records import IngestProblem, PhotoReference, RowError, SourceRecord

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
LIDO = "{http://www.lido-schema.org}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STATE_FILE = "oai-harvests.json"
# The largest OAI-PMH answer read: a page of 100 LIDO records is well under a megabyte.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
PLACEHOLDER_WORK_TYPES = {"not specified", "unknown", "unspecified"}
_YEAR = re.compile(r"^(-?\d{1,4})")
_ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\((?P<role>[^()]+)\)$")
_IMAGE_LINK = re.compile(r"(/original|\.(jpe?g|png|webp|tiff?))$", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class HarvestError(RuntimeError):
    """The remote could not be harvested: unreachable, not OAI-PMH, or an error it reported."""


@dataclass(frozen=True)
class HarvestOptions:
    """What to harvest and how the records are taken in."""

    endpoint: str
    set_spec: str | None = None
    # None: LIDO when the remote offers it (makers with roles, measurements, images), else oai_dc.
    metadata_prefix: str | None = None
    full: bool = False
    status: str = "published"
    institution: str | None = None
    collection: str | None = None
    actor: str = "oai-harvest"
    timeout: float = 60.0
    # Hosts besides the endpoint's that image links may point at (its IIIF server, a CDN).
    image_hosts: tuple[str, ...] = ()

    def allowed_image_hosts(self) -> frozenset[str]:
        """The hosts photographs may be fetched from: the endpoint's and those named."""
        endpoint_host = urllib.parse.urlsplit(self.endpoint).hostname or ""
        return frozenset(host.lower() for host in (endpoint_host, *self.image_hosts))


@dataclass
class HarvestReport:
    """What a harvest did: the pipeline's report, withdrawals, photographs it could not fetch."""

    ingest: IngestReport
    metadata_prefix: str
    harvested_from: str | None
    records: int = 0
    deleted: int = 0
    withdrawn: int = 0
    problems: list[IngestProblem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{self.records} records ({self.deleted} deleted at the source) via "
            f"{self.metadata_prefix}: {self.ingest.summary}; {self.withdrawn} withdrawn, "
            f"{len(self.problems)} photographs not fetched"
        )


def parse_xml(data: bytes) -> ET.Element:
    """Parse an XML answer from another server, refusing any DTD.

    OAI-PMH never needs one, and without a DTD no entity can be declared: this closes the
    entity-expansion and external-entity attacks that defusedxml guards against.
    """
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise HarvestError("the answer declares a DTD, which OAI-PMH never needs: refused")
    try:
        return ET.fromstring(data)  # noqa: S314 - DTDs are refused above
    except ET.ParseError as error:
        raise HarvestError(f"the answer is not well-formed XML ({error})") from None


class OAIClient:
    """A minimal OAI-PMH client over urllib: one GET per request, errors raised as HarvestError."""

    def __init__(self, endpoint: str, timeout: float) -> None:
        if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
            raise HarvestError(f"not an http(s) OAI-PMH endpoint: {endpoint}")
        self.endpoint = endpoint
        self.timeout = timeout
        self.hosts = frozenset({(urllib.parse.urlsplit(endpoint).hostname or "").lower()})

    def request(self, **arguments: str) -> ET.Element:
        """One OAI-PMH request: the answer's root; an OAI-PMH error raises RemoteError."""
        url = f"{self.endpoint}?{urllib.parse.urlencode(arguments)}"
        try:
            data, _ = fetch(url, self.hosts, self.timeout, MAX_RESPONSE_BYTES)
        except HarvestError as error:
            raise HarvestError(f"cannot harvest {self.endpoint}: {error}") from None
        root = parse_xml(data)
        if root.tag != f"{OAI}OAI-PMH":
            raise HarvestError(f"{self.endpoint} did not answer with OAI-PMH")
        error_element = root.find(f"{OAI}error")
        if error_element is not None:
            raise RemoteError(error_element.get("code", ""), (error_element.text or "").strip())
        return root

    def list(self, verb: str, **arguments: str) -> Iterator[tuple[ET.Element, ET.Element]]:
        """Every item of a list verb, following resumption tokens: (response root, item)."""
        item_tag = {"ListRecords": "record", "ListIdentifiers": "header", "ListSets": "set"}[verb]
        query = dict(arguments)
        while True:
            try:
                root = self.request(verb=verb, **query)
            except RemoteError as error:
                if error.code in ("noRecordsMatch", "noSetHierarchy"):
                    return
                raise
            container = root.find(f"{OAI}{verb}")
            if container is None:
                return
            for item in container.findall(f"{OAI}{item_tag}"):
                yield root, item
            token = container.find(f"{OAI}resumptionToken")
            if token is None or not (token.text or "").strip():
                return
            query = {"resumptionToken": token.text.strip()}


class RemoteError(HarvestError):
    """An OAI-PMH error the remote answered with."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _by_language(elements: list[ET.Element]) -> tuple[str | None, str | None]:
    english = chinese = None
    for element in elements:
        value = _text(element)
        if not value:
            continue
        if (element.get(XML_LANG) or "").lower().startswith("zh"):
            chinese = chinese or value
        else:
            english = english or value
    return english, chinese


def _year(text: str | None) -> int | None:
    match = _YEAR.match(text or "")
    return int(match.group(1)) if match else None


def lido_to_record(lido: ET.Element, identifier: str) -> tuple[SourceRecord, list[PhotoLink]]:
    """Map one LIDO record to a SourceRecord and the photographs it links to."""
    identification = lido.find(f".//{LIDO}objectIdentificationWrap")
    if identification is None:
        raise RowError("the LIDO record has no objectIdentificationWrap")
    accession = _text(identification.find(f".//{LIDO}repositorySet/{LIDO}workID")) or identifier
    institution = _text(
        identification.find(
            f".//{LIDO}repositorySet/{LIDO}repositoryName/{LIDO}legalBodyName/{LIDO}appellationValue"
        )
    )
    title_en, title_zh = _by_language(
        identification.findall(f"{LIDO}titleWrap/{LIDO}titleSet/{LIDO}appellationValue")
    )
    fields: dict[str, Any] = {"title_en": title_en, "title_zh": title_zh}
    work_type = _text(lido.find(f".//{LIDO}objectWorkType/{LIDO}term"))
    # LIDO requires a work type, so providers write a placeholder when they have none.
    fields["object_type"] = None if work_type in PLACEHOLDER_WORK_TYPES else work_type
    fields["marks"] = _text(identification.find(f".//{LIDO}inscriptionTranscription"))
    descriptions: dict[str, list[ET.Element]] = {}
    for description in identification.findall(f".//{LIDO}objectDescriptionSet"):
        kind = description.get(f"{LIDO}type") or "description"
        descriptions.setdefault(kind, []).extend(description.findall(f"{LIDO}descriptiveNoteValue"))
    fields["description_en"], fields["description_zh"] = _by_language(
        descriptions.get("description", [])
    )
    fields["provenance"] = _by_language(descriptions.get("provenance", []))[0]
    fields["dimensions_text"] = _text(identification.find(f".//{LIDO}displayObjectMeasurements"))
    for measurement in identification.findall(f".//{LIDO}measurementsSet"):
        kind = _text(measurement.find(f"{LIDO}measurementType"))
        unit = _text(measurement.find(f"{LIDO}measurementUnit"))
        value = _text(measurement.find(f"{LIDO}measurementValue"))
        if kind in ("height", "width", "depth", "diameter") and unit in ("cm", "mm") and value:
            try:
                number = float(value)
            except ValueError:
                continue
            fields[f"{kind}_cm"] = number / 10 if unit == "mm" else number
    makers: list[MakerCredit] = []
    event = lido.find(f".//{LIDO}eventSet/{LIDO}event")
    if event is not None:
        for in_role in event.findall(f"{LIDO}eventActor/{LIDO}actorInRole"):
            name = _by_language(in_role.findall(f".//{LIDO}nameActorSet/{LIDO}appellationValue"))
            role, hedge = normalise_role(_text(in_role.find(f"{LIDO}roleActor/{LIDO}term")))
            qualifier = _text(in_role.find(f"{LIDO}attributionQualifierActor")) or hedge
            if name[0] or name[1]:
                makers.append(MakerCredit(name[0] or name[1] or "", role, qualifier))
        fields["date_text"] = _text(event.find(f"{LIDO}eventDate/{LIDO}displayDate"))
        fields["year_earliest"] = _year(_text(event.find(f".//{LIDO}earliestDate")))
        fields["year_latest"] = _year(_text(event.find(f".//{LIDO}latestDate")))
        fields["period"] = _text(event.find(f"{LIDO}periodName/{LIDO}term"))
        fields["place"] = _text(event.find(f".//{LIDO}namePlaceSet/{LIDO}appellationValue"))
        for term in event.findall(f".//{LIDO}termMaterialsTech"):
            kind = term.get(f"{LIDO}type")
            if kind in ("material", "technique"):
                fields[kind] = _text(term.find(f"{LIDO}term"))
    fields["pattern"] = _text(lido.find(f".//{LIDO}subjectConcept/{LIDO}term"))
    rights = lido.find(f".//{LIDO}rightsWorkWrap/{LIDO}rightsWorkSet")
    if rights is not None:
        fields["rights"] = _text(rights.find(f"{LIDO}rightsType/{LIDO}conceptID"))
        fields["credit_line"] = _text(rights.find(f"{LIDO}creditLine"))
    photos = [
        link
        for resource in lido.findall(f".//{LIDO}resourceWrap/{LIDO}resourceSet")
        if (link := _lido_photo(resource)) is not None
    ]
    record = SourceRecord(
        accession_number=accession,
        institution=institution,
        collection=None,
        fields={key: value for key, value in fields.items() if value is not None},
        makers=makers,
    )
    return record, photos


@dataclass(frozen=True)
class PhotoLink:
    """A photograph a remote record links to, with its credit."""

    url: str
    photographer: str | None = None
    licence: str | None = None
    attribution: str | None = None


def _lido_photo(resource: ET.Element) -> PhotoLink | None:
    links: dict[str, str] = {}
    for representation in resource.findall(f"{LIDO}resourceRepresentation"):
        link = _text(representation.find(f"{LIDO}linkResource"))
        if link:
            links.setdefault(representation.get(f"{LIDO}type") or "", link)
    if "image_master" in links:
        url = links["image_master"]
    elif "iiif_image_service" in links:
        url = links["iiif_image_service"].rstrip("/") + "/full/max/0/default.jpg"
    elif links:
        url = next(iter(links.values()))
    else:
        return None
    rights = resource.find(f"{LIDO}rightsResource")
    if rights is None:
        return PhotoLink(url)
    return PhotoLink(
        url,
        photographer=_text(
            rights.find(f".//{LIDO}rightsHolder/{LIDO}legalBodyName/{LIDO}appellationValue")
        ),
        licence=_text(rights.find(f"{LIDO}rightsType/{LIDO}conceptID")),
        attribution=_text(rights.find(f"{LIDO}creditLine")),
    )


def dc_to_record(dc: ET.Element, identifier: str) -> tuple[SourceRecord, list[PhotoLink]]:
    """Map one ``oai_dc`` record to a SourceRecord and the image links it names."""

    def values(name: str) -> list[ET.Element]:
        return dc.findall(f"{DC}{name}")

    def texts(name: str) -> list[str]:
        return [text for element in values(name) if (text := _text(element))]

    title_en, title_zh = _by_language(values("title"))
    plain_descriptions = [
        e
        for e in values("description")
        if not (_text(e) or "").startswith("Marks and inscriptions: ")
    ]
    marks = [
        t.removeprefix("Marks and inscriptions: ")
        for t in texts("description")
        if t.startswith("Marks and inscriptions: ")
    ]
    description_en, description_zh = _by_language(plain_descriptions)
    urls = [
        t for t in texts("identifier") + texts("relation") if t.startswith(("http://", "https://"))
    ]
    local_ids = [t for t in texts("identifier") if not t.startswith(("http://", "https://"))]
    makers = []
    for element in values("creator"):
        name = _text(element)
        if not name or (element.get(XML_LANG) or "").startswith("zh"):
            continue
        match = _ROLE_SUFFIX.match(name)
        if match:
            role, qualifier = normalise_role(match.group("role"))
            makers.append(MakerCredit(match.group("name"), role, qualifier))
        else:
            makers.append(MakerCredit(name))
    rights = texts("rights")
    dates = texts("date")
    years = [d for d in dates if re.fullmatch(r"-?\d{1,4}(/-?\d{1,4})?", d)]
    formats = texts("format")
    coverage = texts("coverage")
    fields: dict[str, Any] = {
        "title_en": title_en,
        "title_zh": title_zh,
        "description_en": description_en,
        "description_zh": description_zh,
        "marks": marks[0] if marks else None,
        "object_type": next(iter(texts("subject")), None),
        "date_text": next((d for d in dates if d not in years), None),
        "material": formats[0] if formats else None,
        "dimensions_text": formats[1] if len(formats) > 1 else None,
        "place": coverage[0] if coverage else None,
        "period": coverage[1] if len(coverage) > 1 else None,
        "provenance": next(iter(texts("source")), None),
        "rights": next((r for r in rights if r.startswith(("http://", "https://"))), None),
        "credit_line": next((r for r in rights if not r.startswith(("http://", "https://"))), None),
    }
    if years:
        first, _, last = years[0].partition("/")
        fields["year_earliest"], fields["year_latest"] = int(first), int(last or first)
    record = SourceRecord(
        accession_number=local_ids[0] if local_ids else identifier,
        institution=next(iter(texts("publisher")), None),
        collection=None,
        fields={key: value for key, value in fields.items() if value is not None},
        makers=makers,
    )
    return record, [
        PhotoLink(url) for url in urls if _IMAGE_LINK.search(urllib.parse.urlsplit(url).path)
    ]


@dataclass
class _Harvest:
    """One run's moving parts: where photographs go, what was deleted, what failed."""

    settings: Settings
    options: HarvestOptions
    prefix: str
    images_dir: Path
    set_names: dict[str, str]
    report_problems: list[IngestProblem] = field(default_factory=list)
    deleted_identifiers: list[str] = field(default_factory=list)
    response_date: str | None = None
    records: int = 0
    photo_count: int = 0

    def records_of(
        self, client: OAIClient, since: str | None
    ) -> Iterator[tuple[int, SourceRecord | RowError]]:
        arguments = {"metadataPrefix": self.prefix}
        if self.options.set_spec:
            arguments["set"] = self.options.set_spec
        if since:
            arguments["from"] = since
        for root, item in client.list("ListRecords", **arguments):
            if self.response_date is None:
                self.response_date = _text(root.find(f"{OAI}responseDate"))
            self.records += 1
            mapped = self._one(item)
            # Deletions are applied after the run (withdraw_deleted): they are not rows to load.
            if mapped is not None:
                yield self.records, mapped

    def _one(self, item: ET.Element) -> SourceRecord | RowError | None:
        header = item.find(f"{OAI}header")
        identifier = _text(header.find(f"{OAI}identifier")) if header is not None else None
        if header is None or identifier is None:
            return RowError("the record has no header identifier")
        if header.get("status") == "deleted":
            self.deleted_identifiers.append(identifier)
            return None
        metadata = item.find(f"{OAI}metadata")
        payload = next(iter(metadata), None) if metadata is not None else None
        if payload is None:
            return RowError(f"{identifier} has no metadata")
        try:
            if self.prefix == "lido":
                record, links = lido_to_record(payload, identifier)
            else:
                record, links = dc_to_record(payload, identifier)
        except RowError as error:
            return error
        if not (record.fields.get("title_en") or record.fields.get("title_zh")):
            return RowError(f"{identifier} has no title", "title_en")
        record.fields["status"] = self.options.status
        if self.options.institution:
            record.institution = self.options.institution
        record.collection = self._collection(header) or self.options.collection
        record.photos = [photo for link in links if (photo := self._fetch(link, record))]
        record.raw = {
            "oai": {
                "endpoint": self.options.endpoint,
                "identifier": identifier,
                "datestamp": _text(header.find(f"{OAI}datestamp")),
                "metadataPrefix": self.prefix,
            },
            "fields": dict(record.fields),
        }
        return record

    def _collection(self, header: ET.Element) -> str | None:
        # A Potbank remote puts each ware in an institution set and, below it, a collection set.
        for spec in header.findall(f"{OAI}setSpec"):
            if ":collection:" in (spec.text or "") and spec.text in self.set_names:
                return self.set_names[spec.text]
        return None

    def _fetch(self, link: PhotoLink, record: SourceRecord) -> PhotoReference | None:
        url = urllib.parse.urljoin(self.options.endpoint, link.url)
        try:
            data, name = fetch(
                url,
                self.options.allowed_image_hosts(),
                self.options.timeout,
                self.settings.max_upload_bytes,
            )
        except HarvestError as error:
            self.report_problems.append(
                IngestProblem(self.records, record.accession_number, "images", f"{url}: {error}")
            )
            return None
        self.photo_count += 1
        filename = f"{self.photo_count:06d}-{name}"
        (self.images_dir / filename).write_bytes(data)
        return PhotoReference(filename, link.photographer, link.licence, link.attribution)


class _SameHosts(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to a host the harvest may fetch from."""

    def __init__(self, hosts: frozenset[str]) -> None:
        super().__init__()
        self.hosts = hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check_url(newurl, self.hosts)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str, hosts: frozenset[str]) -> None:
    # A remote record names the URLs we fetch: without this, a hostile partner could make this
    # server probe its own network (server-side request forgery).
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise HarvestError("only http and https links are fetched")
    if (parts.hostname or "").lower() not in hosts:
        raise HarvestError(f"{parts.hostname} is not a host this harvest fetches from")


def fetch(url: str, hosts: frozenset[str], timeout: float, max_bytes: int) -> tuple[bytes, str]:
    """GET ``url`` from one of ``hosts`` (redirects included), at most ``max_bytes``.

    Answers the body and a safe file name for it (from Content-Disposition, else the path).
    """
    _check_url(url, hosts)
    opener = urllib.request.build_opener(_SameHosts(hosts))
    try:
        with opener.open(url, timeout=timeout) as response:
            data = response.read(max_bytes + 1)
            disposition = response.headers.get_filename() or ""
    except (urllib.error.URLError, OSError) as error:
        raise HarvestError(f"cannot fetch {url} ({error})") from None
    if len(data) > max_bytes:
        raise HarvestError(f"{url} is larger than {max_bytes} bytes")
    name = disposition or Path(urllib.parse.urlsplit(url).path).name or "photograph"
    return data, _UNSAFE_NAME.sub("_", name)[-80:] or "photograph"


def _state_path(settings: Settings) -> Path:
    return settings.home / STATE_FILE


def _state_key(options: HarvestOptions, prefix: str) -> str:
    return f"{options.endpoint}|{options.set_spec or ''}|{prefix}"


def load_state(settings: Settings) -> dict[str, Any]:
    """Every harvest's last responseDate, keyed by endpoint, set and format."""
    path = _state_path(settings)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _save_state(settings: Settings, state: dict[str, Any]) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
    os.replace(temporary, path)


def _choose_prefix(client: OAIClient, wanted: str | None) -> str:
    root = client.request(verb="ListMetadataFormats")
    offered = {
        _text(entry.find(f"{OAI}metadataPrefix")) for entry in root.iter(f"{OAI}metadataFormat")
    }
    if wanted:
        if wanted not in ("lido", "oai_dc"):
            raise HarvestError(f"cannot map {wanted!r}: use lido or oai_dc")
        if wanted not in offered:
            raise HarvestError(f"the remote does not offer {wanted!r}")
        return wanted
    return "lido" if "lido" in offered else "oai_dc"


def harvest(
    settings: Settings,
    session_factory: sessionmaker[Session],
    options: HarvestOptions,
    progress: Callable[[int], None] | None = None,
    job_id: int | None = None,
) -> HarvestReport:
    """Harvest ``options.endpoint`` into the catalogue; incremental unless ``options.full``.

    ``job_id``: the leased job (archive.jobs) running the harvest. Its ingest run is tied to it
    (so a killed harvest's run does not stay "running") and the photographs fetched wait in its
    work folder, removed when the job ends or is found dead; without one, the run leases a job
    of its own and photographs wait in a temporary folder."""
    client = OAIClient(options.endpoint, options.timeout)
    prefix = _choose_prefix(client, options.metadata_prefix)
    set_names = {
        spec: _text(item.find(f"{OAI}setName")) or spec
        for _, item in client.list("ListSets")
        if (spec := _text(item.find(f"{OAI}setSpec")))
    }
    state = load_state(settings)
    key = _state_key(options, prefix)
    since = None if options.full else state.get(key, {}).get("last_response_date")
    with _photo_folder(settings, job_id) as folder:
        run = _Harvest(settings, options, prefix, folder, set_names)
        ingest_options = IngestOptions(
            institution=options.institution,
            collection=options.collection,
            images_dir=folder,
            actor=options.actor,
            default_status=options.status,
            job_id=job_id,
        )
        report = run_ingest(
            settings,
            session_factory,
            f"oai:{options.endpoint}",
            f"oai-{prefix}",
            run.records_of(client, since),
            ingest_options,
            progress,
        )
    withdrawn = withdraw_deleted(settings, session_factory, options, run.deleted_identifiers)
    if run.response_date:
        state[key] = {"last_response_date": run.response_date}
        _save_state(settings, state)
    return HarvestReport(
        ingest=report,
        metadata_prefix=prefix,
        harvested_from=since,
        records=run.records,
        deleted=len(run.deleted_identifiers),
        withdrawn=withdrawn,
        problems=run.report_problems,
    )


@contextmanager
def _photo_folder(settings: Settings, job_id: int | None) -> Iterator[Path]:
    """Where fetched photographs wait until the pipeline has stored them; removed after."""
    if job_id is None:
        with tempfile.TemporaryDirectory(prefix="potbank-harvest-") as folder:
            yield Path(folder)
        return
    folder = work_folder(settings, job_id)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def withdraw_deleted(
    settings: Settings,
    session_factory: sessionmaker[Session],
    options: HarvestOptions,
    identifiers: list[str],
) -> int:
    """Unpublish the wares harvested from ``options.endpoint`` under these identifiers."""
    if not identifiers:
        return 0
    withdrawn: set[int] = set()
    with session_factory() as session:
        wares = session.scalars(
            select(Ware).where(
                Ware.source_record[("oai", "endpoint")].as_string() == options.endpoint,
                Ware.source_record[("oai", "identifier")].as_string().in_(identifiers),
                Ware.status == WareStatus.PUBLISHED,
            )
        ).all()
        for ware in wares:
            upsert_ware(
                session,
                institution=ware.institution,
                accession_number=ware.accession_number,
                fields={"status": WareStatus.DRAFT.value},
                actor=options.actor,
            )
            withdrawn.add(ware.id)
        session.commit()
        if withdrawn:
            IndexSync(settings).update_wares(session, withdrawn)
    return len(withdrawn)
