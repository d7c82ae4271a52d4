"""``GET /sparql?query=...`` answered in front of Flask, and it and glossary lookups sent again when
repeated.

The SPARQL GET is most of the traffic, and for a small query Flask's fixed costs (request context,
routing, hooks, response objects) outweigh the query's own. So the plain case is answered here, with
the same checks, negotiation, store, headers, fair use, log line and metrics as the Flask view
(``tests/test_replay.py`` compares the two answers byte for byte); anything else (a POST, a missing
or duplicated parameter, a refused or unacceptable query, a conditional or Range request, a client
over its limits, a query that fails) goes to the Flask view, which says what was wrong. A query
that failed here is not run again there: the view is told how it failed.

An answer depends only on the request's URL, its Accept header and the store version, and a store
version never changes, so the whole answer is kept, and a repeat of the same request on the same
version is sent again at the cost of a dictionary lookup. It is never stale: a new version is a new
key, and the old answers are dropped when the first request for the new version arrives. A replay is
still a request: it spends a token of the client's rate (it runs no query, so the limit on running
queries does not apply), the request log has its line (``"replayed": true``) and the
metrics count it. Answers of an external server are never kept: its data can change without the
service knowing.

A cache in front (docs/deploy/nginx.conf) keeps answers the same way, under the name of the newest
version built, which it reads from the store's disk. So every GET answer from a version that is no
longer the newest (after a build, until the store watcher has swapped the new one in), or from an
external server, says ``X-Accel-Expires: 0``: nginx sends it but does not keep it.

The views marked ``replayable`` (the glossary's) are kept the same way, once Flask has answered them:
their answers depend only on the URL (scheme and host included: they link to themselves), the Accept
header and the glossary, which a process reads once for each store version (and once only from an
external server).
"""

from __future__ import annotations

import dataclasses
import time
import urllib.parse
from collections.abc import Callable, Iterable

from flask import Flask
from werkzeug.http import generate_etag, quote_etag
from werkzeug.utils import get_content_type

from ..negotiation import NotAcceptable
from ..store import AnswerCache, QueryRefused, Store
from ..workers import Dataset
from . import operations
from .fair_use import UNCOUNTED, VERDICT, ClientTable
from .responses import CORS, REPLAYABLE, cache_control
from .sparql import OUTCOME, ProtocolError, dataset_of, representation
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
_PARAMETERS = {"query", "default-graph-uri", "named-graph-uri", "format"}
NOT_KEPT_IN_FRONT = ("X-Accel-Expires", "0")  # nginx's own header (it hides it from clients)

StartResponse = Callable[..., object]


@dataclasses.dataclass(frozen=True, slots=True)  # slots: one object for the collector
class Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    record: dict  # the request-log line of the first answer, for the replays' lines


@dataclasses.dataclass(frozen=True, slots=True)  # slots: one object for the collector
class _Request:
    query: str
    dataset: Dataset | None
    format_name: str | None


def _plain_request(query_string: str) -> _Request | None:
    """The parameters of a plain SPARQL GET, or None for anything the Flask view should judge."""
    if not query_string.isascii():
        return None
    try:
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    if (
        not found.keys() <= _PARAMETERS
        or len(found.get("query", ())) != 1
        or len(found.get("format", ())) > 1
    ):
        return None
    try:
        dataset = dataset_of(found.get("default-graph-uri", []), found.get("named-graph-uri", []))
    except ProtocolError:
        return None
    return _Request(found["query"][0], dataset, (found.get("format") or [None])[0])


def _not_kept_in_front(start_response: StartResponse) -> StartResponse:
    """``start_response``, adding the header that tells nginx not to keep the answer: it is from a
    version that is no longer the newest, or from an external server (docs/deploy/nginx.conf keeps
    answers under the newest version's name). Browsers ignore it: their Cache-Control is unchanged."""

    def start(status: str, headers: list[tuple[str, str]], *exc_info: object) -> object:
        return start_response(status, [*headers, NOT_KEPT_IN_FRONT], *exc_info)

    return start


