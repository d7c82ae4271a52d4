"""Queries run in worker processes, so that a time limit really stops them.

Oxigraph cannot interrupt a query, and a thread cannot be killed; a process can. Each worker opens the
on-disk store read-only and answers one query at a time; the service waits for the answer up to the
time limit and, past it, kills the worker and starts another. A runaway query therefore holds one
worker and never the others, and results are cut at the size limit inside the worker, with a signal.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import queue
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from .negotiation import GRAPHS, RESULTS, by_name

_CONTEXT = multiprocessing.get_context("spawn")  # no fork: the service runs threads
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class QueryTimeout(RuntimeError):
    """The query ran past the time limit and was stopped."""


class QueryFailed(RuntimeError):
    """The store could not evaluate the query; the message says why."""


class QuerySyntaxError(QueryFailed):
    """The store could not parse the query; the message gives the position."""


@dataclass(frozen=True)
class Result:
    body: bytes
    truncated: bool


@dataclass(frozen=True)
class Dataset:
    """The RDF data set of one query: graph IRIs for its default graph and its named graphs.

    The IRIs only name graphs of the store; a graph the store does not hold is empty, never fetched.
    """

    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...] = ()


Bindings = tuple[tuple[str, str], ...]  # (variable name, IRI) pairs: hashable, so answers can be cached


def _term_json(term: object) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        found = {"type": "literal", "value": term.value}
        if term.language:
            found["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            found["datatype"] = term.datatype.value
        return found
    raise QueryFailed(f"cannot write a result term of type {type(term).__name__}")


def answer(
    store: ox.Store, text: str, format_name: str, max_rows: int, dataset: Dataset, bindings: Bindings = ()
) -> Result:
    """Evaluate over ``dataset`` and serialize, keeping at most ``max_rows`` solutions (or triples).

    ``bindings`` give variables their values (IRIs) before evaluation, so that a value from a request
    never becomes query text.
    """
    found = store.query(
        text,
        default_graph=[ox.NamedNode(iri) for iri in dataset.default_graphs],
        named_graphs=[ox.NamedNode(iri) for iri in dataset.named_graphs],
        substitutions={ox.Variable(name): ox.NamedNode(iri) for name, iri in bindings} or None,
    )
    if isinstance(found, ox.QueryBoolean):
        data = json.dumps({"head": {}, "boolean": bool(found)}).encode()
        parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        return Result(parsed.serialize(format=by_name(RESULTS, format_name).oxigraph_format), False)
    if isinstance(found, ox.QueryTriples):
        triples = list(itertools.islice(found, max_rows + 1))
        body = ox.serialize(triples[:max_rows], format=by_name(GRAPHS, format_name).oxigraph_format)
        return Result(body, len(triples) > max_rows)
    names = [v.value for v in found.variables]
    rows = list(itertools.islice(found, max_rows + 1))
    bindings = [
        {name: _term_json(row[name]) for name in names if row[name] is not None} for row in rows[:max_rows]
    ]
    # Write the kept rows as SPARQL JSON, then let Oxigraph convert them to the format asked for.
    data = json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}).encode()
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    return Result(
        parsed.serialize(format=by_name(RESULTS, format_name).oxigraph_format), len(rows) > max_rows
    )


def _worker_main(connection: Connection, store_path: str) -> None:
    store = ox.Store.read_only(store_path)
    while True:
        try:
            text, format_name, max_rows, dataset, bindings = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", answer(store, text, format_name, max_rows, dataset, bindings)))
        except SyntaxError as error:
            connection.send(("syntax", str(error)))
        except Exception as error:  # the process boundary: any failure is the query's, not the worker's
            connection.send(("error", str(error)))


class _Worker:
    def __init__(self, store_path: Path) -> None:
        self.connection, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(target=_worker_main, args=(child, str(store_path)), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class QueryWorkers:
    """A pool of worker processes over one on-disk store."""

    def __init__(self, store_path: Path, size: int = 4, timeout: float = 30.0, max_rows: int = 10000) -> None:
        self.store_path, self.timeout, self.max_rows = store_path, timeout, max_rows
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(size):
            self._idle.put(_Worker(store_path))

    def run(self, text: str, format_name: str, dataset: Dataset, bindings: Bindings = ()) -> Result:
        """Answer within the time limit, or raise QueryTimeout (the query is stopped)."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {self.timeout:g} s") from None
        try:
            worker.connection.send((text, format_name, self.max_rows, dataset, bindings))
            if not worker.connection.poll(self.timeout):
                worker.stop()
                worker = _Worker(self.store_path)
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.connection.recv()
        except (EOFError, OSError):
            worker.stop()
            worker = _Worker(self.store_path)
            raise QueryFailed("the query worker stopped unexpectedly; the query was not answered") from None
        finally:
            self._idle.put(worker)
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "error":
            raise QueryFailed(payload)
        return payload

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().stop()
