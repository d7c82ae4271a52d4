"""Keep the cyclic garbage collector's full passes short in a serving process.

A full pass visits every object the collector tracks. A service process holds tens of thousands of
long-lived ones (the application, the glossary, the imported modules), and its answer caches add more
as they fill; measured under load at national scale, full passes took 60-190 ms, and every request
waiting on that process waited with them (a p99 of 20-120 ms for lookups and counts whose p50 is
under 1 ms; 3.5-12 ms once frozen).
Once the process has read its store and glossary, everything alive is moved out of the collector's
reach (``gc.freeze``); after a store swap, once the old version is closed, that is undone, the old
version's garbage collected, and the survivors frozen again, so that nothing of an old version is kept.
"""

from __future__ import annotations

import gc
import threading

from flask import Flask

ENABLED = "MAPPA_SETTLE_HEAP"  # in app.config: set by ``mappa-kb serve`` for its service processes
_SETTLING = threading.Lock()


def settle(app: Flask) -> None:
    """Collect, then freeze what survives (if this process settles its heap at all)."""
    if not app.config.get(ENABLED):
        return
    with _SETTLING:
        gc.unfreeze()  # what an earlier pass froze goes back: garbage among it is collected now
        gc.collect()
        gc.freeze()
