"""``/sparql``: the SPARQL 1.1 Protocol for queries (GET, POST form, POST direct), read-only."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, current_app, g, render_template, request
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from mappa_kb import metrics
from mappa_kb.engine.guard import check_query
from mappa_kb.engine.interface import (
    Dataset,
    Query,
    QueryFailed,
    QueryRefused,
    QueryStopped,
    QueryTimeout,
    StoreUnavailable,
)
from mappa_kb.knowledge.examples import examples
from mappa_kb.negotiation import GRAPHS, HTML, RESULTS, Choice, NotAcceptable, choose
from mappa_kb.uris import checked_iri
from mappa_kb.web.description import service_description
from mappa_kb.web.store_watch import current_store

blueprint = Blueprint("sparql", __name__)
RDFLIB_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"


MISSING_QUERY = "missing 'query' parameter: send a SPARQL query, e.g. /sparql?query=ASK%20%7B%7D"


class ProtocolError(ValueError):
    """A request the protocol does not allow; answered with 400 and this message."""


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(f"the '{name}' parameter was given {len(values)} times; give it once")
    return values[0] if values else None


def _query_text() -> str | None:
    """The query of the request, by the three operations of the protocol."""
    if request.method in ("GET", "HEAD"):  # HEAD: the headers a GET would have, as HTTP says
        if request.args.getlist("update"):
            raise ProtocolError("updates are not accepted: this endpoint is read-only")
        return _one(request.args.getlist("query"), "query")
    media_type = (request.mimetype or "").lower()
    if media_type == FORM:
        if request.form.getlist("update"):
            raise ProtocolError("updates are not accepted: this endpoint is read-only")
        return _one(request.form.getlist("query"), "query")
    if media_type == DIRECT:
        if request.args.getlist("query"):
            raise ProtocolError("a POST with a SPARQL body must not also carry a 'query' parameter")
        try:
            return request.get_data(cache=False).decode(request.mimetype_params.get("charset", "utf-8"))
        except (UnicodeDecodeError, LookupError):
            raise ProtocolError("the query body is not valid UTF-8") from None
    if media_type == UPDATE:
        raise ProtocolError("updates are not accepted: this endpoint is read-only")
    raise ProtocolError(
        f"a POST must be {FORM} with a 'query' field, or {DIRECT} with the query as its body "
        f"(got {media_type or 'no Content-Type'})"
    )


def _dataset() -> Dataset | None:
    """The RDF data set the request names with default-graph-uri and named-graph-uri, if any."""
    values = request.args if request.method in ("GET", "HEAD") else request.values
    return dataset_of(values.getlist("default-graph-uri"), values.getlist("named-graph-uri"))


def dataset_of(default: list[str], named: list[str]) -> Dataset | None:
    """The RDF data set of these default-graph-uri and named-graph-uri values, if any.

    Only graphs of the store can be named; an IRI the store does not hold is an empty graph. The
    service never dereferences these IRIs.
    """
    for iri in default + named:
        try:
            checked_iri(iri)
        except ValueError:
            where = "default-graph-uri or named-graph-uri"
            raise ProtocolError(f"{iri!r} is not an absolute IRI (in {where})") from None
    if not default and not named:
        return None
    return Dataset(tuple(default), tuple(named))


def representation(query: Query, accept: str | None, format_name: str | None) -> Choice:
    """The format to answer a query in, negotiated by its form."""
    offers = GRAPHS if query.form in ("CONSTRUCT", "DESCRIBE") else RESULTS
    return choose(offers, accept, format_name)


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _bare_get() -> Response:
    """A bare GET: the query page for browsers, else the Service Description (Turtle by default)."""
    try:
        choice = choose((*GRAPHS, HTML), request.headers.get("Accept"))
    except NotAcceptable:
        return _plain(400, MISSING_QUERY)
    if choice == HTML:
        return _query_page()
    store = current_store()
    graph = service_description(request.base_url, store.graph, store.triples(), store.dataset.named_graphs)
    body = graph.serialize(format=RDFLIB_FORMATS[choice.format_name], encoding="utf-8")
    response = Response(body, mimetype=choice.media_type)
    response.headers["Vary"] = "Accept"
    return response


def _query_page() -> Response:
    settings = current_app.config["MAPPA_SETTINGS"]
    found = examples()
    page = render_template(
        "sparql.html",
        endpoint=request.base_url,
        examples=found,
        # Escaped for a <script type="application/json"> block: no "</script>" can close it early.
        examples_json=Markup(htmlsafe_json_dumps([asdict(e) for e in found])),
        timeout=f"{settings.query_timeout:g}",
        max_rows=settings.max_rows,
    )
    response = Response(page, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    return response


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    try:
        text = _query_text()
        g.mappa_query = text  # for the request log, which keeps only a hash of it
        dataset = _dataset()
    except ProtocolError as error:
        return _plain(400, str(error))
    if text is None:
        if request.method in ("GET", "HEAD") and not request.args:
            return _bare_get()
        return _plain(400, MISSING_QUERY)
    try:
        # Checked once (read-only, no fetching): the store is handed what the guard learnt.
        query = check_query(text, current_app.config["MAPPA_SETTINGS"].service_allow)
        choice = representation(query, request.headers.get("Accept"), request.args.get("format"))
        result = current_store().run(query, choice.format_name, dataset)
    except QueryRefused as error:
        return _plain(400, str(error))
    except NotAcceptable as error:
        return _plain(406, str(error))
    except QueryFailed as error:
        return _plain(400, f"the query could not be answered: {error}")
    except QueryStopped as error:  # past its time or memory limit
        if isinstance(error, QueryTimeout):
            metrics.QUERY_TIMEOUTS.inc()
        response = _plain(503, str(error))
        response.headers["Retry-After"] = "60"
        return response
    except StoreUnavailable as error:
        response = _plain(error.status, str(error))  # 502 for an external server, 503 for our own
        response.headers["Retry-After"] = "10"
        return response
    g.mappa_rows = result.rows  # for the request log
    response = Response(result.body, mimetype=choice.media_type)
    response.headers["Vary"] = "Accept"
    if result.truncated:
        # The results were cut at a size limit: say so, and which, never silently.
        settings = current_app.config["MAPPA_SETTINGS"]
        limit = (
            f"max-bytes={settings.max_answer_bytes}" if result.cut_by_bytes else f"limit={settings.max_rows}"
        )
        response.headers["MAPPA-Results-Truncated"] = f"true; {limit}"
    return response
