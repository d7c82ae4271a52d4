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
from collections.abc import Callable, Iterable

from flask import Flask
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from ..config import Settings
from . import create_app, heap
from .fair_use import ClientTable


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


# The longest request head accepted: long GET queries are normal for SPARQL; past this, POST them.
MAX_REQUEST_HEAD = 16 * 1024


def serve(settings: Settings, host: str, port: int, processes: int, threads: int) -> None:
    """Serve until stopped (SIGINT or SIGTERM); ``processes`` service processes of ``threads`` threads."""
    # Made here, before the service processes are forked: one fair-use count for all of them.
    clients = ClientTable.for_settings(settings)

    def load_application() -> Flask:  # runs in each service process, after the fork
        app = create_app(settings, clients=clients)
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
