"""New figures without a restart, and a store broken underneath survived.

``mappa-kb build`` points the store's link at a new version; each service process notices within a
second, opens the new version (and reads its glossary) beside the old one, then swaps it in. A request
reads one store from start to end, so requests in flight finish on the old version, which is closed
once they are surely done (twice the query time limit later).

The version being served is checked too: if its folder is removed, or it no longer opens (corrupt),
the process puts an ``UnavailableStore`` in its place, so that every read is a 503 saying why and
``/healthz/ready`` fails, and it swaps a good store in as soon as one appears at the link.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app, g

from mappa_kb import metrics
from mappa_kb.engine.embedded import UnavailableStore
from mappa_kb.engine.interface import Store, StoreUnavailable
from mappa_kb.engine.versions import check_store
from mappa_kb.knowledge.glossary import load_glossary
from mappa_kb.web import heap

POLL_SECONDS = 1.0
CHECK_EVERY = 5  # polls between full checks (opening the served version afresh) of the served version
LOG = logging.getLogger("mappa_kb.requests")


def current_store() -> Store:
    """The store this request reads: the same one for all of it, even if a new one arrives meanwhile."""
    if "mappa_store" not in g:
        g.mappa_store = current_app.extensions["mappa_store"]
    return g.mappa_store


def open_or_stand_in(open_store: Callable[[], Store], base_uri: str) -> Store:
    """The store, or (if it cannot be opened) a stand-in that answers 503 until a good one appears."""
    try:
        return open_store()
    except StoreUnavailable as problem:
        LOG.error(json.dumps({"error": f"{problem}; answering 503 until a good store is built"}))
        return UnavailableStore(f"{problem}; a new store is being waited for", base_uri)


def _broken(path: str) -> str | None:
    """Why the store version at ``path`` does not open and answer, or None if it does."""
    try:
        check_store(Path(path))
    except StoreUnavailable as problem:
        return str(problem)
    return None


def install(app: Flask, open_store: Callable[[], Store]) -> None:
    """Watch the embedded store's link and swap each new version in. (The answers a version keeps go
    with it: the answer cache belongs to the opened version.)"""
    settings = app.config["MAPPA_SETTINGS"]

    def swap(fresh: Store, glossary: object) -> None:
        old = app.extensions["mappa_store"]
        # The glossary first: a request that reads the new store (and keeps its answer under the new
        # version) must never read the old glossary.
        if glossary is not None:
            app.extensions["mappa_glossary"] = glossary
        app.extensions["mappa_store"] = fresh
        metrics.STORE_VERSION.labels(getattr(old, "version", "")).set(0)
        metrics.STORE_VERSION.labels(getattr(fresh, "version", "")).set(1)
        # A request may wait a time limit for a worker, then run one: only then is the old one surely idle.
        threading.Timer(2 * settings.query_timeout + 5, retire, args=(old,)).start()

    def retire(old: Store) -> None:
        old.close()
        heap.settle(app)  # what was kept for the old version is collected, the new frozen

    def served_problem(serving: str, polls: int) -> str | None:
        """Why the version being served can no longer be served, or None if it is fine."""
        if not os.path.isdir(serving):
            return f"the store being served ({serving}) has been removed"
        problem = _broken(serving) if polls % CHECK_EVERY == 0 else None
        return f"the store being served is broken: {problem}" if problem else None

    def try_to_serve(now: str) -> bool:
        """Open the version at ``now`` and swap it in; False (and the old one kept) if it is broken."""
        fresh = None
        try:
            fresh = open_store()
            glossary = load_glossary(fresh, settings.base_uri)
        except Exception as problem:  # a broken new version: keep what is served, try later
            if fresh is not None:
                fresh.close()
            LOG.warning(json.dumps({"warning": f"the store at {now} cannot be served: {problem}"}))
            return False
        swap(fresh, glossary)
        LOG.info(json.dumps({"event": "store swapped", "version": getattr(fresh, "version", None)}))
        return True

    def watch() -> None:
        serving = os.path.realpath(settings.store_path)
        broken = isinstance(app.extensions["mappa_store"], UnavailableStore)
        for polls in range(1, 2**62):
            time.sleep(POLL_SECONDS)
            try:
                serving, broken = look(serving, broken, polls)
            except Exception as problem:  # never stop watching: the next poll tries again
                LOG.error(json.dumps({"error": f"watching the store failed: {problem!r}"}))

    def look(serving: str, broken: bool, polls: int) -> tuple[str, bool]:
        """One poll: swap in a new (or mended) version, or stand in for a broken one."""
        now = os.path.realpath(settings.store_path)
        # A new version, or the broken one mended in place (checked first: opening costs workers).
        if os.path.isdir(now) and (now != serving or (broken and not _broken(now))):
            if try_to_serve(now):
                return now, False
            time.sleep(5 * POLL_SECONDS)
        problem = None if broken else served_problem(serving, polls)
        if problem:
            LOG.error(json.dumps({"error": f"{problem}; answering 503 until a good store is built"}))
            swap(UnavailableStore(f"{problem}; a new store is being waited for", settings.base_uri), None)
            return serving, True
        return serving, broken

    threading.Thread(target=watch, name="store-watch", daemon=True).start()
