"""The same service over real external SPARQL servers: Virtuoso and Oxigraph server, loaded with
`mappa-kb load` and served with `mappa-kb serve --endpoint`. .ci/run starts both on loopback."""

from __future__ import annotations

import gc
import os
import sys
import threading
import uuid
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

from mappa_kb import paths, uris
from mappa_kb.cli import main
from mappa_kb.engine.interface import KB_GRAPH
from mappa_kb.engine.loading import load_knowledge_base
from mappa_kb.engine.remote import RemoteStore

from .conftest import not_here, running_service

SERVERS = ("virtuoso", "oxigraph")
GRAND_TOTAL = (
    "PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#> SELECT ?value WHERE { "
    "<https://w3id.org/mappa-kb/id/observation/durham/2010-11/eligible-snapshot/level-all/category-all> "
    "sdmxm:obsValue ?value }"
)


@pytest.fixture(scope="module", params=SERVERS)
def remote(request) -> tuple[str, str]:
    """(query URL, update URL) of a running external server, loaded with the knowledge base."""
    name = request.param.upper()
    query, update = (
        os.environ.get(f"MAPPA_KB_TEST_{name}_QUERY"),
        os.environ.get(f"MAPPA_KB_TEST_{name}_UPDATE"),
    )
    if not (query and update):
        message = f"no {request.param} server: start them with `bash tools/start-test-servers.sh servers.env && source servers.env`"
        not_here(message, "remote-store tests")
    assert main(["load", "--endpoint", update]) == 0
    return query, update


@pytest.fixture(scope="module")
def remote_service(remote: tuple[str, str], tmp_path_factory) -> str:
    with running_service(tmp_path_factory.mktemp("unused") / "store", MAPPA_KB_ENDPOINT=remote[0]) as url:
        yield url


def test_service_over_an_external_server_answers_like_the_embedded_one(remote_service: str, live_server: str):
    for url in (remote_service, live_server):
        client = SPARQLWrapper(f"{url}/sparql")
        client.setQuery(GRAND_TOTAL)
        client.setReturnFormat(JSON)
        assert [b["value"]["value"] for b in client.query().convert()["results"]["bindings"]] == ["593"]
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    answers = [
        requests.get(
            f"{url}/sparql", params={"query": count}, headers={"Accept": "text/csv"}, timeout=30
        ).text
        for url in (remote_service, live_server)
    ]
    assert answers[0] == answers[1], "the external server does not hold exactly the knowledge base"


def test_construct_and_refusals_work_over_an_external_server(remote_service: str) -> None:
    query = "CONSTRUCT WHERE { ?a a <https://w3id.org/mappa-kb/def/mappa/MappaArea> }"
    response = requests.get(
        f"{remote_service}/sparql",
        params={"query": query},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code == 200 and len(response.text.strip().splitlines()) == 42
    refused = requests.post(f"{remote_service}/sparql", data={"update": "DROP ALL"}, timeout=30)
    assert refused.status_code == 400
    service = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"
    assert requests.get(f"{remote_service}/sparql", params={"query": service}, timeout=30).status_code == 400


def test_loading_twice_replaces_rather_than_doubles(remote: tuple[str, str], remote_service: str) -> None:
    assert main(["load", "--endpoint", remote[1]]) == 0
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    text = requests.get(
        f"{remote_service}/sparql", params={"query": count}, headers={"Accept": "text/csv"}, timeout=30
    ).text
    served = load_knowledge_base(paths.knowledge_base_files())
    knowledge_base = ox.NamedNode(uris.KB_GRAPH)
    assert int(text.split()[1]) == sum(1 for _ in served.quads_for_pattern(None, None, None, knowledge_base))
    # Each source's figures as published are loaded too, each in its graph, for a client that names it.
    source = uris.source_graph("county-durham-and-darlington-2010-11")
    named = requests.get(
        f"{remote_service}/sparql",
        params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": source,
        },
        headers={"Accept": "text/csv"},
        timeout=30,
    ).text
    assert int(named.split()[1]) == sum(
        1 for _ in served.quads_for_pattern(None, None, None, ox.NamedNode(source))
    )


