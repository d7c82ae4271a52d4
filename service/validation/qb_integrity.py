"""Well-formedness checks for RDF Data Cube data.

Implements section 11 ("Well-formed cubes") of the W3C Recommendation *The RDF Data Cube Vocabulary*
(16 January 2014, https://www.w3.org/TR/vocab-data-cube/): the two-phase normalization algorithm
(11.1) and the integrity constraints IC-1 ... IC-21 (11.2). The SPARQL text is kept verbatim in
``qb_ic/`` next to this module: ``normalize-phase-1.ru``, ``normalize-phase-2.ru`` and one
``ic-NN.rq`` per constraint, each an ``ASK`` that is true when the graph *violates* the constraint.

One deviation, documented in ``ic-17.rq``: the spec's IC-17 ends ``HAVING (?count != ?numMeasures)``,
which uses a SELECT alias inside HAVING; under SPARQL 1.1 semantics (Oxigraph, and rdflib too) the
alias is unbound there, so the verbatim query can never report a violation. The file writes the
aggregate out instead: ``HAVING (COUNT(?obs2) != ?numMeasures)``.

Each ``ic-NN.rq`` starts with a comment line ``# IC-N. Title``, then comments, then the spec's
``PREFIX`` block, then the spec's ``ASK`` query. IC-19 is given by the spec as two ``ASK`` queries (one
for ``skos:ConceptScheme`` code lists, one for ``skos:Collection`` code lists); ``ic-19.rq`` holds
both and the constraint is violated when either is true.

IC-20 and IC-21 are templates in the spec: the parent-child property ``$p`` sits inside a property
path, where SPARQL 1.1 allows no variable. As the spec describes, the template is instantiated once
for each property found by the spec's instantiation query (``?p`` from ``qb:parentChildProperty``,
IRI-valued for IC-20; the ``owl:inverseOf`` of a blank ``qb:parentChildProperty`` for IC-21). Each
such property is an IRI taken from the data; before it is written into the query as ``<...>`` it is
checked to be an IRI (a ``pyoxigraph.NamedNode``, then ``rdflib.URIRef(...).n3()`` and a strict
regular expression), so no raw text from the data reaches the query.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from rdflib import URIRef

QB_IC_DIR: Path = Path(__file__).parent / "qb_ic"
"""Directory holding the verbatim SPARQL text of section 11."""

NORMALIZE_PHASES: tuple[str, ...] = ("normalize-phase-1.ru", "normalize-phase-2.ru")

_HEADER_RE = re.compile(r"^# (IC-(\d+))\. (.+?)\s*$")
_ASK_START_RE = re.compile(r"^(?=ASK\b)", re.MULTILINE)
_PREFIX_LINE_RE = re.compile(r"^PREFIX\s", re.IGNORECASE)

# An absolute IRI with a scheme and none of the characters that the SPARQL IRIREF production forbids
# (control characters, space, <>"{}|^` and backslash).
_STRICT_IRI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]+")

_TEMPLATE_PLACEHOLDER = "<$p>"

# Section 11.2: the queries whose ?p results instantiate the IC-20 and IC-21 templates (verbatim).
_INSTANTIATION_QUERIES: dict[int, str] = {
    20: """
SELECT ?p WHERE {
    ?hierarchy a qb:HierarchicalCodeList ;
                 qb:parentChildProperty ?p .
    FILTER ( isIRI(?p) )
}
""",
    21: """
