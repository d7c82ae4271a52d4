"""The URI scheme: the one place that knows how mappa-kb names things.

Every resource is minted under one canonical base. The Turtle in ontology/ and data/ is written under
SOURCE_BASE; a deployment under its own domain configures another base and the store rewrites the IRIs
as it loads them, so nobody edits the Turtle. The pattern is the UK public-sector one: /id/ names a
thing, /doc/ is the document about it, /def/ holds vocabulary terms.
"""

from __future__ import annotations

import re
from datetime import date

from rdflib import Namespace, URIRef

SOURCE_BASE = "https://w3id.org/mappa-kb/"

MAPPA = Namespace(SOURCE_BASE + "def/mappa/")
MCUBE = Namespace(SOURCE_BASE + "def/cube/")
KBID = Namespace(SOURCE_BASE + "id/")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SDMX_CODE = Namespace("http://purl.org/linked-data/sdmx/2009/code#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
REF_DAY = "http://reference.data.gov.uk/id/day/"
REF_INTERVAL = "http://reference.data.gov.uk/id/gregorian-interval/"

# Turtle prefixes the project writes with, so that generated files read like the hand-written ones.
PREFIXES: dict[str, str] = {
    "area": SOURCE_BASE + "id/area/",
    "category": SOURCE_BASE + "id/offender-category/",
    "codelist": SOURCE_BASE + "id/code-list/",
    "dataset": SOURCE_BASE + "id/dataset/",
    "dcat": str(DCAT),
    "dcterms": "http://purl.org/dc/terms/",
    "glossary": SOURCE_BASE + "id/glossary/",
    "kbid": str(KBID),
    "level": SOURCE_BASE + "id/management-level/",
    "mappa": str(MAPPA),
    "mcube": str(MCUBE),
    "obs": SOURCE_BASE + "id/observation/",
    "prov": str(PROV),
    "qb": str(QB),
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "sdmx-attribute": str(SDMX_ATTRIBUTE),
    "sdmx-code": str(SDMX_CODE),
    "sdmx-dimension": str(SDMX_DIMENSION),
    "sdmx-measure": str(SDMX_MEASURE),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "source": SOURCE_BASE + "id/source/",
    "statistic": SOURCE_BASE + "id/statistic/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slug(text: str) -> str:
    """A lowercase-hyphenated path segment for a name ("Thames Valley" -> "thames-valley")."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not value:
        raise ValueError(f"cannot make a URI segment from {text!r}")
    return value


def is_segment(value: str) -> bool:
    """Whether ``value`` can be a segment of our URIs (lowercase letters, digits, single hyphens)."""
    return bool(_SLUG.match(value))


def _segment(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a valid URI segment (lowercase letters, digits, hyphens)")
    return value


def thing(kind: str, key: str) -> URIRef:
    """The /id/ URI of a thing: thing("area", "durham") -> .../id/area/durham."""
    return URIRef(f"{SOURCE_BASE}id/{_segment(kind)}/{_segment(key)}")


def area(area_slug: str) -> URIRef:
    return thing("area", area_slug)


def statistic(table: str) -> URIRef:
    """The statistic code for a tidy-CSV table name (``eligible_snapshot`` -> statistic/eligible-snapshot)."""
    return thing("statistic", table.replace("_", "-"))


def code_segment(code: str) -> str:
    """The URI segment of a level or category code: "total" -> "all", "2+3" -> "2-and-3"."""
    return {"total": "all", "2+3": "2-and-3"}.get(code, code)


def management_level(code: str) -> URIRef:
    return thing("management-level", code_segment(code))


def offender_category(code: str) -> URIRef:
    return thing("offender-category", code_segment(code))


def reporting_year_label(start_year: int) -> str:
    """The label MAPPA reports use for the year starting 1 April: 2010 -> "2010-11"."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def dataset(area_slug: str, start_year: int, source_key: str | None = None) -> URIRef:
    """One area's figures for one year; from a tidy CSV, one data set per source (its key appended)."""
    suffix = f"-{_segment(source_key)}" if source_key else ""
    return thing("dataset", f"{_segment(area_slug)}-{reporting_year_label(start_year)}{suffix}")


def observation(
    area_slug: str, start_year: int, table: str, level: str, category: str, *extra: str
) -> URIRef:
    """One figure: area, year, statistic, level and category, in that order; ``extra`` segments (the
    source of a tidy-CSV figure, and for "other" figures their note) keep apart what would collide."""
    parts = [
        _segment(area_slug),
        reporting_year_label(start_year),
        _segment(table.replace("_", "-")),
        "level-" + _segment(code_segment(level)),
        "category-" + _segment(code_segment(category)),
        *(_segment(e) for e in extra),
    ]
    return URIRef(SOURCE_BASE + "id/observation/" + "/".join(parts))


# The knowledge base is one named graph, the default graph of every query: the ontology, the glossary
# and the headline figures. Each source's figures as published are a named graph of their own.
KB_GRAPH = SOURCE_BASE + "id/graph/knowledge-base"


def source_graph(source_key: str) -> str:
    """The named graph that holds one source's figures exactly as it published them."""
    return f"{SOURCE_BASE}id/graph/source/{_segment(source_key)}"


def source_table(source_slug: str, table_number: int) -> URIRef:
    return URIRef(f"{thing('source', source_slug)}/table/{table_number}")


def day(when: date) -> URIRef:
    """A 31 March snapshot, as the reference.data.gov.uk day URI."""
    return URIRef(REF_DAY + when.isoformat())


def reporting_year(start_year: int) -> URIRef:
    """The 1 April to 31 March year, as the reference.data.gov.uk gregorian-interval URI."""
    return URIRef(f"{REF_INTERVAL}{start_year}-04-01T00:00:00/P1Y")


def id_to_doc(uri: str, base: str = SOURCE_BASE) -> str | None:
    """The /doc/ URI that describes an /id/ URI, or None when ``uri`` is not one of ours."""
    if not uri.startswith(base + "id/"):
        return None
    return base + "doc/" + uri[len(base) + 3 :]


_ABSOLUTE_IRI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:[^<>\"{}|^`\\\x00-\x20\x7f]*")


def checked_iri(text: str) -> str:
    """``text`` if it is an absolute IRI that can be written between angle brackets, else ValueError."""
    if not _ABSOLUTE_IRI.fullmatch(text):
        raise ValueError(f"{text!r} is not an absolute IRI")
    return text


def validate_base(base: str) -> str:
    """Check a configured canonical base: absolute http(s), ending in '/'."""
    if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", base) or not base.endswith("/"):
        raise ValueError(
            f"base URI {base!r} must be an absolute http(s) URI ending in '/', e.g. https://data.example.org/"
        )
    return base


def rebase(text: str, base: str) -> str:
    """Rewrite the canonical base in serialized RDF (N-Triples or Turtle) to a deployment's base."""
    base = validate_base(base)
    return text if base == SOURCE_BASE else text.replace(SOURCE_BASE, base)
