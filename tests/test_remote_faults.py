"""External store faults: with `--endpoint`, a SPARQL server that hangs or goes away gives clients
503/502 with a message within the time limit (never a hang, never a 500), and the service recovers
by itself when the server is back. Real Oxigraph server and Virtuoso processes, paused with SIGSTOP,
stopped and started again in the test."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mappa_kb import paths
from mappa_kb.engine.remote import load_remote

from .conftest import not_here, running_service, wait_for
from .external_servers import Server, missing

TIME_LIMIT = 3.0
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request, tmp_path: Path) -> Iterator[Server]:
    reason = missing(request.param)
    if reason:
        not_here(reason, "external-store fault tests")
    started = Server(request.param, tmp_path)
    started.start()
    load_remote(started.update_url, paths.knowledge_base_files())
    try:
        yield started
    finally:
        started.stop()


def _ask(url: str, path: str = "/sparql") -> tuple[requests.Response, float]:
    """A query no cache has seen, and how long its answer took."""
    began = time.monotonic()
    params = {"query": f"# {time.monotonic_ns()}\n{COUNT}"} if path == "/sparql" else None
    answer = requests.get(f"{url}{path}", params=params, headers={"Accept": "text/csv"}, timeout=60)
    return answer, time.monotonic() - began


def test_a_hanging_or_departed_server_gives_clear_errors_and_the_service_recovers(
    server: Server, tmp_path: Path
) -> None:
    environment = {"MAPPA_KB_ENDPOINT": server.query_url, "MAPPA_KB_QUERY_TIMEOUT": str(TIME_LIMIT)}
    with running_service(tmp_path / "unused", MAPPA_KB_RATE_LIMIT="0", **environment) as url:
        answer, _ = _ask(url)
        assert answer.status_code == 200
        triples = int(answer.text.split()[1])

        server.pause()  # accepts connections, never answers: slow past any limit
        try:
            answer, took = _ask(url)
            assert answer.status_code == 503 and f"did not answer within {TIME_LIMIT:g} s" in answer.text
            assert took < TIME_LIMIT + 3, f"the client waited {took:.1f} s"
            assert answer.headers["Retry-After"]
        finally:
            server.resume()
        assert wait_for(lambda: _ask(url)[0].status_code == 200), "no recovery after the pause"

        server.stop()  # gone: the port refuses connections
        answer, took = _ask(url)
        assert answer.status_code == 502 and "cannot reach the SPARQL server" in answer.text
        assert took < TIME_LIMIT
        assert _ask(url, "/healthz/ready")[0].status_code == 503
        assert _ask(url, "/healthz/live")[0].status_code == 200
        page = requests.get(f"{url}/doc/area/durham", headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 502 and "cannot reach the SPARQL server" in page.text

        server.start()  # back, over the same database: the service recovers without a restart
        assert wait_for(lambda: _ask(url)[0].status_code == 200), "no recovery after the restart"
        assert int(_ask(url)[0].text.split()[1]) == triples
        assert _ask(url, "/healthz/ready")[0].status_code == 200
        assert requests.get(f"{url}/doc/area/durham", timeout=30).status_code == 200


class _MaintenancePage(http.server.BaseHTTPRequestHandler):
    """What a proxy in front of a SPARQL server may say while it is down: 200 and a web page."""

    def _page(self) -> None:
        body = b"<html><body>Down for maintenance</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _page

    def log_message(self, *_: object) -> None:
        pass


def test_a_server_that_answers_with_something_else_is_a_bad_gateway(tmp_path: Path) -> None:
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MaintenancePage)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{listener.server_address[1]}/sparql"
    try:
        with running_service(tmp_path / "unused", check_ready=False, MAPPA_KB_ENDPOINT=endpoint) as url:
            for query in (COUNT, "CONSTRUCT WHERE { ?s ?p ?o }"):
                answer = requests.get(f"{url}/sparql", params={"query": query}, timeout=30)
                assert answer.status_code == 502 and "not SPARQL results" in answer.text
            assert _ask(url, "/healthz/ready")[0].status_code == 503
            page = requests.get(f"{url}/doc/area/durham", headers={"Accept": "text/html"}, timeout=30)
            assert page.status_code == 502
            refused = requests.get(f"{url}/sparql", params={"query": "DROP ALL"}, timeout=30)
            assert refused.status_code == 400  # the client's own mistake is still the client's
    finally:
        listener.shutdown()
