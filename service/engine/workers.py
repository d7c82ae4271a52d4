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
import json
import multiprocessing
import os
import queue
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from mappa_kb.engine import columnar
from mappa_kb.engine.interface import (
    Bindings,
    Dataset,
    Query,
    QueryFailed,
    QueryOverMemory,
    QuerySyntaxError,
    QueryTimeout,
    Result,
    WorkerLost,
)
from mappa_kb.negotiation import GRAPHS, RESULTS, by_name

_CONTEXT = multiprocessing.get_context("spawn")  # no fork: the service runs threads
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
MAX_BYTES = 32 * 1024 * 1024  # an answer's values, by default (MAPPA_KB_MAX_ANSWER_BYTES)
MEMORY_MB = 1024  # what one query may add to its worker's memory, by default (MAPPA_KB_QUERY_MEMORY_MB)
MEMORY_CHECK_SECONDS = 0.02
SPARE_SECONDS = 10.0  # an extra worker stops once it has waited this long for another busy moment


class Forker(Protocol):
    """What forks workers for this module (``forker.WorkerForker``, which imports this module)."""

    def fork(self, connection: Connection, store_path: Path, memory_copy: bool) -> str: ...

    def kill(self, name: str) -> None: ...


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
    store: ox.Store,
    text: str,
    format_name: str,
    max_rows: int,
    dataset: Dataset,
    bindings: Bindings = (),
    max_bytes: int = MAX_BYTES,
) -> Result:
    """Evaluate over ``dataset`` and serialize, keeping at most ``max_rows`` solutions (or triples) and
    about ``max_bytes`` of their values (a row that would pass it is not sent).

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
        triples, cut = _within(found, max_rows, max_bytes, lambda t: (t.subject, t.predicate, t.object))
        body = ox.serialize(triples, format=by_name(GRAPHS, format_name).oxigraph_format)
        return Result(body, cut != "", rows=len(triples), cut_by_bytes=cut == "bytes")
    names = [v.value for v in found.variables]
    rows, cut = _within(found, max_rows, max_bytes, lambda row: [row[name] for name in names])
    bindings = [{name: _term_json(row[name]) for name in names if row[name] is not None} for row in rows]
    result = solutions(names, bindings, format_name, truncated=cut != "")
    return dataclasses.replace(result, cut_by_bytes=cut == "bytes")


def _size(term: object) -> int:
    """About what a term takes to write: its value (a quoted triple's text), and a little more."""
    return len(getattr(term, "value", None) or str(term)) + 8


def _within(found: Iterable, max_rows: int, max_bytes: int, terms: Callable) -> tuple[list, str]:
    """The first rows of ``found`` within both limits, and which limit cut them ("rows", "bytes", or
    "" if none did). A row's size is the length of its terms' values, about what it takes to write."""
    kept: list = []
    size = 0
    for row in found:
        if len(kept) == max_rows:
            return kept, "rows"
        size += sum(_size(term) for term in terms(row) if term is not None)
        if size > max_bytes:
            return kept, "bytes"
        kept.append(row)
    return kept, ""


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
    sending = threading.Lock()  # the answer, or the memory watch's last word: never both at once
    watch = _MemoryWatch(connection, sending)
    while True:
        try:
            request = connection.recv()
        # The service closed the pool, or ended: a socket closed with bytes unread is reset, not at its end.
        except (EOFError, ConnectionResetError):
            return
        with watch.running(request[-1]):
            reply = _reply(stores, aggregates, request[:-1]) if stores else ("unavailable", unreadable)
        try:
            with sending:
                connection.send(reply)
        except OSError:  # the service ended while this query ran: nobody is waiting
            return


class _MemoryWatch:
    """Stops this worker when the query it runs makes it grow by more than the query's budget.

    Oxigraph cannot be told to stop a query, and a string doubled thirty times grows by gigabytes in
    a second or two, so a thread looks at the process's resident size every few milliseconds; past
    the budget it says why to the service and ends the process (the service starts another)."""

    def __init__(self, connection: Connection, sending: threading.Lock) -> None:
        self.connection, self.sending = connection, sending
        self._budget: int | None = None  # bytes over the size at the query's start; None: no query
        self._start = 0
        self._wake = threading.Event()
        threading.Thread(target=self._watch, name="memory watch", daemon=True).start()

    @contextlib.contextmanager
    def running(self, budget_mb: int) -> Iterator[None]:
        self._start, self._budget = _resident_bytes(), budget_mb * 2**20
        self._wake.set()
        try:
            yield
        finally:
            self._budget = None

    def _watch(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while (budget := self._budget) is not None:
                if _resident_bytes() - self._start > budget:
                    message = f"the query needed more than {budget // 2**20} MB of memory and was stopped"
                    with self.sending:
                        with contextlib.suppress(OSError):
                            self.connection.send(("memory", message))
                        os._exit(0)
                time.sleep(MEMORY_CHECK_SECONDS)


_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE_BYTES


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
    query, format_name, max_rows, max_bytes, dataset, bindings = request
    text = query.text
    # (The columnar path reads no GRAPH clause: the named graphs of the data set do not matter to it.)
    if aggregates is not None and not bindings and dataset.default_graphs == (aggregates.graph,):
        try:
            result = _columnar_answer(aggregates, query, format_name, max_rows)
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
        result = answer(stores[copy], text, format_name, max_rows, dataset, bindings, max_bytes)
    except SyntaxError as error:
        return ("syntax", str(error))
    except (OSError, RuntimeError) as error:  # the store's files: removed, unreadable or corrupt
        return ("unavailable", str(error))
    except Exception as error:  # the process boundary: any failure is the query's, not the worker's
        return ("error", str(error))
    return ("ok", dataclasses.replace(result, copy=copy))


def _columnar_answer(
    aggregates: columnar.ColumnarCopy, query: Query, format_name: str, max_rows: int
) -> Result | None:
    """The answer from the columnar copy, if the query is of the kind it answers; else None."""
    plan = columnar.planned(query.plan(), query.text)
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

    def __init__(self, store_path: Path, memory_copy: bool, forker: Forker | None) -> None:
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
        self.extra = False  # started for a busy moment: stopped once it has answered

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
    ``memory_copy_mb`` each), forked by ``forker`` if one is given (see ``forker``), else spawned.

    ``size`` workers wait for queries. When every one is busy (runaway queries, say), a query gets a
    worker of its own, started for it (a few milliseconds from the forker; it answers from disk, with
    no copy to load), up to ``most`` workers in all; so a small query never waits behind runaways.
    Such an extra worker waits for the next busy moment and stops once it has waited ``SPARE_SECONDS``.
    A query's time limit counts from its arrival: the wait for a worker is inside it."""

    def __init__(
        self,
        store_path: Path,
        size: int = 4,
        timeout: float = 30.0,
        max_rows: int = 10000,
        memory_copy_mb: int = 0,
        forker: Forker | None = None,
        most: int = 16,
        max_bytes: int = MAX_BYTES,
        memory_mb: int = MEMORY_MB,
    ) -> None:
        self.store_path, self.timeout, self.max_rows = store_path, timeout, max_rows
        self.max_bytes, self.memory_mb, self.most = max_bytes, memory_mb, max(most, size)
        self.size, self.forker = size, forker
        self.memory_copy = copy_fits(store_path, memory_copy_mb)
        # Last in, first out: the worker that just answered is the one most likely still awake and cached.
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()  # idle and busy: close() stops every one
        self._spare: list[tuple[float, _Worker]] = []  # extra workers waiting, and since when
        self._closed = False
        self._lock = threading.Lock()  # between starting a worker and closing the pool
        for _ in range(size):
            self._idle.put(self._start(self.memory_copy))

    def _start(self, memory_copy: bool) -> _Worker:
        worker = self._new(memory_copy, most=None)
        assert worker is not None  # (only a bound can make it None)
        return worker

    def _new(self, memory_copy: bool, most: int | None) -> _Worker | None:
        """A new worker; None if ``most`` (if given) are running already."""
        with self._lock:
            if self._closed:  # a query that outlived close(): no new worker for a pool that is gone
                raise WorkerLost("the store version was closed while the query ran; ask again")
            if most is not None and len(self._all) >= most:
                return None
            try:
                worker = _Worker(self.store_path, memory_copy, self.forker)
            except OSError as error:
                raise WorkerLost(f"a query worker could not be started: {error}") from None
            self._all.add(worker)
            return worker

    def _replace(self, worker: _Worker) -> _Worker:
        """A fresh worker for a stopped one; if none can start, the stopped one goes back, to be
        replaced again by the next query that finds it dead."""
        self._stop(worker)
        if worker.extra:  # no stand-in: the next busy moment starts another
            return worker
        return self._start(self.memory_copy)

    def _stop(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)

    def _take(self, deadline: float) -> _Worker:
        """An idle worker; else a new one, while there are fewer than ``most``; else the first to be
        free before the deadline."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            spare = self._spare.pop()[1] if self._spare else None
        if spare is not None:
            return spare
        extra = self._new(memory_copy=False, most=self.most)
        if extra is not None:
            extra.extra = True
            return extra
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {self.timeout:g} s") from None

    def _give_back(self, worker: _Worker) -> None:
        if self._closed:
            return
        if not worker.extra:
            self._idle.put(worker)
            return
        if worker.stopped:  # stopped past its time limit: no stand-in is kept
            return
        now = time.monotonic()
        with self._lock:
            self._spare.append((now, worker))
            expired = [w for since, w in self._spare if now - since > SPARE_SECONDS]
            self._spare = [(since, w) for since, w in self._spare if now - since <= SPARE_SECONDS]
        for old in expired:
            self._stop(old)

    def run(self, query: Query, format_name: str, dataset: Dataset, bindings: Bindings = ()) -> Result:
        """Answer within the time limit, or raise QueryTimeout (the query is stopped)."""
        deadline = time.monotonic() + self.timeout
        worker = self._take(deadline)
        try:
            request = (query, format_name, self.max_rows, self.max_bytes, dataset, bindings, self.memory_mb)
            worker.connection.send(request)
            if not worker.connection.poll(max(0.0, deadline - time.monotonic())):
                worker = self._replace(worker)
                raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit and was stopped")
            status, payload = worker.connection.recv()
            if status == "memory":  # the worker has ended itself: a fresh one takes its place
                worker = self._replace(worker)
        except (EOFError, OSError):
            # It died: the query used too much memory, or the pool was closed under it.
            worker = self._replace(worker)
            raise WorkerLost("the query worker stopped unexpectedly; the query was not answered") from None
        finally:
            self._give_back(worker)
        if status == "syntax":
            raise QuerySyntaxError(payload)
        if status == "unavailable":
            raise WorkerLost(f"the store could not answer: {payload}")
        if status == "error":
            raise QueryFailed(payload)
        if status == "memory":
            raise QueryOverMemory(payload)
        return payload

    def close(self) -> None:
        """Stop every worker, busy ones too (their queries get WorkerLost)."""
        with self._lock:
            self._closed, workers = True, list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
