"""The OpenAPI 3 description of the JSON API, served at ``/api/v1/openapi.json``.

Written by hand beside the routes in ``web/api.py``; ``tests/web/test_openapi.py`` calls every
path, triggers every documented status and validates each body against these schemas, so the
description cannot drift from what the API does.
"""

from __future__ import annotations

from typing import Any

from archive.ids import MAX_ID
from web.views.searching import (
    EARLIEST_YEAR,
    FACET_FIELDS,
    LATEST_YEAR,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_LENGTH,
    MODES,
    SORTS,
)

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **more: Any) -> Schema:
    return {"type": [kind, "null"], **more}


def _object(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


def _json(schema_name: str, description: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


def _error(description: str) -> Schema:
    return _json("Error", description)


# A value in both languages from the bilingual vocabulary (as written in both where it lacks it).
LABEL = _object({"en": {"type": "string"}, "zh": {"type": "string"}})
_LABEL_OR_NULL = {"oneOf": [LABEL, {"type": "null"}]}
EMBEDDER = _object(
    {
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["clip", "descriptor"]},
        "reason": {"type": "string"},
    }
)
CREDIT = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "name_zh": _nullable("string"),
        "role": {"type": "string", "enum": ["maker", "manufacturer", "designer", "decorator"]},
        "qualifier": _nullable("string"),
    }
)
SUMMARY_PROPERTIES: dict[str, Schema] = {
    "id": {"type": "integer"},
    "title": {"type": "string"},
    "title_zh": _nullable("string"),
    "makers": {"type": "array", "items": _ref("MakerCredit")},
    "date": {"type": "string"},
    "year_earliest": _nullable("integer"),
    "year_latest": _nullable("integer"),
    "object_type": _nullable("string"),
    "labels": {
        "type": "object",
        "description": "The object type in English and Chinese (bilingual vocabulary).",
        "additionalProperties": _LABEL_OR_NULL,
    },
    "url": {"type": "string", "format": "uri"},
    "thumbnail": _nullable("string", format="uri"),
}
RESULT = _object(
    {
        **SUMMARY_PROPERTIES,
        "score": {"type": "number"},
        "sources": {
            "type": "array",
            "description": "Which sides of the search found the ware: the record text "
            "(keyword), a photograph (visual), or words matched to photographs by CLIP "
            "(clip-text).",
            "items": {"type": "string", "enum": ["keyword", "visual", "clip-text"]},
        },
        "snippet": _nullable("string", description="HTML: text with <mark> highlights only."),
        "match": {
            "oneOf": [_ref("VisualMatch"), {"type": "null"}],
            "description": "Why a search by photograph found the ware (null otherwise).",
        },
    }
)
VISUAL_MATCH = _object(
    {
        "reason": {
            "type": "string",
            "enum": ["same", "form", "look", "mark"],
            "description": "same: the same object or pattern, verified by the geometry of "
            "matching points; form: similar form; look: similar colour and texture; mark: "
            "another mark (the query is a mark), by mark likeness.",
        },
        "explanation": _object({"en": {"type": "string"}, "zh": {"type": "string"}}),
        "matching_points": {"type": "integer", "minimum": 0},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "region": _nullable(
            "string",
            pattern=r"^\d+,\d+,\d+,\d+$",
            description="The matched region of the photograph as a IIIF region x,y,w,h in "
            "its own pixels (verified matches only).",
        ),
        "photograph": {
            "oneOf": [
                _object(
                    {
                        "position": {"type": "integer", "minimum": 1},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                        "view": {
                            "type": "string",
                            "enum": ["front", "base", "mark", "detail", "other"],
                        },
                        "width": {"type": "integer"},
                        "height": {"type": "integer"},
                        "region_url": {"type": "string", "format": "uri"},
                    }
                ),
                {"type": "null"},
            ],
            "description": "The ware's photograph that matched, with a IIIF URL of the region.",
        },
    }
)
SEARCH_RESULTS = _object(
    {
        "total": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "mode": {"type": "string", "enum": list(MODES)},
        "message": _nullable(
            "string",
            description="How the query was read (unknown fields, unreadable dates, unmatched "
            "quotes or brackets were repaired), in the client's language (Accept-Language).",
        ),
        "nothing_close": {
            "type": "boolean",
            "description": "A search by photograph in which nothing matched closely enough to "
            "be listed (the message says so in the visitor's language).",
        },
        "suggestion": _nullable("string"),
        "expansions": {
            "type": "array",
            "description": "What each query term was also searched as (glossary equivalents, "
            "the Chinese names of pinyin, the entries a Chinese word is part of).",
            "items": {
                "type": "object",
                "properties": {
                    "term": {"type": "string"},
                    "also": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "results": {"type": "array", "items": _ref("SearchResult")},
        "facets": {
            "type": "object",
            "description": "Counts over the whole result set, by facet; each value with its "
            "label in English and Chinese. A filter takes a value in either language.",
            "additionalProperties": {
                "type": "array",
                "items": _object(
                    {
                        "value": {"type": "string"},
                        "count": {"type": "integer"},
                        "label": LABEL,
                    }
                ),
            },
        },
        "embedder": _ref("Embedder"),
    }
)
PHOTOGRAPH = _object(
    {
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "view": {"type": "string", "enum": ["front", "base", "mark", "detail", "other"]},
        # The size as shown: turned and cropped as a curator set it (thumbnail, display, IIIF).
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "thumbnail": {"type": "string", "format": "uri"},
        "display": {"type": "string", "format": "uri"},
        "original": {"type": "string", "format": "uri"},
        "rotation": {"type": "integer", "enum": [0, 90, 180, 270]},
        "crop": _nullable("string", pattern=r"^\d+,\d+,\d+,\d+$"),
        "caption_en": _nullable("string"),
        "caption_zh": _nullable("string"),
        "alt_en": _nullable("string"),
        "alt_zh": _nullable("string"),
        "photographer": _nullable("string"),
        "licence": _nullable("string"),
        "licence_label": _nullable("string"),
        "rights": _nullable("string"),
        "attribution": _nullable("string"),
    }
)
_TEXT_FIELDS = (
    "accession_number",
    "title_en",
    "title_zh",
    "object_type",
    "place",
    "date_text",
    "period",
    "material",
    "technique",
    "pattern",
    "marks",
    "dimensions_text",
    "description_en",
    "description_zh",
    "credit_line",
    "provenance",
    "rights",
)
_NAMED = _object(
    {"id": {"type": "integer"}, "name": {"type": "string"}, "label": LABEL},
    optional=("label",),
)
WARE = _object(
    {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        **{name: _nullable("string") for name in _TEXT_FIELDS},
        "accession_number": {"type": "string"},
        "year_earliest": _nullable("integer"),
        "year_latest": _nullable("integer"),
        **{name: _nullable("number") for name in ("height_cm", "width_cm", "depth_cm")},
        "diameter_cm": _nullable("number"),
        "date": {"type": "string"},
        "makers": {"type": "array", "items": _ref("MakerCredit")},
        "institution": _NAMED,
        "collection": {"oneOf": [_NAMED, {"type": "null"}]},
        "photographs": {"type": "array", "items": _ref("Photograph")},
        "url": {"type": "string", "format": "uri"},
        "labels": {
            "type": "object",
            "description": "The record's object type, material, technique, place, period and "
            "pattern in English and Chinese (null where the record has none).",
            "additionalProperties": _LABEL_OR_NULL,
        },
    }
)
MAKER = _object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "name_zh": _nullable("string"),
        "aliases": {
            "type": "array",
            "items": _object({"name": {"type": "string"}, "language": _nullable("string")}),
        },
        "kind": _nullable("string"),
        "place": _nullable("string"),
        "nationality": _nullable("string"),
        "active_from": _nullable("integer"),
        "active_to": _nullable("integer"),
        "born": _nullable("integer"),
        "died": _nullable("integer"),
        "biography_en": _nullable("string"),
        "biography_zh": _nullable("string"),
        "wikidata_id": _nullable("string"),
        "ulan_id": _nullable("string"),
        "url": {"type": "string", "format": "uri"},
        "ware_count": {"type": "integer"},
        "wares": {"type": "array", "items": _ref("WareSummary"), "maxItems": 100},
    }
)
STATUS = _object(
    {
        "embedder": _ref("Embedder"),
        "counts": _object(
            {
                name: {"type": "integer", "minimum": 0}
                for name in ("wares", "photographs", "makers", "institutions")
            }
        ),
    }
)
INDEX = _object(
    {
        "name": {"type": "string"},
        "version": {"type": "integer"},
        "endpoints": {"type": "object", "additionalProperties": {"type": "string"}},
        "facets": {"type": "array", "items": {"type": "string"}},
    }
)
ERROR = _object(
    {
        "error": _object(
            {
                "code": {"type": "string", "examples": ["bad_request", "not_found"]},
                "message": {"type": "string"},
            }
        )
    }
)


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _page_parameters() -> list[Schema]:
    return [
        _query(
            "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, "Page."
        ),
        _query(
            "per_page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 24},
            "Results per page.",
        ),
    ]


def _filter_parameters() -> list[Schema]:
    facets = [
        {
            **_query(
                name,
                {"type": "array", "items": {"type": "string"}},
                f"Only wares with this {name.replace('_', ' ')} (repeat to allow several; "
                "different facets combine).",
            ),
            "style": "form",
            "explode": True,
        }
        for name in FACET_FIELDS
    ]
    years = {"type": "integer", "minimum": EARLIEST_YEAR, "maximum": LATEST_YEAR}
    return [
        *facets,
        _query("year_from", years, "Made in or after this year (negative for BCE)."),
        _query("year_to", years, "Made in or before this year (negative for BCE)."),
    ]


def _id_parameter(name: str) -> Schema:
    # Ids are database integers: anything outside 1..2^31-1 (or not in ASCII digits) is a 404.
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def openapi_document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the API served under ``server_url`` (``.../api/v1``)."""
    search_parameters = [
        _query(
            "q",
            {"type": "string", "maxLength": MAX_QUERY_LENGTH},
            "Words, in English or Chinese; empty lists every ware. Required unless a facet "
            "filter is given.",
        ),
        _query(
            "mode",
            {"type": "string", "enum": list(MODES), "default": "keyword"},
            "keyword searches the records; visual searches the photographs by description and "
            "hybrid fuses both (both need CLIP to read words: without it visual is refused "
            "and hybrid is keyword).",
        ),
        *_page_parameters(),
        _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Order."),
        *_filter_parameters(),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Potbank API",
            "version": "1",
            "description": "Search and read the published records of a Potbank ceramics archive. "
            'Errors are JSON: {"error": {"code": ..., "message": ...}}. Every endpoint is '
            "open to scripts on other sites (CORS, preflight included; no credentials). "
            "Beside this API: IIIF at /iiif/3/, OAI-PMH at /oai and Linked Art JSON-LD at "
            "/linked-art/ (also by Accept: application/ld+json on a ware's page).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "index",
                    "summary": "What the API offers",
                    "responses": {"200": _json("Index", "The endpoints and facets.")},
                }
            },
            "/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search by words, with facet filters",
                    "parameters": search_parameters,
                    "responses": {
                        "200": _json("SearchResults", "A page of results with facet counts."),
                        "400": _error("A parameter that cannot be used, with the reason."),
                    },
                }
            },
            "/search/image": {
                "post": {
                    "operationId": "searchByImage",
                    "summary": "Search by a photograph, with words for a hybrid search",
                    "description": "Candidates from the global descriptor and from a vote of "
                    "local features, verified by geometry (RANSAC): the same object or pattern "
                    "first (a sherd or a detail finds its ware), then similar form, colour and "
                    "texture. Only close matches are listed; each says why in `match`.",
                    "parameters": [
                        _query("q", {"type": "string"}, "Words to fuse with the photograph."),
                        _query(
                            "view",
                            {"type": "string", "enum": ["mark"]},
                            "mark: search mark photographs only (find this mark); also "
                            "accepted as a form field.",
                        ),
                        *_page_parameters(),
                        *_filter_parameters(),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": _object(
                                    {
                                        "image": {"type": "string", "format": "binary"},
                                        "view": {"type": "string", "enum": ["mark"]},
                                    },
                                    optional=("view",),
                                )
                            }
                        },
                    },
                    "responses": {
                        "200": _json("SearchResults", "Wares that look like the photograph."),
                        "400": _error(
                            "No photograph, or a file we cannot search with (code "
                            "image_rejected): not JPEG, PNG, WebP or TIFF, damaged or truncated, "
                            "or larger than the query pixel limit (POTBANK_QUERY_MAX_PIXELS)."
                        ),
                        "413": _error("The upload is larger than the archive accepts."),
                    },
                }
            },
            "/export": {
                "get": {
                    "operationId": "export",
                    "summary": "Download a keyword search's wares (up to 5,000)",
                    "parameters": [
                        search_parameters[0],
                        _query(
                            "format",
                            {
                                "type": "string",
                                "enum": ["csv", "json", "lido", "dc", "linked-art"],
                            },
                            "CSV in the ingest template's columns, JSON full records, LIDO or "
                            "Dublin Core XML, or Linked Art JSON-LD (one HumanMadeObject per "
                            "ware in @graph, as /linked-art/object/{id} serves each).",
                        ),
                        *_filter_parameters(),
                    ],
                    "responses": {
                        "200": {
                            "description": "An attachment in the chosen format.",
                            "content": {
                                "text/csv": {"schema": {"type": "string"}},
                                "application/json": {"schema": _ref("Export")},
                                "application/xml": {"schema": {"type": "string"}},
                                "application/ld+json": {"schema": {"type": "object"}},
                            },
                        },
                        "400": _error("A parameter that cannot be used, with the reason."),
                    },
                }
            },
            "/wares/{ware_id}": {
                "get": {
                    "operationId": "ware",
                    "summary": "A published ware's full record",
                    "parameters": [_id_parameter("ware_id")],
                    "responses": {
                        "200": _json("Ware", "The record with its photographs and makers."),
                        "404": _error(
                            "No published ware has this id (or it is not a database id)."
                        ),
                    },
                }
            },
            "/makers/{maker_id}": {
                "get": {
                    "operationId": "maker",
                    "summary": "A maker and their published wares (the first 100)",
                    "parameters": [_id_parameter("maker_id")],
                    "responses": {
                        "200": _json("Maker", "The maker's record and wares."),
                        "404": _error(
                            "No maker with published wares has this id (or it is not a "
                            "database id)."
                        ),
                    },
                }
            },
            "/status": {
                "get": {
                    "operationId": "status",
                    "summary": "The active image embedder and what the archive holds",
                    "responses": {"200": _json("Status", "Embedder and counts.")},
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This description",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Embedder": EMBEDDER,
                "MakerCredit": CREDIT,
                "WareSummary": _object(SUMMARY_PROPERTIES),
                "SearchResult": RESULT,
                "VisualMatch": VISUAL_MATCH,
                "SearchResults": SEARCH_RESULTS,
                "Photograph": PHOTOGRAPH,
                "Ware": WARE,
                "Maker": MAKER,
                "Status": STATUS,
                "Index": INDEX,
                "Error": ERROR,
                "Export": _object(
                    {
                        "title": {"type": "string"},
                        "count": {"type": "integer"},
                        "wares": {"type": "array", "items": _ref("Ware")},
                    }
                ),
            }
        },
    }