class Front:
    """WSGI middleware in front of the Flask application: answers plain SPARQL GETs itself, keeps the
    whole successful answers of those and of the views marked ``replayable``, and sends them again for
    the same request on the same store version."""

    def __init__(self, app: Flask, clients: ClientTable) -> None:
        self.app, self.inner, self.clients = app, app.wsgi_app, clients
        self.settings = app.config["MAPPA_SETTINGS"]
        # Bodies only (the store keeps its own answers too): 32 MB a process, least recently used out.
        self.kept: AnswerCache[Answer] = AnswerCache(max_bytes=32 * 1024 * 1024)
        self._version = ""

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.inner(environ, start_response)
        store = self.app.extensions["mappa_store"]
        environ[CHOSEN_STORE] = store  # the Flask view, if it answers, reads this very version
        if not store.is_newest():
            start_response = _not_kept_in_front(start_response)
        if any(name in environ for name in _CONDITIONAL):
            return self.inner(environ, start_response)
        version = getattr(store, "version", "")  # "" for an external server, or a store out of service
        if version and version != self._version:  # a new version: nothing kept for the old one is sent
            self.kept.clear()
            self._version = version
        environ[operations.STARTED] = time.perf_counter()
        if environ.get("PATH_INFO") == PATH and environ.get("QUERY_STRING"):
            return self._sparql(environ, start_response, store, version)
        # A replayable view reads only what the process read from the store once (the glossary): over an
        # external server, or while the embedded store is out of service, that stays as it is.
        return self._view(environ, start_response, version or "unversioned")

    def _sparql(
        self, environ: dict, start_response: StartResponse, store: Store, version: str
    ) -> Iterable[bytes]:
        """A SPARQL GET: sent again, answered here, or passed on to the Flask view."""
        key = (environ["QUERY_STRING"], environ.get("HTTP_ACCEPT", ""), version)
        found = self.kept.get(key) if version else None
        client = environ.get("REMOTE_ADDR") or "unknown"
        if found is None:
            found = self._answer(environ, store, client)
            if found is None:
                return self.inner(environ, start_response)
            if version:
                self.kept.put(key, found)
            operations.account_request(found.record, time.perf_counter() - environ[operations.STARTED])
        else:
            refusal = self.clients.spend(client)
            if refusal is not None:  # refused: the view answers 429, with this verdict
                environ[VERDICT] = refusal
                return self.inner(environ, start_response)
            return self._replay(found, environ, start_response)
        start_response(found.status, list(found.headers))
        return [found.body]

    def _view(self, environ: dict, start_response: StartResponse, version: str) -> Iterable[bytes]:
        """Any other GET: sent again if a replayable view answered it on this version, else passed on
        to Flask, and its answer kept if the view is replayable."""
        # Everything a replayable answer depends on (links in it name the scheme and host).
        key = (
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            version,
        )
        found = self.kept.get(key)
        if found is not None:
            return self._replay(found, environ, start_response)
        captured: list = []

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: object) -> object:
            captured[:] = [status, headers]
            return start_response(status, headers, *exc_info)

        body = self.inner(environ, capture)
        record = environ.get(operations.RECORD)
        if not (environ.get(REPLAYABLE) and record and captured and captured[0].startswith("200 ")):
            return body
        try:  # a replayable answer is small and whole (never streamed)
            whole = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        self.kept.put(key, Answer(captured[0], tuple(captured[1]), whole, record))
        return [whole]

    def _replay(self, found: Answer, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        seconds = time.perf_counter() - environ[operations.STARTED]
        operations.account_replay(found.record, seconds, environ.get("REMOTE_ADDR") or "unknown")
        start_response(found.status, list(found.headers))
        return [found.body]

    def _answer(self, environ: dict, store: Store, client: str) -> Answer | None:
        """The answer to a plain SPARQL GET, or None for the Flask view to give (and say what was wrong)."""
        asked = _plain_request(environ["QUERY_STRING"])
        if asked is None:
            return None
        try:
            choice = representation(
                asked.query, environ.get("HTTP_ACCEPT"), asked.format_name, self.settings.service_allow
            )
        except (QueryRefused, NotAcceptable):
            return None
        refusal = self.clients.admit(client)
        if refusal is not None:
            environ[VERDICT] = refusal
            return None
        try:
            result = store.run(asked.query, choice.format_name, asked.dataset)
        except Exception as failure:  # the view says why (400, 502, 503), without running it again
            environ[OUTCOME] = failure
            environ[VERDICT] = UNCOUNTED  # admitted and counted here already
            return None
        finally:
            self.clients.finished(client)
        headers = [
            ("Content-Type", get_content_type(choice.media_type, "utf-8")),
            ("Content-Length", str(len(result.body))),
            ("Vary", "Accept"),
        ]
        if result.truncated:  # cut at the size limit: say so, never silently
            headers.append(("MAPPA-Results-Truncated", f"true; limit={self.settings.max_rows}"))
        headers += [
            *CORS,
            ("Cache-Control", cache_control(self.settings.cache_seconds)),
            ("ETag", quote_etag(generate_etag(result.body))),
        ]
        record = operations.new_record(
            "GET", PATH, 200, len(result.body), client, asked.query, result.rows, result.truncated
        )
        return Answer("200 OK", tuple(headers), result.body, record)
