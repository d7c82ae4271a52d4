"""``/rest/v1/``: the part of the Skosmos REST API that thesaurus clients use, over the glossary.

Skosmos (https://github.com/NatLibFi/Skosmos) publishes SKOS vocabularies; Finto's widgets, the
``skosmos-client`` library and other tools talk to its REST API. This blueprint answers the same
requests with the same JSON shapes, parameter names and status codes, so those clients work against
the glossary unchanged. The shapes follow Skosmos's ``src/controller/RestController.php``,
``src/rest.php``, ``src/model/Model.php``, ``src/model/ConceptSearchParameters.php`` and
``src/model/sparql/GenericSparql.php``, and its OpenAPI description ``swagger.json``.

The one vocabulary is ``mappa``, the glossary scheme, whose labels are English. The glossary is in
memory, so no request text ever reaches a query. Search follows Skosmos's matching exactly: a term
without ``*`` matches a whole label (ignoring case), ``term*`` a label's start, ``*term`` its end, and
other asterisks any run of characters; each matching label is one hit unless ``unique`` is set.

Where Skosmos would answer a bad parameter with a 500 or silently with nothing, this says why with a
400: a text over 200 characters or with control characters, a malformed ``lang``, an unknown vocabulary
in ``vocab``. Errors are JSON (``responses.error``), Skosmos's wording in the message.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable

from flask import Blueprint, Response, request
from rdflib import RDF, SKOS, Graph, Literal, URIRef

from mappa_kb.knowledge.glossary import MAX_QUERY_LENGTH, Concept, Glossary
from mappa_kb.negotiation import GRAPHS, JSON, Choice, NotAcceptable, choose
from mappa_kb.web.glossary import concept_graph, glossary
from mappa_kb.web.responses import BadRequest, error, represent

blueprint = Blueprint("skosmos", __name__)

VOCID = "mappa"
LANGUAGE = "en"  # the language of every label in the glossary; also the vocabulary's default
TITLE = "MAPPA glossary"  # the vocabulary's title, as Skosmos's config.ttl would give it
SKOS_NS = str(SKOS)
CONCEPT_TYPE = "skos:Concept"
SCHEME_TYPE = "skos:ConceptScheme"
ONKI = "http://schema.onki.fi/onki#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
ISOTHES = "http://purl.org/iso25964/skos-thes#"
# RestController's context template.
BASE_CONTEXT = {"skos": SKOS_NS, "uri": "@id", "type": "@type"}
# RestController::returnDataResults compacts JSON-LD with this context.
DATA_CONTEXT = {
    "skos": SKOS_NS,
    "isothes": ISOTHES,
    "rdfs": RDFS_NS,
    "owl": "http://www.w3.org/2002/07/owl#",
    "dct": DCT,
    "dc11": "http://purl.org/dc/elements/1.1/",
    "uri": "@id",
    "type": "@type",
    "lang": "@language",
    "value": "@value",
    "graph": "@graph",
    "label": "rdfs:label",
    "prefLabel": "skos:prefLabel",
    "altLabel": "skos:altLabel",
    "hiddenLabel": "skos:hiddenLabel",
    "broader": "skos:broader",
    "narrower": "skos:narrower",
    "related": "skos:related",
    "inScheme": "skos:inScheme",
    "exactMatch": "skos:exactMatch",
    "closeMatch": "skos:closeMatch",
    "broadMatch": "skos:broadMatch",
    "narrowMatch": "skos:narrowMatch",
    "relatedMatch": "skos:relatedMatch",
}
# Skosmos's SUPPORTED_FORMATS for concept data, its default (rdf+xml) first; N-Triples is extra.
_BY_NAME = {choice.format_name: choice for choice in GRAPHS}
DATA_FORMATS = (_BY_NAME["rdfxml"], _BY_NAME["turtle"], _BY_NAME["jsonld"], JSON, _BY_NAME["nt"])
JSON_FORMATS = (JSON, _BY_NAME["jsonld"])  # RestController::returnJson negotiates between these two
# A language tag (BCP 47 shape) or "*"; anything else in `lang` is refused.
_LANGUAGE_TAG = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_FIELD = re.compile(r"^[A-Za-z]{1,40}$")
_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no", ""}
# Extra fields a search may ask for (`fields`): the concept's relations, and its literals.
_RELATION_FIELDS = {"broader": "broader", "narrower": "narrower", "related": "related"}
_LITERAL_FIELDS = {
    "altLabel": "alt_labels",
    "scopeNote": "scope_notes",
    "example": "examples",
}


class _NotFound(LookupError):
    """Answered with 404 and this message."""


@blueprint.errorhandler(_NotFound)
def _not_found(problem: _NotFound) -> Response:
    return error(404, str(problem))


# --- parameters ------------------------------------------------------------------------------------


def _shown(text: str, limit: int = 100) -> str:
    """``text`` cut short for an error message."""
    return text if len(text) <= limit else text[:limit] + "…"


def _parameter(name: str) -> str | None:
    """A query parameter as given (None when absent), refused if it holds control characters."""
    value = request.args.get(name)
    if value is not None and any(unicodedata.category(ch) == "Cc" for ch in value):
        raise BadRequest(f"{name} parameter is invalid: it contains control characters")
    return value


def _term(name: str) -> str | None:
    """A search text (``query``, ``label``): trimmed and NFC-normalized like Skosmos does; None if
    absent or blank; refused if longer than the glossary's search limit."""
    value = _parameter(name)
    if value is None or not value.strip():
        return None
    if len(value) > MAX_QUERY_LENGTH:
        raise BadRequest(
            f"{name} parameter is invalid: it has {len(value)} characters; the limit is {MAX_QUERY_LENGTH}"
        )
    return unicodedata.normalize("NFC", value.strip())


