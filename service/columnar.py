"""Queries over many observations answered from a columnar copy of the knowledge base, exactly as
Oxigraph would answer them.

Oxigraph finds each triple of a join by a lookup in its indexes, about a microsecond each; a GROUP BY
over the national cube's 48,636 observations makes tens of thousands of them (27 ms for totals by
year). A column store joins whole columns at once: DuckDB answers the same query in 2.4 ms. So
`mappa-kb build` also writes every triple of the knowledge-base graph, as integer identifiers, into a
DuckDB file beside the store version, with a table of the terms those identifiers stand for and a table
with a row for each subject and a column for each predicate that has one object per subject (an
observation's dimensions and measure): a star of patterns on one observation reads one row, no join.

Only one shape of query is answered from it: a SELECT of COUNT, SUM or AVG grouped by variables, or
of variables ordered or distinct, over a basic graph pattern of variables and IRIs (sequence paths
included), ordered by projected variables, with DISTINCT, LIMIT and OFFSET. Its text is read by a
strict parser of that subset; anything it does not recognise, character for character, is left to
Oxigraph. So are answers this path could not give exactly as Oxigraph gives them: a SUM or AVG over
anything but xsd:integer and xsd:decimal values, a sum that would overflow Oxigraph's numbers, an
ORDER BY over terms of mixed kinds or over more than SORT_CAP solutions; and selective queries, which
Oxigraph's indexes answer as fast (MIN_ROWS). Terms are taken from Oxigraph's own store, so they are
already in its canonical forms; sums are exact (scaled integers); AVG divides as Oxigraph's
xsd:decimal does, truncating at 18 digits.

The generated SQL never contains text from the query: IRIs are looked up by bound parameters and the
SQL is built from integer identifiers and column names of our own.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_INTEGER, XSD_DECIMAL, XSD_STRING, XSD_DATE = (
    XSD + name for name in ("integer", "decimal", "string", "date")
)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCALE = 10**18  # Oxigraph's xsd:decimal: an i128 holding the value times 10^18
I64 = (-(2**63), 2**63 - 1)
I128 = (-(2**127), 2**127 - 1)
IRI, BLANK, LITERAL = 0, 1, 2  # the kinds of term in the terms table
RdfTerm = ox.NamedNode | ox.BlankNode | ox.Literal
_CHUNK = 200_000  # rows sent to DuckDB at once while writing: bounds the memory of a build
# Below this, Oxigraph: a query whose subjects' most selective patterns match fewer triples costs
# Oxigraph a microsecond or so a lookup, and DuckDB a millisecond or more to plan and run, however few the
# rows. Measured on the national cube, in one process: top areas by rate (1,008 observations) 2.5 ms in
# Oxigraph, 2.6 here; totals by year (13,104) 27 ms against 2.4. Under load from four connections, top
# areas had a p50 of 9.1 ms here against 10.2 ms in Oxigraph, so the line is drawn below it.
MIN_ROWS = 1000
SORT_CAP = 10_000  # solutions this path sorts for an ORDER BY; past that, Oxigraph answers


# ---------------------------------------------------------------------------------------------------
# The copy: written by the build, opened read-only by each query worker


def copy_file(location: Path) -> Path:
    """The columnar copy beside the store version at ``location``."""
    return location.with_name(location.name + ".duckdb")


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
    with duckdb.connect(str(target), config=_CONFIG) as connection:
        connection.execute("CREATE TABLE meta (graph VARCHAR, counted_from INTEGER)")
        connection.execute("INSERT INTO meta VALUES (?, ?)", [graph.value, MIN_ROWS])
        connection.execute("CREATE TABLE unsorted (s INTEGER, p INTEGER, o INTEGER)")
        number = identifiers.setdefault  # a term's identifier: the next free one when first seen
        subjects: list[int] = []
        predicates: list[int] = []
        objects: list[int] = []
        for quad in quads:
            if quad.graph_name != graph:
                continue
            subjects.append(number(quad.subject, len(identifiers)))
            predicates.append(number(quad.predicate, len(identifiers)))
            objects.append(number(quad.object, len(identifiers)))
            if len(subjects) == _CHUNK:
                _insert_triples(connection, (subjects, predicates, objects))
                subjects, predicates, objects = [], [], []
        _insert_triples(connection, (subjects, predicates, objects))
        # Sorted by predicate, then object: a pattern's constant predicate and object select a run of
        # rows, and DuckDB skips the blocks outside it by their min-max statistics.
        connection.execute("CREATE TABLE triples AS SELECT * FROM unsorted ORDER BY p, o, s")
        connection.execute("DROP TABLE unsorted")
        # How many triples each predicate has, and each predicate and object that has MIN_ROWS or more:
        # what the choice between this path and Oxigraph is made on.
        connection.execute(
            "CREATE TABLE counts AS SELECT p, NULL::INTEGER AS o, COUNT(*) AS n FROM triples GROUP BY p"
            " UNION ALL SELECT p, o, COUNT(*) FROM triples GROUP BY p, o HAVING COUNT(*) >= $1",
            [MIN_ROWS],
        )
        _write_terms(connection, identifiers)
        _write_subjects(connection)


def _write_subjects(connection: duckdb.DuckDBPyConnection) -> None:
    """The subjects table: a row for each subject, a column for each big predicate that has at most one
    object per subject (an observation's dimensions and measure). A star of patterns on one subject
    then reads one row where it would join a scan of the triples for each pattern."""
    connection.execute(
        "CREATE TABLE functional AS SELECT p FROM triples GROUP BY p"
        " HAVING COUNT(*) >= $1 AND COUNT(*) = COUNT(DISTINCT s) ORDER BY p",
        [MIN_ROWS],
    )
    predicates = [int(p) for (p,) in connection.execute("SELECT p FROM functional").fetchall()]
    # For each such predicate: its object (c), and if that is an xsd:integer or xsd:decimal literal,
    # its value times 10^18 (n) and whether it is an integer (i), for SUM and AVG to read in place.
    selected = "".join(
        f", MAX(o) FILTER (WHERE p = {p}) AS c{p}, MAX(num) FILTER (WHERE p = {p}) AS n{p},"
        f" BOOL_AND(isint) FILTER (WHERE p = {p}) AS i{p}"
        for p in predicates
    )
    connection.execute(
        f"CREATE TABLE subjects AS SELECT s{selected} FROM triples JOIN terms ON terms.id = triples.o"
        " WHERE p IN (SELECT p FROM functional) GROUP BY s ORDER BY s"
    )


def _insert_triples(connection: duckdb.DuckDBPyConnection, columns: tuple[list[int], ...]) -> None:
    if columns[0]:
        connection.execute(
            "INSERT INTO unsorted SELECT unnest($1::INTEGER[]), unnest($2::INTEGER[]), unnest($3::INTEGER[])",
            list(columns),
        )


def _write_terms(connection: duckdb.DuckDBPyConnection, identifiers: dict[object, int]) -> None:
    connection.execute(
        "CREATE TABLE terms (id INTEGER, kind TINYINT, value VARCHAR, datatype VARCHAR, lang VARCHAR,"
        " num HUGEINT, isint BOOLEAN)"
    )
    terms = list(identifiers)  # in identifier order: a dict keeps the order of insertion
    for start in range(0, len(terms), _CHUNK):
        kinds, values, datatypes, languages, numbers, integers = [], [], [], [], [], []
        for term in terms[start : start + _CHUNK]:
            if not isinstance(term, RdfTerm):
                raise _Unrepresentable(f"a {type(term).__name__}: {term}")
            literal = isinstance(term, ox.Literal)
            num, isint = _scaled(term) if literal else (None, False)
            kinds.append(LITERAL if literal else BLANK if isinstance(term, ox.BlankNode) else IRI)
            values.append(term.value)
            datatypes.append(term.datatype.value if literal else None)
            languages.append(term.language if literal else None)
            numbers.append(num)
            integers.append(isint)
        connection.execute(
            "INSERT INTO terms SELECT unnest(range($1, $2)), unnest($3::TINYINT[]), unnest($4::VARCHAR[]),"
            " unnest($5::VARCHAR[]), unnest($6::VARCHAR[]), unnest($7::HUGEINT[]), unnest($8::BOOLEAN[])",
            [start, start + len(kinds), kinds, values, datatypes, languages, numbers, integers],
        )
    connection.execute("CREATE INDEX terms_by_value ON terms (value)")  # an IRI of a query: its identifier


# No extension is ever fetched; one thread, since the query workers already use every core between them.
_CONFIG = {
    "threads": 1,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class ColumnarCopy:
    """A query worker's read-only connection to the columnar copy of one store version."""

    def __init__(self, path: Path, memory_limit_mb: int = 256) -> None:
        # No spilling to disk (a query past the memory limit fails, and Oxigraph answers it), and from
        # then on no file but the copy may be opened.
        config = {**_CONFIG, "memory_limit": f"{memory_limit_mb}MB", "temp_directory": ""}
        self._connection = duckdb.connect(str(path), read_only=True, config=config)
        self._connection.execute("SET enable_external_access = false")
        self.graph, self._counted_from = self._connection.execute(
            "SELECT graph, counted_from FROM meta"
        ).fetchone()
        counted = self._connection.execute("SELECT p, o, n FROM counts").fetchall()
        self._counts: dict[tuple[int, int | None], int] = {(p, o): n for p, o, n in counted}
        self._triples = sum(n for (_, o), n in self._counts.items() if o is None)
        self._identifier_cache: dict[str, int | None] = {}  # the copy never changes, so neither do they
        self._term_cache: dict[int, RdfTerm] = {}
        found = self._connection.execute("SELECT p FROM functional").fetchall()
        self._functional = frozenset(p for (p,) in found)

    @classmethod
    def beside(cls, location: Path) -> ColumnarCopy | None:
        """The copy of the version at ``location``, or None (said why) if it has none or it is unreadable."""
        path = copy_file(location)
        if not path.exists():
            return None
        try:
            return cls(path)
        except (duckdb.Error, TypeError) as error:
            print(f"mappa-kb query worker: no columnar copy ({path}): {error}", file=sys.stderr)
            return None

    def answer(self, plan: Plan, max_rows: int = 10_000) -> tuple[list[str], list[Solution]] | None:
        """The solutions of ``plan`` in order, up to ``max_rows`` + 1 (so that the caller can say the
        answer was cut), or None when this path cannot give exactly Oxigraph's answer and Oxigraph must."""
        identifiers = self._identifiers(set(plan.iris()))
        if self._rows_to_join(plan, identifiers) < MIN_ROWS:
            return None
        sql, outputs = _sql(plan, identifiers, self._functional)
        # Without an ORDER BY, SQL slices exactly as SPARQL does (DISTINCT on identifiers is DISTINCT on
        # terms; on aggregates' columns it is not, so that one is done here, on their values).
        sliced_in_sql = not plan.order_by and not (plan.distinct and plan.aggregated)
        if sliced_in_sql:
            wanted = max_rows + 1 if plan.limit is None else min(plan.limit, max_rows + 1)
            sql += f" LIMIT {int(wanted)} OFFSET {int(plan.offset)}"
        else:
            sql += f" LIMIT {SORT_CAP + 1}"
        try:
            rows = self._connection.execute(sql).fetchall()
        except duckdb.Error as error:  # out of memory, an overflow: Oxigraph answers instead
            print(f"mappa-kb query worker: columnar path gave way to Oxigraph: {error}", file=sys.stderr)
            return None
        if len(rows) > SORT_CAP and not sliced_in_sql:
            return None  # too many to sort here: Oxigraph sorts them
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
        return (plan.names, solutions) if sliced_in_sql else _finish(plan, solutions)

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

    def _identifiers(self, iris: set[str]) -> dict[str, int | None]:
        """The identifier of each IRI (None if the store lacks it), by the index on values."""
        missing = sorted(iris - self._identifier_cache.keys())
        if missing:
            if len(self._identifier_cache) > 100_000:
                self._identifier_cache.clear()
            lookups = " UNION ALL ".join(
                ["SELECT value, id FROM terms WHERE value = ? AND kind = 0"] * len(missing)
            )
            found = dict(self._connection.execute(lookups, missing).fetchall())
            self._identifier_cache.update({iri: found.get(iri) for iri in missing})
        return {iri: self._identifier_cache[iri] for iri in iris}

    def _terms(self, identifiers: set[int]) -> dict[int, RdfTerm]:
        """The term of each identifier: group keys (years, areas) recur from query to query, so the
        terms once read are kept, up to a bound."""
        missing = sorted(identifiers - self._term_cache.keys())
        if missing:
            if len(self._term_cache) > 100_000:
                self._term_cache.clear()
            wanted = (
                "SELECT id, kind, value, datatype, lang FROM terms WHERE id IN (SELECT unnest($1::INTEGER[]))"
            )
            found = self._connection.execute(wanted, [missing]).fetchall()
            self._term_cache.update({row[0]: _term(*row[1:]) for row in found})
        return {identifier: self._term_cache[identifier] for identifier in identifiers}

    def close(self) -> None:
        self._connection.close()


def _term(kind: int, value: str, datatype: str | None, language: str | None) -> RdfTerm:
    if kind == IRI:
        return ox.NamedNode(value)
    if kind == BLANK:
        return ox.BlankNode(value)
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


# ---------------------------------------------------------------------------------------------------
# The subset of SPARQL this path answers, read by a strict parser


Term = tuple[str, str]  # ("var", name) or ("iri", value)


@dataclasses.dataclass(frozen=True)
class Aggregate:
    function: str  # COUNT, SUM or AVG
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
_AGGREGATES = {"COUNT", "SUM", "AVG"}
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
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise _NotOurs
        self.at += 1
        return token[1]

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
            raise _NotOurs  # SUM, AVG and COUNT of distinct values, or of distinct solutions: not ours
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
        token = self.peek()
        if token is not None and token[0] == "iri":
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
        # (a label join cut at 500 rows took 14 ms there at 20 times national scale, 38 ms here).
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
    variables and IRIs, with the modifiers a Plan holds) and valid SPARQL (Oxigraph's parser is the
    judge, and Oxigraph gives the error); else None."""
    try:
        found = _Parser(_tokens(text)).query()
    except _NotOurs:
        return None
    return found if parses(text) else None


def plan(text: str) -> Plan | None:
    """The query as this path would answer it, or None if it is not of the subset this path answers."""
    found = read(text)
    try:
        return None if found is None else _checked(found)
    except _NotOurs:
        return None


# ---------------------------------------------------------------------------------------------------
# SQL for a plan, and Oxigraph's arithmetic and ordering for its answers


@dataclasses.dataclass(frozen=True)
class _Output:
    name: str
    kind: str  # "term", or the aggregate's function
    width: int  # the SQL columns it takes


def _sql(
    plan: Plan, identifiers: dict[str, int | None], functional: frozenset[int]
) -> tuple[str, list[_Output]]:
    tables: list[str] = []
    conditions: list[str] = []
    columns: dict[str, str] = {}  # each variable: the first column that binds it

    def bind(reference: str, term: Term) -> None:
        if term[0] == "iri":
            known = identifiers.get(term[1])
            conditions.append(f"{reference} = {int(known)}" if known is not None else "FALSE")
        elif term[1] in columns:
            conditions.append(f"{reference} = {columns[term[1]]}")
        else:
            columns[term[1]] = reference

    stars: dict[Term, str] = {}  # a subject: the alias of its row of the subjects table
    numbers: dict[str, tuple[str, str]] = {}  # a variable bound from the subjects table: its n and i
    for index, (subject, predicate, object_) in enumerate(plan.patterns):
        known = identifiers.get(predicate[1]) if predicate[0] == "iri" else None
        if known is not None and known in functional:
            # A predicate with at most one object per subject is a column of the subjects table: all
            # of a subject's patterns on such predicates read one row of it, with no join.
            if subject not in stars:
                stars[subject] = f"w{len(stars)}"
                tables.append(f"subjects {stars[subject]}")
                bind(f"{stars[subject]}.s", subject)
            reference = f"{stars[subject]}.c{int(known)}"
            conditions.append(f"{reference} IS NOT NULL")
            if object_[0] == "var" and object_[1] not in columns:
                numbers[object_[1]] = (f"{stars[subject]}.n{int(known)}", f"{stars[subject]}.i{int(known)}")
            bind(reference, object_)
            continue
        tables.append(f"triples t{index}")
        for term, column in zip((subject, predicate, object_), ("s", "p", "o"), strict=True):
            bind(f"t{index}.{column}", term)
    expressions, outputs = [], []
    for index, item in enumerate(plan.projection):
        if not isinstance(item, Aggregate):
            expressions.append(columns[item])
            outputs.append(_Output(item, "term", 1))
        elif item.function == "COUNT":
            expressions.append(f"COUNT(DISTINCT {columns[item.variable]})" if item.distinct else "COUNT(*)")
            outputs.append(_Output(item.name, "COUNT", 1))
        else:
            if item.variable in numbers:
                number, integer = numbers[item.variable]
            else:  # the values' numbers from the terms table
                tables.append(f"terms n{index}")
                conditions.append(f"n{index}.id = {columns[item.variable]}")
                number, integer = f"n{index}.num", f"n{index}.isint"
            expressions += [f"SUM({number})", "COUNT(*)", f"COUNT({number})", f"BOOL_AND({integer})"]
            expressions.append(f"SUM(ABS({number}))")
            outputs.append(_Output(item.name, item.function, 5))
    distinct = "DISTINCT " if plan.distinct and not plan.aggregated else ""
    selected = ", ".join(f"{expression} AS c{i}" for i, expression in enumerate(expressions))
    grouped = f"SELECT {distinct}{selected} FROM {', '.join(tables)}"
    if conditions:
        grouped += f" WHERE {' AND '.join(conditions)}"
    if plan.group_by:
        grouped += f" GROUP BY {', '.join(columns[name] for name in plan.group_by)}"
    return grouped, outputs


def _literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def _aggregate_value(output: _Output, values: tuple) -> ox.Literal | None:
    """The aggregate's value as Oxigraph gives it, from its SQL columns; None where only Oxigraph can say."""
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
    if left != 0:
        while I128[0] <= left * 10 <= I128[1]:
            left, shift_left = left * 10, shift_left + 1
    shift_right = 0
    while right % 10 == 0:
        right, shift_right = right // 10, shift_right + 1
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
    """DISTINCT, ORDER BY, OFFSET and LIMIT over the solutions, where SQL could not do them."""
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
