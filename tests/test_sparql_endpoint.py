"""``/sparql`` over real HTTP: SPARQLWrapper, rdflib's SPARQLStore and raw requests."""

from __future__ import annotations

import csv
import io
import json

import pytest
import requests
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

GRAND_TOTAL = (
    "PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#> SELECT ?value WHERE { "
    "<https://w3id.org/mappa-kb/id/observation/durham/2010-11/eligible-snapshot/level-all/category-all> "
    "sdmxm:obsValue ?value }"
)


def _wrapper(live_server: str, query: str, return_format: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(f"{live_server}/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_as_json(live_server: str, method: str) -> None:
    result = _wrapper(live_server, GRAND_TOTAL, JSON, method).query().convert()
    assert [b["value"]["value"] for b in result["results"]["bindings"]] == ["593"]


@pytest.mark.parametrize(
    ("fmt", "media"), [(XML, "sparql-results+xml"), (CSV, "csv"), (TSV, "tab-separated")]
)
def test_sparqlwrapper_select_in_every_results_format(live_server: str, fmt: str, media: str) -> None:
    response = _wrapper(live_server, GRAND_TOTAL, fmt).query()
    assert media in response.info()["content-type"]
    assert b"593" in response.response.read()


def test_ask_answers_true(live_server: str) -> None:
    result = _wrapper(live_server, "ASK { ?s ?p ?o }", JSON).query().convert()
    assert result["boolean"] is True


def test_construct_as_turtle_parses_back(live_server: str) -> None:
    query = "CONSTRUCT { ?a ?p ?o } WHERE { ?a a <https://w3id.org/mappa-kb/def/mappa/MappaArea> ; ?p ?o }"
    graph = _wrapper(live_server, query, TURTLE).query().convert()
    graph = graph if isinstance(graph, Graph) else Graph().parse(data=graph, format="turtle")
    assert len(set(graph.subjects())) == 42


def test_rdflib_sparqlstore_reads_the_endpoint(live_server: str) -> None:
    graph = Graph(SPARQLStore(f"{live_server}/sparql"))
    rows = list(graph.query(GRAND_TOTAL))
    assert [int(row.value) for row in rows] == [593]


def test_post_direct_and_form_give_the_same_csv(live_server: str) -> None:
    direct = requests.post(
        f"{live_server}/sparql",
        data=GRAND_TOTAL.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
        timeout=10,
    )
    form = requests.post(
        f"{live_server}/sparql", data={"query": GRAND_TOTAL}, headers={"Accept": "text/csv"}, timeout=10
    )
    assert direct.status_code == form.status_code == 200
    assert (
        list(csv.reader(io.StringIO(direct.text)))
        == [["value"], ["593"]]
        == list(csv.reader(io.StringIO(form.text)))
    )


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/json", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/xml;q=0.9, application/json;q=0.1", "application/sparql-results+xml"),
        ("application/json;q=0, */*", "application/sparql-results+xml"),
    ],
)
def test_the_plain_media_types_clients_send_are_understood(live_server: str, accept: str, media: str) -> None:
    response = requests.get(
        f"{live_server}/sparql", params={"query": GRAND_TOTAL}, headers={"Accept": accept}, timeout=10
    )
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(media)


def test_accept_q_values_and_format_parameter_pick_the_format(live_server: str) -> None:
    accept = "text/csv;q=0.5, application/sparql-results+json;q=0.9"
    response = requests.get(
        f"{live_server}/sparql", params={"query": GRAND_TOTAL}, headers={"Accept": accept}, timeout=10
    )
    assert response.headers["Content-Type"].startswith("application/sparql-results+json")
    response = requests.get(
        f"{live_server}/sparql",
        params={"query": GRAND_TOTAL, "format": "tsv"},
        headers={"Accept": accept},
        timeout=10,
    )
    assert response.headers["Content-Type"].startswith("text/tab-separated-values")


def test_nothing_acceptable_is_406(live_server: str) -> None:
    response = requests.get(
        f"{live_server}/sparql", params={"query": GRAND_TOTAL}, headers={"Accept": "image/png"}, timeout=10
    )
    assert response.status_code == 406 and "application/sparql-results+json" in response.text


