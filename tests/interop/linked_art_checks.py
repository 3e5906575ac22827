"""Checks of Linked Art documents against the Linked Art project's own published artefacts.

- The JSON schemas of the Linked Art API 1.0 (``tests/data/linked_art/schema``), resolved among
  themselves by their ``$id`` with ``referencing``, so nothing is fetched.
- The Linked Art JSON-LD context (``tests/data/linked_art/linked-art.json``), served to PyLD by
  a document loader that answers that one URL from the local copy and refuses every other, so
  expansion proves that the context resolves offline and that every key is a term of it.
See ``tests/data/linked_art/README.md`` for where these files come from and their licence.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from pyld import jsonld
from referencing import Registry, Resource

from web.linked_art.documents import CONTEXT

DATA = Path(__file__).resolve().parents[1] / "data" / "linked_art"
SCHEMA_BASE = "https://linked.art/api/1.0/schema/"
# Document type -> the schema file that describes it.
SCHEMAS = {
    "HumanMadeObject": "object.json",
    "Person": "person.json",
    "Group": "group.json",
    "Set": "set.json",
    "Place": "place.json",
    "Activity": "event.json",
}


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted((DATA / "schema").glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents)
        resources.append((contents["$id"], resource))
        # Files refer to each other by file name too (core.json#/...): same base, so also here.
        resources.append((SCHEMA_BASE + path.name, resource))
    return Registry().with_resources(resources)


@cache
def _validator(kind: str) -> Draft202012Validator:
    schema = _registry().contents(SCHEMA_BASE + SCHEMAS[kind])
    return Draft202012Validator(schema, registry=_registry())


def schema_errors(document: dict[str, Any]) -> list[str]:
    """What the Linked Art schema for the document's type finds wrong (empty when valid)."""
    validator = _validator(document["type"])
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


def _offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url != CONTEXT:
        raise AssertionError(f"JSON-LD expansion would fetch {url}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads((DATA / "linked-art.json").read_text(encoding="utf-8")),
    }


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document expanded with PyLD, its context served from the local copy."""
    return jsonld.expand(document, {"documentLoader": _offline_loader})


def _compact_values(node: Any) -> int:
    if isinstance(node, dict):
        return sum(_compact_values(v) for k, v in node.items() if k != "@context")
    if isinstance(node, list):
        return sum(_compact_values(item) for item in node)
    return 1


def _expanded_values(node: Any) -> int:
    if isinstance(node, list):
        return sum(_expanded_values(item) for item in node)
    if not isinstance(node, dict):
        return 0
    if "@value" in node:
        # A typed literal's @type (xsd:dateTime...) is the context's, not a value of ours.
        return 1
    count = 1 if "@id" in node else 0
    count += len(node.get("@type", []))
    return count + sum(_expanded_values(v) for k, v in node.items() if not k.startswith("@"))


def dropped_values(document: dict[str, Any]) -> int:
    """How many of the document's values JSON-LD expansion loses (keys the context lacks)."""
    return _compact_values(document) - _expanded_values(expand(document))


def assert_linked_art(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Assert a document is valid Linked Art and expands offline; answers the expansion."""
    errors = schema_errors(document)
    assert not errors, "\n".join(errors)
    assert document["@context"] == CONTEXT
    expanded = expand(document)
    assert expanded and expanded[0]["@id"] == document["id"]
    assert dropped_values(document) == 0, "keys the Linked Art context does not define"
    return expanded
