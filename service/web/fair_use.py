"""Fair use of ``/sparql``: a query rate and a number of running queries per client, and a size limit
on every request body.

Per client address and per service process: behind a load balancer with N processes a client gets up
to N times the rate, which bounds the cost without shared state. Glossary lookups, pages and
documents are cheap (answered from memory) and are not limited.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict

from flask import Flask, Response, g, request

from .. import metrics
from .responses import error

LIMITED = {"sparql.sparql"}
FORGET_AFTER = 600.0  # seconds a quiet client's bucket is kept


class RateLimiter:
    """A token bucket per client: ``per_minute`` queries, refilled evenly, at most ``per_minute`` banked."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, when)
        self._lock = threading.Lock()

    def wait_needed(self, client: str, now: float | None = None) -> float:
        """0 and a token taken, or the seconds until the client may send its next query."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - then) * self.refill)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 10_000:
                self._forget(now)
            return (1 - tokens) / self.refill

    def _forget(self, now: float) -> None:
        for client, (_, then) in list(self._buckets.items()):
            if now - then > FORGET_AFTER:
                del self._buckets[client]


def install(app: Flask) -> None:
    settings = app.config["MAPPA_SETTINGS"]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    limiter = RateLimiter(settings.rate_limit) if settings.rate_limit else None
    running: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    @app.errorhandler(413)
    def too_large(_: Exception) -> Response:
        return error(
            413, f"the request is larger than {settings.max_request_bytes:,} bytes; send a shorter query"
        )

    @app.before_request
    def check_fair_use() -> Response | None:
        if request.endpoint not in LIMITED:
            return None
        client = request.remote_addr or "unknown"
        if limiter is not None:
            wait = limiter.wait_needed(client)
            if wait > 0:
                metrics.REFUSED.labels("rate").inc()
                response = error(
                    429, f"too many queries: the limit is {settings.rate_limit} a minute from one address"
                )
                response.headers["Retry-After"] = str(math.ceil(wait))
                return response
        with lock:
            if running[client] >= settings.concurrent_queries:
                metrics.REFUSED.labels("concurrent").inc()
                response = error(
                    429,
                    f"you have {running[client]} queries running, the most one address may; "
                    "send the next when one has finished",
                )
                response.headers["Retry-After"] = "1"
                return response
            running[client] += 1
        g.mappa_running_client = client
        return None

    @app.teardown_request
    def query_finished(_: BaseException | None) -> None:
        client = g.pop("mappa_running_client", None)
        if client is not None:
            with lock:
                running[client] -= 1
                if running[client] <= 0:
                    del running[client]
