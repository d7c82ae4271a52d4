"""Production serving: gunicorn, several service processes, each with its own threads and query workers.

The service keeps no state between requests (the store is read-only and every answer cache is local),
so processes scale it across cores the way a load balancer scales it across machines. Each process
builds its own application after the fork: its query workers and store handles are its own. The one
thing they share is the fair-use count, made in shared memory before the fork.
"""

from __future__ import annotations

import os

from flask import Flask
from gunicorn.app.base import BaseApplication

from ..config import Settings
from .fair_use import ClientTable


class _Application(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, object]) -> None:
        self.settings, self.options = settings, options
        # Made here, in the master before it forks the service processes: one fair-use count for all.
        self.clients = ClientTable.for_settings(settings)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from . import create_app

        return create_app(self.settings, clients=self.clients)


def _forget_metrics_of(_server: object, worker: object) -> None:
    """A service process ended: its live gauges no longer count (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def _leave_cleanly(_server: object, worker: object) -> None:
    """A service process is stopping: stop its query workers and let go of the store, then end at once.

    Left to the interpreter's own shutdown, RocksDB's destructors race the watcher's threads and the
    process dies of SIGSEGV (every time, on this machine). Nothing is left to finish by then: requests
    are done, logs are written unbuffered, and metrics live in files.
    """
    if not getattr(worker, "booted", False):  # failed to boot: let gunicorn see its exit code and halt
        return
    app = getattr(worker, "wsgi", None)
    store = app.extensions.get("mappa_store") if isinstance(app, Flask) else None
    try:
        if store is not None:
            store.close()
    finally:  # whatever closing met, never fall through to the interpreter's own shutdown
        os._exit(0)


def serve(settings: Settings, host: str, port: int, processes: int, threads: int) -> None:
    """Serve until stopped (SIGINT or SIGTERM); ``processes`` service processes of ``threads`` threads."""
    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": processes,
        "worker_class": "gthread",
        "threads": threads,
        # A process that misses heartbeats for this long is replaced; queries have their own limit.
        "timeout": int(settings.query_timeout) + 30,
        "graceful_timeout": int(settings.query_timeout) + 5,
        # Long GET queries are normal for SPARQL; past 8 KB the client gets 414 and should POST.
        "limit_request_line": 8190,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "mappa-kb",
        "child_exit": _forget_metrics_of,
        "worker_exit": _leave_cleanly,
    }
    _Application(settings, options).run()