def _language(name: str = "lang") -> str | None:
    value = _parameter(name)
    if not value:
        return None
    if len(value) > 35 or not _LANGUAGE_TAG.match(value):
        raise BadRequest(
            f"{name} parameter is invalid: {_shown(value, 40)!r} is not a language code such as 'en'"
        )
    return value


def _count(name: str, lowest: int) -> int | None:
    """A whole-number parameter (maxhits, offset); Skosmos's message when it is not one."""
    value = _parameter(name)
    if value is None or value == "":
        return None
    if not value.isascii() or not value.isdigit() or int(value) < lowest:
        raise BadRequest(
            f"{name} parameter is invalid: give a whole number, {lowest} or more (got {_shown(value, 40)!r})"
        )
    return int(value)


def _boolean(name: str, default: bool) -> bool:
    """PHP's FILTER_VALIDATE_BOOLEAN, as Skosmos reads flags such as ``unique``."""
    value = _parameter(name)
    if value is None:
        return default
    value = value.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else default


def _words(name: str) -> list[str]:
    """A space- (or '+'-) separated list parameter."""
    value = _parameter(name)
    return value.replace("+", " ").split() if value else []


def _uri() -> str:
    """The ``uri`` parameter (right-trimmed, as Skosmos's Request::setURI does); 400 when missing."""
    value = _parameter("uri")
    if value is None or not value.rstrip():
        raise BadRequest("uri parameter missing: give the concept's URI, e.g. ?uri=" + _example_uri())
    return value.rstrip()


def _example_uri() -> str:
    concepts = glossary().concepts
    return concepts[0].uri if concepts else glossary().scheme + "/..."


def _vocabulary(vocid: str) -> Glossary:
    """The glossary if ``vocid`` names it; 404 with Skosmos's message otherwise."""
    if vocid != VOCID:
        raise _NotFound(
            f"Vocabulary id '{_shown(vocid, 60)}' not found. The only vocabulary here is '{VOCID}'."
        )
    return glossary()


def _vocabularies_parameter() -> bool:
    """Whether ``vocab`` limits a global request to vocabularies (all of which must be ours)."""
    vocids = _words("vocab")
    for vocid in vocids:
        _vocabulary(vocid)
    return bool(vocids)


def _lang_matches(tag: str, language_range: str | None) -> bool:
    """SPARQL's langMatches: no range, or "*", or the tag itself or one of its subtags' prefix."""
    if not language_range:
        return True
    if language_range == "*":
        return bool(tag)
    tag, language_range = tag.lower(), language_range.lower()
    return tag == language_range or tag.startswith(language_range + "-")


# --- answers ---------------------------------------------------------------------------------------


def _json(data: dict) -> Response:
    """JSON as RestController::returnJson sends it: application/json unless ld+json is preferred."""
    try:
        choice = choose(JSON_FORMATS, request.headers.get("Accept"))
    except NotAcceptable:
        choice = JSON  # Skosmos falls back to JSON rather than refuse
    response = Response(json.dumps(data, ensure_ascii=False, indent=1), mimetype=choice.media_type)
    response.headers["Vary"] = "Accept"
    return response


