"""The OAI-PMH 2.0 provider at ``/oai``: six verbs, ``oai_dc`` and LIDO, sets, deletions.

Only published wares are exposed. A ware that was published once and is now withdrawn
(unpublished or soft-deleted) is answered as a deleted record, so harvesters drop it too; the
audit log is what remembers that it was ever public, hence ``deletedRecord`` is ``transient``.
Resumption tokens are stateless: the list's arguments and the last id sent, signed with the
app's secret key, so they survive restarts and cannot be forged to reach other records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from archive.ids import parse_id
from archive.models import AuditEvent, Collection, Institution, Ware, WareMaker, WareStatus
from web.oai.exhibition_sets import exhibition_condition, exhibition_sets, exhibition_specs
from web.oai.metadata import (
    DC_NS,
    IDENTIFIER_NS,
    METADATA_FORMATS,
    OAI_DC_NS,
    XSI_NS,
    dublin_core,
    lido_record,
    utc_text,
)
from web.views.context import db_session
from web.xml_text import has_illegal_xml, xml_safe

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
DEFAULT_PAGE_SIZE = 100
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

oai = Blueprint("oai", __name__)

# verb -> (required arguments, optional arguments); resumptionToken is exclusive.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset({"resumptionToken"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
    "ListRecords": (
        frozenset({"metadataPrefix"}),
        frozenset({"from", "until", "set", "resumptionToken"}),
    ),
}
_DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SET = re.compile(r"^institution:([0-9]+)(?::collection:([0-9]+))?\Z")


class OAIError(Exception):
    """An OAI-PMH error condition: answered with HTTP 200 and ``<error code=...>``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _q(name: str) -> str:
    # The envelope's elements are left unqualified and the root declares OAI-PMH as the default
    # namespace: ElementTree cannot write a default namespace beside unqualified attributes.
    return name


def _sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), attributes)
    if text is not None:
        element.text = text
    return element


def repository_id() -> str:
    """The repository identifier in record identifiers (``oai:<this>:wares/<id>``).

    POTBANK_OAI_REPOSITORY_ID names it; otherwise the host name serves when it is a domain name,
    and ``potbank.local`` when it is not (an IP address or ``localhost``).
    """
    configured = current_app.config.get("OAI_REPOSITORY_ID")
    if configured:
        return str(configured)
    host = request.host.rsplit(":", 1)[0] if "]" not in request.host else ""
    return host if _DOMAIN.match(host) else "potbank.local"


def record_identifier(ware_id: int) -> str:
    """The OAI identifier of a ware."""
    return f"oai:{repository_id()}:wares/{ware_id}"


def _ware_id(identifier: str) -> int | None:
    prefix = f"oai:{repository_id()}:wares/"
    rest = identifier.removeprefix(prefix)
    return parse_id(rest) if identifier.startswith(prefix) else None


def _public() -> ColumnElement[bool]:
    return and_(Ware.status == WareStatus.PUBLISHED, Ware.deleted_at.is_(None))


def _was_published() -> ColumnElement[bool]:
    # The audit log records every status a ware was given; "published" there means it was public.
    return exists(
        select(AuditEvent.id).where(
            AuditEvent.entity_type == "ware",
            AuditEvent.entity_id == Ware.id,
            AuditEvent.after["status"].as_string() == WareStatus.PUBLISHED.value,
        )
    )


def _exposed() -> ColumnElement[bool]:
    """Wares the provider answers for: public ones, and withdrawn ones that once were."""
    return or_(_public(), _was_published())


def _is_deleted(ware: Ware) -> bool:
    return ware.status is not WareStatus.PUBLISHED or ware.deleted_at is not None


@dataclass(frozen=True)
class ListRequest:
    """The arguments of ListIdentifiers/ListRecords, as carried in a resumption token."""

    verb: str
    prefix: str
    set_spec: str | None
    start: str | None
    until: str | None
    after_id: int = 0
    cursor: int = 0


def _sign(payload: bytes) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:32]


def _token(listing: ListRequest) -> str:
    fields = [
        listing.verb,
        listing.prefix,
        listing.set_spec,
        listing.start,
        listing.until,
        listing.after_id,
        listing.cursor,
    ]
    payload = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + _sign(payload)


