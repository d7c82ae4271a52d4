"""Running it in public: health that tells alive from ready, /metrics, one JSON log line per request,
per-client fair use of /sparql (429 with Retry-After), and a size limit on requests (413)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import requests

from mappa_kb.web.server import ForwardedFromProxy, forwarded_client

from .conftest import logged_requests, running_service, wait_for

ASK = {"query": "ASK { ?s ?p ?o }"}


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_alive_and_ready_are_told_apart(live_server: str) -> None:
    assert requests.get(f"{live_server}/healthz/live", timeout=10).json() == {"status": "alive"}
    ready = requests.get(f"{live_server}/healthz/ready", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert ready.headers["Cache-Control"] == "no-store"  # no cache in front may say ready for it


def test_metrics_count_requests_across_the_service_processes(live_server: str) -> None:
    before = requests.get(f"{live_server}/metrics", timeout=10)
    assert before.headers["Content-Type"].startswith("text/plain")
    for _ in range(12):  # spread over the service processes by the kernel
        assert requests.get(f"{live_server}/glossary/category-2", timeout=10).status_code == 200
    after = requests.get(f"{live_server}/metrics", timeout=10).text
    route = {"route": "/glossary/<concept_id>", "status": "200"}
    assert (
        _metric(after, "mappa_kb_requests_total", **route)
        - _metric(before.text, "mappa_kb_requests_total", **route)
        == 12
    )
    assert _metric(after, "mappa_kb_request_seconds_count", route="/glossary/<concept_id>") >= 12
    # The size is counted a few seconds after start-up, in the background.
    assert wait_for(
        lambda: (
            _metric(requests.get(f"{live_server}/metrics", timeout=10).text, "mappa_kb_store_triples") > 1000
        )
    )
    assert "mappa_kb_store_version_info{" in after and "mappa_kb_query_timeouts_total" in after


def test_metrics_say_which_copy_of_the_store_answered(live_server: str) -> None:
    def answered(copy: str) -> float:
        return _metric(
            requests.get(f"{live_server}/metrics", timeout=10).text,
            "mappa_kb_queries_answered_total",
            copy=copy,
        )

    before = answered("memory") + answered("disk")
    for number in range(6):  # new texts: answered by the store, not the answer cache
        query = f"# {number} {time.monotonic_ns()}\nASK {{ ?s ?p ?o }}"
        assert requests.get(f"{live_server}/sparql", params={"query": query}, timeout=10).status_code == 200
    assert answered("memory") + answered("disk") - before == 6


def test_every_request_is_one_json_log_line(built_store: Path) -> None:
    with running_service(built_store, MAPPA_KB_MAX_ROWS="2") as url:
        log = running_service.log
        for limit in (1, 3):  # one answer whole, one cut at the two-row limit
            query = f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {limit}"
            requests.get(f"{url}/sparql", params={"query": query}, timeout=10)
        requests.get(f"{url}/glossary/search", params={"q": "sopo"}, timeout=10)
        odd = requests.request("BREW" + "X" * 5000, f"{url}/healthz/live", timeout=10)
        requests.get(f"{url}/no/such/page", timeout=10)
        metrics = requests.get(f"{url}/metrics", timeout=10).text
        time.sleep(0.5)
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith('{"time"')]
    by_route = {line["route"]: line for line in lines}
    # A method no one knows is logged and counted as "_OTHER": labels stay few, lines short.
    assert odd.status_code == 405 and "BREW" not in metrics
    assert [line["method"] for line in lines if line["status"] == 405] == ["_OTHER"]
    whole, cut = [line for line in lines if line["route"] == "/sparql"]
    assert whole["status"] == 200 and whole["client"] == "127.0.0.1" and len(whole["query"]) == 12
    assert whole["ms"] > 0 and whole["bytes"] > 0
    assert (whole["rows"], whole["truncated"]) == (1, None)
    assert (cut["rows"], cut["truncated"]) == (2, True) and cut["query"] != whole["query"]
    assert by_route["/glossary/search"]["query"] is None and by_route["/glossary/search"]["rows"] is None
    assert by_route["(no route)"]["status"] == 404


def test_log_lines_of_concurrent_requests_stay_whole(built_store: Path) -> None:
    # From many threads of two processes at once, each line must still be whole and none lost.
    limits = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"}
    with running_service(built_store, serve_args=("--workers", "2"), **limits) as url:

        def ask() -> None:
            with requests.Session() as session:
                for number in range(40):
                    query = {"query": f"ASK {{ ?s ?p {number % 4} }}"}
                    assert session.get(f"{url}/sparql", params=query, timeout=10).status_code == 200

        clients = [threading.Thread(target=ask) for _ in range(8)]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        time.sleep(0.5)
        answers = logged_requests()
    assert len(answers) == 8 * 40 and {a["status"] for a in answers} == {200}


def test_a_client_over_the_rate_gets_429_with_retry_after(built_store: Path) -> None:
    # Three service processes, one count: the client gets five queries a minute, whichever answers.
    with running_service(built_store, serve_args=("--workers", "3"), MAPPA_KB_RATE_LIMIT="5") as url:
        began = time.monotonic()
        answers = [requests.get(f"{url}/sparql", params=ASK, timeout=10) for _ in range(30)]
        refilled = int((time.monotonic() - began) * 5 / 60)  # one more token every 12 s
        ok = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code == 429]
        assert len(ok) == 5 + refilled and len(refused) == 25 - refilled
        assert refused and int(refused[0].headers["Retry-After"]) >= 1
        assert "5 a minute" in refused[0].text
        assert requests.get(f"{url}/glossary/sopo", timeout=10).status_code == 200  # lookups stay cheap
        metrics = requests.get(f"{url}/metrics", timeout=10).text
        assert _metric(metrics, "mappa_kb_fair_use_refusals_total", reason="rate") == len(refused)


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_a_client_may_run_only_so_many_queries_at_once(built_store: Path) -> None:
    with running_service(
        built_store,
        serve_args=("--workers", "2"),  # the second query may reach the other process: still counted
        MAPPA_KB_CONCURRENT_QUERIES="1",
        MAPPA_KB_QUERY_TIMEOUT="4",
    ) as url:
        slow = threading.Thread(
            target=requests.get, args=(f"{url}/sparql",), kwargs={"params": {"query": RUNAWAY}, "timeout": 30}
        )
        slow.start()
        time.sleep(1.0)
        second = requests.get(f"{url}/sparql", params=ASK, timeout=10)
        assert second.status_code == 429 and "queries running" in second.text
        slow.join()
        assert (
            requests.get(f"{url}/sparql", params=ASK, timeout=10).status_code == 200
        )  # the slot is free again


def test_a_10_megabyte_query_gets_413_and_the_service_carries_on(live_server: str) -> None:
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * (10 * 1024 * 1024)
    response = requests.post(
        f"{live_server}/sparql",
        data=huge.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert response.status_code == 413 and "larger than" in response.text
    assert requests.get(f"{live_server}/sparql", params=ASK, timeout=10).status_code == 200


def test_links_say_https_behind_a_trusted_proxy(live_server: str) -> None:
    # The nginx of docs/deploy runs on the same machine: loopback is trusted by default.
    describe = {"Accept": "text/turtle"}
    plain = requests.get(f"{live_server}/sparql", headers=describe, timeout=10).text
    proxied = requests.get(
        f"{live_server}/sparql", headers={**describe, "X-Forwarded-Proto": "https"}, timeout=10
    ).text
    assert "sd:endpoint <http://127.0.0.1:" in plain and "sd:endpoint <https://127.0.0.1:" in proxied


def test_forwarded_headers_from_an_untrusted_address_are_ignored() -> None:
    seen: list[tuple[str, str]] = []

    def application(environ: dict, _start: object) -> list[bytes]:
        seen.append((environ["wsgi.url_scheme"], environ["REMOTE_ADDR"]))
        return []

    front = ForwardedFromProxy(application, frozenset({"192.0.2.1"}))
    for peer in ("203.0.113.9", "192.0.2.1"):
        environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http"}
        front({**environ, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}, None)
    assert seen == [("http", "203.0.113.9"), ("https", "198.51.100.7")]


def test_the_client_is_the_first_address_a_trusted_proxy_did_not_write() -> None:
    proxies = frozenset({"10.0.0.1", "10.0.0.2"})
    # nginx appends the address it saw: what the client wrote itself stays to the left, unbelieved.
    assert forwarded_client("10.0.0.1", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"
    assert forwarded_client("10.0.0.1", "198.51.100.7, 10.0.0.2", proxies) == "198.51.100.7"  # two proxies
    assert forwarded_client("10.0.0.1", "10.0.0.2", proxies) == "10.0.0.2"  # only proxies: the farthest
    assert forwarded_client("203.0.113.9", "198.51.100.7", proxies) == "203.0.113.9"  # not from a proxy
    assert forwarded_client("10.0.0.1", "unknown, 198.51.100.7", proxies) == "198.51.100.7"
    assert forwarded_client("10.0.0.1", "198.51.100.7:4431", proxies) == "10.0.0.1"  # not an address
    assert forwarded_client("10.0.0.1", " 2001:DB8::7 ", proxies) == "2001:db8::7"
    assert forwarded_client("10.0.0.1", "", proxies) == "10.0.0.1"
    assert forwarded_client("203.0.113.9", "1.2.3.4, 198.51.100.7", frozenset({"*"})) == "1.2.3.4"


def test_behind_a_trusted_proxy_fair_use_and_the_log_see_each_client(built_store: Path) -> None:
    # A proxy on loopback (the default trusted address) sends every client's queries from 127.0.0.1.
    with running_service(built_store, MAPPA_KB_RATE_LIMIT="3") as url:

        def ask(client: str) -> int:
            forwarded = {"X-Forwarded-For": client}
            return requests.get(f"{url}/sparql", params=ASK, headers=forwarded, timeout=10).status_code

        assert [ask("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]
        assert ask("198.51.100.8") == 200  # another client behind the same proxy has its own rate
        time.sleep(0.5)
        logged = logged_requests()
    assert [line["client"] for line in logged] == ["198.51.100.7"] * 4 + ["198.51.100.8"]


def test_metrics_leave_out_the_file_of_a_process_still_starting(tmp_path: Path, monkeypatch) -> None:
    """A process that has created its counts file but not yet sized it (a query worker starting under a
    scrape) once made /metrics fail with a 500."""
    from prometheus_client import CollectorRegistry, Counter
    from prometheus_client.values import MultiProcessValue

    from mappa_kb import metrics

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    # A process that has counted one request, written as prometheus_client writes it.
    monkeypatch.setattr("prometheus_client.values.ValueClass", MultiProcessValue(lambda: 4242))
    counted = Counter("mappa_kb_test_total", "a count", registry=CollectorRegistry())
    counted.inc()
    (tmp_path / "counter_4243.db").touch()  # and one whose file is not yet sized
    text = metrics.exposition().decode()
    assert "mappa_kb_test_total 1.0" in text