def _base(*parts: str) -> str:
    """An absolute URL on this service under /rest/v1/ (Skosmos's @base values)."""
    return request.host_url + "rest/v1/" + "".join(parts)


def _concept_or_404(found: Glossary, uri: str) -> Concept:
    concept = found.by_uri(uri)
    if concept is None:
        raise _NotFound(f"Could not find concept <{_shown(uri)}>")
    return concept


def _label(found: Glossary, uri: str, lang: str) -> str | None:
    concept = found.by_uri(uri)
    return concept.label if concept is not None and _lang_matches(LANGUAGE, lang) else None


# --- search ----------------------------------------------------------------------------------------


def _pattern_matches(pattern: str, text: str) -> bool:
    """Whether lower-cased ``text`` matches lower-cased ``pattern``, where ``*`` is any run of
    characters. Glob matching in linear passes: no regular expression, so no runaway backtracking."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return text == pattern
    first, *middle, last = parts
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return False
    position, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def _under(found: Glossary, concept: Concept, parent: str) -> bool:
    """Whether ``parent`` is among the concept's transitive broader concepts (skos:broader+)."""
    seen: set[str] = set()
    todo = list(concept.broader)
    while todo:
        uri = todo.pop()
        if uri == parent:
            return True
        if uri not in seen:
            seen.add(uri)
            above = found.by_uri(uri)
            todo.extend(above.broader if above else [])
    return False


def _hits(
    found: Glossary,
    term: str | None,
    search_lang: str | None,
    *,
    unique: bool = False,
    localname: bool = True,
    parent: str | None = None,
) -> list[dict]:
    """Skosmos's concept search (GenericSparql::generateConceptSearchQuery and its result transform):
    one hit per matching label (the best one per concept when ``unique``), ordered by the matched
    label. No term lists every concept (with ``parent``, Skosmos's browse-by-parent search)."""
    pattern = None
    if term is not None:
        pattern = term.lower()
        while "**" in pattern:
            pattern = pattern.replace("**", "*")
        if not pattern.strip("*"):
            return []  # Model::searchConcepts: nothing to search for
    if not _lang_matches(LANGUAGE, search_lang):
        return []
    rows: list[tuple[str, str, Concept, str | None]] = []
    for concept in found.concepts:
        if parent is not None and not _under(found, concept, parent):
            continue
        if pattern is None:
            rows.append((concept.label.lower(), concept.uri, concept, None))
            continue
        alternatives = sorted(a for a in concept.alt_labels if _pattern_matches(pattern, a.lower()))
        matched: list[str | None] = [None] if _pattern_matches(pattern, concept.label.lower()) else []
        matched += alternatives
        if unique:
            matched = matched[:1]  # the preferred label first, else the least alternative label
        for alternative in matched:
            rows.append(((alternative or concept.label).lower(), concept.uri, concept, alternative))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [_hit(concept, alternative, localname) for _, _, concept, alternative in rows]


def _hit(concept: Concept, alternative: str | None, localname: bool) -> dict:
    hit: dict = {"uri": concept.uri, "type": [CONCEPT_TYPE]}
    if localname:
        hit["localname"] = concept.id
    hit["prefLabel"] = concept.label
    hit["lang"] = LANGUAGE
    if alternative is not None:
        hit["altLabel"] = alternative
    hit["vocab"] = VOCID
    return hit


def _add_fields(found: Glossary, hits: list[dict], fields: list[str], lang: str | None) -> None:
    """The extra fields of a search (``fields``): relations as {uri, prefLabel}, literals as strings,
    ``prefLabel`` as the labels by language (``prefLabels``)."""
    for hit in hits:
        concept = found.by_uri(hit["uri"])
        for field in fields:
            if field == "prefLabel":
                hit["prefLabels"] = {LANGUAGE: concept.label}
            elif field in _RELATION_FIELDS:
                values = []
                for uri in getattr(concept, _RELATION_FIELDS[field]):
                    label = _label(found, uri, lang or LANGUAGE)
                    values.append({"uri": uri, "prefLabel": label} if label else {"uri": uri})
                if values:
                    hit[field] = values
            elif field in _LITERAL_FIELDS or field == "definition":
                values = (
                    [concept.definition]
                    if field == "definition"
                    else getattr(concept, _LITERAL_FIELDS[field])
                )
                if values and values[0] and _lang_matches(LANGUAGE, lang):
                    hit[field] = list(values)