SELECT ?p WHERE {
    ?hierarchy a qb:HierarchicalCodeList;
                 qb:parentChildProperty ?pcp .
    FILTER( isBlank(?pcp) )
    ?pcp  owl:inverseOf ?p .
    FILTER( isIRI(?p) )
}
""",
}


@dataclass(frozen=True)
class IntegrityViolation:
    """One integrity constraint of the Data Cube Recommendation that the checked graph violates.

    Attributes:
        ic: the constraint's identifier as the spec writes it, e.g. ``"IC-12"``.
        title: the constraint's title in the spec, e.g. ``"No duplicate observations"``.
    """

    ic: str
    title: str


@dataclass(frozen=True)
class _Constraint:
    """An integrity constraint read from ``qb_ic/ic-NN.rq``."""

    number: int
    ic: str
    title: str
    prefixes: str
    queries: tuple[str, ...]

    @property
    def is_template(self) -> bool:
        return self.number in _INSTANTIATION_QUERIES


def _parse_constraint(path: Path) -> _Constraint:
    """Parse one ``ic-NN.rq`` file into its header, PREFIX block and ASK queries."""
    text = path.read_text(encoding="utf-8")
    first_line = text.split("\n", 1)[0]
    match = _HEADER_RE.match(first_line)
    if match is None:
        raise ValueError(f"{path}: the first line must be '# IC-N. Title', found {first_line!r}")
    ic, number, title = match.group(1), int(match.group(2)), match.group(3)
    head, *asks = _ASK_START_RE.split(text)
    if not asks:
        raise ValueError(f"{path}: no ASK query found")
    prefixes = "".join(line + "\n" for line in head.splitlines() if _PREFIX_LINE_RE.match(line))
    queries = tuple(prefixes + "\n" + ask.strip() + "\n" for ask in asks)
    if number in _INSTANTIATION_QUERIES and not all(_TEMPLATE_PLACEHOLDER in q for q in queries):
        raise ValueError(f"{path}: template without the {_TEMPLATE_PLACEHOLDER} placeholder")
    return _Constraint(number=number, ic=ic, title=title, prefixes=prefixes, queries=queries)


@functools.cache
def _constraints() -> tuple[_Constraint, ...]:
    """All 21 constraints, in order, read once from ``qb_ic/``."""
    constraints = tuple(_parse_constraint(QB_IC_DIR / f"ic-{n:02d}.rq") for n in range(1, 22))
    for expected, constraint in enumerate(constraints, start=1):
        if constraint.number != expected:
            raise ValueError(f"ic-{expected:02d}.rq declares {constraint.ic}")
    return constraints


def constraint_titles() -> dict[str, str]:
    """Map each constraint id (``"IC-1"`` ... ``"IC-21"``) to its title in the spec."""
    return {c.ic: c.title for c in _constraints()}


def _iri_for_template(term: object) -> str:
    """Return ``term`` written as ``<iri>`` after checking that it is a well-formed absolute IRI.

    Raises:
        ValueError: if ``term`` is not a named node or its IRI is not acceptable in a SPARQL query.
    """
    if not isinstance(term, pyoxigraph.NamedNode):
        raise ValueError(f"hierarchy property is not an IRI: {term!r}")
    value = term.value
    if _STRICT_IRI_RE.fullmatch(value) is None:
        raise ValueError(f"hierarchy property is not a well-formed IRI: {value!r}")
    written = URIRef(value).n3()  # raises if rdflib does not accept it as a URI
    if written != f"<{value}>":
        raise ValueError(f"hierarchy property is not a well-formed IRI: {value!r}")
    return written


def _hierarchy_properties(store: pyoxigraph.Store, constraint: _Constraint) -> list[str]:
    """Run the spec's instantiation query for IC-20 or IC-21; return each ``?p`` written as ``<iri>``."""
    solutions = store.query(constraint.prefixes + _INSTANTIATION_QUERIES[constraint.number])
    if not isinstance(solutions, pyoxigraph.QuerySolutions):
        raise TypeError("instantiation query is not a SELECT query")
    return sorted({_iri_for_template(solution["p"]) for solution in solutions})


def _instantiated_queries(store: pyoxigraph.Store, constraint: _Constraint) -> Iterable[str]:
    """The ASK queries to run for ``constraint``; a template yields one per hierarchy property."""
    if not constraint.is_template:
        yield from constraint.queries
        return
    for iri in _hierarchy_properties(store, constraint):
        for template in constraint.queries:
            yield template.replace(_TEMPLATE_PLACEHOLDER, iri)


def _ask(store: pyoxigraph.Store, query: str) -> bool:
    result = store.query(query)
    if not isinstance(result, pyoxigraph.QueryBoolean):
        raise TypeError("integrity constraint query is not an ASK query")
    return bool(result)


def normalize(store: pyoxigraph.Store) -> None:
    """Apply the Data Cube normalization algorithm (section 11.1) to ``store`` in place.

    Runs phase 1 (type and property closure) and then phase 2 (push down attachment levels) as the
    spec's SPARQL updates, on the store's default graph.
    """
    for name in NORMALIZE_PHASES:
        store.update((QB_IC_DIR / name).read_text(encoding="utf-8"))


def check_integrity(store: pyoxigraph.Store) -> list[IntegrityViolation]:
    """Run IC-1 ... IC-21 against ``store``'s default graph; return the violated constraints, in order.

    The store should already be normalized (see :func:`normalize`): the spec defines the constraints
    on normalized graphs only.
    """
    violations: list[IntegrityViolation] = []
    for constraint in _constraints():
        if any(_ask(store, query) for query in _instantiated_queries(store, constraint)):
            violations.append(IntegrityViolation(ic=constraint.ic, title=constraint.title))
    return violations


def check_graph_files(paths: list[Path]) -> list[IntegrityViolation]:
    """Load Turtle files into a fresh in-memory store, normalize it and return its violations."""
    store = pyoxigraph.Store()
    for path in paths:
        store.load(path=str(path), format=pyoxigraph.RdfFormat.TURTLE)
    normalize(store)
    return check_integrity(store)
