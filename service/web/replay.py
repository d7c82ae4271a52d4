"""Repeated SPARQL GETs answered again, byte for byte, without going through the application.

An answer to ``GET /sparql?query=...`` depends only on the request's URL, its Accept header and the
store version it was read from, and a store version never changes. So the first answer is kept whole,
as it left the application (status, every header its hooks set: ETag, Cache-Control, CORS, and the
body), and a repeat of the same request on the same version is sent again at the cost of a dictionary
lookup: about a tenth of the time of the full path, whose fixed costs (routing, negotiation, hooks)
outweigh a cached query's. It is never stale: a new version is a new key, and the old answers are
dropped when the first request for the new version arrives.

A replay is still a request like any other: fair use counts it, the request log has its line (marked
``"replayed": true``) and the metrics count it. Conditional and Range requests, every other method and
every other path take the full path, which answers 304 or 206 as HTTP says. Answers of an external
server are never kept: its data can change without the service knowing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable

from flask import Flask

from ..store import AnswerCache
from . import operations
from .fair_use import VERDICT, ClientTable
from .store_watch import CHOSEN_STORE

PATH = "/sparql"
_CONDITIONAL = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)

StartResponse = Callable[..., object]


@dataclasses.dataclass(frozen=True)
class Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    record: dict  # the request-log line of the first answer, for the replays' lines


class Replayer:
    """WSGI middleware in front of the Flask application: keeps whole successful answers to SPARQL GETs
    and sends them again for the same URL and Accept on the same store version."""

    def __init__(self, app: Flask, clients: ClientTable) -> None:
        self.app, self.inner, self.clients = app, app.wsgi_app, clients
        # Bodies only (the store keeps its own answers too): 32 MB a process, least recently used out.
        self.kept: AnswerCache[Answer] = AnswerCache(max_bytes=32 * 1024 * 1024)
        self._version = ""

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("PATH_INFO") != PATH
            or not environ.get("QUERY_STRING")
            or any(name in environ for name in _CONDITIONAL)
        ):
            return self.inner(environ, start_response)
        store = self.app.extensions["mappa_store"]
        version = getattr(store, "version", "")  # "" for an external server, or a store out of service
        if not version:
            return self.inner(environ, start_response)
        if version != self._version:  # a new store version: nothing kept for the old one can be sent
            self.kept.clear()
            self._version = version
        environ[CHOSEN_STORE] = store  # the full path reads the very version the answer is kept under
        key = (environ["QUERY_STRING"], environ.get("HTTP_ACCEPT", ""), version)
        found = self.kept.get(key)
        if found is None:
            return self._answer_and_keep(key, environ, start_response)
        return self._replay(found, environ, start_response)

    def _replay(self, found: Answer, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        client = environ.get("REMOTE_ADDR") or "unknown"
        refusal = self.clients.admit(client)
        if refusal is not None:  # refused (or let in uncounted): the full path answers, with this verdict
            environ[VERDICT] = refusal
            return self.inner(environ, start_response)
        self.clients.finished(client)  # no query runs: the replay holds no place among the client's own
        start_response(found.status, list(found.headers))
        operations.account_replay(found.record, time.perf_counter() - started, client)
        return [found.body]

    def _answer_and_keep(self, key: tuple, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        sent: list = []

        def keep_status(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.inner(environ, keep_status)
        record = environ.get(operations.RECORD)
        if not sent or not sent[0].startswith("200 ") or record is None:
            return body
        headers = dict((name.lower(), value) for name, value in sent[1])
        if "etag" not in headers or "content-length" not in headers:  # not a plain, cacheable answer
            return body
        try:
            whole = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if len(whole) == int(headers["content-length"]):
            self.kept.put(key, Answer(sent[0], tuple(sent[1]), whole, record))
        return [whole]
