"""Prometheus metrics, one set for all service processes.

Under ``mappa-kb serve`` each process counts for itself into files in PROMETHEUS_MULTIPROC_DIR (set
before the processes start) and ``/metrics`` adds them up; run in one process (the
tests' app), the counts are in memory.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

REQUESTS = Counter("mappa_kb_requests_total", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "mappa_kb_request_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUERY_TIMEOUTS = Counter("mappa_kb_query_timeouts_total", "Queries stopped at the time limit")
ANSWERED = Counter(
    "mappa_kb_queries_answered_total",
    "Queries answered by the store, by what answered: a worker's memory, disk or columnar copy, the size "
    "record, or the service process itself (inline: a lookup of one subject's values)",
    ["copy"],
)
CACHE_HITS = Counter(
    "mappa_kb_answer_cache_hits_total", "Answers sent again from those kept (SPARQL and glossary lookups)"
)
REFUSED = Counter("mappa_kb_fair_use_refusals_total", "Requests refused by the fair-use limits", ["reason"])
TRIPLES = Gauge("mappa_kb_store_triples", "Triples in the knowledge base", multiprocess_mode="max")
STORE_VERSION = Gauge(
    "mappa_kb_store_version_info",
    "The store being served (1 for its version)",
    ["version"],
    multiprocess_mode="max",
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _StartedProcessesCollector(multiprocess.MultiProcessCollector):
    """The counts of every process whose file is started. A process starting as /metrics reads has
    created its file but not yet sized it: prometheus_client would fail on that empty file (a 500,
    seen when a query worker started under a scrape); it holds no counts yet, so it is left out."""

    def collect(self) -> Iterable[Metric]:
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(path) > 0:
                    files.append(path)
            except OSError:  # removed meanwhile (a process marked dead)
                continue
        return self.merge(files, accumulate=True)


def exposition() -> bytes:
    """The metrics in Prometheus text format, summed over every service process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _StartedProcessesCollector(registry)
        return generate_latest(registry)
    return generate_latest()
