"""A repeated SPARQL GET (or glossary lookup) is sent again from the whole answer kept in front of the
application: the same bytes and headers as the first answer, still counted by fair use, logged and
measured, and never sent for a conditional request, another Accept, another host, or another store
version."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from mappa_kb.store import AnswerCache
from mappa_kb.workers import Result

from .conftest import logged_requests, running_service
from .test_operations import _metric

QUERY = {"query": "SELECT ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } LIMIT 3"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def _replays(url: str) -> float:
    return _metric(requests.get(f"{url}/metrics", timeout=10).text, "mappa_kb_answer_cache_hits_total")


def test_a_repeated_query_gets_the_same_answer_and_is_logged_as_a_replay(built_store: Path) -> None:
    # One service process, so that the second request reaches the process that kept the first answer.
    with running_service(built_store, serve_args=("--workers", "1")) as url:
        hits = _replays(url)
        first, second = (
            requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10) for _ in range(2)
        )
        assert first.status_code == second.status_code == 200
        assert second.content == first.content and len(first.json()["results"]["bindings"]) == 3
        headers = [{k: v for k, v in a.headers.items() if k != "Date"} for a in (first, second)]
        assert headers[0] == headers[1] and first.headers["ETag"]
        assert first.headers["Access-Control-Allow-Origin"] == "*" and first.headers["Cache-Control"]
        assert _replays(url) == hits + 1
        time.sleep(0.3)
        lines = logged_requests()
    kept, replayed = lines[-2:]
    assert "replayed" not in kept and replayed["replayed"] is True
    for field in ("status", "query", "rows", "bytes", "client"):
        assert replayed[field] == kept[field], field
    assert replayed["rows"] == 3 and replayed["ms"] >= 0


def test_a_repeated_glossary_lookup_is_sent_again_only_to_its_own_host(built_store: Path) -> None:
    summary, as_json = "/glossary/category-2/summary", {"Accept": "application/json"}
    with running_service(built_store, serve_args=("--workers", "1")) as url:
        hits = _replays(url)
        first, second = (requests.get(f"{url}{summary}", headers=as_json, timeout=10) for _ in range(2))
        assert first.status_code == second.status_code == 200 and second.content == first.content
        headers = [{k: v for k, v in a.headers.items() if k != "Date"} for a in (first, second)]
        assert headers[0] == headers[1] and first.headers["ETag"] and first.headers["Vary"] == "Accept"
        assert _replays(url) == hits + 1
        # Its links name the host asked for: another host is another answer, never the one kept.
        elsewhere = requests.get(f"{url}{summary}", headers={**as_json, "Host": "mappa.example"}, timeout=10)
        assert elsewhere.json()["page"] == "http://mappa.example/glossary/category-2"
        assert first.json()["page"] == f"{url}/glossary/category-2"
        # Failures are never kept.
        missing = [requests.get(f"{url}/glossary/no-such-concept", timeout=10) for _ in range(2)]
        assert [a.status_code for a in missing] == [404, 404] and _replays(url) == hits + 1
        time.sleep(0.3)
        lines = logged_requests("/glossary/<concept_id>/summary")
    assert [line.get("replayed") for line in lines] == [None, True, None]
    assert lines[1]["status"] == 200 and lines[1]["bytes"] == len(first.content)


def test_conditional_requests_and_other_formats_take_the_full_path(built_store: Path) -> None:
    with running_service(built_store, serve_args=("--workers", "1")) as url:
        first = requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        again = {**JSON_RESULTS, "If-None-Match": first.headers["ETag"]}
        assert requests.get(f"{url}/sparql", params=QUERY, headers=again, timeout=10).status_code == 304
        as_csv = requests.get(f"{url}/sparql", params=QUERY, headers={"Accept": "text/csv"}, timeout=10)
        assert as_csv.headers["Content-Type"].startswith("text/csv") and as_csv.text.startswith("label\r\n")
        head = requests.head(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        assert head.status_code == 200 and head.content == b""
        # The JSON answer kept first is still the one sent for JSON.
        replayed = requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        assert replayed.content == first.content


def test_replays_count_against_the_rate_limit(built_store: Path) -> None:
    with running_service(built_store, serve_args=("--workers", "1"), MAPPA_KB_RATE_LIMIT="3") as url:
        began = time.monotonic()
        answers = [requests.get(f"{url}/sparql", params=QUERY, timeout=10).status_code for _ in range(8)]
        refilled = int((time.monotonic() - began) * 3 / 60)
        assert answers.count(200) == 3 + refilled and answers.count(429) == 5 - refilled


def test_kept_answers_are_bounded_by_their_keys_too() -> None:
    # Unique long queries with short answers: the keys, not the bodies, are what would fill memory.
    cache: AnswerCache[Result] = AnswerCache(max_bytes=100_000)
    for number in range(1000):
        cache.put((f"# {number}\n" + "x" * 10_000, "json"), Result(b"{}", False))
    kept = [n for n in range(1000) if cache.get((f"# {n}\n" + "x" * 10_000, "json")) is not None]
    assert 0 < len(kept) <= 10 and kept[-1] == 999  # the newest stay, within the budget


KB = "https://w3id.org/mappa-kb/id/graph/knowledge-base"
SAME_ANSWER_CASES = [
    ({"query": QUERY["query"]}, "application/sparql-results+json"),
    ({"query": QUERY["query"], "format": "csv"}, None),
    ({"query": "ASK { ?s ?p ?o }"}, "application/sparql-results+xml;q=0.9, text/csv;q=0.1"),
    ({"query": "SELECT * WHERE { ?s ?p ?o }"}, "text/tab-separated-values"),  # cut at the row limit
    ({"query": "CONSTRUCT WHERE { ?s a <https://w3id.org/mappa-kb/def/mappa/MappaArea> }"}, "text/turtle"),
    ({"query": "DESCRIBE <https://w3id.org/mappa-kb/id/area/durham>"}, "application/ld+json"),
    ({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": KB}, "text/csv"),
]


def test_the_front_and_the_flask_view_give_the_same_answer(built_store: Path) -> None:
    # A plain GET is answered in front of Flask; an If-None-Match that matches nothing sends the same
    # request through the Flask view (which answers 200 in full). Every byte and header must agree.
    with running_service(built_store, serve_args=("--workers", "1"), MAPPA_KB_MAX_ROWS="5") as url:
        for params, accept in SAME_ANSWER_CASES:
            headers = {"Accept": accept} if accept else {}
            front = requests.get(f"{url}/sparql", params=params, headers=headers, timeout=10)
            view = requests.get(
                f"{url}/sparql", params=params, headers={**headers, "If-None-Match": '"x"'}, timeout=10
            )
            assert front.status_code == view.status_code == 200, (params, front.text)
            assert front.content == view.content, params
            sent = [{k: v for k, v in a.headers.items() if k.lower() != "date"} for a in (front, view)]
            assert sent[0] == sent[1], params
        cut = requests.get(f"{url}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=10)
        assert cut.headers["MAPPA-Results-Truncated"] == "true; limit=5"
