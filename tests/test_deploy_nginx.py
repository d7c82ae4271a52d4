"""The nginx front of docs/deploy, run as shipped (on loopback, without TLS) before a real service: the
cache answers repeated queries without reaching the service, keeps each format apart, never sends an
answer from a version older than the newest built, keeps nothing the service says must not be kept,
and the service still sees, and counts, each client behind it."""

from __future__ import annotations

import hashlib
import http.client
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from mappa_kb import paths
from mappa_kb.engine.versions import build_store

from .conftest import logged_requests, not_here, running_service
from .nginx_front import missing, nginx_front
from .test_store_swap import EXTRA

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CSV = {"Accept": "text/csv"}


def _need_nginx() -> None:
    reason = missing()
    if reason:
        not_here(reason, "nginx front's tests")


@pytest.fixture(scope="module")
def service(built_store: Path) -> Iterator[str]:
    _need_nginx()
    with running_service(built_store, MAPPA_KB_RATE_LIMIT="0") as url:
        yield url


@pytest.fixture(scope="module")
def front(service: str, built_store: Path) -> Iterator[str]:
    with nginx_front(service, built_store) as running:
        yield running.url


def _reached_the_service(query: str) -> int:
    """How many requests for ``query`` the service has logged (its log names a query by a hash)."""
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    time.sleep(0.3)  # the last line written
    return sum(1 for fields in logged_requests() if fields["query"] == digest)


def test_a_repeated_query_is_answered_by_the_front_without_reaching_the_service(front: str) -> None:
    query = COUNT + " # repeated"
    began = time.monotonic()
    answers = [
        requests.get(f"{front}/sparql", params={"query": query}, headers=CSV, timeout=10) for _ in range(30)
    ]
    seconds = time.monotonic() - began
    assert {a.status_code for a in answers} == {200} and len({a.text for a in answers}) == 1
    statuses = [a.headers["X-Cache-Status"] for a in answers]
    assert statuses[0] == "MISS" and statuses.count("HIT") >= 30 - 2 * (2 + int(seconds))
    # Once a second at most, the front asks again (If-None-Match), and the service says 304.
    assert 1 <= _reached_the_service(query) <= 1 + 2 + int(seconds)
    kept = answers[-1].headers
    assert kept["Cache-Control"] == "public, max-age=300"  # clients are told the service's own rule
    assert kept["ETag"] and kept["Access-Control-Allow-Origin"] == "*"


def test_an_answer_checked_again_after_a_second_is_revalidated_not_sent_again(front: str) -> None:
    query = {"query": COUNT + " # revalidated"}
    first = requests.get(f"{front}/sparql", params=query, headers=CSV, timeout=10)
    time.sleep(2.2)  # nginx keeps time in whole seconds: "1s" ends within two
    again = requests.get(f"{front}/sparql", params=query, headers=CSV, timeout=10)
    assert again.headers["X-Cache-Status"] == "REVALIDATED" and again.text == first.text


def test_each_format_is_kept_apart(front: str) -> None:
    query = {"query": COUNT + " # formats"}
    for accept, media_type in (("text/csv", "text/csv"), ("application/sparql-results+json", "application/")):
        for _ in range(2):
            answer = requests.get(f"{front}/sparql", params=query, headers={"Accept": accept}, timeout=10)
            assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(media_type)
    csv = requests.get(f"{front}/sparql", params=query, headers=CSV, timeout=10)
    assert csv.headers["X-Cache-Status"] in ("HIT", "REVALIDATED") and csv.text.startswith("n\r\n")


def test_nothing_is_kept_that_must_not_be(front: str) -> None:
    query = {"query": COUNT + " # posted"}
    for _ in range(2):
        posted = requests.post(f"{front}/sparql", data=query, headers=CSV, timeout=10)
        assert posted.status_code == 200 and "X-Cache-Status" not in posted.headers  # POST: never kept
        malformed = requests.get(f"{front}/sparql", params={"query": "SELEC ?x"}, timeout=10)
        assert malformed.status_code == 400 and malformed.headers["X-Cache-Status"] == "MISS"
        ready = requests.get(f"{front}/healthz/ready", timeout=10)
        assert ready.status_code == 200 and ready.headers["X-Cache-Status"] == "MISS"  # no-store
    assert _reached_the_service(query["query"]) == 2
    assert requests.get(f"{front}/metrics", timeout=10).status_code == 403  # for your Prometheus only


