"""The OpenAPI 3.1 description of the HTTP API, served at ``/openapi.json``."""

from __future__ import annotations

from mappa_kb import __version__

_TEXT = {"type": "string"}
_ERROR = {
    "description": "A clear message saying what was wrong",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"status": {"type": "integer"}, "error": _TEXT},
                "required": ["status", "error"],
            }
        },
        "text/plain": {"schema": _TEXT},
    },
}
_BRIEF = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
        "uri": {"type": "string", "format": "uri"},
        "label": _TEXT,
        "abbreviations": {"type": "array", "items": _TEXT},
        "summary": _TEXT,
        "page": {"type": "string", "format": "uri"},
    },
    "required": ["id", "uri", "label", "abbreviations", "summary", "page"],
}
_MATCH = {"allOf": [{"$ref": "#/components/schemas/ConceptBrief"}, {"properties": {"matched": _TEXT}}]}
_LINKED = {
    "type": "array",
    "items": {"type": "object", "properties": {"id": _TEXT, "uri": _TEXT, "label": _TEXT}},
}
_CONCEPT = {
    "allOf": [
        {"$ref": "#/components/schemas/ConceptBrief"},
        {
            "type": "object",
            "properties": {
                "altLabels": {"type": "array", "items": _TEXT},
                "definition": _TEXT,
                "scopeNotes": {"type": "array", "items": _TEXT},
                "examples": {"type": "array", "items": _TEXT},
                "editorialNotes": {"type": "array", "items": _TEXT},
                "sources": {"type": "array", "items": _TEXT},
                "broader": _LINKED,
                "narrower": _LINKED,
                "related": _LINKED,
                "focus": {"type": "array", "items": _TEXT},
                "usedIn": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"statistic": _TEXT, "label": _TEXT, "figures": {"type": "integer"}},
                    },
                },
            },
        },
    ]
}
_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "Overrides Accept: json, jsonld, turtle or html",
    "schema": {"type": "string", "enum": ["json", "jsonld", "turtle", "html"]},
}
_CONCEPT_ID = {
    "name": "concept_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 100},
    "example": "sopo",
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _glossary_paths() -> dict:
    page_schema = {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "next": {"type": ["string", "null"]},
            "previous": {"type": ["string", "null"]},
            "concepts": {"type": "array", "items": {"$ref": "#/components/schemas/ConceptBrief"}},
        },
    }
    search_schema = {
        "type": "object",
        "properties": {
            "query": _TEXT,
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Match"}},
            "didYouMean": {"type": "array", "items": {"$ref": "#/components/schemas/Match"}},
        },
    }
    return {
        "/glossary": {
            "get": {
                "summary": "List the glossary's concepts, a page at a time",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {
                        "name": "per_page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    },
                    _FORMAT,
                ],
                "responses": {
                    "200": _json(page_schema, "One page of concepts"),
                    "400": _ERROR,
                    "406": _ERROR,
                },
            }
        },
        "/glossary/search": {
            "get": {
                "summary": "Find concepts by label or abbreviation (case-insensitive, prefixes, whole words)",
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        "example": "sopo",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                    },
                    _FORMAT,
                ],
                "responses": {
                    "200": _json(search_schema, "Matches, best first"),
                    "400": _ERROR,
                    "406": _ERROR,
                },
            }
        },
        "/glossary/{concept_id}": {
            "get": {
                "summary": "One concept: definition, abbreviations, sources, related terms, usage",
                "parameters": [_CONCEPT_ID, _FORMAT],
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/Concept"}, "The concept"),
                    "404": _ERROR,
                    "406": _ERROR,
                },
            }
        },
        "/glossary/{concept_id}/summary": {
            "get": {
                "summary": "A short extract for hovercards: JSON, plain text or an HTML fragment",
                "parameters": [
                    _CONCEPT_ID,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "text", "html"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The summary",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ConceptBrief"}},
                            "text/plain": {"schema": _TEXT},
                            "text/html": {"schema": _TEXT},
                        },
                    },
                    "404": _ERROR,
                    "406": _ERROR,
                },
            }
        },
    }


