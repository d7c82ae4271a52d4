"""The store interface and its embedded implementation.

The service asks a store for answers to read-only SPARQL queries; it never sees how they are stored.
The embedded store is an Oxigraph database on disk, built from the shipped Turtle by ``mappa-kb build``
beside the old one and swapped in by renaming, so that a restart does not re-parse Turtle.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from . import columnar, metrics, paths, uris
from .forker import WorkerForker
from .loading import load_knowledge_base, published_graphs
from .negotiation import GRAPHS, by_name
from .workers import (
    Bindings,
    Dataset,
    QuerySyntaxError,
    QueryWorkers,
    Result,
    WorkerLost,
    answer,
    memory_snapshot,
    solutions,
)

KB_GRAPH = uris.KB_GRAPH
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
        self, text: str, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        """Answer a read-only query; ``bindings`` are (variable, IRI) pairs given before evaluation."""
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


_PARSER_LOCK = threading.Lock()
QUERY_FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


def _service_targets(node: object) -> list[object]:
    """The endpoint terms of every SERVICE clause in a parsed query (IRIs or variables)."""
    if isinstance(node, CompValue):
        found = [node.get("term")] if node.name == "ServiceGraphPattern" else []
        return found + [t for value in node.values() for t in _service_targets(value)]
    if isinstance(node, (list, tuple)):
        return [t for item in node for t in _service_targets(item)]
    return []


# The prologue (BASE, PREFIX, comments) and the query-form keyword after it. Possessive quantifiers:
# no backtracking, however long the text.
_PROLOGUE = r"(?:\s|#[^\n\r]*+|BASE\s*+<[^<>\s]*+>|PREFIX\s*+[^\s:<>]*+:\s*+<[^<>\s]*+>)*+"
_PROLOGUE_AND_FORM = re.compile(_PROLOGUE + r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
# A query that only counts every triple of its default graph: SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o },
# in any case and spacing, with any variable names. ASCII only, as Oxigraph reads keywords.
_COUNT_EVERY_TRIPLE = re.compile(
    _PROLOGUE + r"SELECT\s*+\(\s*+COUNT\s*+\(\s*+\*\s*+\)\s*+AS\s*+[?$](\w++)\s*+\)\s*+(?:WHERE\s*+)?"
    r"\{\s*+[?$](\w++)\s++[?$](\w++)\s++[?$](\w++)\s*+\.?\s*+\}\s*+",
    re.IGNORECASE | re.ASCII,
)
# Oxigraph reads keywords only as written (no \u escapes) and in ASCII letters, so a query without
# these words anywhere in any case, strings and comments included, has no SERVICE and no FROM clause.
_FULL_CHECK_WORDS = ("service", "from")


def check_query(text: str, service_allow: frozenset[str] = frozenset()) -> str:
    """The query form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a query a public read-only endpoint may run;
    anything else is refused with a message that says why. SERVICE may call only the endpoints of
    ``service_allow`` (none by default).

    Most queries never mention SERVICE or FROM; for them the form is read off the prologue and the
    store's own parser is the judge of syntax (see ``explain_syntax_error``). Only a query that spells
    one of the two words, even in a string or a comment, pays for a full parse.
    """
    if not text.strip():
        raise QueryRefused("the query is empty")
    lowered = text.lower()  # (a plain search is ten times faster than a case-blind regular expression)
    if not any(word in lowered for word in _FULL_CHECK_WORDS):
        found = _PROLOGUE_AND_FORM.match(text)
        if found:
            return found.group(1).upper()
    return _full_check(text, service_allow)


def counted_variable(text: str) -> str | None:
    """The result variable of a query that does nothing but count every triple of its default graph,
    else None. Such a query asks the size of the data set, which a store version knows already."""
    found = _COUNT_EVERY_TRIPLE.fullmatch(text)
    if found is None or len(set(found.groups())) != 4:  # a variable named twice is not this query
        return None
    return found.group(1)


def explain_syntax_error(text: str, store_message: str) -> QueryRefused:
    """The refusal for a query the store could not parse: rdflib's message when it has one, since it
    names the line, the column and what was expected; else the store's own message."""
    try:
        _full_check(text, frozenset())
    except QueryRefused as refused:
        return refused
    return QueryRefused(store_message)


