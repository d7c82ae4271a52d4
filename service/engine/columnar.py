"""Queries over many observations answered from a columnar copy of the knowledge base, exactly as
Oxigraph would answer them.

Oxigraph finds each triple of a join by a lookup in its indexes, about a microsecond each; a GROUP BY
over the national cube's 48,636 observations makes tens of thousands of them (27 ms for totals by
year). Whole columns of integers joined and summed by numpy take a fraction of that. So
`mappa-kb build` also writes every triple of the knowledge-base graph, as integer identifiers, into one
file beside the store version (``<version>.columns``): the triples sorted two ways (by predicate, subject
and object, and by predicate, object and subject), a table with a row for each subject and a column for
each predicate that has one object per subject (an observation's dimensions and measure: a star of
patterns on one observation reads one row, no join), the terms those identifiers stand for, and the
numbers of the numeric ones. Each query worker maps the file read-only: the pages are shared between
the workers, and opening it reads nothing but its header.

Only one shape of query is answered from it: a SELECT of COUNT, SUM, AVG, MIN or MAX grouped by
variables, or of variables ordered or distinct, over a basic graph pattern of variables and IRIs
(sequence paths included), ordered by projected variables, with DISTINCT, LIMIT and OFFSET. Its text is
read by a strict parser of that subset; anything it does not recognise, character for character, is
left to Oxigraph. So are answers this path could not give exactly as Oxigraph gives them: a SUM, AVG,
MIN or MAX over anything but xsd:integer and xsd:decimal values, a MIN or MAX with two terms of one
value at the extreme, a sum that would overflow Oxigraph's numbers, an ORDER BY over terms of mixed
kinds or over more than SORT_CAP solutions; joins past ROW_CAP solutions; and selective queries, left to
Oxigraph's indexes (MIN_ROWS). Terms are taken from Oxigraph's own store, so they are already in its
canonical forms; sums are exact (integers at a common decimal scale); AVG divides as Oxigraph's
xsd:decimal does, truncating at 18 digits.

No text of a query reaches anything but the parser: IRIs are looked up in the copy's sorted list of
IRIs, and the evaluation works on their integer identifiers.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import mmap
import re
import sys
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_INTEGER, XSD_DECIMAL, XSD_STRING, XSD_DATE = (
    XSD + name for name in ("integer", "decimal", "string", "date")
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCALE = 10**18  # Oxigraph's xsd:decimal: an i128 holding the value times 10^18
I64 = (-(2**63), 2**63 - 1)
I128 = (-(2**127), 2**127 - 1)
IRI, BLANK, LITERAL = 0, 1, 2  # the kinds of term
RdfTerm = ox.NamedNode | ox.BlankNode | ox.Literal
# Below this, Oxigraph: its indexes find the few triples such a query joins at about a microsecond a
# lookup, where this path reads whole columns (of 58,000 subjects at national scale) whatever the query.
# Measured on the national cube, in one process, parse to JSON: totals by year (13,104 observations)
# 27 ms in Oxigraph, 0.7 ms here; top areas by rate (1,008) 2.5 ms and 0.9 ms. (Drawn when DuckDB answered
# here, at 2 ms or more a query; a lower line is yet to be measured.)
MIN_ROWS = 1000
SORT_CAP = 10_000  # solutions this path sorts for an ORDER BY; past that, Oxigraph answers
# Solutions a join may make here: each costs a few integers a variable and the join's own positions,
# so this bounds a worker's memory to a few hundred MB; a join past it is Oxigraph's, under the time limit.
ROW_CAP = 8_000_000
_MANTISSA = 2**62  # a number is kept as an integer below this times a power of ten: sums stay in int64


# ---------------------------------------------------------------------------------------------------
# The copy: written by the build, mapped read-only by each query worker


def copy_file(location: Path) -> Path:
    """The columnar copy beside the store version at ``location``."""
    return location.with_name(location.name + ".columns")


def _scaled(term: ox.Literal) -> tuple[int | None, bool]:
    """A literal's value times 10^18 if it is an xsd:integer or xsd:decimal Oxigraph can add, and
    whether it is an integer; (None, False) for any other term."""
    datatype = term.datatype.value
    if datatype == XSD_INTEGER and re.fullmatch(r"-?[0-9]+", term.value):
        value = int(term.value)
        return (value * SCALE, True) if I64[0] <= value <= I64[1] else (None, False)
    if datatype == XSD_DECIMAL and (found := re.fullmatch(r"(-?)([0-9]+)(?:\.([0-9]{1,18}))?", term.value)):
        sign, whole, fraction = found.groups()
        value = int(whole) * SCALE + int((fraction or "").ljust(18, "0"))
        value = -value if sign else value
        return (value, False) if I128[0] <= value <= I128[1] else (None, False)
    return None, False


def _mantissa(scaled: int) -> tuple[int, int] | None:
    """A value times 10^18 as (m, e), the value being m / 10^e with e as small as it can be; None if m
    would not stay below _MANTISSA."""
    exponent = 18
    while exponent and scaled % 10 == 0:
        scaled, exponent = scaled // 10, exponent - 1
    return (scaled, exponent) if -_MANTISSA < scaled < _MANTISSA else None


def write_copy(quads: Iterable[ox.Quad], graph: ox.NamedNode, target: Path) -> bool:
    """Write the triples of ``graph`` among ``quads`` as a columnar copy at ``target``; False (and no
    copy: Oxigraph answers everything) if the graph holds a term the copy cannot represent, a triple term.

    The quads should come from Oxigraph (a store, or the snapshot it dumped), so that their terms are in
    its canonical forms; the snapshot reads four times faster than the store."""
    target.unlink(missing_ok=True)
    try:
        _write(quads, graph, target)
    except _Unrepresentable as error:
        target.unlink(missing_ok=True)
        print(f"mappa-kb build: no columnar copy: the graph holds {error}", file=sys.stderr)
        return False
    return True


class _Unrepresentable(Exception):
    """A term of a kind the copy has no place for."""


def _write(quads: Iterable[ox.Quad], graph: ox.NamedNode, target: Path) -> None:
    identifiers: dict[object, int] = {}
    number = identifiers.setdefault  # a term's identifier: the next free one when first seen
    subjects, predicates, objects = array("q"), array("q"), array("q")
    for quad in quads:
        if quad.graph_name != graph:
            continue
        subjects.append(number(quad.subject, len(identifiers)))
        predicates.append(number(quad.predicate, len(identifiers)))
        objects.append(number(quad.object, len(identifiers)))
    if len(identifiers) >= 2**31:
        raise _Unrepresentable(f"{len(identifiers)} terms, more than 32-bit identifiers can number")
    s, p, o = (
        np.frombuffer(column, dtype=np.int64).astype(np.int32) for column in (subjects, predicates, objects)
    )
    header: dict = {"graph": graph.value, "counted_from": MIN_ROWS}
    arrays = _triples(s, p, o, header)
    arrays.update(_subjects(arrays, header))
    arrays.update(_terms(list(identifiers), header))
    _save(target, header, arrays)


def _triples(s: np.ndarray, p: np.ndarray, o: np.ndarray, header: dict) -> dict[str, np.ndarray]:
    """The triples in two orders, each a run of rows per predicate: by subject within a predicate (to
    join on subjects) and by object (to join on objects); and the counts the choice between this path
    and Oxigraph is made on: each predicate's, and each predicate and object's from MIN_ROWS up."""
    by_subject = np.lexsort((o, s, p))
    by_object = np.lexsort((s, o, p))
    predicates, starts = np.unique(p[by_subject], return_index=True)
    pos_p, pos_o = p[by_object], o[by_object]
    runs = np.flatnonzero(np.diff(pos_p) | np.diff(pos_o)) + 1 if len(p) else np.zeros(0, np.int64)
    run_starts = np.concatenate(([0], runs)) if len(p) else runs
    lengths = np.diff(np.append(run_starts, len(p)))
    big = np.flatnonzero(lengths >= MIN_ROWS)
    header["pairs"] = [
        [int(pos_p[run_starts[i]]), int(pos_o[run_starts[i]]), int(lengths[i])] for i in big.tolist()
    ]
    return {
        "predicates": predicates.astype(np.int32),
        "offsets": np.append(starts, len(p)).astype(np.int64),
        "pso_s": s[by_subject],
        "pso_o": o[by_subject],
        "pos_o": pos_o,
        "pos_s": s[by_object],
    }


def _subjects(arrays: dict[str, np.ndarray], header: dict) -> dict[str, np.ndarray]:
    """The subjects table: a row for each subject, a column for each big predicate that has at most one
    object per subject (an observation's dimensions and measure), -1 where the subject has none. A star
    of patterns on one subject then reads one row where it would join a run of triples for each."""
    functional = []
    offsets = arrays["offsets"]
    for index, predicate in enumerate(arrays["predicates"].tolist()):
        run = arrays["pso_s"][offsets[index] : offsets[index + 1]]
        if len(run) >= MIN_ROWS and bool(np.all(np.diff(run) > 0)):  # sorted: no subject twice
            functional.append((predicate, run, arrays["pso_o"][offsets[index] : offsets[index + 1]]))
    header["functional"] = [predicate for predicate, _, _ in functional]
    rows = (
        np.unique(np.concatenate([run for _, run, _ in functional])) if functional else np.zeros(0, np.int32)
    )
    table = {"subjects": rows.astype(np.int32)}
    for predicate, run, objects in functional:
        column = np.full(len(rows), -1, dtype=np.int32)
        column[np.searchsorted(rows, run)] = objects
        table[f"c{predicate}"] = column
    return table


def _terms(terms: list[object], header: dict) -> dict[str, np.ndarray]:
    """The terms, in identifier order: kind, text, datatype and language, and for xsd:integer and
    xsd:decimal literals their value as m / 10^e; and the IRIs' identifiers sorted by their text, to find
    a query's IRIs by binary search."""
    datatypes: dict[str, int] = {}
    languages: dict[str, int] = {}
    size = len(terms)
    kinds = np.zeros(size, dtype=np.int8)
    datatype = np.full(size, -1, dtype=np.int32)
    language = np.full(size, -1, dtype=np.int32)
    mantissas = np.zeros(size, dtype=np.int64)
    exponents = np.zeros(size, dtype=np.int8)
    numeric = np.zeros(size, dtype=np.bool_)
    integer = np.zeros(size, dtype=np.bool_)
    texts: list[bytes] = []
    iris: list[int] = []
    for identifier, term in enumerate(terms):
        if not isinstance(term, RdfTerm):
            raise _Unrepresentable(f"a {type(term).__name__}: {term}")
        texts.append(term.value.encode())
        if isinstance(term, ox.NamedNode):
            iris.append(identifier)
        elif isinstance(term, ox.BlankNode):
            kinds[identifier] = BLANK
        else:
            kinds[identifier] = LITERAL
            if term.language:
                language[identifier] = languages.setdefault(term.language, len(languages))
                continue
            datatype[identifier] = datatypes.setdefault(term.datatype.value, len(datatypes))
            scaled, isint = _scaled(term)
            found = None if scaled is None else _mantissa(scaled)
            if found is not None:
                mantissas[identifier], exponents[identifier] = found
                numeric[identifier], integer[identifier] = True, isint
    header["datatypes"], header["languages"] = list(datatypes), list(languages)
    iris.sort(key=texts.__getitem__)
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=size)
    return {
        "kinds": kinds,
        "text": np.frombuffer(b"".join(texts), dtype=np.uint8),
        "text_ends": np.cumsum(lengths),
        "datatype": datatype,
        "language": language,
        "mantissa": mantissas,
        "exponent": exponents,
        "numeric": numeric,
        "integer": integer,
        "iris": np.array(iris, dtype=np.int32),
    }