def _skosmos_paths() -> dict:
    """The Skosmos REST subset (vocabulary id ``mappa``); shapes as NatLibFi/Skosmos gives them."""
    vocid = {"name": "vocid", "in": "path", "required": True, "schema": {"type": "string", "enum": ["mappa"]}}
    lang = {"name": "lang", "in": "query", "schema": {"type": "string", "maxLength": 20}}
    uri = {"name": "uri", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 500}}
    optional_uri = {**uri, "required": False}
    rdf_format = {"name": "format", "in": "query", "schema": _TEXT}
    number = {"type": "integer", "minimum": 0}
    search = [
        {"name": "query", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 200}},
        lang,
        {"name": "labellang", "in": "query", "schema": _TEXT},
        {"name": "vocab", "in": "query", "schema": _TEXT},
        {"name": "maxhits", "in": "query", "schema": number},
        {"name": "offset", "in": "query", "schema": number},
        {"name": "unique", "in": "query", "schema": {"type": "boolean"}},
        {"name": "type", "in": "query", "schema": _TEXT},
        {"name": "parent", "in": "query", "schema": _TEXT},
        {"name": "group", "in": "query", "schema": _TEXT},
        {"name": "fields", "in": "query", "schema": _TEXT},
    ]
    found = _json({"type": "object"}, "Skosmos JSON-LD")
    errors = {"400": _ERROR, "404": _ERROR, "503": _ERROR}

    def get(summary: str, parameters: list[dict], extra: dict | None = None) -> dict:
        return {
            "get": {
                "summary": summary,
                "parameters": parameters,
                "responses": {"200": found, **errors, **(extra or {})},
            }
        }

    return {
        "/rest/v1/vocabularies": get("Skosmos: the vocabularies", [lang]),
        "/rest/v1/search": get("Skosmos: search every vocabulary", search),
        "/rest/v1/label": get("Skosmos: the label of a concept", [uri, lang]),
        "/rest/v1/data": get("Skosmos: the RDF of a concept", [optional_uri, rdf_format], {"406": _ERROR}),
        "/rest/v1/{vocid}/": get("Skosmos: about the vocabulary", [vocid, lang]),
        "/rest/v1/{vocid}/search": get("Skosmos: search one vocabulary", [vocid, *search]),
        "/rest/v1/{vocid}/lookup": get(
            "Skosmos: the concept with this label",
            [
                vocid,
                {
                    "name": "label",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 200},
                },
                lang,
            ],
        ),
        "/rest/v1/{vocid}/data": get(
            "Skosmos: the RDF of a concept", [vocid, optional_uri, rdf_format], {"406": _ERROR}
        ),
        "/rest/v1/{vocid}/label": get("Skosmos: the label of a concept", [vocid, uri, lang]),
        "/rest/v1/{vocid}/topConcepts": get("Skosmos: the top concepts", [vocid, lang]),
        "/rest/v1/{vocid}/broader": get("Skosmos: broader concepts", [vocid, uri, lang]),
        "/rest/v1/{vocid}/narrower": get("Skosmos: narrower concepts", [vocid, uri, lang]),
        "/rest/v1/{vocid}/related": get("Skosmos: related concepts", [vocid, uri, lang]),
    }


def _sparql_paths() -> dict:
    query = {
        "name": "query",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "maxLength": 100000},
    }
    return {
        "/sparql": {
            "get": {
                "summary": "SPARQL 1.1 Protocol query (read-only; no SERVICE or FROM; time and size limits)",
                "parameters": [
                    query,
                    {"name": "default-graph-uri", "in": "query", "schema": {"type": "string"}},
                    {"name": "named-graph-uri", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "rdfxml"],
                        },
                    },
                ],
                "responses": {
                    "200": {"description": "Results in the negotiated format"},
                    "400": _ERROR,
                    "406": _ERROR,
                    "503": _ERROR,
                },
            }
        },
    }


def _document_paths() -> dict:
    path = {
        "name": "path",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "example": "area/durham",
    }
    return {
        "/id/{path}": {
            "get": {
                "summary": "A thing we name: 303 See Other to the document about it",
                "parameters": [path],
                "responses": {"303": {"description": "See /doc/{path}"}},
            }
        },
        "/doc/{path}": {
            "get": {
                "summary": "The document about a thing: HTML, Turtle, JSON-LD, N-Triples or RDF/XML",
                "parameters": [path],
                "responses": {"200": {"description": "The document"}, "404": _ERROR, "406": _ERROR},
            }
        },
    }


def openapi_document(server: str) -> dict:
    """The API description, with ``server`` (this service's root URL) as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MAPPA knowledge base",
            "version": __version__,
            "description": "Glossary lookups, a Skosmos-compatible subset, linked data and SPARQL over the "
            "Multi-Agency Public Protection Arrangements (MAPPA) knowledge base. CORS is open; responses "
            "carry ETag and Cache-Control, and If-None-Match gives 304.",
        },
        "servers": [{"url": server.rstrip("/")}],
        "paths": {**_glossary_paths(), **_skosmos_paths(), **_sparql_paths(), **_document_paths()},
        "components": {"schemas": {"ConceptBrief": _BRIEF, "Match": _MATCH, "Concept": _CONCEPT}},
    }
