"""What an operations team watches: one structured log line per request, and ``/metrics``.

The log line is JSON on stderr: time, method, route (the URL rule, so that paths with IDs group),
status, duration, bytes, client address, and for SPARQL a short hash of the query text (the text itself
may be long or private) and whether the answer was cut at the row limit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import threading
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from .. import metrics

blueprint = Blueprint("operations", __name__)
LOG = logging.getLogger("mappa_kb.requests")
FACTS_AFTER_SECONDS = 5.0
STARTED = "mappa.started"  # in the WSGI environ: when the front (front.py) began the request
RECORD = "mappa.record"  # in the WSGI environ: the request's log line, for the front to log replays with


@blueprint.get("/metrics")
def exposition() -> Response:
    response = Response(metrics.exposition(), mimetype="text/plain")
    response.headers["Content-Type"] = metrics.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


def _route() -> str:
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def install(app: Flask) -> None:
    """Time every request, count it, and log it as one line."""
    if not LOG.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)
        LOG.propagate = False

    @app.before_request
    def start_clock() -> None:
        # A request the front passed on after running its query: its time counts from the front's start.
        g.mappa_started = request.environ.get(STARTED) or time.perf_counter()

    @app.after_request
    def account(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("mappa_started", time.perf_counter())
        record = new_record(
            request.method,
            _route(),
            response.status_code,
            response.calculate_content_length(),
            request.remote_addr,
            g.get("mappa_query"),
            g.get("mappa_rows"),
            response.headers.get("MAPPA-Results-Truncated", "").startswith("true"),
        )
        account_request(record, seconds)
        request.environ[RECORD] = record
        return response

    _record_store_facts(app)


# Any other token a client sends as its method is logged and counted as "_OTHER" (as OpenTelemetry's
# conventions have it): it keeps the metrics' labels few and every log line short.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


def new_record(
    method: str,
    route: str,
    status: int,
    size: int | None,
    client: str | None,
    query: str | None,
    rows: int | None,
    truncated: bool,
) -> dict:
    """The fields of a request's log line (all but the time it took)."""
    return {
        "method": method if method in _METHODS else "_OTHER",
        "route": route,
        "status": status,
        "bytes": size,
        "client": client,
        "query": hashlib.sha256(query.encode()).hexdigest()[:12] if query else None,
        "rows": rows,
        "truncated": truncated or None,
    }


def account_replay(record: dict, seconds: float, client: str) -> None:
    """Count and log an answer sent again by the replay (see front.py), in front of the application."""
    metrics.CACHE_HITS.inc()
    account_request({**record, "client": client, "replayed": True}, seconds)


def account_request(record: dict, seconds: float) -> None:
    """Count a request in the metrics and write its log line."""
    _requests_counter(record["route"], record["method"], record["status"]).inc()
    _latency_histogram(record["route"]).observe(seconds)
    if LOG.isEnabledFor(logging.INFO):
        _write_line({"time": _now(), **record, "ms": round(seconds * 1000, 2)})


# The metric children, the time and the line are made as cheaply as they can be: a replayed answer
# costs tens of microseconds, and labels(), strftime() and logging's machinery were most of them.
@functools.lru_cache(maxsize=1024)
def _requests_counter(route: str, method: str, status: int) -> Any:
    return metrics.REQUESTS.labels(route, method, str(status))


@functools.lru_cache(maxsize=256)
def _latency_histogram(route: str) -> Any:
    return metrics.LATENCY.labels(route)


_second_and_text = (0, "")


def _now() -> str:
    """The time to the second, in UTC, formatted once a second."""
    global _second_and_text
    second = int(time.time())
    if second != _second_and_text[0]:
        _second_and_text = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return _second_and_text[1]


_encode = json.JSONEncoder(separators=(",", ":")).encode


def _write_line(fields: dict) -> None:
    """Write a request's line to stderr with one system call, not through ``logging``: its record,
    handler lock and flush cost a replay more than the rest of its work (threads queued on the lock).
    A line is far shorter than PIPE_BUF, so lines of different threads and processes never interleave."""
    line = _encode(fields) + "\n"
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced by an object with no file
        sys.stderr.write(line)
        return
    data = line.encode()
    try:
        while data:
            data = data[os.write(descriptor, data) :]
    except OSError:  # as logging does: a log line that cannot be written never fails the request
        pass


def _record_store_facts(app: Flask) -> None:
    """The store's version and size as gauges; the size is counted a little after start-up, in the
    background (a count takes a moment of CPU, which the first requests should have)."""
    metrics.STORE_VERSION.labels(getattr(app.extensions["mappa_store"], "version", "external")).set(1)

    def read() -> None:
        with app.app_context():
            store = current_app.extensions["mappa_store"]
            try:
                metrics.TRIPLES.set(store.triples())
            except Exception as problem:  # the store may be down; /healthz says so, this gauge waits
                LOG.warning(json.dumps({"warning": f"cannot count the store's triples: {problem}"}))

    later = threading.Timer(FACTS_AFTER_SECONDS, read)
    later.daemon = True
    later.start()
