"""The embedded store: an Oxigraph database on disk, opened read-only, queried by worker processes.

The store is built from the shipped Turtle by ``mappa-kb build`` (see ``versions``) beside the old one
and swapped in by renaming, so that a restart does not re-parse Turtle. Each opened version keeps its
own answers (an answer stays right for as long as the version lives), so the cache is keyed by version.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pyoxigraph as ox

from mappa_kb import metrics, uris
from mappa_kb.engine import columnar
from mappa_kb.engine.forker import WorkerForker
from mappa_kb.engine.guard import check_query, counted_variable, explain_syntax_error
from mappa_kb.engine.interface import (
    KB_GRAPH,
    Bindings,
    Dataset,
    Query,
    QuerySyntaxError,
    Result,
    StoreUnavailable,
    WorkerLost,
)
from mappa_kb.engine.loading import published_graphs
from mappa_kb.engine.versions import link_text, recorded_size
from mappa_kb.engine.workers import MAX_BYTES, MEMORY_MB, QueryWorkers, answer, solutions
from mappa_kb.negotiation import GRAPHS, by_name

COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

# A lookup of one subject's values is answered in the service process (a pipe round trip to a worker and
# its second parse cost more than the answer), out of reach of the time limit that stops a worker: safe
# only because its work is bounded. Oxigraph evaluates one triple pattern with a fixed subject lazily, a
# scan of that subject's triples in each graph of the data set, every triple a solution (unless a
# variable is repeated), so the work grows with the rows pulled, the graphs and the text, each bounded:
# 100 rows take 1 ms to read and write (1,000 take 10 ms: more than a worker costs this process);
# no subject of the national cube has over 51 values.
INLINE_ROWS = 100
INLINE_GRAPHS = 8  # graphs of the data set: each is one more scan (1,000 graphs took 6 ms)
INLINE_CHARACTERS = 4000  # a parser in Python reads the text first (10,000 characters took 0.8 ms)


def _one_subject_lookup(query: Query, dataset: Dataset, bindings: Bindings) -> bool:
    """Whether a query is a lookup of one subject's values, within the bounds above: one triple pattern
    with an IRI subject and no variable twice, plain solutions (no aggregate, DISTINCT, GROUP BY, ORDER
    BY or OFFSET), and no bindings."""
    # The pattern read below has no GRAPH clause: only the default graphs are scanned.
    graphs = len(dataset.default_graphs)
    if bindings or graphs > INLINE_GRAPHS or len(query.text) > INLINE_CHARACTERS:
        return False
    # An aggregate, a filter, a function: left for the worker to read (an aggregate's read takes 90 us).
    if "(" in query.text:
        return False
    plan = query.plan()  # (Oxigraph judges the syntax when it answers: an error goes to the workers)
    if plan is None or len(plan.patterns) != 1:
        return False
    pattern = plan.patterns[0]
    variables = [value for kind, value in pattern if kind == "var"]
    return (
        pattern[0][0] == "iri"
        and len(set(variables)) == len(variables)  # `<s> ?x ?x` scans all of <s> for the rows it keeps
        and not (plan.aggregated or plan.distinct or plan.group_by or plan.order_by or plan.offset)
    )


class _HasBody(Protocol):
    body: bytes


Answer = TypeVar("Answer", bound=_HasBody)


def _size_of(key: tuple, answer: _HasBody) -> int:
    """What an entry holds: its body and the texts of its key (a long query with a short answer must
    not fill memory unseen), plus the objects around them."""
    return len(answer.body) + sum(len(part) for part in key if isinstance(part, (str, bytes))) + 256


class AnswerCache(Generic[Answer]):
    """Recent answers (anything with a ``body``), least recently used out first, bounded by the total
    size of their bodies and keys."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_entry: int = 4 * 1024 * 1024) -> None:
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self._entries: OrderedDict[tuple, Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple) -> Answer | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: tuple, answer: Answer) -> None:
        size = _size_of(key, answer)
        if size > self.max_entry:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = answer
            self._size += size
            while self._size > self.max_bytes:
                dropped_key, dropped = self._entries.popitem(last=False)
                self._size -= _size_of(dropped_key, dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


class EmbeddedStore:
    """An Oxigraph database on disk, opened read-only, queried by worker processes under limits."""

    def __init__(
        self,
        path: Path,
        timeout: float = 30.0,
        max_rows: int = 10000,
        workers: int = 4,
        base_uri: str = uris.SOURCE_BASE,
        service_allow: frozenset[str] = frozenset(),
        memory_copy_mb: int = 0,
        forker: WorkerForker | None = None,
        max_bytes: int = MAX_BYTES,
        memory_mb: int = MEMORY_MB,
    ) -> None:
        self.path = path
        # The version the link points at now: this object keeps reading it, whatever the link does next,
        # and knows it is no longer the newest once the link says something else.
        self._link_path = os.fspath(path)
        self._link = link_text(self._link_path)
        self.location = (path.parent / self._link).resolve() if self._link else path.resolve()
        # The version being served (its folder's name: when it was built), for metrics, logs and the
        # keys of kept answers (read on every request: an attribute, not a property).
        self.version = self.location.name
        self.service_allow = service_allow
        self.graph = uris.rebase(KB_GRAPH, base_uri)
        try:
            self._store: ox.Store | None = ox.Store.read_only(str(self.location))
            # What a query that names no graphs is asked over: the knowledge base as its default graph,
            # and each source's figures as published as a named graph (GRAPH ?source { ... }).
            self.dataset = Dataset((self.graph,), tuple(published_graphs(self._store, base_uri)))
        except (OSError, RuntimeError) as error:  # missing, or corrupt (RocksDB says which)
            raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None
        self._workers = QueryWorkers(
            self.location,
            size=workers,
            timeout=timeout,
            max_rows=max_rows,
            memory_copy_mb=memory_copy_mb,
            forker=forker,
            max_bytes=max_bytes,
            memory_mb=memory_mb,
        )
        # The opened store never changes, so an answer stays right for as long as this object lives.
        self._answers: AnswerCache[Result] = AnswerCache()
        self._size = recorded_size(self.location)  # the number of triples: written by the build

    def run(
        self, query: str | Query, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        if isinstance(query, str):
            query = check_query(query, self.service_allow)
        text = query.text
        key = (text, format_name, dataset or self.dataset, bindings)
        cached = self._answers.get(key)
        if cached is not None:
            metrics.CACHE_HITS.inc()
            return cached
        try:
            result = (
                self._size_answer(text, format_name, key[2], bindings)
                or self._inline_answer(query, format_name, key[2], bindings)
                or self._workers.run(query, format_name, key[2], bindings)
            )
        except QuerySyntaxError as error:
            raise explain_syntax_error(text, f"SPARQL syntax error: {error}") from None
        except WorkerLost as error:
            raise StoreUnavailable(str(error)) from None
        metrics.ANSWERED.labels(result.copy).inc()
        self._answers.put(key, result)
        return result

    def _size_answer(
        self, text: str, format_name: str, dataset: Dataset, bindings: Bindings
    ) -> Result | None:
        """The answer to a query that counts every triple of the knowledge base, from the size the
        build recorded (Blazegraph's "fast range count" does the same); None for any other query."""
        name = counted_variable(text)
        if name is None or self._size is None or bindings or dataset.default_graphs != (self.graph,):
            return None
        if not columnar.parses(text):  # Oxigraph's own parser judges the prologue
            return None  # the workers' parse gives the error, with its position
        row = {name: {"type": "literal", "value": str(self._size), "datatype": XSD_INTEGER}}
        return dataclasses.replace(solutions([name], [row], format_name), copy="size")

    def _inline_answer(
        self, query: Query, format_name: str, dataset: Dataset, bindings: Bindings
    ) -> Result | None:
        """The answer to a lookup of one subject's values (see INLINE_ROWS), from the store this process
        holds; None for any other query, or when the workers must answer it."""
        store = self._store  # once: close() may set it to None meanwhile (this reference stays readable)
        if store is None or not _one_subject_lookup(query, dataset, bindings):
            return None
        limit = self._workers.max_rows
        try:
            rows = min(limit, INLINE_ROWS)
            result = answer(store, query.text, format_name, rows, dataset, max_bytes=self._workers.max_bytes)
        except Exception:  # the store's files removed or broken, or anything else: the workers say why
            return None
        if result.truncated and limit > INLINE_ROWS:
            return None  # more rows than are read here: the workers send as many as the limit allows
        return dataclasses.replace(result, copy="inline")

    def ready(self) -> bool:
        store = self._store
        if store is None:
            return False
        try:
            return bool(store.query("ASK { ?s ?p ?o }", default_graph=ox.NamedNode(self.graph)))
        except (OSError, RuntimeError):
            return False

    def triples(self) -> int:
        if self._size is not None:
            return self._size
        store = self._store  # a version built before its size was recorded: counted once, here
        if store is None:
            raise StoreUnavailable(f"the store version {self.version} has been closed")
        try:
            found = store.query(COUNT_TRIPLES, default_graph=ox.NamedNode(self.graph))
            self._size = int(next(iter(found))[0].value)
        except (OSError, RuntimeError) as error:
            raise StoreUnavailable(f"the store could not be read: {error}") from None
        return self._size

    def describe(self) -> str:
        return f"embedded Oxigraph store at {self.path} (version {self.version})"

    def is_newest(self) -> bool:
        # Asked on every GET (one readlink): after a build, until the store watcher has swapped the new
        # version in, answers from this one must not be kept under the new version's name.
        return link_text(self._link_path) == self._link

    def dump(self, format_name: str, target: Path) -> None:
        store = self._store
        if store is None:
            raise StoreUnavailable(f"the store version {self.version} has been closed")
        rdf_format = by_name(GRAPHS, format_name).oxigraph_format
        try:
            store.dump(str(target), format=rdf_format, from_graph=ox.NamedNode(self.graph))
        except (OSError, RuntimeError) as error:
            raise StoreUnavailable(f"the store could not be read: {error}") from None

    def close(self) -> None:
        """Stop the workers and let go of the store's files (and the memory their caches hold)."""
        self._workers.close()
        self._store = None


class UnavailableStore:
    """Stands in for an embedded store that was removed or broken under the running service: every
    read is a 503 that says why, until a good store appears at the link and is swapped in."""

    version = ""

    def __init__(self, reason: str, base_uri: str = uris.SOURCE_BASE) -> None:
        self.reason = reason
        self.graph = uris.rebase(KB_GRAPH, base_uri)
        self.dataset = Dataset((self.graph,))

    def run(
        self, query: str | Query, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        raise StoreUnavailable(self.reason)

    def ready(self) -> bool:
        return False

    def triples(self) -> int:
        raise StoreUnavailable(self.reason)

    def describe(self) -> str:
        return self.reason

    def is_newest(self) -> bool:
        return False

    def dump(self, format_name: str, target: Path) -> None:
        raise StoreUnavailable(self.reason)

    def close(self) -> None:
        pass
