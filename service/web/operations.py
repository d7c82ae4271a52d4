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
import sys
import threading
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from mappa_kb import metrics

blueprint = Blueprint("operations", __name__)
LOG = logging.getLogger("mappa_kb.requests")
FACTS_AFTER_SECONDS = 5.0


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
        g.mappa_started = time.perf_counter()

    @app.after_request
    def account(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("mappa_started", time.perf_counter())
        route = _route()
        method = request.method if request.method in _METHODS else "_OTHER"
        _requests_counter(route, method, response.status_code).inc()
        _latency_histogram(route).observe(seconds)
        if LOG.isEnabledFor(logging.INFO):
            query = g.get("mappa_query")
            record = {
                "time": _now(),
                "method": method,
                "route": route,
                "status": response.status_code,
                "bytes": response.calculate_content_length(),
                "client": request.remote_addr,
                "query": hashlib.sha256(query.encode()).hexdigest()[:12] if query else None,
                "rows": g.get("mappa_rows"),
                "truncated": response.headers.get("MAPPA-Results-Truncated", "").startswith("true") or None,
                "ms": round(seconds * 1000, 2),
            }
            LOG.info(_encode(record))
        return response

    _record_store_facts(app)


# Any other token a client sends as its method is logged and counted as "_OTHER" (as OpenTelemetry's
# conventions have it): it keeps the metrics' labels few and every log line short.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


# The metric children and the time are made once, not for every request.
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
