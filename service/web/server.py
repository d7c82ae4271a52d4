"""Production serving: granian, several service processes, each with its own threads and query workers.

The service keeps no state between requests (the store is read-only and every answer cache is local),
so processes scale it across cores the way a load balancer scales it across machines. Each process
builds its own application after the fork: its query workers and store handles are its own. The one
thing they share is the fair-use count, made in shared memory before the fork.

Granian does the HTTP in Rust and hands each request to the application on one of a process's
threads; measured side by side with gunicorn's threaded workers, it halves what the server itself
costs a request (``benchmarks/endpoint.py``). A service process ends through multiprocessing's own
exit (no interpreter shutdown), so RocksDB's destructors never race the store watcher's threads.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable

from flask import Flask
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from mappa_kb.config import Settings
from mappa_kb.engine.forker import WorkerForker
from mappa_kb.web import create_app, heap
from mappa_kb.web.fair_use import ClientTable


def forwarded_client(peer: str, forwarded_for: str, trusted: frozenset[str]) -> str:
    """The client's address as the trusted proxies saw it. Each proxy appends the address it took the
    request from to ``X-Forwarded-For``, so the list is read from the right, hop by hop, for as long as
    the hop that wrote it is trusted; addresses a client wrote itself lie further left and are never
    believed. ``peer`` is the address the request came from; with no trusted proxy it is the client."""
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        if not _is_trusted(client, trusted):
            break
        try:
            client = str(ipaddress.ip_address(hop.strip()))
        except ValueError:  # "unknown", a port, garbage: the last address known is as far as it goes
            break
    return client


def _is_trusted(address: str, trusted: frozenset[str]) -> bool:
    return "*" in trusted or address in trusted


class ForwardedFromProxy:
    """Believe ``X-Forwarded-Proto`` and ``X-Forwarded-For`` from the proxies ``trusted``
    (MAPPA_KB_FORWARDED_ALLOW_IPS; by default this machine's loopback, where the nginx of docs/deploy
    runs): links the service writes behind a TLS proxy say https, and fair use and the request log see
    each client's own address rather than the proxy's. From anyone else both are ignored."""

    def __init__(self, app: Callable[..., Iterable[bytes]], trusted: frozenset[str]) -> None:
        self.app, self.trusted = app, trusted

    def __call__(self, environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        if _is_trusted(peer, self.trusted):
            scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
            if scheme in ("http", "https"):
                environ["wsgi.url_scheme"] = scheme
            forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
            if forwarded_for:
                environ["REMOTE_ADDR"] = forwarded_client(peer, forwarded_for, self.trusted)
        return self.app(environ, start_response)


def _end_before_serving(signum: int, frame: object) -> None:
    os._exit(0)


def _repeat_a_stop_once() -> None:
    """granian can still lose a stop that comes just as a service process starts to serve (its handler
    is set, its server not yet waiting for the stop); so a second later this process sends itself the
    stop again, which a server already stopping takes as it took the first."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)  # one byte for each signal that comes

    def repeat() -> None:
        while not set(os.read(read, 64)) & {signal.SIGINT, signal.SIGTERM}:
            pass
        time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=repeat, name="stop repeat", daemon=True).start()


# The longest request head accepted: long GET queries are normal for SPARQL; past this, POST them.
MAX_REQUEST_HEAD = 16 * 1024


def serve(
    settings: Settings, host: str, port: int, processes: int, threads: int, forker: WorkerForker | None = None
) -> None:
    """Serve until stopped (SIGINT or SIGTERM); ``processes`` service processes of ``threads`` threads,
    whose query workers ``forker`` starts (if given; else each spawns its own)."""
    # Made here, before the service processes are forked: one fair-use count for all of them.
    clients = ClientTable.for_settings(settings)

    def load_application() -> Flask:  # runs in each service process, after the fork
        # Until granian gives this process its own signal handlers (once this returns), a stop reaches
        # the main process's, inherited by the fork, which only note it (in this process's copy of
        # the server) and so lose it: the process would hold the whole stop up until granian killed it.
        # A process not yet serving can simply end, whether the stop came before this line or after.
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, _end_before_serving)
        if server.interrupt_signal:
            os._exit(0)
        _repeat_a_stop_once()
        app = create_app(settings, clients=clients, forker=forker)
        app.config[heap.ENABLED] = True  # a long-lived process: see heap.py
        app.wsgi_app = ForwardedFromProxy(app.wsgi_app, settings.forwarded_allow)  # type: ignore[method-assign]
        return app

    server = Server(
        "mappa_kb.web:create_app",  # a name for the logs; the application comes from load_application
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=processes,
        blocking_threads=threads,
        http1_settings=HTTP1Settings(max_buffer_size=MAX_REQUEST_HEAD),
        log_level=LogLevels.warning,
        # A process that dies (a query worker's crash cannot take it down, but memory can) is replaced.
        respawn_failed_workers=True,
        # At a stop, requests still running get the query time limit to finish.
        workers_kill_timeout=int(settings.query_timeout) + 5,
    )
    server.serve(target_loader=load_application, wrap_loader=False)