def test_an_unreachable_server_gives_502_and_healthz_503(tmp_path: Path) -> None:
    with running_service(
        tmp_path / "store", MAPPA_KB_ENDPOINT="http://127.0.0.1:9/sparql", check_ready=False
    ) as url:
        response = requests.get(f"{url}/sparql", params={"query": "ASK {}"}, timeout=30)
        assert response.status_code == 502 and "cannot reach the SPARQL server" in response.text
        assert requests.get(f"{url}/healthz", timeout=30).status_code == 503


@pytest.mark.parametrize(
    "path",
    ["/glossary/sopo", "/glossary/category-1", "/glossary/search?q=lay%20adviser", "/areas", "/datasets"],
)
def test_glossary_and_lists_over_an_external_server_match_the_embedded_ones(
    remote_service: str, live_server: str, path: str
) -> None:
    # The fixed queries take their values as bindings: Oxigraph substitutes them, a remote server gets a
    # VALUES block. Both must give the same answers.
    answers = [
        requests.get(f"{url}{path}", headers={"Accept": "application/json"}, timeout=30)
        for url in (remote_service, live_server)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].text.replace(remote_service, "") == answers[1].text.replace(live_server, "")


@pytest.mark.parametrize("path", ["/doc/area/durham.nt", "/dumps/dataset/durham-2010-11.csv"])
def test_documents_over_an_external_server_match_the_embedded_ones(
    remote_service: str, live_server: str, path: str
) -> None:
    answers = [requests.get(f"{url}{path}", timeout=30) for url in (remote_service, live_server)]
    assert [a.status_code for a in answers] == [200, 200]
    assert sorted(answers[0].text.splitlines()) == sorted(answers[1].text.splitlines())


def test_pages_over_an_external_server(remote_service: str) -> None:
    page = requests.get(
        f"{remote_service}/doc/dataset/durham-2010-11", headers={"Accept": "text/html"}, timeout=30
    )
    assert page.status_code == 200 and ">593</a>" in page.text and "<svg" in page.text


def test_answers_of_an_external_server_are_never_kept(remote: tuple[str, str], remote_service: str) -> None:
    # Its data can change without the service knowing: the same query twice is asked twice, and a cache
    # in front (docs/deploy/nginx.conf) is told not to keep the answer either.
    count = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}

    def counted() -> int:
        answer = requests.get(
            f"{remote_service}/sparql", params=count, headers={"Accept": "text/csv"}, timeout=30
        )
        assert answer.headers["X-Accel-Expires"] == "0"
        return int(answer.text.split()[1])

    before = counted()
    assert counted() == before
    extra = "<https://example.org/kept-test> <https://example.org/p> 1 ."
    update = f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ {extra} }} }}"
    as_update = {"Content-Type": "application/sparql-update"}
    assert requests.post(remote[1], data=update, headers=as_update, timeout=30).ok
    try:
        assert counted() == before + 1
    finally:
        requests.post(remote[1], data=update.replace("INSERT", "DELETE"), headers=as_update, timeout=30)
    assert counted() == before


def test_no_answer_is_left_for_another_thread_to_drop(remote: tuple[str, str]) -> None:
    # Oxigraph's result objects may be freed only by the thread that made them. A query that spells
    # FROM gets rdflib's full parse, whose cyclic garbage keeps the calling frames alive until the
    # collector runs, in whichever thread: none of those frames may hold such an object.
    store = RemoteStore(remote[0])
    select = f"# not FROM anywhere: {uuid.uuid4()}\nSELECT ?s WHERE {{ ?s ?p ?o }} LIMIT 2"
    construct = select.replace("SELECT ?s", "CONSTRUCT { ?s ?p ?o }")
    dropped: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, dropped.append
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()  # the garbage waits for the collector below, not one that runs in this thread
    try:
        answers = [store.run(select, "csv"), store.run(construct, "turtle")]
        collector = threading.Thread(target=gc.collect)
        collector.start()
        collector.join()
    finally:
        if collecting:
            gc.enable()
        sys.unraisablehook = hook
    assert [answer.rows for answer in answers] == [2, 2]
    assert not dropped, [str(found.exc_value) for found in dropped]
