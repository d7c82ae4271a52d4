"""Limits: a runaway query is stopped at the time limit while small queries are answered; results are
cut at the size limit with a signal, never silently."""

from __future__ import annotations

import csv
import io
import threading
from pathlib import Path

import requests

from .conftest import running_service

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "ASK { <https://w3id.org/mappa-kb/id/area/durham> ?p ?o }"


def test_runaway_query_is_stopped_with_503_while_a_small_query_is_answered(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_QUERY_TIMEOUT="3", MAPPA_KB_QUERY_WORKERS="2") as url:
        events: list[str] = []
        runaway: dict[str, requests.Response] = {}

        def run_away() -> None:
            runaway["response"] = requests.get(f"{url}/sparql", params={"query": RUNAWAY}, timeout=60)
            events.append("runaway answered")

        thread = threading.Thread(target=run_away)
        thread.start()
        small = requests.get(f"{url}/sparql", params={"query": SMALL}, timeout=60)
        events.append("small answered")
        thread.join(60)
        assert small.status_code == 200, small.text
        assert small.json()["boolean"] is True
        assert events == ["small answered", "runaway answered"]
        response = runaway["response"]
        assert response.status_code == 503
        assert "longer than the 3 s limit and was stopped" in response.text
        assert response.headers["Retry-After"]
        # The worker that ran away was replaced: the service still answers.
        again = requests.get(f"{url}/sparql", params={"query": SMALL}, timeout=60)
        assert again.status_code == 200


def test_results_past_the_size_limit_are_cut_with_a_signal(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_MAX_ROWS="5", MAPPA_KB_QUERY_WORKERS="1") as url:
        query = "SELECT ?s WHERE { ?s a ?type }"
        response = requests.get(
            f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
        )
        assert response.status_code == 200
        assert len(list(csv.reader(io.StringIO(response.text)))) == 1 + 5
        assert response.headers["MAPPA-Results-Truncated"] == "true; limit=5"
        small = requests.get(
            f"{url}/sparql",
            params={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 3"},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert "MAPPA-Results-Truncated" not in small.headers
        graph = requests.get(
            f"{url}/sparql",
            params={"query": "CONSTRUCT WHERE { ?s a ?t }"},
            headers={"Accept": "application/n-triples"},
            timeout=30,
        )
        assert len(graph.text.strip().splitlines()) == 5
        assert graph.headers["MAPPA-Results-Truncated"] == "true; limit=5"


def test_a_repeated_query_is_answered_from_the_cache(built_store: Path) -> None:
    from mappa_kb.store import EmbeddedStore

    store = EmbeddedStore(built_store, workers=1)
    try:
        first = store.run(SMALL, "json")
        assert store._answers.hits == 0
        again = store.run(SMALL, "json")
        assert again == first and store._answers.hits == 1
        other_format = store.run(SMALL, "csv")
        assert other_format.body != first.body and store._answers.hits == 1
    finally:
        store.close()
