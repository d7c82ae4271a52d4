"""Any resource of the knowledge base, described for its page: its statements, labelled and grouped."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from mappa_kb.engine.interface import Store
from mappa_kb.knowledge import queries

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TITLE_PROPERTIES = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
)
MAX_INCOMING = 100


@dataclass(frozen=True)
class Value:
    text: str  # an IRI or a literal's lexical form
    is_iri: bool
    label: str = ""


@dataclass
class Property:
    iri: str
    label: str
    values: list[Value] = field(default_factory=list)


@dataclass
class Resource:
    iri: str
    title: str
    types: list[Value]
    properties: list[Property]
    incoming: list[Property]
    more_incoming: bool


def _is_iri(text: str) -> bool:
    return "://" in text[:12] or text.startswith(("urn:", "mailto:"))


def _group(rows: list[dict[str, str]]) -> list[Property]:
    found: dict[str, Property] = {}
    seen: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        prop = found.setdefault(row["p"], Property(row["p"], row["pLabel"] or _short(row["p"])))
        if row["other"] in seen[row["p"]]:
            continue  # another label of the same value
        seen[row["p"]].add(row["other"])
        prop.values.append(Value(row["other"], _is_iri(row["other"]), row["otherLabel"]))
    for prop in found.values():
        prop.values.sort(key=lambda v: (v.label or v.text).casefold())
    return sorted(found.values(), key=lambda p: p.label.casefold())


def _short(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def describe(store: Store, base_uri: str, iri: str) -> Resource | None:
    """The resource ``iri`` for its page, or None when the knowledge base says nothing about it."""
    bindings = (("resource", iri),)
    out_rows = queries.select(store, "resource-out", base_uri, bindings)
    in_rows = queries.select(store, "resource-in", base_uri, bindings)
    if not out_rows and not in_rows:
        return None
    properties = _group(out_rows)
    types = next((p.values for p in properties if p.iri == RDF_TYPE), [])
    by_iri = {p.iri: p for p in properties}
    titles = [
        v.text for predicate in TITLE_PROPERTIES for v in by_iri.get(predicate, Property("", "")).values
    ]
    return Resource(
        iri=iri,
        title=titles[0] if titles else _short(iri),
        types=types,
        properties=[p for p in properties if p.iri != RDF_TYPE],
        incoming=_group(in_rows[:MAX_INCOMING]),
        more_incoming=len({r["other"] for r in in_rows}) > MAX_INCOMING,
    )