@functools.lru_cache(maxsize=4096)  # a full parse takes 10-40 ms; the verdict never changes
def _full_check(text: str, service_allow: frozenset[str]) -> str:
    try:
        with _PARSER_LOCK:  # rdflib's pyparsing grammar is not safe to use from two threads at once
            prepared = prepareQuery(text)
    except Exception as error:  # rdflib raises pyparsing errors carrying the line and column
        if _looks_like_update(text):
            raise QueryRefused("updates are not accepted: this endpoint is read-only") from None
        raise QueryRefused(f"SPARQL syntax error: {error}") from None
    for target in _service_targets(prepared.algebra):
        if not (isinstance(target, URIRef) and str(target) in service_allow):
            allowed = ", ".join(sorted(service_allow)) or "none"
            raise QueryRefused(f"SERVICE {target.n3()} is not allowed: this endpoint calls only {allowed}")
    if prepared.algebra.get("datasetClause"):
        raise QueryRefused("FROM and FROM NAMED are not allowed: the data set is the knowledge base")
    return QUERY_FORMS[prepared.algebra.name]


def _looks_like_update(text: str) -> bool:
    from rdflib.plugins.sparql import prepareUpdate

    try:
        with _PARSER_LOCK:
            prepareUpdate(text)
    except Exception:
        return False
    return True