def _search(vocabularies: bool) -> Response:
    """RestController::search, within our vocabulary or across all (``vocabularies``: named in the
    URL or in ``vocab``; Skosmos gives a hit its localname only then)."""
    term = _term("query")
    parent, group = _parameter("parent") or None, _parameter("group") or None
    if term is None and not parent and not group:
        raise BadRequest(
            "query parameter missing: give the text to search for, e.g. ?query=sopo* (* is a wildcard)"
        )
    maxhits, offset = _count("maxhits", 0), _count("offset", 0)
    lang, labellang = _language("lang"), _language("labellang")
    unique = _boolean("unique", False)
    types = _words("type")
    fields = _words("fields")
    if any(not _FIELD.match(field) for field in fields):
        raise BadRequest(
            "fields parameter is invalid: give SKOS property names separated by spaces, e.g. broader"
        )
    found = glossary()
    hits: list[dict] = []
    if not group and (not types or CONCEPT_TYPE in types or SKOS_NS + "Concept" in types):
        # The glossary has no concept groups, and all its concepts are skos:Concept.
        hits = _hits(found, term, lang, unique=unique, localname=vocabularies, parent=parent)
    hits = hits[offset or 0 :]
    if maxhits:  # Skosmos: 0 or absent means no limit
        hits = hits[:maxhits]
    _add_fields(found, hits, fields, labellang or lang)
    context: dict = {
        "skos": SKOS_NS,
        "isothes": ISOTHES,
        "onki": ONKI,
        "uri": "@id",
        "type": "@type",
        "results": {"@id": "onki:results", "@container": "@list"},
        "prefLabel": "skos:prefLabel",
        "altLabel": "skos:altLabel",
        "hiddenLabel": "skos:hiddenLabel",
    }
    for field in fields:
        context[field] = "skos:" + field
    if hits and "prefLabels" in hits[0]:
        context["prefLabels"] = {"@id": "skos:prefLabel", "@container": "@language"}
    if labellang or lang:
        context["@language"] = labellang or lang
    return _json({"@context": context, "uri": "", "results": hits})


# --- concept data ----------------------------------------------------------------------------------


def _scheme_graph(found: Glossary, graph: Graph, concepts: Iterable[Concept]) -> None:
    """The scheme's type and label, and its top concepts among ``concepts``, into ``graph``."""
    scheme = URIRef(found.scheme)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, SKOS.prefLabel, Literal(TITLE, lang=LANGUAGE)))
    for concept in concepts:
        if concept.top_concept:
            graph.add((URIRef(concept.uri), SKOS.topConceptOf, scheme))
            graph.add((scheme, SKOS.hasTopConcept, URIRef(concept.uri)))


def _concept_rdf(found: Glossary, concept: Concept) -> Graph:
    """What Skosmos's concept data holds (GenericSparql::generateConceptInfoQuery): the concept's own
    statements, and the type and label of each concept and scheme it links to."""
    graph = concept_graph([concept], found.scheme)
    _scheme_graph(found, graph, [concept])
    for uri in {*concept.broader, *concept.narrower, *concept.related}:
        other = found.by_uri(uri)
        if other is not None:
            graph.add((URIRef(uri), RDF.type, SKOS.Concept))
            graph.add((URIRef(uri), SKOS.prefLabel, Literal(other.label, lang=LANGUAGE)))
    return graph


def _vocabulary_rdf(found: Glossary) -> Graph:
    graph = concept_graph(found.concepts, found.scheme)
    _scheme_graph(found, graph, found.concepts)
    return graph


def _data_format() -> Choice:
    """The RDF format asked for by ``format`` (a media type, as Skosmos takes it) or else by Accept;
    RDF/XML by default. Chosen before the concept is looked up, as RestController::data does."""
    # An unencoded "application/ld+json" arrives with a space for its "+".
    asked = (_parameter("format") or "").strip().replace(" ", "+")
    try:
        return choose(DATA_FORMATS, request.headers.get("Accept"), asked or None)
    except NotAcceptable:
        types = " ".join(choice.media_type for choice in DATA_FORMATS)
        raise NotAcceptable(f"Unsupported format. Supported MIME types are: {types}") from None


