"""A small JSON Schema checker for the keywords the OpenAPI document uses (no dependency).

Unknown keywords are refused rather than ignored, so a schema that uses one this checker cannot
check fails loudly instead of passing anything.
"""

from __future__ import annotations

import re
from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
# Keywords that only describe: nothing to check.
DESCRIPTIVE = {"description", "format", "examples", "default", "title"}
CHECKED = {
    "$ref",
    "type",
    "enum",
    "properties",
    "required",
    "items",
    "additionalProperties",
    "oneOf",
    "minimum",
    "maximum",
    "maxItems",
    "maxLength",
    "pattern",
}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, TYPES[kind])


def problems(value: Any, schema: dict[str, Any], spec: dict[str, Any], at: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema`` (``$ref``s resolved in ``spec``), as paths."""
    unknown = set(schema) - CHECKED - DESCRIPTIVE
    if unknown:
        return [f"{at}: the checker does not know {sorted(unknown)}"]
    if "$ref" in schema:
        target: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return problems(value, target, spec, at)
    kinds = schema.get("type")
    if kinds is not None:
        allowed = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is(value, kind) for kind in allowed):
            return [f"{at}: {value!r} is not {allowed}"]
    found: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if "oneOf" in schema:
        matching = [s for s in schema["oneOf"] if not problems(value, s, spec, at)]
        if len(matching) != 1:
            found.append(f"{at}: matches {len(matching)} of oneOf")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{at}: missing {name!r}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                found += problems(item, properties[name], spec, f"{at}.{name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += problems(item, schema["additionalProperties"], spec, f"{at}.{name}")
            elif properties:
                found.append(f"{at}: {name!r} is not documented")
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{at}: more than {schema['maxItems']} items")
        for index, item in enumerate(value):
            found += problems(item, schema.get("items", {}), spec, f"{at}[{index}]")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{at}: longer than {schema['maxLength']}")
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: {value} > {schema['maximum']}")
    return found
