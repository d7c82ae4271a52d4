"""``/glossary``: MAPPA's terms for people and for other web sites (JSON, JSON-LD, Turtle, HTML)."""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape
from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef

from mappa_kb.knowledge.glossary import Concept, Glossary, Match, QueryError, load_glossary
from mappa_kb.negotiation import GLOSSARY, HTML, JSON, TEXT
from mappa_kb.web import heap
from mappa_kb.web.responses import BadRequest, error, negotiate, represent
from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("glossary", __name__)
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
PER_PAGE, MAX_PER_PAGE, MAX_LIMIT = 50, 200, 50
_LOADING = threading.Lock()


def glossary() -> Glossary:
    """The glossary of the app's store, read on first use and kept (the store never changes under it)."""
    found = current_app.extensions.get("mappa_glossary")
    if found is None:
        with _LOADING:
            found = current_app.extensions.get("mappa_glossary")
            if found is None:
                settings = current_app.config["MAPPA_SETTINGS"]
                found = load_glossary(current_store(), settings.base_uri)
                current_app.extensions["mappa_glossary"] = found
    return found


def preload(app: Flask) -> None:
    """Read the glossary in the background now, so that the first visitor does not wait for it."""

    def read() -> None:
        with app.app_context():
            try:
                glossary()
            except Exception as problem:  # the first request tries again and reports what is wrong
                app.logger.warning("the glossary could not be read at start-up: %s", problem)
        heap.settle(app)  # the process has read what it keeps: out of the collector's way

    threading.Thread(target=read, name="glossary-preload", daemon=True).start()


def _integer(name: str, default: int, highest: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= highest:
        raise BadRequest(f"'{name}' must be a whole number from 1 to {highest} (got {value[:40]!r})")
    return int(value)


def _concept_or_404(concept_id: str) -> Concept:
    concept = glossary().get(concept_id)
    if concept is None:
        raise _NotFound(concept_id)
    return concept


class _NotFound(LookupError):
    pass


@blueprint.errorhandler(_NotFound)
def _not_found(problem: _NotFound) -> Response:
    term = str(problem.args[0])[:100]
    try:
        suggestions = glossary().search(term.replace("-", " "), limit=3)
    except QueryError:  # nothing in the id to search by: no suggestion, still a plain 404
        suggestions = None
    hint = ""
    if suggestions and (suggestions.matches or suggestions.did_you_mean):
        best = (suggestions.matches or suggestions.did_you_mean)[0].concept
        hint = f"; did you mean '{best.id}' ({best.label})"
    return error(404, f"there is no glossary concept '{term}'{hint}. Search with /glossary/search?q=TEXT")


# --- representations -------------------------------------------------------------------------------


def concept_brief(concept: Concept) -> dict:
    return {
        "id": concept.id,
        "uri": concept.uri,
        "label": concept.label,
        "abbreviations": concept.abbreviations,
        "summary": concept.summary,
        "page": url_for("glossary.concept", concept_id=concept.id, _external=True),
    }


def _related(uris: list[str]) -> list[dict]:
    found = [glossary().by_uri(uri) for uri in uris]
    return [{"id": c.id, "uri": c.uri, "label": c.label} for c in found if c is not None]


def concept_data(concept: Concept) -> dict:
    return {
        **concept_brief(concept),
        "altLabels": concept.alt_labels,
        "definition": concept.definition,
        "scopeNotes": concept.scope_notes,
        "examples": concept.examples,
        "editorialNotes": concept.editorial_notes,
        "sources": concept.sources,
        "broader": _related(concept.broader),
        "narrower": _related(concept.narrower),
        "related": _related(concept.related),
        "focus": concept.focus,
        "usedIn": [{"statistic": u.statistic, "label": u.label, "figures": u.figures} for u in concept.usage],
    }


def concept_graph(concepts: list[Concept], scheme: str) -> Graph:
    graph = Graph()
    graph.bind("skos", SKOS)
    graph.bind("dcterms", DCTERMS)
    graph.bind("foaf", FOAF)
    for concept in concepts:
        node = URIRef(concept.uri)
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, SKOS.inScheme, URIRef(scheme)))
        graph.add((node, SKOS.prefLabel, Literal(concept.label, lang="en")))
        graph.add((node, SKOS.definition, Literal(concept.definition, lang="en")))
        texts = [
            (SKOS.altLabel, concept.alt_labels),
            (SKOS.scopeNote, concept.scope_notes),
            (SKOS.example, concept.examples),
        ]
        for predicate, values in texts:
            for value in values:
                graph.add((node, predicate, Literal(value, lang="en")))
        links = [
            (SKOS.broader, concept.broader),
            (SKOS.narrower, concept.narrower),
            (SKOS.related, concept.related),
            (DCTERMS.source, concept.sources),
            (FOAF.focus, concept.focus),
        ]
        for predicate, values in links:
            for value in values:
                graph.add((node, predicate, URIRef(value)))
    return graph