def _data(choice: Choice, make_graph: Callable[[], Graph]) -> Response:
    """The graph in ``choice``; JSON and JSON-LD compacted with Skosmos's context, as
    RestController::returnDataResults does (the nodes under "graph")."""
    if choice.format_name in ("json", "jsonld"):
        body = make_graph().serialize(format="json-ld", context=DATA_CONTEXT, auto_compact=False)
        response = Response(body, mimetype=choice.media_type)
        response.headers["Vary"] = "Accept"
        return response
    return represent(choice, graph=make_graph)


def _concept_data(found: Glossary, uri: str) -> Response:
    choice = _data_format()
    concept = found.by_uri(uri)
    if concept is None:
        raise _NotFound(f"no concept found with given uri <{_shown(uri)}>")
    return _data(choice, lambda: _concept_rdf(found, concept))


# --- routes: global --------------------------------------------------------------------------------


@blueprint.route("/rest/v1/vocabularies")
def vocabularies() -> Response:
    """RestController::vocabularies. Skosmos requires ``lang``; here it defaults to English."""
    lang = _language() or LANGUAGE
    return _json(
        {
            "@context": {
                "rdfs": RDFS_NS,
                "onki": ONKI,
                "title": {"@id": "rdfs:label", "@language": lang},
                "vocabularies": "onki:hasVocabulary",
                "id": "onki:vocabularyIdentifier",
                "uri": "@id",
                "@base": _base("vocabularies"),
            },
            "uri": "",
            "vocabularies": [{"uri": VOCID, "id": VOCID, "title": TITLE}],
        }
    )


@blueprint.route("/rest/v1/search")
def global_search() -> Response:
    return _search(vocabularies=_vocabularies_parameter())


@blueprint.route("/rest/v1/label")
def global_label() -> Response:
    _vocabularies_parameter()
    return _labels(glossary())


@blueprint.route("/rest/v1/data")
def global_data() -> Response:
    _vocabularies_parameter()
    found = glossary()
    uri = _uri()
    return _concept_data(found, uri)


# --- routes: the vocabulary ------------------------------------------------------------------------


@blueprint.route("/rest/v1/<vocid>/")
def vocabulary(vocid: str) -> Response:
    """RestController::vocabularyInformation."""
    found = _vocabulary(vocid)
    lang = _language() or LANGUAGE
    scheme: dict = {}
    if _lang_matches(LANGUAGE, lang):
        scheme = {"prefLabel": TITLE, "title": TITLE}
    return _json(
        {
            "@context": {
                "rdfs": RDFS_NS,
                "skos": SKOS_NS,
                "onki": ONKI,
                "dct": DCT,
                "uri": "@id",
                "type": "@type",
                "conceptschemes": "onki:hasConceptScheme",
                "id": "onki:vocabularyIdentifier",
                "defaultLanguage": "onki:defaultLanguage",
                "languages": "onki:language",
                "label": "rdfs:label",
                "prefLabel": "skos:prefLabel",
                "title": "dct:title",
                "@language": lang,
                "@base": _base(VOCID, "/"),
            },
            "uri": "",
            "id": VOCID,
            "marcSource": None,
            "title": TITLE,
            "defaultLanguage": LANGUAGE,
            "languages": [LANGUAGE],
            "conceptschemes": [{**scheme, "uri": found.scheme, "type": SCHEME_TYPE}],
        }
    )


@blueprint.route("/rest/v1/<vocid>/search")
def search(vocid: str) -> Response:
    _vocabulary(vocid)
    return _search(vocabularies=True)


@blueprint.route("/rest/v1/<vocid>/lookup")
def lookup(vocid: str) -> Response:
    """RestController::lookup: the concepts one of whose labels is ``label``: exact preferred labels,
    else preferred labels ignoring case, else alternative labels exactly, else ignoring case."""
    found = _vocabulary(vocid)
    label = _term("label")
    if label is None:
        raise BadRequest("label parameter missing: give the label to look up, e.g. ?label=SOPO")
    lang = _language()
    # Skosmos searches with the label as the term (wildcards and all), then keeps the best hits.
    results = _hits(found, label, lang)
    tests = (
        lambda hit: hit["prefLabel"] == label and "altLabel" not in hit,
        lambda hit: hit["prefLabel"].lower() == label.lower() and "altLabel" not in hit,
        lambda hit: hit.get("altLabel") == label,
        lambda hit: hit.get("altLabel", "").lower() == label.lower(),
    )
    for test in tests:
        hits = [hit for hit in results if test(hit)]
        if hits:
            break
    else:
        raise _NotFound(f"Could not find label '{_shown(label)}'")
    context = {
        **BASE_CONTEXT,
        "onki": ONKI,
        "results": {"@id": "onki:results"},
        "prefLabel": "skos:prefLabel",
        "altLabel": "skos:altLabel",
        "hiddenLabel": "skos:hiddenLabel",
    }
    if lang:
        context["@language"] = lang
    return _json({"@context": context, "result": hits})


