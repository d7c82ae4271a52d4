"""New figures without a restart. ``mappa-kb build`` points the store's link at a new version; each
service process notices within a second, opens the new version (and reads its glossary) beside the old
one, then swaps it in. A request reads one store from start to end, so requests in flight finish on the
old version, which is closed once they are surely done (after the query time limit)."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g

from .. import metrics
from ..glossary import load_glossary
from ..store import Store

POLL_SECONDS = 1.0
LOG = logging.getLogger("mappa_kb.requests")


def current_store() -> Store:
    """The store this request reads: the same one for all of it, even if a new one arrives meanwhile."""
    if "mappa_store" not in g:
        g.mappa_store = current_app.extensions["mappa_store"]
    return g.mappa_store


def install(app: Flask, open_store: Callable[[], Store], forget: Callable[[], None]) -> None:
    """Watch the embedded store's link; ``forget`` drops every answer kept for the old version."""
    settings = app.config["MAPPA_SETTINGS"]

    def swap_when_rebuilt() -> None:
        serving = os.path.realpath(settings.store_path)
        while True:
            time.sleep(POLL_SECONDS)
            now = os.path.realpath(settings.store_path)
            if now == serving or not os.path.isdir(now):
                continue  # unchanged, or removed: keep serving what is open (healthz says if it fails)
            try:
                fresh = open_store()
                glossary = load_glossary(fresh, settings.base_uri)
            except Exception as problem:  # a broken new version: keep the old one, try again later
                LOG.warning(json.dumps({"warning": f"the new store at {now} cannot be served: {problem}"}))
                time.sleep(5 * POLL_SECONDS)
                continue
            old = app.extensions["mappa_store"]
            app.extensions["mappa_store"] = fresh
            app.extensions["mappa_glossary"] = glossary
            forget()
            serving = now
            metrics.STORE_VERSION.labels(getattr(old, "version", "")).set(0)
            metrics.STORE_VERSION.labels(getattr(fresh, "version", "")).set(1)
            LOG.info(json.dumps({"event": "store swapped", "version": getattr(fresh, "version", None)}))
            threading.Timer(settings.query_timeout + 5, old.close).start()

    threading.Thread(target=swap_when_rebuilt, name="store-watch", daemon=True).start()
