"""The guard: what a public, read-only endpoint lets a query do, decided before any engine sees it.

A query must be a query (not an update), must not make the store fetch another URL (SERVICE, FROM),
and is refused with a message that says why. Most queries are judged by a glance at their prologue;
only one that spells SERVICE or FROM pays for a full parse.
"""

from __future__ import annotations

import functools
import re
import threading

from rdflib import URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue

from mappa_kb.engine.interface import Query, QueryRefused

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


def check_query(text: str, service_allow: frozenset[str] = frozenset()) -> Query:
    """A query a public read-only endpoint may run, with its form; anything else is refused with a
    message that says why. SERVICE may call only the endpoints of ``service_allow`` (none by default).

    Most queries never mention SERVICE or FROM; for them the form is read off the prologue and the
    store's own parser is the judge of syntax (see ``explain_syntax_error``). Only a query that spells
    one of the two words, even in a string or a comment, pays for a full parse.
    """
    if not text.strip():
        raise QueryRefused("the query is empty")
    _check_nesting(text)
    lowered = text.lower()  # (a plain search is ten times faster than a case-blind regular expression)
    if not any(word in lowered for word in _FULL_CHECK_WORDS):
        found = _PROLOGUE_AND_FORM.match(text)
        if found:
            return Query(text, found.group(1).upper())
    return Query(text, _full_check(text, service_allow))


# Brackets nested deeper than this are refused: no real query comes near it, and a parser that recurses
# for each level (rdflib's, Oxigraph's) would exhaust its stack on thousands.
MAX_NESTING = 100
# What may hold a bracket that does not nest: strings (long and short), comments and IRIs.
_BRACKETS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*+"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*+\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*+"|\'(?:[^\'\\\n\r]|\\.)*+\'|#[^\n\r]*+'
    r'|<[^<>"{}|^`\\\x00-\x20]*+>|([({\[])|([)}\]])'
)


def _check_nesting(text: str) -> None:
    """Refuse a query whose brackets ({, (, [) nest deeper than MAX_NESTING."""
    if text.count("{") + text.count("(") + text.count("[") <= MAX_NESTING:  # (cannot be deeper: C speed)
        return
    depth = deepest = 0
    for found in _BRACKETS.finditer(text):
        if found.group(1):
            depth += 1
            deepest = max(deepest, depth)
        elif found.group(2):
            depth -= 1
    if deepest > MAX_NESTING:
        raise QueryRefused(
            f"the query nests brackets {deepest} deep; at most {MAX_NESTING} levels are accepted"
        )


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
