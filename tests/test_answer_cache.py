"""A repeated query on one store version is answered from the answers that version keeps: the same
bytes and headers as the first answer, still counted by fair use and logged; a conditional request
gets 304, another format its own answer. Every request goes through the Flask application."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from mappa_kb.engine.embedded import AnswerCache
from mappa_kb.engine.interface import Result

from .conftest import logged_requests, running_service
from .test_operations import _metric

QUERY = {"query": "SELECT ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } LIMIT 3"}
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def _cache_hits(url: str) -> float:
    return _metric(requests.get(f"{url}/metrics", timeout=10).text, "mappa_kb_answer_cache_hits_total")


def test_a_repeated_query_gets_the_same_answer_from_the_versions_cache(built_store: Path) -> None:
    # One service process, so that the second request reaches the process that kept the first answer.
    with running_service(built_store, serve_args=("--workers", "1")) as url:
        hits = _cache_hits(url)
        first, second = (
            requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10) for _ in range(2)
        )
        assert first.status_code == second.status_code == 200
        assert second.content == first.content and len(first.json()["results"]["bindings"]) == 3
        headers = [{k: v for k, v in a.headers.items() if k.lower() != "date"} for a in (first, second)]
        assert headers[0] == headers[1] and first.headers["ETag"]
        assert first.headers["Access-Control-Allow-Origin"] == "*" and first.headers["Cache-Control"]
        assert _cache_hits(url) == hits + 1
        time.sleep(0.3)
        lines = logged_requests()
    for line in lines[-2:]:  # both logged in full, as any request
        assert (line["status"], line["rows"], line["bytes"]) == (200, 3, len(first.content))
    assert lines[-1]["query"] == lines[-2]["query"]


def test_conditional_requests_and_other_formats_get_their_own_answers(built_store: Path) -> None:
    with running_service(built_store, serve_args=("--workers", "1")) as url:
        first = requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        again = {**JSON_RESULTS, "If-None-Match": first.headers["ETag"]}
        assert requests.get(f"{url}/sparql", params=QUERY, headers=again, timeout=10).status_code == 304
        as_csv = requests.get(f"{url}/sparql", params=QUERY, headers={"Accept": "text/csv"}, timeout=10)
        assert as_csv.headers["Content-Type"].startswith("text/csv") and as_csv.text.startswith("label\r\n")
        head = requests.head(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        assert head.status_code == 200 and head.content == b""
        # The JSON answer kept first is still the one sent for JSON.
        again_json = requests.get(f"{url}/sparql", params=QUERY, headers=JSON_RESULTS, timeout=10)
        assert again_json.content == first.content


def test_repeated_queries_count_against_the_rate_limit(built_store: Path) -> None:
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
