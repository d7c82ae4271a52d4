"""Queries run in worker processes, so that a time limit really stops them.

Oxigraph cannot interrupt a query, and a thread cannot be killed; a process can. Each worker opens the
on-disk store read-only and answers one query at a time; the service waits for the answer up to the
time limit and, past it, kills the worker and starts another. A runaway query therefore holds one
worker and never the others, and results are cut at the size limit inside the worker, with a signal.
Under ``serve`` a worker is forked by a process that has this module imported (see ``forker``), in
milliseconds; elsewhere it is spawned, a fresh interpreter.

Oxigraph answers joins and aggregates three to five times faster from memory than from disk, so each
worker also loads an in-memory copy of the store from the N-Quads snapshot written beside it at build
time. It loads in the background (the parser runs without the GIL) while the worker answers from disk,
and every query after the load is answered from memory. The cost is memory: about 300 bytes a triple
for each worker, so a copy is made only when it fits the budget a deployment sets.

Aggregates over many observations go first to a columnar copy (see ``columnar``), written beside the
version by the build and mapped by each worker; whatever it does not answer exactly as Oxigraph would,
Oxigraph answers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import multiprocessing
import os
import queue
import select
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from . import columnar
from .negotiation import GRAPHS, RESULTS, by_name

if TYPE_CHECKING:
    from .forker import WorkerForker

_CONTEXT = multiprocessing.get_context("spawn")  # no fork: the service runs threads
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


class QueryTimeout(RuntimeError):
    """The query ran past the time limit and was stopped."""


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


@dataclasses.dataclass(frozen=True, slots=True)  # slots: one object for the collector
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
        return Result(body, len(triples) > max_rows, rows=min(len(triples), max_rows))
    names = [v.value for v in found.variables]
    rows = list(itertools.islice(found, max_rows + 1))
    bindings = [
        {name: _term_json(row[name]) for name in names if row[name] is not None} for row in rows[:max_rows]
    ]
    return solutions(names, bindings, format_name, truncated=len(rows) > max_rows)


def solutions(names: list[str], bindings: list[dict], format_name: str, truncated: bool = False) -> Result:
    """SELECT results in ``format_name``, from the variables and the rows as SPARQL JSON has them."""
    # Write the rows as SPARQL JSON; for another format, let Oxigraph convert them.
    results = {"head": {"vars": names}, "results": {"bindings": bindings}}
    data = json.dumps(results, ensure_ascii=False, separators=(",", ":")).encode()
    if format_name != "json":
        parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        data = parsed.serialize(format=by_name(RESULTS, format_name).oxigraph_format)
    return Result(data, truncated, rows=len(bindings))


def memory_snapshot(location: Path) -> Path:
    """The N-Quads snapshot of the store version at ``location``, from which workers load their copy."""
    return location.with_name(location.name + ".nq")


# Measured: a 141 MB snapshot (565,000 quads) takes 189 MB at the peak of its load, 168 MB after.
COPY_BYTES_PER_SNAPSHOT_BYTE = 1.35


def copy_fits(location: Path, budget_mb: int) -> bool:
    """Whether the in-memory copy of the store at ``location`` would fit ``budget_mb`` (said if not)."""
    snapshot = memory_snapshot(location)
    if budget_mb <= 0 or not snapshot.exists():
        return False
    needed = snapshot.stat().st_size * COPY_BYTES_PER_SNAPSHOT_BYTE / 2**20
    if needed > budget_mb:
        print(
            f"mappa-kb: queries are answered from disk: a copy of the store in memory would take about "
            f"{needed:.0f} MB a query worker, over MAPPA_KB_MEMORY_COPY_MB={budget_mb}",
            file=sys.stderr,
        )
        return False
    return True


def _load_copy(snapshot: Path, stores: dict[str, ox.Store]) -> None:
    """Load the in-memory copy; until it is whole (or if it cannot be read) the disk store answers.

    At the lowest CPU priority (this thread, and any thread the loader starts): every worker loads at
    once, at start and at each new store version, and queries must not wait for that."""
    with contextlib.suppress(OSError):  # if not allowed, it loads at normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    try:
        copy = ox.Store()
        # load, not bulk_load: in memory, the copy it makes answers joins and scans 5-50% faster, and
        # its load peaks at 60% of the memory (measured with pyoxigraph 0.5.13 on the national cube).
        copy.load(path=str(snapshot), format=ox.RdfFormat.N_QUADS)
    except (OSError, SyntaxError) as error:
        print(f"mappa-kb query worker: answering from disk; no memory copy: {error}", file=sys.stderr)
        return
    stores["memory"] = copy


def worker_main(connection: Connection, store_path: str, memory_copy: bool) -> None:
    """Answer the queries that come on ``connection`` until the service closes it (or is gone)."""
    _end_with_the_service(connection)
    try:
        stores = {"disk": ox.Store.read_only(store_path)}
    except (OSError, RuntimeError) as error:  # removed or corrupt under the service: say so to every query
        stores, unreadable = {}, str(error)
    if stores and memory_copy:
        snapshot = memory_snapshot(Path(store_path))
        threading.Thread(target=_load_copy, args=(snapshot, stores), daemon=True).start()
    aggregates = columnar.ColumnarCopy.beside(Path(store_path)) if stores else None
    while True:
        try:
            request = connection.recv()
        # The service closed the pool, or ended: a socket closed with bytes unread is reset, not at its end.
        except (EOFError, ConnectionResetError):
            return
        reply = _reply(stores, aggregates, request) if stores else ("unavailable", unreadable)
        try:
            connection.send(reply)
        except OSError:  # the service ended while this query ran: nobody is waiting
            return


def _end_with_the_service(connection: Connection) -> None:
    """End this worker as soon as the service process at the other end of ``connection`` is gone, even
    while a query runs: a service that was killed cannot stop its workers itself."""

    def wait_for_hang_up() -> None:
        poll = select.poll()
        poll.register(connection.fileno(), select.POLLRDHUP)  # a hang-up only: requests are read elsewhere
        hang_up = select.POLLRDHUP | select.POLLHUP | select.POLLERR
        while True:
            if any(events & hang_up for _, events in poll.poll()):
                os._exit(0)

    threading.Thread(target=wait_for_hang_up, name="service watch", daemon=True).start()


def _reply(
    stores: dict[str, ox.Store], aggregates: columnar.ColumnarCopy | None, request: tuple
) -> tuple[str, object]:
    text, format_name, max_rows, dataset, bindings = request
    # (The columnar path reads no GRAPH clause: the named graphs of the data set do not matter to it.)
    if aggregates is not None and not bindings and dataset.default_graphs == (aggregates.graph,):
        try:
            result = _columnar_answer(aggregates, text, format_name, max_rows)
        except Exception as error:  # a fault of this path must cost the query nothing: Oxigraph answers
            print(
                f"mappa-kb query worker: the columnar path failed ({error!r}); Oxigraph answers",
                file=sys.stderr,
            )
            result = None
        if result is not None:
            return ("ok", result)
    copy = "memory" if "memory" in stores else "disk"
    try:
        result = answer(stores[copy], text, format_name, max_rows, dataset, bindings)
    except SyntaxError as error:
        return ("syntax", str(error))
    except (OSError, RuntimeError) as error:  # the store's files: removed, unreadable or corrupt
        return ("unavailable", str(error))
    except Exception as error:  # the process boundary: any failure is the query's, not the worker's
        return ("error", str(error))
    return ("ok", dataclasses.replace(result, copy=copy))


def _columnar_answer(
    aggregates: columnar.ColumnarCopy, text: str, format_name: str, max_rows: int
) -> Result | None:
    """The answer from the columnar copy, if the query is of the kind it answers; else None."""
    plan = columnar.plan(text)
    found = aggregates.answer(plan, max_rows) if plan is not None else None
    if found is None:
        return None
    names, rows = found
    bindings = [{name: _term_json(row[name]) for name in names} for row in rows[:max_rows]]
    return dataclasses.replace(
        solutions(names, bindings, format_name, truncated=len(rows) > max_rows), copy="columnar"
    )


class _Worker:
    """A query worker process: forked by ``forker`` if there is one, else spawned (a fresh interpreter)."""

    def __init__(self, store_path: Path, memory_copy: bool, forker: WorkerForker | None) -> None:
        self.connection, child = _CONTEXT.Pipe()
        kill: Callable[[], None] | None = None
        try:
            if forker is not None:
                try:
                    kill = functools.partial(forker.kill, forker.fork(child, store_path, memory_copy))
                except OSError as error:  # the forker is gone: spawn, as without one
                    print(f"mappa-kb: spawning a query worker; the forker is gone: {error}", file=sys.stderr)
            if kill is None:
                process = _CONTEXT.Process(
                    target=worker_main, args=(child, str(store_path), memory_copy), daemon=True
                )
                process.start()
                kill = functools.partial(_kill_spawned, process)
        finally:
            child.close()
        self._kill = kill
        self._stopping, self.stopped = threading.Lock(), False

    def stop(self) -> None:
        """Kill the process and close the pipe, once: a closing pool and a waiting query may both try."""
        with self._stopping:
            if self.stopped:
                return
            self.stopped = True
        self._kill()
        self.connection.close()


def _kill_spawned(process: multiprocessing.process.BaseProcess) -> None:
    process.kill()
    process.join(5)


class QueryWorkers:
    """A pool of worker processes over one on-disk store (and copies of it in memory, if they fit
    ``memory_copy_mb`` each), forked by ``forker`` if one is given (see ``forker``), else spawned."""

    def __init__(
        self,
        store_path: Path,
        size: int = 4,
        timeout: float = 30.0,
        max_rows: int = 10000,
        memory_copy_mb: int = 1024,
        forker: WorkerForker | None = None,
    ) -> None:
        self.store_path, self.timeout, self.max_rows = store_path, timeout, max_rows
        self.forker = forker
        self.memory_copy = copy_fits(store_path, memory_copy_mb)
        # Last in, first out: the worker that just answered is the one most likely still awake and cached.
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()  # idle and busy: close() stops every one
        self._closed = False
        self._lock = threading.Lock()  # between starting a worker and closing the pool
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        with self._lock:
            if self._closed:  # a query that outlived close(): no new worker for a pool that is gone
                raise WorkerLost("the store version was closed while the query ran; ask again")
            try:
                worker = _Worker(self.store_path, self.memory_copy, self.forker)
            except OSError as error:
                raise WorkerLost(f"a query worker could not be started: {error}") from None
            self._all.add(worker)
            return worker

    def _replace(self, worker: _Worker) -> _Worker:
        """A fresh worker for a stopped one; if none can start, the stopped one goes back, to be
        replaced again by the next query that finds it dead."""
        worker.stop()
        with self._lock:
            self._all.discard(worker)
        return self._start()

    def run(self, text: str, format_name: str, dataset: Dataset, bindings: Bindings = ()) -> Result:
        """Answer within the time limit, or raise QueryTimeout (the query is stopped)."""
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {self.timeout:g} s") from None
        try:
            worker.connection.send((text, format_name, self.max_rows, dataset, bindings))
            if not worker.connection.poll(self.timeout):
                worker = self._replace(worker)
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.connection.recv()
        except (EOFError, OSError):
            # It died: the query used too much memory, or the pool was closed under it.
            worker = self._replace(worker)
            raise WorkerLost("the query worker stopped unexpectedly; the query was not answered") from None
        finally:
            if not self._closed:
                self._idle.put(worker)
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "unavailable":
            raise WorkerLost(f"the store could not answer: {payload}")
        if status == "error":
            raise QueryFailed(payload)
        return payload

    def close(self) -> None:
        """Stop every worker, busy ones too (their queries get WorkerLost)."""
        with self._lock:
            self._closed, workers = True, list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
