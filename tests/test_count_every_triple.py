"""A query that only counts every triple of the knowledge base is answered from the size of the store
version, recorded when it was built, and not counted again: the same answer, byte for byte in every format, as the
store's own evaluation of the same count, and only for exactly that query over exactly that data set."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from mappa_kb.engine import columnar
from mappa_kb.engine.embedded import EmbeddedStore
from mappa_kb.engine.guard import counted_variable
from mappa_kb.engine.versions import build_store, size_record

from .test_operations import _metric

FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


@pytest.mark.parametrize(
    ("text", "variable"),
    [
        ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "n"),
        ("select (count(*) as ?triples) { ?s ?p ?o . }", "triples"),
        ("SELECT(COUNT(*)AS$n){$s $p $o}", "n"),
        (
            "# how big?\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nBASE <http://x/>\n"
            "SELECT ( COUNT ( * ) AS ?n )\nWHERE {\n  ?a ?b ?c\n}\n",
            "n",
        ),
    ],
)
def test_the_count_of_every_triple_is_recognised_however_it_is_spelt(text: str, variable: str) -> None:
    assert counted_variable(text) == variable


@pytest.mark.parametrize(
    "text",
    [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?s ?o }",  # subject and predicate the same: fewer triples
        "SELECT (COUNT(*) AS ?s) WHERE { ?s ?p ?o }",  # an error: ?s is already in scope
        "SELECT (COUNT(DISTINCT *) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT (COUNT(?s) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } LIMIT 0",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?o)) }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?o }",
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # and then?",
        "SELECT (COUNT(*) AS ?n) FROM <http://example.org/> WHERE { ?s ?p ?o }",
        "\u017fELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",  # a long s is not an S to Oxigraph
    ],
)
def test_any_other_query_is_left_to_the_store(text: str) -> None:
    assert counted_variable(text) is None


def _get(url: str, query: str, accept: str, **params: str) -> requests.Response:
    answer = requests.get(
        f"{url}/sparql", params={"query": query, **params}, headers={"Accept": accept}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer


def _answered_by_size(url: str) -> float:
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    return _metric(metrics, "mappa_kb_queries_answered_total", copy="size")


@pytest.mark.parametrize("format_name", FORMATS)
def test_the_size_answer_is_the_stores_own_count_byte_for_byte(live_server: str, format_name: str) -> None:
    token = time.monotonic_ns()  # new texts: neither answer may come from an answer kept earlier
    before = _answered_by_size(live_server)
    counted = _get(
        live_server, f"# {token}\nSELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}", FORMATS[format_name]
    )
    # The same count in a form the fast path does not take, so the store evaluates it.
    evaluated = _get(
        live_server, f"# {token}\nSELECT (COUNT(*) AS ?n) WHERE {{ {{ ?s ?p ?o }} }}", FORMATS[format_name]
    )
    assert counted.content == evaluated.content
    assert counted.headers["Content-Type"] == evaluated.headers["Content-Type"]
    if format_name == "json":
        assert int(counted.json()["results"]["bindings"][0]["n"]["value"]) > 1000
    # Service processes are several; each keeps its own metrics, summed by /metrics.
    assert _answered_by_size(live_server) - before == 1


def test_another_default_graph_is_counted_by_the_store(live_server: str) -> None:
    query = f"# {time.monotonic_ns()}\nSELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }}"
    before = _answered_by_size(live_server)
    absent = _get(
        live_server, query, FORMATS["csv"], **{"default-graph-uri": "http://example.org/no-such-graph"}
    )
    assert absent.text.split() == ["n", "0"]
    assert _answered_by_size(live_server) == before


def test_a_prologue_the_store_rejects_is_a_syntax_error(live_server: str) -> None:
    query = "PREFIX x: <http://example.org/{bad}>\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    answer = requests.get(f"{live_server}/sparql", params={"query": query}, timeout=30)
    assert answer.status_code == 400 and "syntax" in answer.text.lower()


@pytest.mark.parametrize("record", [None, "not a number\n"])
@pytest.mark.parametrize("engine", ["disk", "columnar"])
def test_a_version_without_a_readable_size_is_counted_by_the_engine(
    tmp_path: Path, record: str | None, engine: str
) -> None:
    target, triples, _ = build_store(tmp_path / "store")
    if record is None:  # built before sizes were recorded
        size_record(target.resolve()).unlink()
    else:  # damaged
        size_record(target.resolve()).write_text(record)
    if engine == "disk":  # and before the columnar copy: Oxigraph counts
        columnar.copy_file(target.resolve()).unlink()
    store = EmbeddedStore(target, workers=1, memory_copy_mb=0)
    try:
        answer = store.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "csv")
        assert answer.copy == engine and answer.body.split()[-1] == str(triples).encode()
        assert store.triples() == triples
    finally:
        store.close()
