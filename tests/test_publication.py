"""Publication metadata and downloads over HTTP: VoID, DCAT, dumps, tidy CSV per data set, the sitemap."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, RDF

VOID = Namespace("http://rdfs.org/ns/void#")
KB = URIRef("https://w3id.org/mappa-kb/id/knowledge-base")


def get(url: str, path: str, **kwargs) -> requests.Response:
    return requests.get(f"{url}{path}", timeout=30, **kwargs)


def void(live_server: str) -> Graph:
    return Graph().parse(data=get(live_server, "/.well-known/void").text, format="turtle")


def test_void_names_the_endpoint_the_dumps_and_the_triple_count(live_server: str) -> None:
    graph = void(live_server)
    assert (KB, RDF.type, VOID.Dataset) in graph
    assert graph.value(KB, VOID.sparqlEndpoint) == URIRef(f"{live_server}/sparql")
    counted = get(live_server, "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    triples = int(counted.json()["results"]["bindings"][0]["n"]["value"])
    assert int(graph.value(KB, VOID.triples)) == triples
    dumps = sorted(str(d) for d in graph.objects(KB, VOID.dataDump))
    assert [d.rsplit(".", 1)[-1] for d in dumps] == ["jsonld", "nt", "ttl"]


def test_every_dump_holds_the_whole_knowledge_base(live_server: str) -> None:
    graph = void(live_server)
    triples = int(graph.value(KB, VOID.triples))
    formats = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld"}
    for dump in graph.objects(KB, VOID.dataDump):
        response = requests.get(str(dump), timeout=60)
        assert response.status_code == 200 and "max-age" in response.headers["Cache-Control"]
        parsed = Graph().parse(data=response.content, format=formats[str(dump).rsplit(".", 1)[-1]])
        assert len(parsed) == triples, dump


def test_each_data_set_has_a_csv_distribution_with_its_figures(live_server: str, kb: Graph) -> None:
    graph = void(live_server)
    datasets = list(graph.objects(KB, VOID.subset))
    assert datasets
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        urls = [graph.value(d, DCAT.downloadURL) for d in graph.objects(dataset, DCAT.distribution)]
        assert len(urls) == 1
        rows = list(csv.DictReader(io.StringIO(requests.get(str(urls[0]), timeout=30).text)))
        assert list(rows[0]) == [
            "area",
            "period_start",
            "period_end",
            "table",
            "level",
            "category",
            "value",
            "source_url",
            "notes",
        ]
        cells = kb.query(
            """PREFIX qb: <http://purl.org/linked-data/cube#>
            PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
            SELECT ?cell WHERE { ?cell qb:dataSet|mcube:notApplicableIn|mcube:notCollectedIn|mcube:otherFigureIn ?d }""",
            initBindings={"d": dataset},
        )
        assert len(rows) == len(cells)
        snapshot = [
            r
            for r in rows
            if (r["table"], r["level"], r["category"]) == ("eligible_snapshot", "total", "total")
        ]
        # The seed report: 593 MAPPA-eligible offenders in County Durham and Darlington on 31 March 2011.
        if str(dataset).endswith("durham-2010-11"):
            assert snapshot[0]["value"] == "593" and snapshot[0]["period_end"] == "2011-03-31"
            assert {r["value"] for r in rows} >= {"-"}


def test_an_unknown_data_set_csv_is_404(live_server: str) -> None:
    assert get(live_server, "/dumps/dataset/atlantis-2010-11.csv").status_code == 404
    assert get(live_server, "/dumps/knowledge-base.exe").status_code == 404
    # A name no data set can have is the client's mistake (404), not the store's (503).
    for slug in ("a%20b", "%3Cx%3E", "Durham-2010-11", "durham--2010", "%22"):
        answer = get(live_server, f"/dumps/dataset/{slug}.csv")
        assert answer.status_code == 404 and "Retry-After" not in answer.headers, slug


def test_the_sitemap_lists_pages_that_answer(live_server: str) -> None:
    tree = ET.fromstring(get(live_server, "/sitemap.xml").content)
    locations = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith("/glossary/sopo") for loc in locations)
    assert any(loc.endswith("/doc/dataset/durham-2010-11") for loc in locations)
    for location in locations[:: max(1, len(locations) // 15)]:
        assert requests.get(location, timeout=10, headers={"Accept": "text/html"}).status_code == 200, (
            location
        )


def test_the_home_page_explains_and_links(live_server: str) -> None:
    page = get(live_server, "/", headers={"Accept": "text/html"}).text
    assert "Multi-Agency Public Protection Arrangements" in page
    for link in (
        'href="/glossary"',
        'href="/areas"',
        'href="/datasets"',
        'href="/sparql"',
        'action="/glossary/search"',
    ):
        assert link in page