@blueprint.route("/rest/v1/<vocid>/data")
def data(vocid: str) -> Response:
    """RestController::data: a concept's RDF, or with no ``uri`` the whole vocabulary (where Skosmos
    redirects to its configured download)."""
    found = _vocabulary(vocid)
    if not (_parameter("uri") or "").strip():
        return _data(_data_format(), lambda: _vocabulary_rdf(found))
    return _concept_data(found, _uri())


@blueprint.route("/rest/v1/<vocid>/label")
def label(vocid: str) -> Response:
    return _labels(_vocabulary(vocid))


def _labels(found: Glossary) -> Response:
    """RestController::label: the concept's (or the scheme's) preferred and alternative labels."""
    uri = _uri()
    lang = _language() or LANGUAGE
    if uri == found.scheme:
        labels: dict = {"prefLabel": TITLE}
    else:
        concept = _concept_or_404(found, uri)
        labels = {"prefLabel": concept.label}
        if concept.alt_labels:
            labels["altLabel"] = list(concept.alt_labels)
    if not _lang_matches(LANGUAGE, lang):
        labels = {}  # the concept exists, but has no labels in that language
    context = {
        **BASE_CONTEXT,
        "prefLabel": "skos:prefLabel",
        "altLabel": "skos:altLabel",
        "hiddenLabel": "skos:hiddenLabel",
        "@language": lang,
    }
    return _json({"@context": context, "uri": uri, **labels})


@blueprint.route("/rest/v1/<vocid>/topConcepts")
def top_concepts(vocid: str) -> Response:
    """RestController::topConcepts. As in Skosmos, a label not in ``lang`` falls back to the
    vocabulary's language, marked with it: "Licence (en)"."""
    found = _vocabulary(vocid)
    lang = _language() or LANGUAGE
    scheme = _parameter("scheme") or found.scheme
    suffix = "" if _lang_matches(LANGUAGE, lang) else f" ({LANGUAGE})"
    tops = [
        {
            "uri": concept.uri,
            "topConceptOf": found.scheme,
            "label": concept.label + suffix,
            "hasChildren": bool(concept.narrower),
        }
        for concept in found.concepts
        if concept.top_concept and scheme == found.scheme
    ]
    context = {
        **BASE_CONTEXT,
        "onki": ONKI,
        "topconcepts": "skos:hasTopConcept",
        "notation": "skos:notation",
        "label": "skos:prefLabel",
        "@language": lang,
    }
    return _json({"@context": context, "uri": scheme, "topconcepts": tops})


def _related(vocid: str, name: str) -> Response:
    """RestController::broader, ::narrower and ::related: the linked concepts with their labels
    (null when a label is not in ``lang``); 404 for a URI that is no concept of the vocabulary."""
    found = _vocabulary(vocid)
    uri = _uri()
    lang = _language() or LANGUAGE
    concept = _concept_or_404(found, uri)
    linked = [{"uri": other, "prefLabel": _label(found, other, lang)} for other in getattr(concept, name)]
    linked.sort(key=lambda item: ((item["prefLabel"] or "").lower(), item["uri"]))
    context = {**BASE_CONTEXT, "prefLabel": "skos:prefLabel", name: "skos:" + name, "@language": lang}
    return _json({"@context": context, "uri": uri, name: linked})


@blueprint.route("/rest/v1/<vocid>/broader")
def broader(vocid: str) -> Response:
    return _related(vocid, "broader")


@blueprint.route("/rest/v1/<vocid>/narrower")
def narrower(vocid: str) -> Response:
    return _related(vocid, "narrower")


@blueprint.route("/rest/v1/<vocid>/related")
def related(vocid: str) -> Response:
    return _related(vocid, "related")
