"""No request makes the server contact another host: a local listener records every connection while
SERVICE, FROM, FROM NAMED, default-graph-uri and named-graph-uri point at it. With the listener on
the SERVICE allow-list, the same query does reach it, which shows the listener would have seen a call."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from .conftest import running_service


class _Recorder(http.server.BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def _answer(self) -> None:
        _Recorder.calls.append(self.path)
        body = b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "remote"}}]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    _Recorder.calls = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()


def test_nothing_in_a_request_reaches_another_host(live_server: str, listener: str) -> None:
    attempts = [
        {"query": f"SELECT * WHERE {{ SERVICE <{listener}> {{ ?x ?p ?o }} }}"},
        {"query": f"SELECT * WHERE {{ SERVICE SILENT <{listener}> {{ ?x ?p ?o }} }}"},
        {"query": "SELECT * WHERE { BIND (<" + listener + "> AS ?e) SERVICE ?e { ?x ?p ?o } }"},
        {"query": f"SELECT * FROM <{listener}> WHERE {{ ?x ?p ?o }}"},
        {"query": f"SELECT * FROM NAMED <{listener}> WHERE {{ GRAPH ?g {{ ?x ?p ?o }} }}"},
        {"query": "SELECT * WHERE { ?x ?p ?o } LIMIT 1", "default-graph-uri": listener},
        {"query": "SELECT * WHERE { GRAPH ?g { ?x ?p ?o } } LIMIT 1", "named-graph-uri": listener},
    ]
    statuses = [requests.get(f"{live_server}/sparql", params=a, timeout=30).status_code for a in attempts]
    assert statuses == [400, 400, 400, 400, 400, 200, 200]
    assert _Recorder.calls == [], "the server contacted the listener"


def test_an_allowed_service_is_called(built_store: Path, listener: str) -> None:
    with running_service(built_store, MAPPA_KB_SERVICE_ALLOW=listener) as url:
        query = f"SELECT ?x WHERE {{ SERVICE <{listener}> {{ ?x ?p ?o }} }}"
        response = requests.get(
            f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
        )
        assert response.status_code == 200, response.text
        assert response.text.splitlines() == ["x", "remote"]
        assert _Recorder.calls, "the allowed SERVICE call did not reach the listener"
        other = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?x ?p ?o } }"
        assert requests.get(f"{url}/sparql", params={"query": other}, timeout=30).status_code == 400
