"""MAPPA areas by name: resolve what a publisher types to the area's slug and label."""

from __future__ import annotations

from functools import cache

from rdflib import Graph
from rdflib.namespace import SKOS

from mappa_kb import paths
from mappa_kb.uris import PREFIXES


@cache
def _labels() -> dict[str, tuple[str, str]]:
    graph = Graph().parse(paths.kb_root() / "ontology" / "areas.ttl")
    found: dict[str, tuple[str, str]] = {}
    for area in set(graph.subjects(SKOS.inScheme, None)):
        slug = str(area).removeprefix(PREFIXES["area"])
        label = str(graph.value(area, SKOS.prefLabel))
        for name in [slug, label, *map(str, graph.objects(area, SKOS.altLabel))]:
            found[name.casefold()] = (slug, label)
    return found


def resolve_area(name: str) -> tuple[str, str]:
    """(slug, label) for an area given by slug, name or alternative name, any case."""
    match = _labels().get(name.strip().casefold())
    if match is None:
        raise LookupError(f"{name!r} is not a MAPPA area (try a name such as 'Durham' or 'Thames Valley')")
    return match
