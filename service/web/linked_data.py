"""Linked data: every IRI we mint dereferences, whatever host the service runs on.

``/id/...`` names a thing and answers 303 See Other to ``/doc/...``, the document about it: HTML for
people, Turtle, JSON-LD, N-Triples or RDF/XML for machines (by ``Accept``, ``format`` or a file
extension). Vocabulary terms live under ``/def/`` and are documents themselves. The IRIs in the data are
always under the configured canonical base; only the links on pages are local.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, current_app, redirect, render_template, request

from mappa_kb.knowledge import queries
from mappa_kb.knowledge.resources import Resource, describe
from mappa_kb.negotiation import DOCUMENTS, EXTENSIONS, HTML, by_name
from mappa_kb.web.glossary import glossary, render_concept_page
from mappa_kb.web.pages import render_area_page, render_dataset_page
from mappa_kb.web.responses import error, negotiate
from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("linked_data", __name__)
_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~%/-]{0,300}")


def _base() -> str:
    return current_app.config["MAPPA_SETTINGS"].base_uri


def _split_extension(path: str) -> tuple[str, str | None]:
    stem, dot, extension = path.rpartition(".")
    if dot and extension in EXTENSIONS and "/" not in extension:
        return stem, extension
    return path, None


@blueprint.route("/id/<path:path>")
def thing(path: str) -> Response:
    """A thing is not a document: send the client to the document about it."""
    if not _PATH.fullmatch(path):  # we never mint such an IRI; and it must not reach a header
        return _unknown(_base() + "id/" + path)
    target = "/doc/" + quote(path, safe="/")
    if request.query_string:
        target += "?" + request.query_string.decode("ascii", "replace")
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response


@blueprint.route("/doc/<path:path>")
def document(path: str) -> Response:
    path, extension = _split_extension(path)
    return _serve(_base() + "id/" + path, path, extension)


@blueprint.route("/def/<path:path>")
def vocabulary_term(path: str) -> Response:
    path, extension = _split_extension(path)
    return _serve(_base() + "def/" + path, path, extension)


def _serve(iri: str, path: str, extension: str | None) -> Response:
    choice = negotiate(DOCUMENTS, extension)
    if not _PATH.fullmatch(path):
        return _unknown(iri)
    store, bindings = current_store(), (("resource", iri),)
    if not queries.select(store, "known", _base(), bindings):
        return _unknown(iri)
    if choice != HTML:
        described = store.run(queries.for_base("describe", _base()), choice.format_name, bindings=bindings)
        response = Response(described.body, mimetype=by_name(DOCUMENTS, choice.format_name).media_type)
        response.headers["Vary"] = "Accept"
        return response
    resource = describe(store, _base(), iri)
    if resource is None:
        return _unknown(iri)
    response = Response(_page(resource, path), mimetype="text/html")
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = ", ".join(
        f'<{request.path}?format={name}>; rel="alternate"; type="{media}"'
        for name, media in (("turtle", "text/turtle"), ("jsonld", "application/ld+json"))
    )
    return response


def _page(resource: Resource, path: str) -> str:
    """A page for the resource: the glossary, area and data set pages know their kind of thing."""
    kind = path.split("/", 1)[0]
    concept = glossary().by_uri(resource.iri) if kind == "glossary" else None
    if concept is not None:
        return render_concept_page(concept)
    if kind == "area":
        return render_area_page(resource)
    if kind == "dataset":
        return render_dataset_page(resource)
    return render_template("resource.html", resource=resource)


def _unknown(iri: str) -> Response:
    return error(
        404,
        f"The knowledge base has nothing about {iri}. It may be mistyped, or the figures it names may not "
        "have been published yet.",
        title="Nothing known about this URI",
    )
