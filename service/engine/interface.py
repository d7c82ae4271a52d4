"""What the service asks of a store, and what a store answers: the interface every engine implements.

A store answers read-only SPARQL queries within its limits (``Store.run``) and says whether it is
ready; it never shows how it stores the data. The embedded store (``embedded``) and the remote store
(``remote``) implement it; the errors and the answer types here are the only ones the web layer sees.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol

from mappa_kb import uris
from mappa_kb.engine import columnar

KB_GRAPH = uris.KB_GRAPH


class QueryStopped(RuntimeError):
    """The query went past one of its limits while it ran, and was stopped (503: the service's limits)."""


class QueryTimeout(QueryStopped):
    """The query ran past the time limit (waiting for a worker included) and was stopped."""


class QueryOverMemory(QueryStopped):
    """The query needed more memory than one query may have, and was stopped."""


class QueryFailed(RuntimeError):
    """The store could not evaluate the query; the message says why."""


class WorkerLost(RuntimeError):
    """The worker died, or could not read the store: the service's failure, not the query's."""


class QuerySyntaxError(QueryFailed):
    """The store could not parse the query; the message gives the position."""


@dataclasses.dataclass(frozen=True, slots=True)  # slots: one object for the collector
class Result:
    body: bytes
    truncated: bool
    copy: str = "disk"  # what answered: "disk", "memory", "columnar", "size" or "inline"
    rows: int | None = None  # solutions (or triples) sent; None for ASK
    cut_by_bytes: bool = False  # truncated at the size limit in bytes, not at the row limit


@dataclasses.dataclass(frozen=True, slots=True)  # slots: one object for the collector
class Dataset:
    """The RDF data set of one query: graph IRIs for its default graph and its named graphs.

    The IRIs only name graphs of the store; a graph the store does not hold is empty, never fetched.
    """

    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...] = ()


Bindings = tuple[tuple[str, str], ...]  # (variable name, IRI) pairs: hashable, so answers can be cached


@dataclasses.dataclass(eq=False, slots=True)
class Query:
    """A query the guard let through, with what it learnt of it: its form (SELECT, ASK, CONSTRUCT,
    DESCRIBE) and, read at most once by whichever process needs it first (the service for a lookup it
    answers itself, else the worker), what the columnar reader makes of it."""

    text: str
    form: str
    _read: bool = False
    _plan: columnar.Plan | None = None

    def plan(self) -> columnar.Plan | None:
        """The basic graph pattern and modifiers of the text, or None if it is not of the subset the
        columnar reader reads."""
        if not self._read:
            self._plan, self._read = columnar.read(self.text), True
        return self._plan


class QueryRefused(ValueError):
    """A query that is malformed, is an update, or would make the store fetch another URL."""


class StoreUnavailable(RuntimeError):
    """The store cannot answer (missing, corrupt, or unreachable): 503, not the client's fault."""

    status = 503


class RemoteUnavailable(StoreUnavailable):
    """The external SPARQL server refused the connection or failed: 502, a bad gateway."""

    status = 502


class Store(Protocol):
    """What the service needs of a store: answers within its limits, and whether it is ready."""

    def run(
        self, query: str | Query, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        """Answer a read-only query (text, checked by the guard here, or a Query the guard let through);
        ``bindings`` are (variable, IRI) pairs given before evaluation."""
        ...

    @property
    def graph(self) -> str: ...

    @property
    def dataset(self) -> Dataset:
        """What a query that names no graphs is asked over: the knowledge base as the default graph,
        and the graphs of the sources' figures as published as the named graphs."""
        ...

    def ready(self) -> bool: ...

    def triples(self) -> int:
        """How many triples the knowledge base holds."""
        ...

    def describe(self) -> str: ...

    def is_newest(self) -> bool:
        """Whether this is the newest built version of the data, so that a cache in front may keep an
        answer from it until the next build (docs/deploy/nginx.conf). An external server's data can
        change without the service knowing: never."""
        ...

    def dump(self, format_name: str, target: Path) -> None:
        """Write the whole knowledge base to ``target`` in an RDF format (no row limit applies)."""
        ...

    def close(self) -> None: ...
