"""Validation: Turtle files + the shipped shapes -> a report grouped by rule.

Used by ``mappa-kb validate``, by ingest before it writes, and by the tests. The fast engine
(``shacl_engine``, Oxigraph) is the default; ``engine="pyshacl"`` runs plain pySHACL on the same
files, and the two must give the same verdicts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from mappa_kb import paths
from mappa_kb.engine.loading import UnreadableInput, load_store
from mappa_kb.knowledge import queries
from mappa_kb.validation.shacl_engine import SH, ValidationResult, compile_shapes, nt, run_checks

__all__ = ["UnreadableInput", "ValidationReport", "validate_files"]

_IRI_TERM = re.compile(r'^<[^<>"{}|^`\\\s]+>$')
VIOLATION = str(SH.Violation)
WARNING = str(SH.Warning)
INFO = str(SH.Info)


@dataclass
class ValidationReport:
    """What a validation found. ``conforms`` is false only for violations: warnings and infos are
    reported but, as with pySHACL's ``allow_warnings``, do not make data non-conformant."""

    results: list[ValidationResult]
    rule_labels: dict[str, str] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    engine: str = "fast"

    @property
    def conforms(self) -> bool:
        return not any(r.severity == VIOLATION for r in self.results)

    def count(self, severity: str) -> int:
        return sum(r.severity == severity for r in self.results)

    def by_rule(self) -> dict[str, list[ValidationResult]]:
        """Results grouped by the rule that found them (the SPARQL constraint, or the property shape)."""
        groups: dict[str, list[ValidationResult]] = {}
        for result in sorted(self.results):
            groups.setdefault(rule_of(result), []).append(result)
        return groups


def rule_of(result: ValidationResult) -> str:
    """The shape that states a result's rule: its SPARQL constraint, or the shape of a core constraint."""
    return result.shape if result.constraint.startswith(str(SH)) else result.constraint


def expand(inputs: Iterable[Path]) -> list[Path]:
    """Files to validate: each file as given, each folder's Turtle files (recursively)."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            files += sorted(item.rglob("*.ttl"))
        elif item.is_file():
            files.append(item)
        else:
            raise UnreadableInput(item, "no such file or folder")
    return files


def load_graph(files: Sequence[Path]) -> Graph:
    graph = Graph()
    for path in files:
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises many types for bad Turtle
            raise UnreadableInput(path, f"Turtle syntax error: {error}") from None
    return graph


def load_shapes(files: Sequence[Path] | None = None) -> Graph:
    return load_graph(list(files) if files is not None else paths.shapes_files())


def _labels(shapes: Graph) -> dict[str, str]:
    return {str(s): str(label) for s, label in shapes.subject_objects(RDFS.label) if isinstance(s, URIRef)}


def validate_files(
    files: Sequence[Path],
    shapes_files: Sequence[Path] | None = None,
    engine: str = "fast",
    include_ontology: bool = True,
) -> ValidationReport:
    """Validate Turtle files (plus, by default, the shipped ontology they refer to) against the shapes."""
    data_files = list(files)
    if include_ontology:
        data_files = _with_ontology(data_files)
    if engine not in ("fast", "pyshacl"):
        raise ValueError(f"unknown validation engine {engine!r}: use 'fast' or 'pyshacl'")
    shapes = load_shapes(shapes_files)
    started = time.perf_counter()
    store = load_store(data_files)
    if engine == "pyshacl":
        results = validate_with_pyshacl(load_graph(data_files), shapes)
    else:
        results = _validate_fast(store, data_files, shapes)
    seconds = time.perf_counter() - started
    return ValidationReport(results, _labels(shapes), describe_cells(store, results), seconds, engine)


def describe_cells(store: ox.Store, results: Iterable[ValidationResult]) -> dict[str, str]:
    """A publisher's description ("area, period: statistic, level, category") of each cell in results."""
    iris = {term for r in results for term in (r.focus, r.value) if term and _IRI_TERM.match(term)}
    if not iris:
        return {}
    values = "VALUES ?cell { " + " ".join(sorted(iris)) + " }"
    descriptions = {}
    for row in store.query(_bind_values(queries.load("describe-cells"), values)):
        start, end = (row[v].value if row[v] else "?" for v in ("start", "end"))
        period = end if start == end else f"{start} to {end}"
        parts = [row[v].value if row[v] else "?" for v in ("statistic", "level", "category")]
        area = row["area"].value if row["area"] else "?"
        descriptions[str(row["cell"])] = f"{area}, {period}: " + ", ".join(parts)
    return descriptions


def _bind_values(query: str, values: str) -> str:
    """Put a VALUES block (built from IRIs already checked as N-Triples terms) inside the WHERE clause."""
    head, _, body = query.partition("WHERE {")
    return f"{head}WHERE {{ {values}{body}"


def _with_ontology(files: list[Path]) -> list[Path]:
    seen = {p.resolve() for p in files}
    return [p for p in paths.turtle_files("ontology") if p.resolve() not in seen] + files


def _validate_fast(store: ox.Store, files: Sequence[Path], shapes: Graph) -> list[ValidationResult]:
    checks, unsupported = compile_shapes(shapes)
    results = run_checks(store, checks)
    if unsupported:
        # Shapes the fast engine does not translate still get checked, by pySHACL, on the same data.
        results += validate_with_pyshacl(load_graph(files), _subgraph(shapes, unsupported))
    return sorted(set(results))


def _subgraph(shapes: Graph, roots: Iterable[Node]) -> Graph:
    """The shapes in ``roots`` with everything they reach, plus prefix declarations."""
    sub = Graph()
    todo = list(roots) + list(shapes.subjects(SH.declare, None))
    seen: set[Node] = set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            sub.add((node, p, o))
            if p != RDF.type:
                todo.append(o)
    return sub


def validate_with_pyshacl(data: Graph, shapes: Graph) -> list[ValidationResult]:
    """Plain pySHACL on an rdflib graph, its results in the fast engine's form."""
    import pyshacl  # imported here: it is slow to import and only this path needs it

    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, allow_warnings=True)
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        component = report.value(node, SH.sourceConstraintComponent)
        constraint = report.value(node, SH.sourceConstraint)
        is_sparql = component == SH.SPARQLConstraintComponent and constraint is not None
        path = report.value(node, SH.resultPath)
        results.append(
            ValidationResult(
                severity=str(report.value(node, SH.resultSeverity)),
                shape=str(report.value(node, SH.sourceShape)),
                constraint=str(constraint if is_sparql else component),
                focus=nt(report.value(node, SH.focusNode)),
                path=nt(path) if isinstance(path, URIRef) else None,
                value=nt(report.value(node, SH.value)),
                message=str(report.value(node, SH.resultMessage) or ""),
            )
        )
    return sorted(set(results))
