"""What an operations team watches: one structured log line per request, and ``/metrics``.

The log line is JSON on stderr: time, method, route (the URL rule, so that paths with IDs group),
status, duration, bytes, client address, and for SPARQL a short hash of the query text (the text itself
may be long or private) and whether the answer was cut at the row limit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time

from flask import Blueprint, Flask, Response, current_app, g, request

from .. import metrics

blueprint = Blueprint("operations", __name__)
LOG = logging.getLogger("mappa_kb.requests")
RECORD = "mappa.record"  # in the WSGI environ: the request's log line, once written


@blueprint.get("/metrics")
def exposition() -> Response:
    response = Response(metrics.exposition(), mimetype="text/plain")
    response.headers["Content-Type"] = metrics.CONTENT_TYPE
    response.headers["Cache-Control"] = "no-store"
    return response


def _route() -> str:
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def _query_hash() -> str | None:
    text = g.get("mappa_query")  # set by the SPARQL view once it has read the query
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else None


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
        record = {
            "method": request.method,
            "route": _route(),
            "status": response.status_code,
            "bytes": response.calculate_content_length(),
            "client": request.remote_addr,
            "query": _query_hash(),
            "rows": g.get("mappa_rows"),
            "truncated": response.headers.get("MAPPA-Results-Truncated", "").startswith("true") or None,
        }
        request.environ[RECORD] = record  # the replay of this answer logs its own line from it
        _account(record, seconds)
        return response

    _record_store_facts(app)


def account_replay(record: dict, seconds: float, client: str) -> None:
    """Count and log an answer sent again by the replay (see replay.py), in front of the application."""
    metrics.CACHE_HITS.inc()
    _account({**record, "client": client, "replayed": True}, seconds)


def _account(record: dict, seconds: float) -> None:
    metrics.REQUESTS.labels(record["route"], record["method"], str(record["status"])).inc()
    metrics.LATENCY.labels(record["route"]).observe(seconds)
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    LOG.info(json.dumps({"time": when, **record, "ms": round(seconds * 1000, 2)}, separators=(",", ":")))


def _record_store_facts(app: Flask) -> None:
    """The store's version and size as gauges, read in the background (a count takes a moment)."""

    def read() -> None:
        with app.app_context():
            store = current_app.extensions["mappa_store"]
            metrics.STORE_VERSION.labels(getattr(store, "version", "external")).set(1)
            try:
                counted = store.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json")
                metrics.TRIPLES.set(int(json.loads(counted.body)["results"]["bindings"][0]["n"]["value"]))
            except Exception as problem:  # the store may be down; /healthz says so, this gauge waits
                LOG.warning(json.dumps({"warning": f"cannot count the store's triples: {problem}"}))

    threading.Thread(target=read, name="store-facts", daemon=True).start()