@pytest.mark.parametrize(
    ("params", "data", "headers", "says"),
    [
        ({"format": "json"}, None, {}, "missing 'query'"),
        ({}, "", {"Content-Type": "application/x-www-form-urlencoded"}, "missing 'query'"),
        ({"query": "SELEC * WHERE {}"}, None, {}, "line:1, col:1"),
        # Past the quick check (it starts like a query); the store rejects it, rdflib says where.
        ({"query": "SELECT * WHERE {\n ?s ?p }"}, None, {}, "line:2"),
        ({"query": ""}, None, {}, "the query is empty"),
        ({"query": ["ASK {}", "ASK {}"]}, None, {}, "given 2 times"),
        ({"update": "INSERT DATA { <a:a> <a:b> <a:c> }"}, None, {}, "read-only"),
        ({"query": "INSERT DATA { <a:a> <a:b> <a:c> }"}, None, {}, "read-only"),
        ({}, "update=DROP+ALL", {"Content-Type": "application/x-www-form-urlencoded"}, "read-only"),
        ({}, "DROP ALL", {"Content-Type": "application/sparql-update"}, "read-only"),
        ({}, "ASK {}", {"Content-Type": "text/plain"}, "a POST must be"),
        ({"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}, None, {}, "SERVICE"),
        ({"query": "SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }"}, None, {}, "FROM"),
    ],
)
def test_protocol_errors_are_400_with_a_message(live_server: str, params, data, headers, says) -> None:
    method = requests.post if data is not None else requests.get
    response = method(f"{live_server}/sparql", params=params, data=data, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert says in response.text
    assert "Traceback" not in response.text


def test_an_update_changes_nothing(live_server: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = requests.get(
        f"{live_server}/sparql", params={"query": count}, headers={"Accept": "text/csv"}, timeout=10
    )
    requests.post(f"{live_server}/sparql", data={"update": "CLEAR ALL"}, timeout=10)
    after = requests.get(
        f"{live_server}/sparql", params={"query": count}, headers={"Accept": "text/csv"}, timeout=10
    )
    assert before.text == after.text and int(before.text.split()[1]) > 1000


def test_cors_is_on_and_healthz_answers(live_server: str) -> None:
    response = requests.get(f"{live_server}/healthz", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    response = requests.get(f"{live_server}/sparql", params={"query": "ASK {}"}, timeout=10)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(response.text)["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("*/*", "turtle"),
    ],
)
def test_bare_get_returns_the_service_description(live_server: str, accept: str, rdflib_format: str) -> None:
    response = requests.get(f"{live_server}/sparql", headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format=rdflib_format)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    query = f"""PREFIX sd: <{sd}> PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?triples WHERE {{ ?s a sd:Service ; sd:endpoint <{live_server}/sparql> ;
            sd:supportedLanguage sd:SPARQL11Query ; sd:defaultDataset/sd:defaultGraph/void:triples ?triples }}"""
    rows = list(graph.query(query))
    assert len(rows) == 1 and int(rows[0].triples) > 2000


def test_query_page_is_served_to_browsers_with_a_strict_policy(live_server: str) -> None:
    response = requests.get(f"{live_server}/sparql", headers={"Accept": "text/html,*/*;q=0.8"}, timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "/static/vendor/yasgui/yasgui.min.js" in response.text
    assert "cdn" not in response.text.lower()
    script = requests.get(f"{live_server}/static/vendor/yasgui/yasgui.min.js", timeout=10)
    assert script.status_code == 200 and len(script.content) > 500_000


KB = "https://w3id.org/mappa-kb/id/graph/knowledge-base"


def test_default_and_named_graph_uris_select_graphs_of_the_store_only(live_server: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def ask(**params) -> int:
        response = requests.get(
            f"{live_server}/sparql",
            params={"query": count, **params},
            headers={"Accept": "text/csv"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return int(response.text.split()[1])

    everything = ask()
    assert everything > 2000
    assert ask(**{"default-graph-uri": KB}) == everything
    assert ask(**{"default-graph-uri": "http://127.0.0.1:9/elsewhere"}) == 0  # an empty graph, never fetched
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <" + KB + "> { ?s ?p ?o } }"
    response = requests.post(
        f"{live_server}/sparql",
        data={"query": named, "named-graph-uri": KB},
        headers={"Accept": "text/csv"},
        timeout=10,
    )
    assert int(response.text.split()[1]) == everything
    for iri in ["not an iri", "http://example.org/\n", "http://example.org/<x>", "relative/graph"]:
        bad = requests.get(
            f"{live_server}/sparql", params={"query": count, "default-graph-uri": iri}, timeout=10
        )
        assert bad.status_code == 400 and "not an absolute IRI" in bad.text, iri


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_graph_queries_in_every_rdf_format(
    live_server: str, form: str, accept: str, rdflib_format: str
) -> None:
    durham = "<https://w3id.org/mappa-kb/id/area/durham>"
    query = f"CONSTRUCT WHERE {{ {durham} ?p ?o }}" if form == "CONSTRUCT" else f"DESCRIBE {durham}"
    response = requests.get(
        f"{live_server}/sparql", params={"query": query}, headers={"Accept": accept}, timeout=10
    )
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(accept)
    graph = Graph().parse(data=response.text, format=rdflib_format)
    labels = {str(o) for o in graph.objects(None, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))}
    assert "County Durham and Darlington" in labels


@pytest.mark.parametrize(
    ("fmt", "expect"), [(XML, b"<boolean>true</boolean>"), (CSV, b"true"), (TSV, b"true")]
)
def test_ask_in_every_results_format(live_server: str, fmt: str, expect: bytes) -> None:
    response = _wrapper(live_server, "ASK { ?s ?p ?o }", fmt).query()
    assert expect in response.response.read()
