"""A fast SHACL engine for the shapes mappa-kb ships.

pySHACL checks each focus node with its own query, which at national scale (60,000 observations)
takes minutes. Here every constraint becomes one SPARQL query over the whole data graph, run by
Oxigraph: a SHACL-SPARQL constraint is joined with its targets instead of being pre-bound to each
focus node, and the core constraint components our shapes use are translated to SPARQL. A shape
that uses anything this module does not translate is reported by ``unsupported_shapes`` and left to
pySHACL by the caller, so verdicts never depend on what is translated here.

A SHACL-SPARQL query is joined, not pre-bound, so it must bind $this in its top-level pattern and
project it (``SELECT $this ...``); the shapes in shapes/ are written that way, and tests compare the
verdicts of this engine with pySHACL's on the shipped data and on every broken fixture.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")
XSD = "http://www.w3.org/2001/XMLSchema#"

# Lexical forms a literal of these datatypes must have (sh:datatype also requires well-formed values).
_LEXICAL = {
    XSD + "integer": r"^[+-]?[0-9]+$",
    XSD + "nonNegativeInteger": r"^[+]?[0-9]+$",
    XSD + "decimal": r"^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$",
    XSD + "date": r"^-?[0-9]{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])(Z|[+-][0-9]{2}:[0-9]{2})?$",
    XSD + "boolean": r"^(true|false|1|0)$",
}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.BlankNodeOrIRI: "(isBlank(?v) || isIRI(?v))",
    SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))",
}
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_TRANSLATED = {
    SH.minCount,
    SH.maxCount,
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH["in"],
    SH.hasValue,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.pattern,
    SH.flags,
}
_SHAPE_BOOKKEEPING = {
    RDF.type,
    SH.path,
    SH.message,
    SH.severity,
    SH.property,
    SH.sparql,
    SH.deactivated,
    SH.name,
    SH.description,
    URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
    URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
    *_TARGETS,
}


@dataclass(frozen=True, order=True)
class ValidationResult:
    """One sh:ValidationResult, with terms in N-Triples form so results compare across engines."""

    severity: str
    shape: str
    constraint: str
    focus: str
    path: str | None
    value: str | None
    message: str


@dataclass(frozen=True)
class _Check:
    shape: URIRef
    constraint: URIRef
    severity: URIRef
    path: URIRef | None
    query: str
    message: str
    # For a cardinality check: (sh:minCount, sh:maxCount); the query projects the count as ?n.
    count_bounds: tuple[int | None, int | None] | None = None

    def component_for(self, row: ox.QuerySolution) -> URIRef:
        if self.count_bounds is None:
            return self.constraint
        minimum, _ = self.count_bounds
        count = int(row["n"].value)
        too_few = minimum is not None and count < minimum
        return SH.MinCountConstraintComponent if too_few else SH.MaxCountConstraintComponent


def nt(term: Node | ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    """A term in N-Triples form, for rdflib and pyoxigraph terms alike."""
    if term is None:
        return None
    if isinstance(term, (URIRef, Literal, BNode)):
        return term.n3() if not isinstance(term, Literal) else _literal_nt(term)
    return str(term)


def _literal_nt(term: Literal) -> str:
    lexical = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if term.language:
        return f'"{lexical}"@{term.language}'
    datatype = term.datatype or URIRef(XSD + "string")
    return f'"{lexical}"' if str(datatype) == XSD + "string" else f'"{lexical}"^^<{datatype}>'


def _sparql_term(term: Node) -> str:
    if isinstance(term, URIRef):
        if not re.fullmatch(r"[^<>\"{}|^`\\\s]+", str(term)):
            raise ValueError(f"IRI {term!r} cannot be written in a query")
        return f"<{term}>"
    if isinstance(term, Literal):
        return _literal_nt(term)
    raise ValueError(f"a shape uses the blank node {term!r} where a value is needed")


def _path(shapes: Graph, path: Node) -> str:
    """A SHACL path as a SPARQL property path (predicate, inverse, sequence, alternative)."""
    if isinstance(path, URIRef):
        return _sparql_term(path)
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        return f"^({_path(shapes, inverse)})"
    alternative = shapes.value(path, SH.alternativePath)
    if alternative is not None:
        return "(" + "|".join(_path(shapes, p) for p in Collection(shapes, alternative)) + ")"
    if shapes.value(path, RDF.first) is not None:
        return "(" + "/".join(_path(shapes, p) for p in Collection(shapes, path)) + ")"
    raise _Unsupported(f"path {path}")


class _Unsupported(Exception):
    pass


def _target_pattern(shapes: Graph, shape: Node) -> str:
    """A graph pattern binding ?this to each focus node of ``shape``."""
    parts = []
    for cls in shapes.objects(shape, SH.targetClass):
        parts.append(f"{{ ?this a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {_sparql_term(cls)} }}")
    for node in shapes.objects(shape, SH.targetNode):
        parts.append(f"{{ BIND ({_sparql_term(node)} AS ?this) }}")
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        parts.append(f"{{ SELECT DISTINCT ?this WHERE {{ ?this {_sparql_term(prop)} ?any }} }}")
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        parts.append(f"{{ SELECT DISTINCT ?this WHERE {{ ?any {_sparql_term(prop)} ?this }} }}")
    if (shape, RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class")) in shapes:
        parts.append(
            f"{{ ?this a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {_sparql_term(shape)} }}"
        )
    return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(parts) + " } }" if parts else ""


def _value_filter(
    shapes: Graph, parameter: URIRef, value: Node, constraint_shape: Node
) -> tuple[URIRef, str]:
    """(constraint component, FILTER expression true for a *failing* value ?v)."""
    if parameter == SH["class"]:
        return SH.ClassConstraintComponent, (
            f"NOT EXISTS {{ ?v a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {_sparql_term(value)} }}"
        )
    if parameter == SH.datatype:
        check = f"!isLiteral(?v) || DATATYPE(?v) != {_sparql_term(value)}"
        if str(value) in _LEXICAL:
            check += f' || !REGEX(STR(?v), "{_LEXICAL[str(value)]}")'
        return SH.DatatypeConstraintComponent, check
    if parameter == SH.nodeKind:
        return SH.NodeKindConstraintComponent, f"!{_NODE_KINDS[value]}"
    if parameter == SH["in"]:
        members = " || ".join(f"sameTerm(?v, {_sparql_term(m)})" for m in Collection(shapes, value))
        return SH.InConstraintComponent, f"!({members or 'false'})"
    comparisons = {
        SH.minInclusive: (SH.MinInclusiveConstraintComponent, ">="),
        SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, "<="),
        SH.minExclusive: (SH.MinExclusiveConstraintComponent, ">"),
        SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, "<"),
    }
    if parameter in comparisons:
        component, operator = comparisons[parameter]
        # Incomparable values fail too, as in SHACL: COALESCE turns the error into a failure.
        return component, f"COALESCE(!(?v {operator} {_sparql_term(value)}), true)"
    if parameter == SH.pattern:
        flags = shapes.value(constraint_shape, SH.flags)
        flag_arg = f", {_sparql_term(Literal(str(flags)))}" if flags else ""
        return SH.PatternConstraintComponent, (
            f"isBlank(?v) || !REGEX(STR(?v), {_sparql_term(Literal(str(value)))}{flag_arg})"
        )
    raise _Unsupported(str(parameter))


def _message(shapes: Graph, *nodes: Node) -> str:
    for node in nodes:
        for message in shapes.objects(node, SH.message):
            return str(message)
    return ""


def _severity(shapes: Graph, shape: Node) -> URIRef:
    return shapes.value(shape, SH.severity) or SH.Violation


def _core_checks(shapes: Graph, shape: Node, target: str, prop: Node | None) -> Iterator[_Check]:
    """Checks for the core constraints of a node shape (prop None) or one of its property shapes."""
    owner = prop if prop is not None else shape
    path_node = shapes.value(prop, SH.path) if prop is not None else None
    values = f"?this {_path(shapes, path_node)} ?v ." if path_node is not None else "BIND (?this AS ?v)"
    message = _message(shapes, owner)
    severity = _severity(shapes, owner)
    for parameter, value in shapes.predicate_objects(owner):
        if parameter in _SHAPE_BOOKKEEPING or parameter == SH.flags:
            continue
        if parameter not in _TRANSLATED:
            raise _Unsupported(str(parameter))
        if parameter in (SH.minCount, SH.maxCount):
            continue  # both bounds are checked by one query, below
        if parameter == SH.hasValue:
            hit = f"?this {_path(shapes, path_node)} {_sparql_term(value)}" if path_node is not None else ""
            query = (
                f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ {hit} }} }}"
                if hit
                else f"SELECT ?this WHERE {{ {target} FILTER (!sameTerm(?this, {_sparql_term(value)})) }}"
            )
            yield _Check(owner, SH.HasValueConstraintComponent, severity, path_node, query, message)
            continue
        component, failing = _value_filter(shapes, parameter, value, owner)
        query = f"SELECT ?this ?v WHERE {{ {target} {values} FILTER ({failing}) }}"
        yield _Check(owner, component, severity, path_node, query, message)
    yield from _cardinality_check(shapes, owner, target, path_node, values, severity, message)


def _cardinality_check(
    shapes: Graph,
    owner: Node,
    target: str,
    path_node: Node | None,
    values: str,
    severity: URIRef,
    message: str,
) -> Iterator[_Check]:
    """One query for sh:minCount and sh:maxCount together: count the values of each focus node once."""
    minimum, maximum = shapes.value(owner, SH.minCount), shapes.value(owner, SH.maxCount)
    if minimum is None and maximum is None:
        return
    if path_node is None:
        raise _Unsupported("count on a node shape")
    bounds = (int(minimum) if minimum is not None else None, int(maximum) if maximum is not None else None)
    tests = [f"?n < {bounds[0]}"] * (bounds[0] is not None) + [f"?n > {bounds[1]}"] * (bounds[1] is not None)
    query = (
        f"SELECT ?this ?n WHERE {{ {{ SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {target} "
        f"OPTIONAL {{ {values} }} }} GROUP BY ?this }} FILTER ({' || '.join(tests)}) }}"
    )
    yield _Check(owner, SH.MinCountConstraintComponent, severity, path_node, query, message, bounds)


_PROJECTS_THIS = re.compile(r"^\s*SELECT\s+(DISTINCT\s+)?\$this\b", re.IGNORECASE)


def _prefix_block(shapes: Graph, constraint: Node) -> str:
    lines = []
    for ontology in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(ontology, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines)


def _sparql_checks(shapes: Graph, shape: Node, target: str) -> Iterator[_Check]:
    for constraint in shapes.objects(shape, SH.sparql):
        select = str(shapes.value(constraint, SH.select) or "")
        if not _PROJECTS_THIS.match(select):
            raise _Unsupported(f"SPARQL constraint {constraint} does not start with SELECT $this")
        body = select.replace("$this", "?this")
        query = f"{_prefix_block(shapes, constraint)}\nSELECT * WHERE {{ {target} {{ {body} }} }}"
        message = _message(shapes, constraint, shape)
        yield _Check(shape, constraint, _severity(shapes, shape), None, query, message)


def _node_shapes(shapes: Graph) -> list[Node]:
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    for predicate in _TARGETS:
        found.update(shapes.subjects(predicate, None))
    return sorted(s for s in found if (s, SH.deactivated, Literal(True)) not in shapes)


def compile_shapes(shapes: Graph) -> tuple[list[_Check], list[Node]]:
    """Translate every node shape with targets; return the checks and the shapes left to pySHACL."""
    checks: list[_Check] = []
    unsupported: list[Node] = []
    for shape in _node_shapes(shapes):
        target = _target_pattern(shapes, shape)
        if not target:
            continue  # no focus nodes of its own: only reachable through sh:node, which we do not translate
        try:
            shape_checks = list(_core_checks(shapes, shape, target, None))
            for prop in shapes.objects(shape, SH.property):
                shape_checks += _core_checks(shapes, shape, target, prop)
            shape_checks += _sparql_checks(shapes, shape, target)
        except _Unsupported:
            unsupported.append(shape)
            continue
        checks += shape_checks
    return checks, unsupported


def _substitute(template: str, row: ox.QuerySolution, variables: Iterable[str]) -> str:
    message = template
    for name in variables:
        term = row[name]
        if term is None:
            continue
        text = term.value
        message = re.sub(r"\{[?$]" + re.escape(name) + r"\}", lambda _m, t=text: t, message)
    return re.sub(r"\{\$this\}", lambda _m: row["this"].value, message)


def run_checks(store: ox.Store, checks: list[_Check]) -> list[ValidationResult]:
    """Run compiled checks on a store (the data is its default graph), several at a time.

    Oxigraph releases the GIL while it evaluates a query, so threads use every core.
    """
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [result for found in pool.map(lambda c: _run_check(store, c), checks) for result in found]


def _run_check(store: ox.Store, check: _Check) -> list[ValidationResult]:
    solutions = store.query(check.query)
    names = [v.value for v in solutions.variables]
    shape_path = f"<{check.path}>" if isinstance(check.path, URIRef) else None
    results = []
    for row in solutions:
        value = row["value"] if "value" in names else (row["v"] if "v" in names else None)
        path = row["path"] if "path" in names else None
        results.append(
            ValidationResult(
                severity=str(check.severity),
                shape=str(check.shape),
                constraint=str(check.component_for(row)),
                focus=nt(row["this"]),
                path=nt(path) if path is not None else shape_path,
                value=nt(value),
                message=_substitute(check.message, row, names),
            )
        )
    return results
