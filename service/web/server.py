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

from collections.abc import Callable, Iterable

from flask import Flask
from granian.constants import Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server import Server

from ..config import Settings
from . import create_app, heap
from .fair_use import ClientTable


class ForwardedScheme:
    """Trust ``X-Forwarded-Proto`` from the proxies ``allowed`` (MAPPA_KB_FORWARDED_ALLOW_IPS; by default
    this machine's loopback, where the nginx of docs/deploy runs), so that links the service writes
    behind a TLS proxy say https; from anyone else the header is ignored."""

    def __init__(self, app: Callable[..., Iterable[bytes]], allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    def __call__(self, environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
        trusted = "*" in self.allowed or environ.get("REMOTE_ADDR") in self.allowed
        if scheme in ("http", "https") and trusted:
            environ["wsgi.url_scheme"] = scheme
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
        app.wsgi_app = ForwardedScheme(app.wsgi_app, settings.forwarded_allow)  # type: ignore[method-assign]
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