def test_a_body_over_a_megabyte_is_refused_by_the_front(front: str) -> None:
    huge = "ASK { ?s ?p ?o } #" + "x" * (2 * 1024 * 1024)
    refused = requests.post(
        f"{front}/sparql", data=huge, headers={"Content-Type": "application/sparql-query"}, timeout=30
    )
    assert refused.status_code == 413


# How nginx says it sent an answer it keeps, rather than the service's answer to this very request.
FROM_THE_CACHE = {"HIT", "STALE", "UPDATING", "REVALIDATED"}


def test_the_front_never_sends_a_kept_answer_from_before_the_newest_build(tmp_path: Path) -> None:
    _need_nginx()
    store, before, _ = build_store(tmp_path / "store")
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA)
    with (
        running_service(store, MAPPA_KB_RATE_LIMIT="0") as service,
        nginx_front(service, store) as running,
        requests.Session() as session,
    ):

        def ask() -> tuple[int, str]:
            answer = session.get(f"{running.url}/sparql", params={"query": COUNT}, headers=CSV, timeout=10)
            assert answer.status_code == 200
            return int(answer.text.split()[1]), answer.headers["X-Cache-Status"]

        kept = [ask() for _ in range(5)]
        assert kept[0] == (before, "MISS") and kept[1:] == [(before, "HIT")] * 4
        _, after, _ = build_store(store, [*paths.knowledge_base_files(), extra])
        assert after == before + 5
        # Until each service process has swapped the new version in (seconds), it answers
        # from the old one, and says so: nginx sends those answers but keeps none of them.
        seen = [ask()]
        deadline = time.monotonic() + 20
        while seen[-10:] != [(after, "HIT")] * 10 and time.monotonic() < deadline:
            seen.append(ask())
        stale = [status for count, status in seen if count == before and status in FROM_THE_CACHE]
        assert not stale, f"old answers sent from the cache after the build: {Counter(stale)}"
        assert seen[-10:] == [(after, "HIT")] * 10, f"the new version's answer was never kept: {seen[-10:]}"


def _ask_from(front: str, source: str, number: int, forwarded_for: str | None = None) -> int:
    """A new query (none is answered by the cache) from the loopback address ``source``, which the
    service does not trust as a proxy; optionally with an X-Forwarded-For the client wrote itself."""
    host, port = urlsplit(front).hostname, urlsplit(front).port
    connection = http.client.HTTPConnection(host, port, timeout=10, source_address=(source, 0))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    try:
        connection.request(
            "GET", "/sparql?" + urlencode({"query": f"ASK {{ ?s ?p {number} }}"}), headers=headers
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_behind_the_front_fair_use_counts_each_client_and_believes_none_about_itself(
    built_store: Path,
) -> None:
    _need_nginx()
    with (
        running_service(built_store, MAPPA_KB_RATE_LIMIT="3") as service,
        nginx_front(service, built_store) as running,
    ):
        front = running.url
        # Every query reaches the service from nginx, at 127.0.0.1; the clients are 127.0.0.5 and .6.
        assert [_ask_from(front, "127.0.0.5", n) for n in range(3)] == [200] * 3
        spoofed = [_ask_from(front, "127.0.0.5", n, forwarded_for=f"198.51.100.{n}") for n in range(3, 6)]
        assert spoofed == [429] * 3  # what a client says of itself is not believed
        assert _ask_from(front, "127.0.0.6", 6) == 200  # nginx's address is not one client for all
        time.sleep(0.5)
        logged = logged_requests()
    assert [line["client"] for line in logged] == ["127.0.0.5"] * 6 + ["127.0.0.6"]
