"""The official OAI-PMH, oai_dc, oai-identifier and LIDO XML Schemas, loaded offline.

The schema files live in ``tests/data/xsd`` (see its README for where each comes from and its
licence). One driver schema imports every namespace from those local copies, and a resolver
answers the few absolute ``schemaLocation`` URLs inside them with the same local files, so
validation never reaches the network. OAI-PMH's ``<metadata>``, ``<description>`` and
``<setDescription>`` hold ``processContents="strict"`` wildcards: with oai_dc, oai-identifier and
LIDO loaded in the same schema set, the records inside a response are validated as well.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parents[1] / "data" / "xsd"

_NAMESPACES = {
    # The xml: namespace first: later imports of it (by URL) are skipped by libxml2.
    "http://www.w3.org/XML/1998/namespace": "lido/xml.xsd",
    "http://www.openarchives.org/OAI/2.0/": "oai/OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc/": "oai/oai_dc.xsd",
    "http://www.openarchives.org/OAI/2.0/oai-identifier": "oai/oai-identifier.xsd",
    "http://www.lido-schema.org": "lido/lido-v1.0.xsd",
}
# Absolute locations that the shipped schemas name, answered from the local copies.
_LOCAL_COPIES = {"http://www.w3.org/2001/03/xml.xsd": "lido/xml.xsd"}


class _Offline(etree.Resolver):
    def resolve(self, url, public_id, context):  # type: ignore[no-untyped-def]
        if url in _LOCAL_COPIES:
            return self.resolve_filename(str(XSD_DIR / _LOCAL_COPIES[url]), context)
        if url.startswith(("http://", "https://")):
            raise AssertionError(f"schema validation would reach the network for {url}")
        return None


@cache
def schema() -> etree.XMLSchema:
    """One schema that knows OAI-PMH, oai_dc, oai-identifier and LIDO 1.0."""
    imports = "".join(
        f'<xs:import namespace="{namespace}" schemaLocation="{location}"/>'
        for namespace, location in _NAMESPACES.items()
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_Offline())
    document = etree.fromstring(driver.encode(), parser, base_url=str(XSD_DIR / "driver.xsd"))
    return etree.XMLSchema(document)


def schema_errors(data: bytes) -> list[str]:
    """What the schemas find wrong in an XML document (empty when it is valid)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(data, parser)
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in checker.error_log]


def assert_valid(data: bytes) -> None:
    """Assert that an OAI-PMH response or a LIDO document is valid against the schemas."""
    errors = schema_errors(data)
    assert not errors, "\n".join(errors)
