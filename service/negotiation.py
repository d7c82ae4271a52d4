"""Content negotiation, in one place: an explicit ``format`` wins, else the best match of ``Accept``.

Views hold no media-type strings of their own: they ask this module for a ``Choice``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox


class NotAcceptable(ValueError):
    """No representation the client accepts; the message lists what is offered."""


@dataclass(frozen=True)
class Choice:
    media_type: str
    format_name: str
    oxigraph_format: ox.QueryResultsFormat | ox.RdfFormat | None = None


RESULTS = (  # SELECT and ASK, most preferred first
    Choice("application/sparql-results+json", "json", ox.QueryResultsFormat.JSON),
    Choice("application/sparql-results+xml", "xml", ox.QueryResultsFormat.XML),
    Choice("text/csv", "csv", ox.QueryResultsFormat.CSV),
    Choice("text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV),
)
GRAPHS = (  # CONSTRUCT and DESCRIBE
    Choice("text/turtle", "turtle", ox.RdfFormat.TURTLE),
    Choice("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
    Choice("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD),
    Choice("application/rdf+xml", "rdfxml", ox.RdfFormat.RDF_XML),
)
HTML = Choice("text/html", "html")
JSON = Choice("application/json", "json")
TEXT = Choice("text/plain", "text")
DOCUMENTS = (HTML, *GRAPHS)  # a linked-data resource: a page for people, RDF for machines
GLOSSARY = (JSON, GRAPHS[2], GRAPHS[0], HTML)  # the glossary API: JSON first, for scripts
# The file extensions a /doc/ URL may end in, naming a format (".ttl" -> "turtle").
EXTENSIONS = {
    "html": "html",
    "ttl": "turtle",
    "nt": "nt",
    "jsonld": "jsonld",
    "rdf": "rdfxml",
    "json": "json",
}
ALIASES = {  # media types clients send for the same thing
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first (ties keep header order)."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        quality = 1.0
        for parameter in fields[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        ranges.append((index, media, quality))
    ranges.sort(key=lambda r: (-r[2], r[0]))
    return [(media, quality) for _, media, quality in ranges]


def _matches(media_range: str, media_type: str) -> bool:
    if media_range in ("*/*", media_type) or ALIASES.get(media_range) == media_type:
        return True
    kind, _, subtype = media_range.partition("/")
    return subtype == "*" and media_type.startswith(kind + "/")


def choose(offers: tuple[Choice, ...], accept: str | None, format_name: str | None = None) -> Choice:
    """The representation to send: the ``format`` parameter if given, else the best Accept match."""
    if format_name:
        for offer in offers:
            if format_name.lower() in (offer.format_name, offer.media_type):
                return offer
        names = ", ".join(o.format_name for o in offers)
        raise NotAcceptable(f"unknown format {format_name!r}; this answer is available as: {names}")
    ranges = parse_accept(accept)
    refused = {m for m, q in ranges if q <= 0 and "*" not in m}
    refused |= {ALIASES[m] for m in refused if m in ALIASES}
    for media_range, quality in ranges:
        if quality <= 0:
            continue
        for offer in offers:
            if offer.media_type not in refused and _matches(media_range, offer.media_type):
                return offer
    types = ", ".join(o.media_type for o in offers)
    raise NotAcceptable(
        f"none of the accepted media types can be served; this answer is available as: {types}"
    )


def by_name(offers: tuple[Choice, ...], format_name: str) -> Choice:
    """The offer with this format name (the names the ``format`` parameter takes)."""
    for offer in offers:
        if offer.format_name == format_name:
            return offer
    raise NotAcceptable(
        f"unknown format {format_name!r}; use one of: {', '.join(o.format_name for o in offers)}"
    )
