"""Fair use of ``/sparql``: a query rate and a number of running queries per client, and a size limit
on every request body.

The counts are shared by every service process: ``mappa-kb serve`` makes the table in shared memory
before the server forks its processes, so a client gets the configured rate whichever process answers.
(One machine's processes; several machines behind a balancer each count for themselves: limit there at
the proxy.) Glossary lookups, pages and documents are cheap (answered from memory) and are not limited.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import math
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask, Response, g, request

from mappa_kb import metrics
from mappa_kb.config import Settings
from mappa_kb.web.responses import error

LIMITED = {"sparql.sparql"}
FORGET_AFTER = 600.0  # seconds a quiet client's entry may be given to another client
_PROBES = 64  # table slots looked at for one client (open addressing)


@dataclass(frozen=True)
class Refusal:
    reason: str  # "rate" or "concurrent"
    retry_after: float
    running: int = 0


UNCOUNTED = Refusal("", 0.0)  # let in without being counted (the table could not count it)


class ClientTable:
    """Per client: a token bucket of ``per_minute`` queries (refilled evenly, at most ``per_minute``
    banked; 0: no rate limit) and the number of queries running, in shared memory with one lock.

    Made before the service processes fork, it is one table for all of them; made after, it is the
    process's own. Clients are hashed to 64 bits; an entry quiet for ``FORGET_AFTER`` seconds with no
    query running is given to the next new client that needs a place.
    """

    def __init__(
        self, per_minute: int, concurrent: int, slots: int = 16384, stale_after: float = 120.0
    ) -> None:
        self.capacity, self.refill, self.concurrent = float(per_minute), per_minute / 60.0, concurrent
        # A process that dies mid-query never says its queries finished: counts older than this
        # (longer than any query can wait and run) are dropped, so an address is never shut out.
        self.stale_after = stale_after
        context = multiprocessing.get_context("fork")  # the arrays and the lock are inherited by fork
        self._keys = context.RawArray(ctypes.c_uint64, slots)
        self._tokens = context.RawArray(ctypes.c_double, slots)
        self._when = context.RawArray(ctypes.c_double, slots)
        self._running = context.RawArray(ctypes.c_int32, slots)
        self._admitted = context.RawArray(ctypes.c_double, slots)  # when a query was last let in
        self._lock = context.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> ClientTable:
        """The table a deployment's limits ask for. A running count is surely stale after a query has
        waited a time limit for a worker, run one, and had a minute more to be written out."""
        stale = 2 * settings.query_timeout + 60
        return cls(settings.rate_limit, settings.concurrent_queries, stale_after=stale)

    def admit(self, client: str, now: float | None = None) -> Refusal | None:
        """None, with a token taken and one more query running (call ``finished`` after it); UNCOUNTED
        (let in, nothing to finish); or why the client must wait."""
        now = time.monotonic() if now is None else now  # one clock for every process on the machine
        with self._locked() as held:
            return self._admit(_key(client), now) if held else UNCOUNTED

    @contextlib.contextmanager
    def _locked(self) -> Iterator[bool]:
        """The table's lock, and whether it was had: a process killed while holding it must not stop
        every other, so after a second's wait the caller goes on without counting."""
        held = self._lock.acquire(timeout=1.0)
        try:
            yield held
        finally:
            if held:
                self._lock.release()

    def _admit(self, key: int, now: float) -> Refusal | None:
        slot = self._slot(key, now)
        if slot is None:  # the table is full of busy clients: do not refuse anyone for that
            return UNCOUNTED
        if self._running[slot] and now - self._admitted[slot] > self.stale_after:
            self._running[slot] = 0  # counts left by a process that died mid-query
        if self._running[slot] >= self.concurrent:
            return Refusal("concurrent", 1.0, self._running[slot])
        refusal = self._take_token(slot, now)
        if refusal is None:
            self._running[slot] += 1
            self._admitted[slot] = now
        return refusal

    def _take_token(self, slot: int, now: float) -> Refusal | None:
        if not self.capacity:
            return None
        tokens = min(self.capacity, self._tokens[slot] + (now - self._when[slot]) * self.refill)
        self._when[slot] = now
        if tokens < 1:
            self._tokens[slot] = tokens
            return Refusal("rate", (1 - tokens) / self.refill)
        self._tokens[slot] = tokens - 1
        return None

    def finished(self, client: str) -> None:
        with self._locked() as held:
            slot = self._slot(_key(client), time.monotonic(), claim=False) if held else None
            if slot is not None and self._running[slot] > 0:
                self._running[slot] -= 1

    def _slot(self, key: int, now: float, claim: bool = True) -> int | None:
        """The client's slot; a new one (the first empty, else a forgotten one) if it has none."""
        slots = len(self._keys)
        forgotten = None
        for probe in range(_PROBES):
            slot = (key + probe) % slots
            if self._keys[slot] == key:
                return slot
            if self._keys[slot] == 0:  # keys are never cleared, so the client is not further on
                return self._claim(slot, key, now) if claim else None
            quiet = self._running[slot] == 0 and now - self._when[slot] > FORGET_AFTER
            if forgotten is None and quiet:
                forgotten = slot
        return self._claim(forgotten, key, now) if claim and forgotten is not None else None

    def _claim(self, slot: int, key: int, now: float) -> int:
        self._keys[slot], self._tokens[slot] = key, self.capacity
        self._when[slot], self._running[slot] = now, 0
        return slot


@functools.lru_cache(maxsize=4096)  # the same few addresses ask again and again
def _key(client: str) -> int:
    return int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "big") or 1


def install(app: Flask, table: ClientTable | None = None) -> None:
    """Limit ``/sparql`` by ``table`` (shared by the service processes), or by this process's own."""
    settings = app.config["MAPPA_SETTINGS"]
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    table = table or ClientTable.for_settings(settings)
    app.extensions["mappa_clients"] = table

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
        refusal = table.admit(client)
        if refusal is None:
            g.mappa_running_client = client
            return None
        if refusal is UNCOUNTED:
            return None
        metrics.REFUSED.labels(refusal.reason).inc()
        if refusal.reason == "rate":
            message = f"too many queries: the limit is {settings.rate_limit} a minute from one address"
        else:
            message = (
                f"you have {refusal.running} queries running, the most one address may; "
                "send the next when one has finished"
            )
        response = error(429, message)
        response.headers["Retry-After"] = str(max(1, math.ceil(refusal.retry_after)))
        return response

    @app.teardown_request
    def query_finished(_: BaseException | None) -> None:
        client = g.pop("mappa_running_client", None)
        if client is not None:
            table.finished(client)
