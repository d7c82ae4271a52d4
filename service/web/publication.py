"""Publication metadata and downloads: VoID and DCAT, full dumps, each data set as tidy CSV, a sitemap,
and the OpenAPI description of the HTTP API."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from mappa_kb import uris
from mappa_kb.knowledge import queries
from mappa_kb.knowledge.export import tidy_rows, to_csv
from mappa_kb.negotiation import DOCUMENTS, GRAPHS, by_name
from mappa_kb.web.glossary import glossary
from mappa_kb.web.openapi import openapi_document
from mappa_kb.web.responses import cache_control, error, negotiate, represent
from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("publication", __name__)
VOID = Namespace("http://rdfs.org/ns/void#")
DUMP_EXTENSIONS = {"ttl": "turtle", "nt": "nt", "jsonld": "jsonld"}
VOCABULARIES = [
    "http://purl.org/linked-data/cube#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/linked-data/sdmx/2009/dimension#",
    "http://www.w3.org/ns/dcat#",
    "http://www.w3.org/ns/prov#",
]
_DUMPING = threading.Lock()


def _base() -> str:
    return current_app.config["MAPPA_SETTINGS"].base_uri


def _triples() -> int:
    store = current_store()
    counted = store.run("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "json")
    return int(json.loads(counted.body)["results"]["bindings"][0]["n"]["value"])


def publication_graph() -> Graph:
    """VoID for the knowledge base, DCAT for it and for each data set, with their downloads."""
    base, graph = _base(), Graph()
    for prefix, namespace in (("void", VOID), ("dcat", DCAT), ("dcterms", DCTERMS), ("foaf", FOAF)):
        graph.bind(prefix, namespace)
    kb = URIRef(base + "id/knowledge-base")
    graph.add((kb, RDF.type, VOID.Dataset))
    graph.add((kb, RDF.type, DCAT.Dataset))
    graph.add((kb, DCTERMS.title, Literal("MAPPA knowledge base", lang="en")))
    graph.add((kb, DCTERMS.description, Literal(_DESCRIPTION, lang="en")))
    graph.add((kb, FOAF.homepage, URIRef(url_for("pages.home", _external=True))))
    graph.add((kb, VOID.sparqlEndpoint, URIRef(url_for("sparql.sparql", _external=True))))
    graph.add((kb, VOID.uriSpace, Literal(base)))
    graph.add((kb, VOID.triples, Literal(_triples(), datatype=XSD.integer)))
    graph.add((kb, VOID.exampleResource, URIRef(base + "id/area/durham")))
    for vocabulary in VOCABULARIES:
        graph.add((kb, VOID.vocabulary, URIRef(vocabulary)))
    for extension, name in DUMP_EXTENSIONS.items():
        dump = URIRef(url_for("publication.dump", extension=extension, _external=True))
        graph.add((kb, VOID.dataDump, dump))
        _distribution(graph, kb, dump, by_name(GRAPHS, name).media_type)
    store = current_store()
    for row in queries.select(store, "datasets", base):
        dataset = URIRef(row["dataset"])
        graph.add((kb, VOID.subset, dataset))
        graph.add((dataset, RDF.type, DCAT.Dataset))
        graph.add((dataset, DCTERMS.title, Literal(row["title"], lang="en")))
        if row["area"]:
            graph.add((dataset, DCTERMS.spatial, URIRef(row["area"])))
        slug = row["dataset"].rstrip("/").rsplit("/", 1)[-1]
        csv_url = URIRef(url_for("publication.dataset_csv", slug=slug, _external=True))
        _distribution(graph, dataset, csv_url, "text/csv")
    return graph


def _distribution(graph: Graph, dataset: URIRef, url: URIRef, media_type: str) -> None:
    distribution = URIRef(f"{url}#distribution")
    graph.add((dataset, DCAT.distribution, distribution))
    graph.add((distribution, RDF.type, DCAT.Distribution))
    graph.add((distribution, DCAT.downloadURL, url))
    graph.add(
        (distribution, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/" + media_type))
    )


_DESCRIPTION = (
    "Multi-Agency Public Protection Arrangements (MAPPA) in England and Wales: the ontology, a glossary, the "
    "MAPPA areas and each area's yearly statistics as an RDF Data Cube, with the provenance of every figure."
)


@blueprint.route("/.well-known/void")
def void() -> Response:
    return represent(negotiate(DOCUMENTS[1:]), graph=publication_graph)


@blueprint.route("/catalog")
def catalog() -> Response:
    return represent(negotiate(DOCUMENTS[1:]), graph=publication_graph)


@blueprint.route("/dumps")
def dumps() -> Response:
    files = [
        (url_for("publication.dump", extension=e), by_name(GRAPHS, n).media_type)
        for e, n in DUMP_EXTENSIONS.items()
    ]
    return Response(render_template("dumps.html", files=files), mimetype="text/html")


@blueprint.route("/dumps/knowledge-base.<extension>")
def dump(extension: str) -> Response:
    if extension not in DUMP_EXTENSIONS:
        return error(404, f"there is no dump as .{extension[:20]}; use .ttl, .nt or .jsonld")
    path = _dump_file(DUMP_EXTENSIONS[extension], extension)
    media_type = by_name(GRAPHS, DUMP_EXTENSIONS[extension]).media_type
    response = send_file(path, mimetype=media_type, conditional=True, download_name=f"mappa-kb.{extension}")
    response.headers["Cache-Control"] = cache_control()
    return response


def _dump_file(format_name: str, extension: str) -> Path:
    """The dump, written once per process (the store never changes under it)."""
    folder = current_app.extensions.get("mappa_dumps")
    with _DUMPING:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="mappa-kb-dumps-"))
            atexit.register(shutil.rmtree, folder, True)
            current_app.extensions["mappa_dumps"] = folder
        path = folder / f"knowledge-base.{extension}"
        if not path.exists():
            partial = path.with_suffix(".partial")
            current_store().dump(format_name, partial)
            partial.rename(path)
    return path


@blueprint.route("/dumps/dataset/<slug>.csv")
def dataset_csv(slug: str) -> Response:
    """One data set as tidy CSV: what `mappa-kb export` writes for it."""
    if not uris.is_segment(slug):  # no data set is named so: the client's mistake, not the store's
        return error(404, f"there is no data set '{slug[:100]}'; the list is at /datasets")
    store = current_store()
    cells = queries.select(store, "export-csv", _base(), (("dataset", _base() + "id/dataset/" + slug),))
    if not cells:
        return error(404, f"there is no data set '{slug[:100]}'; the list is at /datasets")
    response = Response(to_csv(tidy_rows(cells)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
    return response


@blueprint.route("/sitemap.xml")
def sitemap() -> Response:
    store, base = current_store(), _base()
    pages = [url_for("pages.home", _external=True), url_for("glossary.index", _external=True)]
    pages += [url_for("glossary.concept", concept_id=c.id, _external=True) for c in glossary().concepts]
    root = request.host_url.rstrip("/")
    pages += [root + "/doc/" + r["area"][len(base) + 3 :] for r in queries.select(store, "areas", base)]
    pages += [root + "/doc/" + r["dataset"][len(base) + 3 :] for r in queries.select(store, "datasets", base)]
    body = render_template("sitemap.xml", pages=pages)
    return Response(body, mimetype="application/xml")


@blueprint.route("/openapi.json")
def openapi() -> Response:
    return Response(json.dumps(openapi_document(request.host_url), indent=1), mimetype="application/json")