def _untoken(token: str, verb: str) -> ListRequest:
    bad = OAIError("badResumptionToken", "the resumption token is invalid or has expired")
    encoded, _, signature = token.partition(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        raise bad from None
    if not hmac.compare_digest(_sign(payload), signature):
        raise bad
    fields = json.loads(payload)
    if fields[0] != verb:
        raise bad
    return ListRequest(*fields)


def _parse_date(text: str, name: str) -> tuple[datetime, str]:
    if _DAY.match(text):
        granularity, pattern = "day", "%Y-%m-%d"
    elif _SECOND.match(text):
        granularity, pattern = "second", "%Y-%m-%dT%H:%M:%SZ"
    else:
        raise OAIError("badArgument", f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    try:
        return datetime.strptime(text, pattern).replace(tzinfo=UTC), granularity
    except ValueError:
        raise OAIError("badArgument", f"{name} is not a real date: {text}") from None


def _date_bounds(start: str | None, until: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    parsed_start = _parse_date(start, "from") if start else None
    parsed_until = _parse_date(until, "until") if until else None
    if parsed_start and parsed_until:
        if parsed_start[1] != parsed_until[1]:
            raise OAIError("badArgument", "from and until must have the same granularity")
        if parsed_start[0] > parsed_until[0]:
            raise OAIError("badArgument", "from is later than until")
    if parsed_start:
        conditions.append(Ware.updated_at >= parsed_start[0])
    if parsed_until:
        # until is inclusive at its granularity: the whole day, or the whole second.
        step = timedelta(days=1) if parsed_until[1] == "day" else timedelta(seconds=1)
        conditions.append(Ware.updated_at < parsed_until[0] + step)
    return conditions


def _set_condition(set_spec: str) -> ColumnElement[bool]:
    exhibition = exhibition_condition(set_spec)
    if exhibition is not None:
        return exhibition
    match = _SET.match(set_spec)
    if not match:
        # A set this repository never defined holds no records.
        return Ware.id.is_(None)
    institution_id, collection_id = (parse_id(group) for group in match.groups())
    if institution_id is None or (match.group(2) and collection_id is None):
        # Past the database's integer range: a set that cannot exist.
        return Ware.id.is_(None)
    condition = Ware.institution_id == institution_id
    if collection_id is not None:
        condition = and_(condition, Ware.collection_id == collection_id)
    return condition


def _set_specs(ware: Ware) -> list[str]:
    specs = [f"institution:{ware.institution_id}"]
    if ware.collection_id:
        specs.append(f"institution:{ware.institution_id}:collection:{ware.collection_id}")
    return specs + exhibition_specs(ware)


def _known_sets() -> list[tuple[str, str, str | None]]:
    """Every set that holds a public ware: (setSpec, setName, description)."""
    session = db_session()
    pairs = session.execute(
        select(Ware.institution_id, Ware.collection_id).where(_public()).distinct()
    ).all()
    institution_ids = {institution_id for institution_id, _ in pairs}
    collection_ids = {collection_id for _, collection_id in pairs if collection_id}
    sets: list[tuple[str, str, str | None]] = []
    institutions = session.scalars(
        select(Institution).where(Institution.id.in_(institution_ids)).order_by(Institution.id)
    )
    for institution in institutions:
        sets.append((f"institution:{institution.id}", institution.name, None))
    collections = session.scalars(
        select(Collection).where(Collection.id.in_(collection_ids)).order_by(Collection.id)
    )
    for collection in collections:
        spec = f"institution:{collection.institution_id}:collection:{collection.id}"
        sets.append((spec, collection.name, collection.description))
    return sorted(sets) + exhibition_sets(_public())


def _header(parent: ET.Element, ware: Ware) -> None:
    attributes = {"status": "deleted"} if _is_deleted(ware) else {}
    header = _sub(parent, "header", **attributes)
    _sub(header, "identifier", record_identifier(ware.id))
    _sub(header, "datestamp", utc_text(ware.updated_at))
    for spec in _set_specs(ware):
        _sub(header, "setSpec", spec)


def _record(parent: ET.Element, ware: Ware, prefix: str) -> None:
    record = _sub(parent, "record")
    _header(record, ware)
    if _is_deleted(ware):
        return
    metadata = _sub(record, "metadata")
    if prefix == "oai_dc":
        metadata.append(dublin_core(ware))
    else:
        metadata.append(lido_record(ware, record_identifier(ware.id), ware.updated_at))


def _load(conditions: list[ColumnElement[bool]], limit: int | None = None) -> list[Ware]:
    query = (
        select(Ware)
        .where(_exposed(), *conditions)
        .options(
            selectinload(Ware.makers).selectinload(WareMaker.maker),
            selectinload(Ware.photographs),
            selectinload(Ware.institution),
            selectinload(Ware.collection),
        )
        .order_by(Ware.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db_session().scalars(query))


# The forms OAI-PMH.xsd gives setSpec and metadataPrefix (setSpecType, metadataPrefixType).
_SPEC_CHARACTERS = r"[A-Za-z0-9\-_.!~*'()]"
_SYNTAX = {
    "set": re.compile(rf"{_SPEC_CHARACTERS}+(?::{_SPEC_CHARACTERS}+)*"),
    "metadataPrefix": re.compile(rf"{_SPEC_CHARACTERS}+"),
}


def _arguments() -> dict[str, str]:
    values = request.form if request.method == "POST" else request.args
    verbs = values.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "the verb argument is missing, repeated or not an OAI-PMH verb")
    verb = verbs[0]
    required, optional = VERBS[verb]
    arguments: dict[str, str] = {}
    for name in values:
        if name == "verb":
            continue
        given = values.getlist(name)
        if name not in required | optional:
            raise OAIError("badArgument", f"{verb} takes no argument {name!r}")
        if len(given) != 1:
            raise OAIError("badArgument", f"the argument {name!r} is repeated")
        if has_illegal_xml(given[0]):
            code = "badResumptionToken" if name == "resumptionToken" else "badArgument"
            raise OAIError(code, f"the argument {name!r} holds control characters")
        pattern = _SYNTAX.get(name)
        if pattern is not None and not pattern.fullmatch(given[0]):
            # Not even the form of a set or metadata prefix: echoed in <request>, it would
            # make the answer invalid against OAI-PMH.xsd, so it is a bad argument.
            raise OAIError("badArgument", f"the argument {name!r} is not a valid {name}")
        arguments[name] = given[0]
    if "resumptionToken" in arguments:
        if len(arguments) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument")
    else:
        missing = sorted(required - set(arguments))
        if missing:
            raise OAIError("badArgument", f"{verb} needs the argument {missing[0]!r}")
    return {"verb": verb, **arguments}


@oai.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer one OAI-PMH request (GET, or POST with form-encoded arguments)."""
    root = ET.Element(_q("OAI-PMH"), {"xmlns": OAI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _sub(root, "responseDate", utc_text(datetime.now(UTC)))
    request_element = _sub(root, "request", url_for("oai.endpoint", _external=True))
    try:
        arguments = _arguments()
        for name, value in arguments.items():
            request_element.set(name, value)
        HANDLERS[arguments["verb"]](root, arguments)
    except OAIError as error:
        for child in list(root)[2:]:
            root.remove(child)
        if error.code in ("badVerb", "badArgument"):
            # The specification: after badVerb or badArgument, <request> carries the base URL
            # only, never the arguments (a bad from/until is found after they were echoed).
            request_element.attrib.clear()
        _sub(root, "error", error.message, code=error.code)
    # Record text may hold characters XML cannot carry; no markup does, so they can go here.
    body = xml_safe(ET.tostring(root, encoding="unicode"))
    response = Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, mimetype="text/xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _identify(root: ET.Element, _arguments: dict[str, str]) -> None:
    identify = _sub(root, "Identify")
    _sub(identify, "repositoryName", current_app.config.get("OAI_REPOSITORY_NAME", "Potbank"))
    _sub(identify, "baseURL", url_for("oai.endpoint", _external=True))
    _sub(identify, "protocolVersion", "2.0")
    admin = current_app.config.get("OAI_ADMIN_EMAIL") or f"archive@{repository_id()}"
    _sub(identify, "adminEmail", admin)
    earliest = db_session().scalar(select(func.min(Ware.updated_at)).where(_exposed()))
    _sub(identify, "earliestDatestamp", utc_text(earliest or datetime.now(UTC)))
    _sub(identify, "deletedRecord", "transient")
    _sub(identify, "granularity", GRANULARITY)
    description = _sub(identify, "description")
    scheme = ET.SubElement(description, f"{{{IDENTIFIER_NS}}}oai-identifier")
    scheme.set(f"{{{XSI_NS}}}schemaLocation", f"{IDENTIFIER_NS} {IDENTIFIER_SCHEMA}")
    for name, text in (
        ("scheme", "oai"),
        ("repositoryIdentifier", repository_id()),
        ("delimiter", ":"),
        ("sampleIdentifier", f"oai:{repository_id()}:wares/1"),
    ):
        ET.SubElement(scheme, f"{{{IDENTIFIER_NS}}}{name}").text = text


def _list_metadata_formats(root: ET.Element, arguments: dict[str, str]) -> None:
    if "identifier" in arguments:
        ware = _ware_for(arguments["identifier"])
        if _is_deleted(ware):
            raise OAIError("noMetadataFormats", "the record is deleted: it has no metadata")
    formats = _sub(root, "ListMetadataFormats")
    for prefix, (schema, namespace) in METADATA_FORMATS.items():
        entry = _sub(formats, "metadataFormat")
        _sub(entry, "metadataPrefix", prefix)
        _sub(entry, "schema", schema)
        _sub(entry, "metadataNamespace", namespace)


def _list_sets(root: ET.Element, arguments: dict[str, str]) -> None:
    if "resumptionToken" in arguments:
        # Every set fits in one answer, so this repository never issues a ListSets token.
        raise OAIError("badResumptionToken", "the resumption token is invalid or has expired")
    sets = _known_sets()
    if not sets:
        raise OAIError("noSetHierarchy", "this repository has no sets yet")
    listing = _sub(root, "ListSets")
    for spec, name, description in sets:
        entry = _sub(listing, "set")
        _sub(entry, "setSpec", spec)
        _sub(entry, "setName", name)
        if description:
            holder = _sub(entry, "setDescription")
            dc = ET.Element(f"{{{OAI_DC_NS}}}dc")
            ET.SubElement(dc, f"{{{DC_NS}}}description").text = description
            holder.append(dc)


def _ware_for(identifier: str) -> Ware:
    ware_id = _ware_id(identifier)
    found = _load([Ware.id == ware_id], limit=1) if ware_id is not None else []
    if not found:
        raise OAIError("idDoesNotExist", f"no record {identifier} in this repository")
    return found[0]


def _check_prefix(prefix: str) -> None:
    if prefix not in METADATA_FORMATS:
        known = ", ".join(METADATA_FORMATS)
        raise OAIError("cannotDisseminateFormat", f"no format {prefix!r} here: use {known}")


def _get_record(root: ET.Element, arguments: dict[str, str]) -> None:
    ware = _ware_for(arguments["identifier"])
    _check_prefix(arguments["metadataPrefix"])
    _record(_sub(root, "GetRecord"), ware, arguments["metadataPrefix"])


def _list(root: ET.Element, arguments: dict[str, str]) -> None:
    verb = arguments["verb"]
    if "resumptionToken" in arguments:
        listing = _untoken(arguments["resumptionToken"], verb)
    else:
        listing = ListRequest(
            verb,
            arguments["metadataPrefix"],
            arguments.get("set"),
            arguments.get("from"),
            arguments.get("until"),
        )
    _check_prefix(listing.prefix)
    conditions = _date_bounds(listing.start, listing.until)
    if listing.set_spec is not None:
        # Every public ware is in its institution's set: no public ware, no sets at all.
        if not db_session().scalar(select(exists().where(_public()))):
            raise OAIError("noSetHierarchy", "this repository has no sets yet")
        conditions.append(_set_condition(listing.set_spec))
    page_size = int(current_app.config.get("OAI_PAGE_SIZE", DEFAULT_PAGE_SIZE))
    wares = _load([*conditions, Ware.id > listing.after_id], limit=page_size + 1)
    if not wares:
        if listing.cursor:
            # The records after the token's point were withdrawn since it was issued.
            raise OAIError("badResumptionToken", "the list has changed: start again")
        raise OAIError("noRecordsMatch", "no records match these arguments")
    more = len(wares) > page_size
    wares = wares[:page_size]
    container = _sub(root, verb)
    for ware in wares:
        if verb == "ListRecords":
            _record(container, ware, listing.prefix)
        else:
            _header(container, ware)
    if more or listing.cursor:
        total = db_session().scalar(
            select(func.count()).select_from(
                select(Ware.id).where(_exposed(), *conditions).subquery()
            )
        )
        attributes = {"completeListSize": str(total or 0), "cursor": str(listing.cursor)}
        following = ListRequest(
            verb,
            listing.prefix,
            listing.set_spec,
            listing.start,
            listing.until,
            wares[-1].id,
            listing.cursor + len(wares),
        )
        _sub(container, "resumptionToken", _token(following) if more else None, **attributes)


HANDLERS: dict[str, Any] = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": _list,
    "ListRecords": _list,
}


def configure(config: dict[str, Any], environ: dict[str, str] | None = None) -> None:
    """Fill the provider's settings from POTBANK_OAI_* variables where the app has none."""
    env = os.environ if environ is None else environ
    config.setdefault("OAI_PAGE_SIZE", DEFAULT_PAGE_SIZE)
    for key, variable in (
        ("OAI_REPOSITORY_ID", "POTBANK_OAI_REPOSITORY_ID"),
        ("OAI_REPOSITORY_NAME", "POTBANK_OAI_REPOSITORY_NAME"),
        ("OAI_ADMIN_EMAIL", "POTBANK_OAI_ADMIN_EMAIL"),
    ):
        if env.get(variable):
            config.setdefault(key, env[variable])