def _match_data(match: Match) -> dict:
    return {**concept_brief(match.concept), "matched": match.matched}


# --- routes ----------------------------------------------------------------------------------------


@blueprint.route("/glossary")
def index() -> Response:
    found = glossary()
    per_page = _integer("per_page", PER_PAGE, MAX_PER_PAGE)
    pages = max(1, -(-len(found) // per_page))
    page = _integer("page", 1, pages)
    shown = found.concepts[(page - 1) * per_page : page * per_page]

    def link(number: int) -> str | None:
        if not 1 <= number <= pages:
            return None
        return url_for("glossary.index", page=number, per_page=per_page, _external=True)

    response = represent(
        negotiate(GLOSSARY),
        data=lambda: {
            "total": len(found),
            "page": page,
            "per_page": per_page,
            "pages": pages,
            "next": link(page + 1),
            "previous": link(page - 1),
            "concepts": [concept_brief(c) for c in shown],
        },
        graph=lambda: concept_graph(shown, found.scheme),
        page=lambda: render_template(
            "glossary.html", concepts=shown, page=page, pages=pages, per_page=per_page, total=len(found)
        ),
    )
    links = [f'<{link(n)}>; rel="{rel}"' for n, rel in ((page + 1, "next"), (page - 1, "prev")) if link(n)]
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


@blueprint.route("/glossary/search")
def search() -> Response:
    text = request.args.get("q")
    choice = negotiate(GLOSSARY)
    if text is None and choice == HTML:
        return Response(render_template("glossary-search.html", result=None, q=""), mimetype="text/html")
    if text is None:
        raise BadRequest("missing 'q': give the text to look for, e.g. /glossary/search?q=sopo")
    result = glossary().search(text, limit=_integer("limit", 10, MAX_LIMIT))
    return represent(
        choice,
        data=lambda: {
            "query": text,
            "results": [_match_data(m) for m in result.matches],
            "didYouMean": [_match_data(m) for m in result.did_you_mean],
        },
        graph=lambda: concept_graph([m.concept for m in result.matches], glossary().scheme),
        page=lambda: render_template("glossary-search.html", result=result, q=text),
    )


@blueprint.route("/glossary/<concept_id>")
def concept(concept_id: str) -> Response:
    found = _concept_or_404(concept_id)
    return represent(
        negotiate(GLOSSARY),
        data=lambda: concept_data(found),
        graph=lambda: concept_graph([found], glossary().scheme),
        page=lambda: render_concept_page(found),
    )


def render_concept_page(found: Concept) -> str:
    return render_template(
        "concept.html",
        concept=found,
        broader=_related(found.broader),
        narrower=_related(found.narrower),
        related=_related(found.related),
    )


@blueprint.route("/glossary/<concept_id>/summary")
def summary(concept_id: str) -> Response:
    found = _concept_or_404(concept_id)
    return represent(
        negotiate((JSON, TEXT, HTML)),
        data=lambda: concept_brief(found),
        text=lambda: summary_text(found),
        page=lambda: str(summary_html(found)),
    )


def summary_text(found: Concept) -> str:
    abbreviations = f" ({', '.join(found.abbreviations)})" if found.abbreviations else ""
    return f"{found.label}{abbreviations}: {found.summary}\n"


def summary_html(found: Concept) -> Markup:
    """A fragment for a hovercard: the label, the abbreviations, the first sentence, a link."""
    page = url_for("glossary.concept", concept_id=found.id, _external=True)
    abbreviations = f" ({escape(', '.join(found.abbreviations))})" if found.abbreviations else ""
    return Markup(
        '<div class="mappa-summary"><p><strong>{label}</strong>{abbreviations}: {text}</p>'
        '<p><a href="{page}">More about {label}</a></p></div>\n'
    ).format(label=found.label, abbreviations=Markup(abbreviations), text=found.summary, page=page)
