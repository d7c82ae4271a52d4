"""Read-only SPARQL over the embedded store, for the command line (the HTTP endpoint builds on it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from . import paths, uris
from .validate import load_store

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS = {
    "csv": ox.RdfFormat.N_TRIPLES,
    "tsv": ox.RdfFormat.N_TRIPLES,
    "json": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
    "turtle": ox.RdfFormat.TURTLE,
}


class QueryRefused(ValueError):
    """A query that is malformed or that would make the store fetch another URL."""


def _contains_service(node: object) -> bool:
    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            return True
        return any(_contains_service(value) for value in node.values())
    if isinstance(node, (list, tuple)):
        return any(_contains_service(item) for item in node)
    return False


def check_query(text: str) -> None:
    """Refuse malformed queries, and SERVICE and FROM clauses, which would fetch other URLs."""
    try:
        prepared = prepareQuery(text)
    except Exception as error:  # rdflib raises pyparsing errors with the position in the message
        raise QueryRefused(f"SPARQL syntax error: {error}") from None
    if _contains_service(prepared.algebra):
        raise QueryRefused("SERVICE is not allowed: the knowledge base never fetches other URLs")
    if prepared.algebra.get("datasetClause"):
        raise QueryRefused("FROM and FROM NAMED are not allowed: the data set is the knowledge base")


def run_query(
    text: str,
    result_format: str = "csv",
    files: Sequence[Path] | None = None,
    base_uri: str = uris.SOURCE_BASE,
) -> bytes:
    """Answer a SELECT, ASK, CONSTRUCT or DESCRIBE query over the shipped knowledge base."""
    check_query(text)
    store = load_store(list(files) if files is not None else paths.knowledge_base_files(), base_uri)
    answer = store.query(text)
    if isinstance(answer, ox.QueryTriples):
        return answer.serialize(format=GRAPH_FORMATS.get(result_format, ox.RdfFormat.TURTLE))
    return answer.serialize(format=RESULT_FORMATS.get(result_format, ox.QueryResultsFormat.CSV))
