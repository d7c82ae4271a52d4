"""Limits: a runaway query is stopped at the time limit while small queries are answered, even beside
eight runaways; a query past its memory budget is stopped; results are cut at the row and byte limits
with a signal, never silently; a query nested too deep is refused."""

from __future__ import annotations

import csv
import io
import threading
import time
from pathlib import Path

import pytest
import requests

from mappa_kb.engine.guard import check_query
from mappa_kb.engine.interface import KB_GRAPH, Dataset, QueryTimeout
from mappa_kb.engine.workers import QueryWorkers

from .conftest import running_service

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
DURHAM = "https://w3id.org/mappa-kb/id/area/durham"
SMALL = f"ASK {{ <{DURHAM}> ?p ?o }}"


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
    from mappa_kb.engine.embedded import EmbeddedStore

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


def _runaways(url: str, count: int, answered: list[str]) -> list[threading.Thread]:
    def run_away(number: int) -> None:
        query = f"# runaway {number}\n{RUNAWAY}"  # each its own text: none is answered from a cache
        response = requests.get(f"{url}/sparql", params={"query": query}, timeout=120)
        answered.append(f"runaway {response.status_code}")

    threads = [threading.Thread(target=run_away, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def test_eight_runaways_never_hold_a_small_query_back(built_store: Path) -> None:
    # Two service processes with two workers each: eight runaways busy every worker twice over. A small
    # query that had to wait for a worker would be answered only when a runaway is stopped (20 s).
    limits = {
        "MAPPA_KB_QUERY_TIMEOUT": "20",
        "MAPPA_KB_QUERY_WORKERS": "2",
        "MAPPA_KB_RATE_LIMIT": "0",
        "MAPPA_KB_CONCURRENT_QUERIES": "100",
    }
    with running_service(built_store, serve_args=("--workers", "2"), **limits) as url:
        answered: list[str] = []
        threads = _runaways(url, 8, answered)
        time.sleep(2)  # every runaway is running
        for number in range(6):  # on both processes (each connection lands on either)
            small = f"SELECT (COUNT(*) AS ?n) WHERE {{ <{DURHAM}> ?p ?o }} # small {number}"
            response = requests.get(f"{url}/sparql", params={"query": small}, timeout=60)
            assert response.status_code == 200, response.text
            answered.append("small")
        assert answered == ["small"] * 6, "a small query waited for a runaway to be stopped"
        for thread in threads:
            thread.join(120)
    assert answered[6:] == ["runaway 503"] * 8


def test_the_wait_for_a_worker_counts_inside_the_time_limit(built_store: Path) -> None:
    # One worker and no extra: the second runaway waits for the first to be stopped. Its limit counts
    # from its arrival, so it is stopped about one limit after it came, not after waiting and running.
    pool = QueryWorkers(built_store.resolve(), size=1, most=1, timeout=3, memory_copy_mb=0)
    try:
        first = threading.Thread(target=lambda: _stopped(pool, RUNAWAY))
        first.start()
        time.sleep(0.5)
        began = time.monotonic()
        message = _stopped(pool, f"# second\n{RUNAWAY}")
        waited = time.monotonic() - began
        first.join(30)
    finally:
        pool.close()
    assert "busy for 3 s" in message or "longer than the 3 s limit" in message
    assert waited < 2 * 3 - 0.5, f"stopped {waited:.1f} s after it came, with a 3 s limit"


def _stopped(pool: QueryWorkers, query: str) -> str:
    with pytest.raises(QueryTimeout) as stopped:
        pool.run(check_query(query), "json", Dataset((KB_GRAPH,)))
    return str(stopped.value)


def _doubling(times: int, seed: str = "x") -> str:
    """A short query whose answer doubles a string ``times`` times (2**times characters)."""
    binds = " ".join(f"BIND(CONCAT(?y{n}, ?y{n}) AS ?y{n + 1})" for n in range(times))
    return f'SELECT ?y{times} WHERE {{ BIND("{seed}" AS ?y0) {binds} }}'


def test_a_query_past_its_memory_budget_is_stopped_with_503(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_QUERY_MEMORY_MB="100", MAPPA_KB_QUERY_WORKERS="1") as url:
        query = _doubling(29)  # half a gigabyte of one string, and as much again on the way
        assert len(query) < 1100
        response = requests.get(f"{url}/sparql", params={"query": query}, timeout=120)
        assert response.status_code == 503, response.text[:200]
        assert "needed more than 100 MB of memory and was stopped" in response.text
        # Its worker ended; another answers.
        again = requests.get(f"{url}/sparql", params={"query": _doubling(4)}, timeout=60)
        assert again.status_code == 200 and "x" * 16 in again.text


def test_an_answer_past_the_byte_limit_is_cut_with_a_signal(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_MAX_ANSWER_BYTES="2048", MAPPA_KB_QUERY_WORKERS="1") as url:
        many = requests.get(
            f"{url}/sparql",
            params={"query": "SELECT ?s ?t WHERE { ?s a ?t }"},
            headers={"Accept": "text/csv"},
            timeout=30,
        )
        assert many.status_code == 200
        assert many.headers["MAPPA-Results-Truncated"] == "true; max-bytes=2048"
        assert len(many.text.splitlines()) > 10 and len(many.content) < 2048 * 2
        one_big_row = requests.get(
            f"{url}/sparql",
            params={"query": _doubling(12)},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert one_big_row.status_code == 200
        assert one_big_row.headers["MAPPA-Results-Truncated"] == "true; max-bytes=2048"
        assert one_big_row.json()["results"]["bindings"] == []


def test_a_query_nested_thousands_deep_gets_400_with_a_message(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_QUERY_WORKERS="1") as url:
        nested = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000
        response = requests.post(f"{url}/sparql", data={"query": nested}, timeout=30)
        assert response.status_code == 400
        assert "nests brackets 5000 deep; at most 100" in response.text
        # Brackets in strings, IRIs and comments do not nest.
        quoted = 'ASK { ?s ?p "' + "{" * 500 + '" } # ' + "(" * 500
        assert requests.post(f"{url}/sparql", data={"query": quoted}, timeout=30).status_code == 200