def _one_subject_lookup(text: str, dataset: Dataset, bindings: Bindings) -> bool:
    """Whether a query is a lookup of one subject's values, within the bounds above: one triple pattern
    with an IRI subject and no variable twice, plain solutions (no aggregate, DISTINCT, GROUP BY, ORDER
    BY or OFFSET), and no bindings."""
    # The pattern read below has no GRAPH clause: only the default graphs are scanned.
    graphs = len(dataset.default_graphs)
    if bindings or graphs > INLINE_GRAPHS or len(text) > INLINE_CHARACTERS:
        return False
    if "(" in text:  # an aggregate, a filter, a function: not parsed here (an aggregate's parse takes 90 us)
        return False
    plan = columnar.read(text)  # (Oxigraph judges the syntax when it answers: an error goes to the workers)
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
        memory_copy_mb: int = 1024,
        forker: WorkerForker | None = None,
    ) -> None:
        self.path = path
        # The version the link points at now: this object keeps reading it, whatever the link does next,
        # and knows it is no longer the newest once the link says something else.
        self._link_path = os.fspath(path)
        self._link = _link_text(self._link_path)
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
        )
        # The opened store never changes, so an answer stays right for as long as this object lives.
        self._answers: AnswerCache[Result] = AnswerCache()
        self._size = _recorded_size(self.location)  # the number of triples: written by the build

    def run(
        self, text: str, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        check_query(text, self.service_allow)
        key = (text, format_name, dataset or self.dataset, bindings)
        cached = self._answers.get(key)
        if cached is not None:
            metrics.CACHE_HITS.inc()
            return cached
        try:
            result = (
                self._size_answer(text, format_name, key[2], bindings)
                or self._inline_answer(text, format_name, key[2], bindings)
                or self._workers.run(text, format_name, key[2], bindings)
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
        self, text: str, format_name: str, dataset: Dataset, bindings: Bindings
    ) -> Result | None:
        """The answer to a lookup of one subject's values (see INLINE_ROWS), from the store this process
        holds; None for any other query, or when the workers must answer it."""
        store = self._store  # once: close() may set it to None meanwhile (this reference stays readable)
        if store is None or not _one_subject_lookup(text, dataset, bindings):
            return None
        limit = self._workers.max_rows
        try:
            result = answer(store, text, format_name, min(limit, INLINE_ROWS), dataset)
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
        return _link_text(self._link_path) == self._link

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
        self, text: str, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
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


def check_store(path: Path) -> None:
    """Raise StoreUnavailable, saying why, unless ``path`` holds a store that opens and answers."""
    try:
        store = ox.Store.read_only(str(path))
        # Read a quad, not only the catalogue (the default graph is empty): a damaged first block shows.
        list(store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1"))
    except (OSError, RuntimeError) as error:  # missing, or corrupt
        raise StoreUnavailable(f"cannot open the store at {path}: {error}") from None


KEEP_VERSIONS = 3  # a running service may still read the one before; older ones go
VERSION_FILE = "mappa-kb-version"  # in each version: its name, for a cache in front (docs/deploy)


def versions_folder(target: Path) -> Path:
    """Where the built versions of the store at ``target`` live; ``target`` links to the newest."""
    return target.with_name(target.name + ".versions")


def build_store(
    target: Path, files: Sequence[Path] | None = None, base_uri: str = uris.SOURCE_BASE
) -> tuple[Path, int, float]:
    """Build a new version of the store beside the old ones, then point ``target`` at it in one step
    (a symbolic link replaced by rename): (path, triples, seconds). A running service sees the link
    change and swaps to the new version; requests in flight finish on the old one."""
    started = time.perf_counter()
    target = Path(os.path.abspath(target))
    versions = versions_folder(target)
    versions.mkdir(parents=True, exist_ok=True)
    version = versions / (time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.monotonic_ns()}")
    staging = version.with_name(version.name + ".building")
    memory = load_knowledge_base(list(files) if files is not None else paths.knowledge_base_files(), base_uri)
    disk = ox.Store(str(staging))
    # The knowledge base is one named graph, the default graph of every query unless a client names
    # others; each source's figures as published are a named graph of their own.
    graph = ox.NamedNode(uris.rebase(KB_GRAPH, base_uri))
    disk.bulk_extend(memory)
    disk.flush()
    triples = sum(1 for _ in disk.quads_for_pattern(None, None, None, graph))  # the knowledge base's own
    # The snapshot query workers load their in-memory copies from: N-Quads parse fastest.
    snapshot = memory_snapshot(staging)
    disk.dump(str(snapshot), format=ox.RdfFormat.N_QUADS)
    del disk
    quads = ox.parse(path=str(snapshot), format=ox.RdfFormat.N_QUADS)
    columnar_copy = columnar.write_copy(quads, graph, columnar.copy_file(staging))  # for aggregates
    size_record(staging).write_text(f"{triples}\n")
    _write_version_file(staging, version.name, previous=target / VERSION_FILE)
    snapshot.rename(memory_snapshot(version))
    if columnar_copy:
        columnar.copy_file(staging).rename(columnar.copy_file(version))
    size_record(staging).rename(size_record(version))
    staging.rename(version)
    _point_at(target, version)
    _prune(versions, keep=version)
    return target, triples, time.perf_counter() - started


def _write_version_file(staging: Path, name: str, previous: Path) -> None:
    """The file in each version that names it to a cache in front, read through the store's link
    (docs/deploy/nginx.conf keys its answers by nginx's ETag for it: modification time in seconds and
    size). So its time is at least a second after the previous version's, even for two builds within
    one second."""
    version_file = staging / VERSION_FILE
    version_file.write_text(f"{name}\n")
    try:
        last = int(previous.stat().st_mtime)
    except OSError:  # the first version, or one built before versions had this file
        last = 0
    seconds = max(int(time.time()), last + 1)
    os.utime(version_file, (seconds, seconds))


def _link_text(path: str) -> str | None:
    """What the store's link says (the version it points at), or None if it is not a link (a store
    built before versions, made one by the next build) or is gone."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def size_record(location: Path) -> Path:
    """The file beside a store version that says how many triples it holds (a version never changes)."""
    return location.with_name(location.name + ".triples")


def _recorded_size(location: Path) -> int | None:
    try:
        return int(size_record(location).read_text())
    except (OSError, ValueError):  # a version built before sizes were recorded: counted when asked
        return None


def _point_at(target: Path, version: Path) -> None:
    if target.is_dir() and not target.is_symlink():  # a store built before versions: keep it as one
        target.rename(versions_folder(target) / f"00000000T000000-earlier-{time.monotonic_ns()}")
    link = target.with_name(target.name + ".link")
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(version, target.parent))
    os.replace(link, target)


def _prune(versions: Path, keep: Path) -> None:
    built = sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.endswith(".building"))
    for old in built[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            memory_snapshot(old).unlink(missing_ok=True)
            size_record(old).unlink(missing_ok=True)
            columnar.copy_file(old).unlink(missing_ok=True)
