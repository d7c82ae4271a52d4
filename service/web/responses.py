"""What every blueprint answers with: negotiated representations, pages, errors, and HTTP caching.

Views decide what to say; this module decides how it goes on the wire, so that media types, the
Content-Security-Policy, ETags and error pages are the same everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Flask, Response, current_app, render_template, request
from rdflib import Graph

from mappa_kb import uris
from mappa_kb.engine.interface import QueryFailed, QueryStopped, StoreUnavailable
from mappa_kb.knowledge.glossary import QueryError
from mappa_kb.knowledge.queries import IncompleteAnswer
from mappa_kb.negotiation import EXTENSIONS, HTML, Choice, NotAcceptable, choose
from mappa_kb.web.store_watch import current_store

# Pages are server-rendered and need nothing from another origin; the SPARQL page sets its own.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
RDFLIB_FORMATS = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
EXPOSED_HEADERS = "Content-Type, ETag, Link, Location, MAPPA-Results-Truncated"
# nginx's own header (it hides it from clients): send this answer, but do not keep it (docs/deploy).
NOT_KEPT_IN_FRONT = ("X-Accel-Expires", "0")


class BadRequest(ValueError):
    """A request parameter that cannot be used; answered with 400 and this message."""


def negotiate(offers: tuple[Choice, ...], extension: str | None = None) -> Choice:
    """The representation to send: a file extension, then ``format``, then ``Accept``."""
    if extension:
        name = EXTENSIONS.get(extension.lower())
        if name is None or name not in {o.format_name for o in offers}:
            raise NotAcceptable(f"unknown file extension {extension!r}")
        return choose(offers, None, name)
    return choose(offers, request.headers.get("Accept"), request.args.get("format"))


def represent(
    choice: Choice,
    *,
    data: Callable[[], object] | None = None,
    graph: Callable[[], Graph] | None = None,
    page: Callable[[], str] | None = None,
    text: Callable[[], str] | None = None,
) -> Response:
    """The chosen representation, built only for the format asked for."""
    if choice == HTML and page is not None:
        body, mimetype = page(), "text/html"
    elif choice.format_name in RDFLIB_FORMATS and graph is not None:
        body = graph().serialize(format=RDFLIB_FORMATS[choice.format_name], encoding="utf-8")
        mimetype = choice.media_type
    elif choice.format_name == "text" and text is not None:
        body, mimetype = text(), "text/plain"
    elif data is not None:
        body, mimetype = safe_json(data()), "application/json"
    else:
        raise NotAcceptable(f"this resource is not available as {choice.media_type}")
    response = Response(body, mimetype=mimetype)
    response.headers["Vary"] = "Accept"
    return response


def safe_json(data: object) -> str:
    """JSON with <, > and & escaped, so that echoed text is inert even where a client sniffs HTML."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def cache_control(seconds: int | None = None) -> str:
    """What HTTP caches may do with a successful answer: reuse it for the configured time (how stale
    it may get after a rebuild), or, at 0, keep it but ask again each time (a cheap 304 by ETag)."""
    if seconds is None:
        seconds = current_app.config["MAPPA_SETTINGS"].cache_seconds
    return f"public, max-age={seconds}" if seconds else "public, no-cache"


# The request headers that make an answer conditional (304, 412) or partial (206).
_CONDITIONAL = frozenset(
    {
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_MATCH",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_RANGE",
    }
)

# On every response: browser tools and embedding sites on other origins use us; everything here is
# public and read-only.
CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED_HEADERS))


def error(status: int, message: str, title: str | None = None) -> Response:
    """An error people and scripts both understand: a page for browsers, JSON for the JSON APIs, plain
    text otherwise; never a stack trace."""
    accept = request.headers.get("Accept", "")
    if "text/html" in accept:
        page = render_template(
            "error.html", status=status, title=title or _TITLES.get(status), message=message
        )
        return Response(page, status=status, mimetype="text/html")
    if "json" in accept or request.path.startswith(("/glossary", "/rest/")):
        body = safe_json({"status": status, "error": message})
        return Response(body, status=status, mimetype="application/json")
    return Response(message + "\n", status=status, mimetype="text/plain")


_TITLES = {
    405: "Method not allowed",
    400: "Bad request",
    404: "Not found",
    406: "Not acceptable",
    500: "Server error",
    502: "The SPARQL server failed",
    503: "Unavailable",
}


def local_link(iri: str, base: str) -> str | None:
    """The path on this service that documents one of our IRIs (/id/x -> /doc/x, /def/x as is)."""
    doc = uris.id_to_doc(iri, base)
    if doc is not None:
        return "/" + doc[len(base) :]
    if iri.startswith(base + "def/"):
        return "/" + iri[len(base) :]
    return None


def install(app: Flask) -> None:
    """CORS on every response, security headers on pages, ETags and 304s on successful GETs, and
    errors that say what went wrong without a stack trace."""

    @app.errorhandler(BadRequest)
    @app.errorhandler(QueryError)
    def bad_request(problem: ValueError) -> Response:
        return error(400, str(problem))

    @app.errorhandler(NotAcceptable)
    def not_acceptable(problem: NotAcceptable) -> Response:
        return error(406, str(problem))

    @app.errorhandler(IncompleteAnswer)
    @app.errorhandler(StoreUnavailable)
    @app.errorhandler(QueryFailed)
    @app.errorhandler(QueryStopped)
    def unavailable(problem: Exception) -> Response:
        # The service's own fixed queries failed: the store is down, slow or cut short, not the client.
        response = error(getattr(problem, "status", 503), f"this cannot be read just now: {problem}")
        response.headers["Retry-After"] = "10"
        return response

    @app.errorhandler(404)
    def not_found(_: Exception) -> Response:
        return error(404, f"there is nothing at {request.path[:200]}; start from the home page at /")

    @app.errorhandler(405)
    def not_allowed(_: Exception) -> Response:
        return error(405, f"{request.method} is not allowed on {request.path[:200]}")

    @app.errorhandler(500)
    def server_error(_: Exception) -> Response:
        # Logged by Flask with its trace; the client learns only that it was our fault.
        return error(500, "something went wrong on our side; it has been logged")

    @app.after_request
    def finish(response: Response) -> Response:
        headers = response.headers
        headers.extend(CORS)  # (no view sets them: added, not looked for first)
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
            headers["Access-Control-Max-Age"] = "86400"
        if response.mimetype == "text/html":
            headers.setdefault("Content-Security-Policy", PAGE_POLICY)
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.method not in ("GET", "HEAD"):
            return response
        if not current_store().is_newest():
            # From a version that is no longer the newest (after a build, until this process has swapped
            # the new one in), or from an external server: the cache in front keeps answers under the
            # newest version's name, so it must send this one but not keep it. Browsers ignore it.
            headers.add(*NOT_KEPT_IN_FRONT)
        if response.status_code == 200 and not response.is_streamed:
            if "Cache-Control" not in headers:
                headers["Cache-Control"] = cache_control()
            response.add_etag()
            if not _CONDITIONAL.isdisjoint(request.environ):  # (most requests have none of these)
                response.make_conditional(request)
        return response