# The file: this line, the header's length (8 bytes), the header (JSON: the arrays' places, and what the
# build counted), then each array, aligned.
_MAGIC = b"mappa-kb columnar copy 1\n"
_ALIGN = 64


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


_DTYPES = {"|i1", "|u1", "|b1", "<i4", "<i8"}


def _save(target: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    places, offset = {}, 0
    for name, values in arrays.items():
        offset = _aligned(offset)
        places[name] = [values.dtype.str, offset, len(values)]
        offset += values.nbytes
    head = json.dumps({**header, "arrays": places}).encode()
    start = _aligned(len(_MAGIC) + 8 + len(head))
    with open(target, "wb") as out:
        out.write(_MAGIC + len(head).to_bytes(8, "little") + head)
        for name, values in arrays.items():
            out.write(b"\0" * (start + places[name][1] - out.tell()))
            out.write(np.ascontiguousarray(values).tobytes())


def _open(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and the arrays (views of the file, mapped read-only) of a copy; ValueError if the file
    is not a whole copy."""
    with open(path, "rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    if mapped[: len(_MAGIC)] != _MAGIC:
        raise ValueError("not a columnar copy")
    length = int.from_bytes(mapped[len(_MAGIC) : len(_MAGIC) + 8], "little")
    header = json.loads(mapped[len(_MAGIC) + 8 : len(_MAGIC) + 8 + length])
    start = _aligned(len(_MAGIC) + 8 + length)
    arrays = {}
    for name, (dtype, offset, count) in header.pop("arrays").items():
        end = start + offset + count * np.dtype(dtype).itemsize if dtype in _DTYPES else -1
        if offset < 0 or count < 0 or not start <= end <= len(mapped):
            raise ValueError(f"the array {name} is not whole")
        arrays[name] = np.frombuffer(mapped, dtype=np.dtype(dtype), count=count, offset=start + offset)
    return header, arrays


class ColumnarCopy:
    """A query worker's read-only view of the columnar copy of one store version."""

    def __init__(self, path: Path) -> None:
        header, self._arrays = _open(path)
        a = self._arrays
        self.graph: str = header["graph"]
        self._counted_from: int = header["counted_from"]
        self._datatypes = [ox.NamedNode(iri) for iri in header["datatypes"]]
        self._languages: list[str] = header["languages"]
        self._predicates = a["predicates"]
        self._offsets = a["offsets"]
        self._counts: dict[tuple[int, int | None], int] = {
            (p, None): n
            for p, n in zip(self._predicates.tolist(), np.diff(self._offsets).tolist(), strict=True)
        }
        self._counts.update({(p, o): n for p, o, n in header["pairs"]})
        self._triples = int(self._offsets[-1]) if len(self._offsets) else 0
        self._functional = frozenset(header["functional"])
        self._identifier_cache: dict[str, int | None] = {}
        self._term_cache: dict[int, RdfTerm] = {}

    @classmethod
    def beside(cls, location: Path) -> ColumnarCopy | None:
        """The copy of the version at ``location``, or None (said why) if it has none or it is unreadable."""
        path = copy_file(location)
        if not path.exists():
            return None
        try:
            return cls(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"mappa-kb query worker: no columnar copy ({path}): {error}", file=sys.stderr)
            return None

    def answer(self, plan: Plan, max_rows: int = 10_000) -> tuple[list[str], list[Solution]] | None:
        """The solutions of ``plan`` in order, up to ``max_rows`` + 1 (so that the caller can say the
        answer was cut), or None when this path cannot give exactly Oxigraph's answer and Oxigraph must."""
        identifiers = self._identifiers(set(plan.iris()))
        if self._rows_to_join(plan, identifiers) < MIN_ROWS:
            return None
        # Without an ORDER BY, a slice of the solutions is any rows of them, as SPARQL has it (DISTINCT
        # on identifiers is DISTINCT on terms; on aggregates' values it is not, so that one is done later).
        sliced = not plan.order_by and not (plan.distinct and plan.aggregated)
        if sliced:
            end = max_rows + 1 if plan.limit is None else min(plan.limit, max_rows + 1)
            window = (plan.offset, plan.offset + end)
        else:
            window = (0, SORT_CAP + 1)
        try:
            evaluation = _Evaluation(self._arrays, identifiers, self._functional, _read(plan))
            solved = evaluation.solutions(plan.patterns)
            rows = _rows(plan, solved, self._arrays, window)
        except _Declined:
            return None
        if rows is None or (len(rows) > SORT_CAP and not sliced):
            return None  # too many to sort here, or a sum only Oxigraph can give: Oxigraph answers
        outputs = _outputs(plan)
        starts = [sum(out.width for out in outputs[:index]) for index in range(len(outputs))]
        terms = self._terms(
            {
                row[start]
                for row in rows
                for out, start in zip(outputs, starts, strict=True)
                if out.kind == "term"
            }
        )
        solutions = []
        for row in rows:
            solution = {}
            for out, start in zip(outputs, starts, strict=True):
                values = row[start : start + out.width]
                value = terms[values[0]] if out.kind == "term" else _aggregate_value(out, values)
                if value is None:
                    return None
                solution[out.name] = value
            solutions.append(solution)
        return (plan.names, solutions) if sliced else _finish(plan, solutions)

    def _rows_to_join(self, plan: Plan, identifiers: dict[str, int | None]) -> int:
        """About how many rows Oxigraph would join: for each subject, the triples its most selective
        pattern matches (a predicate and object are counted from MIN_ROWS up, at the build), and the most of
        these over the subjects. 0 if an IRI is not in the store: the answer is empty, and quick."""
        stars: dict[Term, int] = {}
        for subject, predicate, object_ in plan.patterns:
            if None in (identifiers[term[1]] for term in (subject, predicate, object_) if term[0] == "iri"):
                return 0
            if subject[0] == "iri":
                continue  # a few lookups from a known subject
            if predicate[0] == "iri" and object_[0] == "iri":
                pair = (identifiers[predicate[1]], identifiers[object_[1]])
                rows = self._counts.get(pair, self._counted_from - 1)
            elif predicate[0] == "iri":
                rows = self._counts.get((identifiers[predicate[1]], None), 0)
            else:
                rows = self._counted_from - 1 if object_[0] == "iri" else self._triples
            stars[subject] = min(stars.get(subject, rows), rows)
        return max(stars.values(), default=0)

    def _text(self, identifier: int) -> bytes:
        ends = self._arrays["text_ends"]
        return self._arrays["text"][ends[identifier - 1] if identifier else 0 : ends[identifier]].tobytes()

    def _identifiers(self, iris: set[str]) -> dict[str, int | None]:
        """The identifier of each IRI (None if the store lacks it)."""
        return _cached(self._identifier_cache, iris, self._identifier)

    def _identifier(self, iri: str) -> int | None:
        """By binary search of the IRIs sorted by their text."""
        order = self._arrays["iris"]
        wanted = iri.encode("utf-8", "surrogatepass")  # a lone surrogate matches no stored IRI
        at = bisect.bisect_left(range(len(order)), wanted, key=lambda i: self._text(int(order[i])))
        return int(order[at]) if at < len(order) and self._text(int(order[at])) == wanted else None

    def _terms(self, identifiers: set[int]) -> dict[int, RdfTerm]:
        """The term of each identifier (group keys, years and areas, recur from query to query)."""
        return _cached(self._term_cache, identifiers, self._term)

    def _term(self, identifier: int) -> RdfTerm:
        a = self._arrays
        kind, value = int(a["kinds"][identifier]), self._text(identifier).decode()
        if kind == IRI:
            return ox.NamedNode(value)
        if kind == BLANK:
            return ox.BlankNode(value)
        language = int(a["language"][identifier])
        if language >= 0:
            return ox.Literal(value, language=self._languages[language])
        return ox.Literal(value, datatype=self._datatypes[int(a["datatype"][identifier])])

    def close(self) -> None:
        """Nothing to release but the mapping, which goes with the last array that views it."""
        self._arrays = {}


def _cached(cache: dict, keys: set, compute: Callable) -> dict:
    """``compute`` of each key, kept in ``cache`` (the copy never changes, so neither do they), which is
    emptied when it passes _CACHE_BOUND entries."""
    missing = keys - cache.keys()
    if missing:
        if len(cache) > _CACHE_BOUND:
            cache.clear()
        for key in missing:
            cache[key] = compute(key)
    return {key: cache[key] for key in keys}


_CACHE_BOUND = 100_000


# ---------------------------------------------------------------------------------------------------
# Evaluation: a basic graph pattern joined over whole columns of identifiers


class _Declined(Exception):
    """This path will not answer the query (a join past ROW_CAP): Oxigraph answers it."""


@dataclasses.dataclass
class _Solutions:
    """Solutions as a column of identifiers for each variable bound, all of one length."""

    columns: dict[str, np.ndarray]
    size: int

    def take(self, rows: np.ndarray) -> _Solutions:
        return _Solutions({name: column[rows] for name, column in self.columns.items()}, len(rows))

    def where(self, keep: np.ndarray) -> _Solutions:
        """The solutions at the rows where ``keep`` is true."""
        if not self.columns:  # nothing to gather: only how many
            return _Solutions({}, int(np.count_nonzero(keep)))
        return self.take(np.flatnonzero(keep))


_UNIT = _Solutions({}, 1)  # the one solution that binds nothing: what a join starts from


def _bound(
    pairs: list[tuple[Term, np.ndarray]],
    identifiers: dict[str, int | None],
    needed: frozenset[str],
    size: int,
    keep: np.ndarray | None = None,
) -> _Solutions:
    """The solutions of the rows (``keep``: those of them) whose columns match ``pairs`` of (term,
    column): an IRI must equal its identifier, a variable named twice must have one value; the rest bind
    their variables, of which those ``needed`` later are kept."""
    columns: dict[str, np.ndarray] = {}
    for term, column in pairs:
        if term[0] == "iri":
            condition = column == identifiers[term[1]]
        elif term[1] in columns:
            condition = column == columns[term[1]]
        else:
            columns[term[1]] = column
            continue
        keep = condition if keep is None else keep & condition
    solutions = _Solutions({name: column for name, column in columns.items() if name in needed}, size)
    return solutions if keep is None else solutions.where(keep)


def _expand(keys: np.ndarray, probes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted ``keys`` and any ``probes``: every pair (probe row, key row) with equal values."""
    first = np.searchsorted(keys, probes, side="left")
    counts = np.searchsorted(keys, probes, side="right") - first
    total = int(counts.sum())
    if total > ROW_CAP:
        raise _Declined
    if total == np.count_nonzero(counts):  # at most one partner each (a label, a date): no repeats
        rows = np.flatnonzero(counts)
        return rows, first[rows]
    rows = np.repeat(np.arange(len(probes)), counts)
    return rows, np.repeat(first - (np.cumsum(counts) - counts), counts) + np.arange(total)


def _join(left: _Solutions, right: _Solutions) -> _Solutions:
    """The join of two sets of solutions on the variables they share (all pairs, if none)."""
    if left is _UNIT:
        return right
    shared = [name for name in left.columns if name in right.columns]
    if not shared:
        if left.size * right.size > ROW_CAP:
            raise _Declined
        rows = np.repeat(np.arange(left.size), right.size)
        partners = np.tile(np.arange(right.size), left.size)
    else:
        order = np.argsort(right.columns[shared[0]], kind="stable")
        rows, at = _expand(right.columns[shared[0]][order], left.columns[shared[0]])
        partners = order[at]
    joined = left.take(rows)
    for name, column in right.columns.items():
        if name not in joined.columns:
            joined.columns[name] = column[partners]
    keep = [joined.columns[name] == right.columns[name][partners] for name in shared[1:]]
    return joined.where(np.logical_and.reduce(keep)) if keep else joined


def _variables(pattern: tuple[Term, Term, Term]) -> set[str]:
    return {term[1] for term in pattern if term[0] == "var"}


class _Evaluation:
    """The solutions of one basic graph pattern over the copy's arrays."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        identifiers: dict[str, int | None],
        functional: frozenset[int],
        needed: frozenset[str],
    ) -> None:
        """``needed``: the variables the answer reads; the others are kept only while a join needs them."""
        self.a, self.identifiers, self.functional = arrays, identifiers, functional
        self.needed = needed

    def solutions(self, patterns: Iterable[tuple[Term, Term, Term]]) -> _Solutions:
        stars: dict[Term, list[tuple[int, Term]]] = {}
        others: list[tuple[Term, Term, Term]] = []
        for subject, predicate, object_ in patterns:
            known = self.identifiers.get(predicate[1]) if predicate[0] == "iri" else None
            if known is not None and known in self.functional:
                stars.setdefault(subject, []).append((known, object_))
            else:
                others.append((subject, predicate, object_))
        # Each subject's patterns on predicates with one object per subject read its rows of the
        # subjects table, smallest first; then whatever shares a variable with the solutions so far
        # joins them, rows of the subjects table before runs of triples, smallest first.
        # A variable is kept while the answer or another part of the pattern reads it.
        parts = [
            {term[1] for term in (subject, *(o for _, o in star)) if term[0] == "var"}
            for subject, star in stars.items()
        ]
        parts += [_variables(pattern) for pattern in others]
        self.needed = self.needed | {
            name for name in set().union(*parts) if sum(name in part for part in parts) > 1
        }
        pending = [self._star(subject, star) for subject, star in stars.items()]
        solved = _UNIT
        while pending or others:
            bound = solved.columns.keys()
            stars_linked = [found for found in pending if solved is _UNIT or found.columns.keys() & bound]
            linked = [pattern for pattern in others if solved is _UNIT or _variables(pattern) & bound]
            if stars_linked or (pending and not linked):  # (nothing linked: all pairs, the smallest first)
                found = min(stars_linked or pending, key=lambda found: found.size)
                pending.remove(found)
                solved = _join(solved, found)
                continue
            pattern = min(linked or others, key=self._size)
            others.remove(pattern)
            solved = self._join_pattern(solved, pattern)
        return solved

    def _size(self, pattern: tuple[Term, Term, Term]) -> int:
        """The triples of a pattern's predicate (all of them, for a variable)."""
        if pattern[1][0] == "var":
            return len(self.a["pso_s"])
        first, last = self._range(pattern[1])
        return last - first

    def _range(self, predicate: Term) -> tuple[int, int]:
        """The rows of ``predicate`` in either order of the triples."""
        identifier = self.identifiers[predicate[1]]
        at = int(np.searchsorted(self.a["predicates"], identifier))
        if at == len(self.a["predicates"]) or self.a["predicates"][at] != identifier:
            return 0, 0
        return int(self.a["offsets"][at]), int(self.a["offsets"][at + 1])

    def _star(self, subject: Term, star: list[tuple[int, Term]]) -> _Solutions:
        """The rows of the subjects table that have an object for each predicate of ``star``."""
        pairs = [(subject, self.a["subjects"])]
        present = np.ones(len(self.a["subjects"]), dtype=np.bool_)
        for predicate, object_ in star:
            column = self.a[f"c{predicate}"]
            present &= column >= 0
            pairs.append((object_, column))
        return _bound(pairs, self.identifiers, self.needed, len(present), present)

    def _join_pattern(self, solved: _Solutions, pattern: tuple[Term, Term, Term]) -> _Solutions:
        """The solutions so far joined with one triple pattern: by the run of its predicate sorted on
        the variable they share, without reading the rest of the run."""
        subject, predicate, object_ = pattern
        if predicate[0] == "iri" and subject[0] == "var" and subject[1] in solved.columns:
            keys, values, bound, other = self.a["pso_s"], self.a["pso_o"], subject, object_
        elif predicate[0] == "iri" and object_[0] == "var" and object_[1] in solved.columns:
            keys, values, bound, other = self.a["pos_o"], self.a["pos_s"], object_, subject
        else:
            return _join(solved, self._scan(pattern))
        first, last = self._range(predicate)
        rows, at = _expand(keys[first:last], solved.columns[bound[1]])
        joined, partners = solved.take(rows), values[first:last][at]
        if other[0] == "iri":
            return joined.where(partners == self.identifiers[other[1]])
        if other[1] in joined.columns:
            return joined.where(partners == joined.columns[other[1]])
        if other[1] in self.needed:
            joined.columns[other[1]] = partners
        return joined

    def _scan(self, pattern: tuple[Term, Term, Term]) -> _Solutions:
        """Every triple that matches one pattern, on its own."""
        subject, predicate, object_ = pattern
        a = self.a
        if predicate[0] == "iri":
            first, last = self._range(predicate)
            if subject[0] == "iri":  # the run of one subject within the predicate's
                first, last = self._narrow(a["pso_s"], first, last, subject)
                pairs = [(subject, a["pso_s"][first:last]), (object_, a["pso_o"][first:last])]
            elif object_[0] == "iri":  # the run of one object within the predicate's
                first, last = self._narrow(a["pos_o"], first, last, object_)
                pairs = [(subject, a["pos_s"][first:last]), (object_, a["pos_o"][first:last])]
            else:
                pairs = [(subject, a["pso_s"][first:last]), (object_, a["pso_o"][first:last])]
            return _bound(pairs, self.identifiers, self.needed, last - first)
        if len(a["pso_s"]) > ROW_CAP:
            raise _Declined
        predicates = np.repeat(a["predicates"], np.diff(a["offsets"]))
        pairs = [(subject, a["pso_s"]), (predicate, predicates), (object_, a["pso_o"])]
        return _bound(pairs, self.identifiers, self.needed, len(predicates))

    def _narrow(self, keys: np.ndarray, first: int, last: int, term: Term) -> tuple[int, int]:
        run = keys[first:last]
        identifier = self.identifiers[term[1]]
        start = first + int(np.searchsorted(run, identifier, side="left"))
        return start, first + int(np.searchsorted(run, identifier, side="right"))


# ---------------------------------------------------------------------------------------------------
# The answer's rows: projected, grouped and aggregated


@dataclasses.dataclass(frozen=True)
class _Output:
    name: str
    kind: str  # "term", or the aggregate's function
    width: int  # the values it takes in a row: a term's identifier, or the five parts of a SUM or AVG


def _read(plan: Plan) -> frozenset[str]:
    """The variables whose values the answer reads (a COUNT that is not DISTINCT reads none: every
    variable of a basic graph pattern is bound)."""
    read = set(plan.group_by)
    for item in plan.projection:
        if not isinstance(item, Aggregate):
            read.add(item)
        elif item.variable is not None and (item.distinct or item.function != "COUNT"):
            read.add(item.variable)
    return frozenset(read)


def _outputs(plan: Plan) -> list[_Output]:
    outputs = []
    for item in plan.projection:
        if not isinstance(item, Aggregate):
            outputs.append(_Output(item, "term", 1))
        elif item.function == "COUNT":
            outputs.append(_Output(item.name, "COUNT", 1))
        elif item.function in _EXTREMES:  # the extreme value's own term
            outputs.append(_Output(item.name, "term", 1))
        else:
            outputs.append(_Output(item.name, item.function, 5))
    return outputs


_POWERS = np.array([10**power for power in range(19)], dtype=np.int64)


def _rows(
    plan: Plan, solved: _Solutions, arrays: dict[str, np.ndarray], window: tuple[int, int]
) -> list[tuple] | None:
    """The answer's rows numbered ``window`` (from, to), as identifiers of terms (a MIN's or MAX's
    too) and, for a SUM or AVG, (sum times 10^18, rows, numeric rows, all integers, sum of magnitudes
    times 10^18); None for an aggregate only Oxigraph can give."""
    first, last = window
    if not plan.aggregated:
        columns = [solved.columns[name] for name in plan.projection]
        if plan.distinct and solved.size:
            columns = list(np.unique(np.stack(columns, axis=1), axis=0).T)
        return list(zip(*(column[first:last].tolist() for column in columns), strict=True))
    keys = [solved.columns[name] for name in plan.group_by]
    if keys:
        order = np.lexsort(keys[::-1])
        change = np.zeros(solved.size, dtype=np.bool_)
        change[:1] = True
        for key in keys:
            ordered = key[order]
            change[1:] |= ordered[1:] != ordered[:-1]
        starts = np.flatnonzero(change)
    else:  # one group, even of no solutions
        order, starts = np.arange(solved.size), np.zeros(1, dtype=np.int64)
    sizes = np.diff(np.append(starts, solved.size))
    columns: list[list] = []
    for item in plan.projection:
        if not isinstance(item, Aggregate):
            columns.append(solved.columns[item][order[starts]][first:last].tolist())
        elif item.function == "COUNT" and not item.distinct:
            columns.append(sizes[first:last].tolist())
        elif item.function == "COUNT":
            counted = _distinct_counts(solved.columns[item.variable][order], sizes)
            columns.append(counted[first:last].tolist())
        elif item.function in _EXTREMES:
            found = _extremes(arrays, solved.columns[item.variable][order], starts, sizes, item.function)
            if found is None:
                return None
            columns.append(found[first:last])
        else:
            parts = _sums(arrays, solved.columns[item.variable][order], starts, sizes)
            if parts is None:
                return None
            columns.extend(part[first:last] for part in parts)
    return list(zip(*columns, strict=True))


def _distinct_counts(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """How many distinct values each group has (``values`` in group order, the groups' ``sizes``)."""
    groups = np.repeat(np.arange(len(sizes)), sizes)
    order = np.lexsort((values, groups))
    values, groups = values[order], groups[order]
    new = np.ones(len(values), dtype=np.bool_)
    new[1:] = (values[1:] != values[:-1]) | (groups[1:] != groups[:-1])
    return np.bincount(groups[new], minlength=len(sizes))


def _scaled_values(
    arrays: dict[str, np.ndarray], values: np.ndarray, rows: int
) -> tuple[np.ndarray, int] | None:
    """The numbers of the terms ``values`` as integers at their largest decimal scale (and that scale),
    0 for a term that is not an xsd:integer or xsd:decimal; None if ``rows`` of them could add up past
    64 bits."""
    numeric = arrays["numeric"][values]
    mantissas = arrays["mantissa"][values]
    exponents = arrays["exponent"][values]
    scale = int(exponents[numeric].max()) if numeric.any() else 0
    widest = int(np.abs(mantissas).max()) * 10 ** (scale - int(exponents[numeric].min(initial=scale)))
    if widest * rows >= 2**63:
        return None
    return mantissas * _POWERS[scale - exponents.astype(np.int64)], scale


def _extremes(
    arrays: dict[str, np.ndarray], values: np.ndarray, starts: np.ndarray, sizes: np.ndarray, function: str
) -> list[int] | None:
    """Each group's MIN or MAX, as the identifier of its term; None where Oxigraph must say: a value that
    is not an xsd:integer or xsd:decimal (SPARQL orders other kinds its own way), an empty group (the
    aggregate is unbound), or two terms of one value at the extreme (an integer and a decimal)."""
    if not len(values) or not bool(arrays["numeric"][values].all()):
        return None
    found = _scaled_values(arrays, values, 1)
    if found is None:
        return None
    scaled = found[0]
    extreme = (np.minimum if function == "MIN" else np.maximum).reduceat(scaled, starts)
    groups = np.repeat(np.arange(len(starts)), sizes)
    at = scaled == extreme[groups]
    hit_groups, hit_values = groups[at], values[at]
    chosen = hit_values[np.searchsorted(hit_groups, np.arange(len(starts)))]
    if np.any(hit_values != chosen[hit_groups]):
        return None
    return chosen.tolist()


def _sums(
    arrays: dict[str, np.ndarray], values: np.ndarray, starts: np.ndarray, sizes: np.ndarray
) -> tuple[list, ...] | None:
    """Each group's exact sum (times 10^18), rows, numeric rows, whether all are integers, and sum of
    magnitudes (times 10^18), from the terms' values as m / 10^e, added at their largest e; None if
    the sum could leave 64 bits at that scale."""
    if not len(values):  # no solutions: no groups, or one empty group (no GROUP BY)
        empty = len(starts)
        return [0] * empty, [0] * empty, [0] * empty, [True] * empty, [0] * empty
    found = _scaled_values(arrays, values, len(values))
    if found is None:
        return None
    scaled, scale = found
    numeric = arrays["numeric"][values]
    factor = 10 ** (18 - scale)
    totals = [int(total) * factor for total in np.add.reduceat(scaled, starts).tolist()]
    magnitudes = [int(total) * factor for total in np.add.reduceat(np.abs(scaled), starts).tolist()]
    numerics = np.add.reduceat(numeric.astype(np.int64), starts).tolist()
    integers = np.logical_and.reduceat(arrays["integer"][values], starts).tolist()
    return totals, sizes.tolist(), numerics, integers, magnitudes


# ---------------------------------------------------------------------------------------------------
# The subset of SPARQL this path answers, read by a strict parser


Term = tuple[str, str]  # ("var", name) or ("iri", value)


@dataclasses.dataclass(frozen=True)
class Aggregate:
    function: str  # COUNT, SUM, AVG, MIN or MAX
    variable: str | None  # None for COUNT(*)
    distinct: bool
    name: str  # the variable it is projected as


@dataclasses.dataclass(frozen=True)
class Plan:
    patterns: tuple[tuple[Term, Term, Term], ...]
    projection: tuple[str | Aggregate, ...]  # variable names and aggregates, in the query's order
    distinct: bool = False
    group_by: tuple[str, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (projected name, descending)
    limit: int | None = None
    offset: int = 0

    def iris(self) -> Iterable[str]:
        return (term[1] for pattern in self.patterns for term in pattern if term[0] == "iri")

    @property
    def aggregated(self) -> bool:
        return any(isinstance(item, Aggregate) for item in self.projection)

    @property
    def names(self) -> list[str]:
        return [item.name if isinstance(item, Aggregate) else item for item in self.projection]


class _NotOurs(Exception):
    """The query is outside the subset: Oxigraph answers it."""


# A character that may continue a prefixed name, variable or keyword: if one follows, the token is
# longer than this parser knows how to read, and the query is not ours.
_NAME_GOES_ON = r"(?![A-Za-z0-9_\-:%\\\u0080-\U0010ffff]|\.[A-Za-z0-9_\-:%\\.\u0080-\U0010ffff])"
_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n]+|\#[^\r\n]*)"
    r"|<(?P<iri>[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20]*)>"
    r"|(?P<pname>(?:[A-Za-z][A-Za-z0-9_\-]*)?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_\-]*[A-Za-z0-9_\-])?)?)"
    + _NAME_GOES_ON
    + r"|[?$](?P<var>[A-Za-z0-9_]+)"
    + _NAME_GOES_ON
    + r"|(?P<integer>[0-9]+)"
    + _NAME_GOES_ON
    + r"|(?P<word>[A-Za-z]+)"
    + _NAME_GOES_ON
    + r"|(?P<punct>[{}().;,/*])"
)
_KEYWORDS = {
    "PREFIX",
    "SELECT",
    "DISTINCT",
    "WHERE",
    "GROUP",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "LIMIT",
    "OFFSET",
    "AS",
}
_EXTREMES = {"MIN", "MAX"}
_AGGREGATES = {"COUNT", "SUM", "AVG", *_EXTREMES}
_WORDS = _KEYWORDS | _AGGREGATES


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise _NotOurs
        kind = found.lastgroup
        if kind != "space":
            value = found.group(kind)
            if kind == "word" and value != "a":  # `a` is the one keyword SPARQL spells in lower case only
                value = value.upper()
                if value not in _WORDS:
                    raise _NotOurs
            tokens.append((kind, value))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at, self.prefixes, self.fresh = tokens, 0, {}, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def next_is(self, kind: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == kind

    def take(self, kind: str, value: str | None = None) -> str:
        if not self.accept(kind, value):
            raise _NotOurs
        return self.tokens[self.at - 1][1]

    def accept(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        if token is not None and token[0] == kind and (value is None or token[1] == value):
            self.at += 1
            return True
        return False

    def query(self) -> Plan:
        while self.accept("word", "PREFIX"):
            prefix = self.take("pname")
            if not prefix.endswith(":"):
                raise _NotOurs
            self.prefixes[prefix[:-1]] = self.take("iri")
        self.take("word", "SELECT")
        distinct = self.accept("word", "DISTINCT")
        projection: list[str | Aggregate] = []
        while True:
            if self.next_is("var"):
                projection.append(self.take("var"))
            elif self.accept("punct", "("):
                projection.append(self.aggregate())
            else:
                break
        self.accept("word", "WHERE")
        self.take("punct", "{")
        patterns = self.triples()
        self.take("punct", "}")
        group_by: list[str] = []
        if self.accept("word", "GROUP"):
            self.take("word", "BY")
            group_by.append(self.take("var"))
            while self.next_is("var"):
                group_by.append(self.take("var"))
        order_by = self.order() if self.accept("word", "ORDER") else []
        limit, offset = None, 0
        for _ in range(2):  # LIMIT and OFFSET, in either order
            if limit is None and self.accept("word", "LIMIT"):
                limit = int(self.take("integer"))
            elif not offset and self.accept("word", "OFFSET"):
                offset = int(self.take("integer"))
        if self.peek() is not None:
            raise _NotOurs
        return Plan(
            tuple(patterns), tuple(projection), distinct, tuple(group_by), tuple(order_by), limit, offset
        )

    def aggregate(self) -> Aggregate:
        function = self.take("word")
        if function not in _AGGREGATES:
            raise _NotOurs
        self.take("punct", "(")
        distinct = self.accept("word", "DISTINCT")
        variable = None if function == "COUNT" and self.accept("punct", "*") else self.take("var")
        self.take("punct", ")")
        self.take("word", "AS")
        name = self.take("var")
        self.take("punct", ")")
        if distinct and (function != "COUNT" or variable is None):
            raise _NotOurs  # SUM, AVG, MIN, MAX and COUNT of distinct values, or of distinct solutions
        return Aggregate(function, variable, distinct, name)

    def order(self) -> list[tuple[str, bool]]:
        self.take("word", "BY")
        conditions = []
        while True:
            if self.next_is("var"):
                conditions.append((self.take("var"), False))
            elif self.peek() in (("word", "ASC"), ("word", "DESC")):
                descending = self.take("word") == "DESC"
                self.take("punct", "(")
                conditions.append((self.take("var"), descending))
                self.take("punct", ")")
            else:
                break
        if not conditions:
            raise _NotOurs
        return conditions

    def triples(self) -> list[tuple[Term, Term, Term]]:
        patterns: list[tuple[Term, Term, Term]] = []
        while self.peek() != ("punct", "}"):
            subject = self.term()
            while True:
                path = self.verb()
                patterns.extend(self.path_patterns(subject, path, self.term()))
                while self.accept("punct", ","):
                    patterns.extend(self.path_patterns(subject, path, self.term()))
                if not self.accept("punct", ";"):
                    break
                while self.accept("punct", ";"):
                    pass
                if self.peek() in (("punct", "."), ("punct", "}")):
                    break
            if not self.accept("punct", "."):
                break
        return patterns

    def verb(self) -> list[Term]:
        """A predicate: a variable, or a sequence path of one or more IRIs."""
        if self.next_is("var"):
            return [("var", self.take("var"))]
        path = [self.iri()]
        while self.accept("punct", "/"):
            path.append(self.iri())
        return path

    def path_patterns(self, subject: Term, path: list[Term], object_: Term) -> list[tuple[Term, Term, Term]]:
        """``subject p1/p2/.../pn object`` as n triple patterns joined by fresh variables, as SPARQL
        defines a sequence path (the names cannot clash: no SPARQL variable name has a space)."""
        nodes = [subject]
        for _ in path[1:]:
            self.fresh += 1
            nodes.append(("var", f" path{self.fresh}"))
        nodes.append(object_)
        return [(nodes[i], predicate, nodes[i + 1]) for i, predicate in enumerate(path)]

    def term(self) -> Term:
        if self.next_is("var"):
            return ("var", self.take("var"))
        if self.peek() == ("word", "a"):
            raise _NotOurs
        return self.iri()

    def iri(self) -> Term:
        if self.accept("word", "a"):
            return ("iri", RDF_TYPE)
        if self.next_is("iri"):
            return ("iri", self.take("iri"))
        prefix, _, local = self.take("pname").partition(":")
        if prefix not in self.prefixes:
            raise _NotOurs
        return ("iri", self.prefixes[prefix] + local)


def _checked(plan: Plan) -> Plan:
    """``plan`` if this path can answer it: aggregates, or plain solutions it must have all of before it
    sends one (ordered or distinct); every variable it needs bound by the pattern, projected variables
    grouped if it aggregates, ordering by projected names; else _NotOurs."""
    bound = {term[1] for pattern in plan.patterns for term in pattern if term[0] == "var"}
    aggregates = [item for item in plan.projection if isinstance(item, Aggregate)]
    plain = [item for item in plan.projection if not isinstance(item, Aggregate)]
    names = plan.names
    if (
        not plan.patterns
        or len(set(names)) != len(names)
        or any(name in bound for name in (a.name for a in aggregates))
        or any(a.variable is not None and a.variable not in bound for a in aggregates)
        or not set(plan.group_by) <= bound
        or not set(plain) <= (set(plan.group_by) if aggregates else bound)
        or (plan.group_by and not aggregates)  # a GROUP BY that only makes rows distinct: not ours
        # Plain solutions in any order may stop early: Oxigraph streams them, and stops at the LIMIT
        # (a label join cut at 500 rows: 10.8 ms there at national scale, 9.9 ms here, where the whole
        # join is made first; at 20 times the scale, the join here would be 20 times larger).
        or not (aggregates or plan.order_by or plan.distinct)
        or not {name for name, _ in plan.order_by} <= set(names)
    ):
        raise _NotOurs
    return plan


_EMPTY = ox.Store()  # in memory, never written: parses a query without reading any data


def parses(text: str) -> bool:
    """Whether Oxigraph's parser accepts the query (run over an empty store, the parse is all it costs)."""
    try:
        _EMPTY.query(text)
    except SyntaxError:
        return False
    return True


def read(text: str) -> Plan | None:
    """The query as a plan, if it is a SELECT of the subset the parser reads (a basic graph pattern of
    variables and IRIs, with the modifiers a Plan holds); else None. Whether it is valid SPARQL is
    Oxigraph's to say (``parses``): a caller that evaluates it with Oxigraph has that said anyway."""
    try:
        return _Parser(_tokens(text)).query()
    except _NotOurs:
        return None


def plan(text: str) -> Plan | None:
    """The query as this path would answer it, or None if it is not of the subset this path answers or
    not valid SPARQL (Oxigraph's parser is the judge, and Oxigraph gives the error)."""
    return planned(read(text), text)


def planned(found: Plan | None, text: str) -> Plan | None:
    """``plan``, from what ``read`` made of ``text`` already."""
    try:
        found = None if found is None else _checked(found)
    except _NotOurs:
        return None
    return found if found is not None and parses(text) else None


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def _aggregate_value(output: _Output, values: tuple) -> ox.Literal | None:
    """The aggregate's value as Oxigraph gives it, from its parts in a row (see _rows); None where only
    Oxigraph can say."""
    if output.kind == "COUNT":
        return _literal(str(values[0]), XSD_INTEGER)
    total, count, numeric, all_integers, magnitude = values
    if count == 0:  # SUM and AVG of nothing: 0
        return _literal("0", XSD_INTEGER)
    if numeric != count or magnitude > I64[1] * SCALE:
        # A value that is not an xsd:integer or xsd:decimal (Oxigraph may promote it, or fail), or a sum
        # that could overflow an xsd:integer along the way, in any order of addition.
        return None
    if output.kind == "SUM":
        if all_integers:
            return _literal(str(total // SCALE), XSD_INTEGER)
        return _literal(format_decimal(total), XSD_DECIMAL)
    average = divide_decimals(total, count * SCALE)
    return None if average is None else _literal(format_decimal(average), XSD_DECIMAL)


def _truncated_division(dividend: int, divisor: int) -> int:
    """Integer division rounding toward zero, as Rust's ``/`` on integers."""
    quotient = abs(dividend) // abs(divisor)
    return quotient if (dividend >= 0) == (divisor >= 0) else -quotient


def divide_decimals(left: int, right: int) -> int | None:
    """Oxigraph's xsd:decimal division of two values scaled by 10^18 (``Decimal::checked_div``): the
    dividend is shifted left as far as an i128 allows, the divisor right past its trailing zeros, and
    the quotient truncated; None where Oxigraph overflows or divides by zero."""
    if right == 0:
        return None
    shift_left = 0
    if left != 0:  # the most digits that keep it in an i128: 10^k <= bound // |left|
        bound = I128[1] if left > 0 else -I128[0]
        shift_left = len(str(bound // abs(left))) - 1
        left *= 10**shift_left
    digits = str(abs(right))
    shift_right = len(digits) - len(digits.rstrip("0"))
    right //= 10**shift_right
    shift = shift_left + shift_right - 18
    if shift < 0 or 10**shift > I128[1]:
        return None
    quotient = _truncated_division(left, right)
    if not I128[0] <= quotient <= I128[1]:  # i128::MIN / -1
        return None
    return _truncated_division(quotient, 10**shift)


def format_decimal(value: int) -> str:
    """A value scaled by 10^18 in Oxigraph's canonical form: no trailing zeros, no lone point."""
    whole, fraction = divmod(abs(value), SCALE)
    text = ("-" if value < 0 else "") + str(whole)
    fraction_digits = str(fraction).rjust(18, "0").rstrip("0")
    return f"{text}.{fraction_digits}" if fraction_digits else text


def _order_key(term: object) -> tuple[str, object] | None:
    """How SPARQL orders ``term`` among terms of its own kind; None for a kind this path does not order."""
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if not isinstance(term, ox.Literal) or term.language:
        return None
    datatype = term.datatype.value
    if datatype in (XSD_INTEGER, XSD_DECIMAL):
        scaled, _ = _scaled(term)
        return None if scaled is None else ("number", scaled)
    if datatype == XSD_STRING:
        return ("string", term.value)
    if datatype == XSD_DATE and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", term.value):
        return ("date", term.value)  # no time zone, four-digit years: the text orders as the value
    return None


Solution = dict[str, RdfTerm]


def _finish(plan: Plan, solutions: list[Solution]) -> tuple[list[str], list[Solution]] | None:
    """DISTINCT, ORDER BY, OFFSET and LIMIT over the solutions as terms, where the rows of identifiers
    could not have them (an ORDER BY, or DISTINCT over aggregates' values)."""
    if plan.distinct:
        seen: dict[tuple, Solution] = {}
        for solution in solutions:
            seen.setdefault(tuple(solution[name] for name in plan.names), solution)
        solutions = list(seen.values())
    for name, descending in reversed(plan.order_by):  # stable sorts, last condition first
        keys = [_order_key(solution[name]) for solution in solutions]
        if None in keys or len({key[0] for key in keys}) > 1:
            return None  # terms of a kind, or of mixed kinds, whose order Oxigraph decides
        ordered = sorted(range(len(solutions)), key=lambda i: keys[i][1], reverse=descending)
        solutions = [solutions[i] for i in ordered]
    end = None if plan.limit is None else plan.offset + plan.limit
    return plan.names, solutions[plan.offset : end]
