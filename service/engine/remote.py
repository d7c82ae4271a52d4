"""The remote store: the same service over any external SPARQL 1.1 server, through SPARQLWrapper.

A deployment that outgrows one machine loads the knowledge base into a clustered store (Virtuoso,
Fuseki, GraphDB, Oxigraph server ...) with ``mappa-kb load`` and runs many stateless copies of the
service with ``mappa-kb serve --endpoint URL``. The knowledge base lives in one named graph there
(``KB_GRAPH``), which every query takes as its default graph, so other data in the server is never seen.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import urllib.error
from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef, Variable
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from mappa_kb import paths, uris
from mappa_kb.engine.embedded import COUNT_TRIPLES
from mappa_kb.engine.guard import check_query, explain_syntax_error
from mappa_kb.engine.interface import (
    KB_GRAPH,
    Bindings,
    Dataset,
    Query,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    RemoteUnavailable,
    Result,
    StoreUnavailable,
)
from mappa_kb.engine.loading import load_knowledge_base
from mappa_kb.negotiation import GRAPHS, RESULTS, by_name
from mappa_kb.uris import checked_iri

_BATCH = 500  # triples per INSERT DATA request when loading


def _client(endpoint: str, timeout: float) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint, agent="mappa-kb")
    client.setTimeout(max(1, round(timeout)))
    return client


def _call(client: SPARQLWrapper, endpoint: str, timeout: float) -> bytes:
    """Send the request; map the remote's failures to the service's errors, with what happened.

    Only a 400 is the query's fault; a server that is slow is a time-out (503), and one that refuses
    the connection, fails or answers garbage is a bad gateway (502).
    """
    try:
        response = client.query()
        return response.response.read()
    except QueryBadFormed as error:  # the server could not parse it; the caller explains why
        raise QuerySyntaxError(f"the SPARQL server at {endpoint} refused the query: {_said(error)}") from None
    except SPARQLWrapperException as error:  # 401, 404, 414, 500
        raise RemoteUnavailable(f"the SPARQL server at {endpoint} failed: {_said(error)}") from None
    except urllib.error.HTTPError as error:
        raise RemoteUnavailable(f"the SPARQL server at {endpoint} answered {error.code}") from None
    except (TimeoutError, urllib.error.URLError) as error:
        if isinstance(error, TimeoutError) or isinstance(error.reason, TimeoutError):
            raise QueryTimeout(
                f"the SPARQL server at {endpoint} did not answer within {timeout:g} s"
            ) from None
        raise RemoteUnavailable(f"cannot reach the SPARQL server at {endpoint}: {error.reason}") from None
    except (OSError, http.client.HTTPException) as error:  # the connection broke mid-answer
        raise RemoteUnavailable(f"the SPARQL server at {endpoint} broke off: {error!r}") from None


def _said(error: SPARQLWrapperException) -> str:
    """What the server said, without SPARQLWrapper's boilerplate, kept short."""
    return " ".join(str(error).split("Response:", 1)[-1].split())[:500]


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^[ \t]*#[^\n]*", re.MULTILINE)


def bind_values(text: str, bindings: Bindings) -> str:
    """``text`` with a VALUES block giving the bound variables their IRIs, placed first in the outer
    WHERE group (Virtuoso accepts a trailing VALUES only on SELECT). Each IRI is checked and written by
    rdflib, never pasted: a remote server has no other way to receive bindings."""
    if not bindings:
        return text
    names = " ".join(Variable(name).n3() for name, _ in bindings)
    terms = " ".join(URIRef(checked_iri(iri)).n3() for _, iri in bindings)
    # Comment lines blanked (same length), so that a WHERE in a comment is not taken for the query's.
    found = _WHERE.search(_COMMENT_LINE.sub(lambda m: " " * len(m.group()), text))
    if found is None:
        raise ValueError("a query with bindings needs a WHERE clause")
    return f"{text[: found.end()]} VALUES ({names}) {{ ({terms}) }}{text[found.end() :]}"


# Oxigraph's parsed answers may be freed only by the thread that made them, so none is kept in a variable
# of RemoteStore._run: rdflib's full parse of a query (check_query) leaves cyclic garbage that keeps the
# calling frames, and their variables, alive until the collector runs, in whichever thread it runs.
def _graph_result(body: bytes, format_name: str, max_rows: int) -> Result:
    """A CONSTRUCT or DESCRIBE answer (N-Triples from the server) in ``format_name``, cut at ``max_rows``."""
    triples = list(itertools.islice(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), max_rows + 1))
    data = ox.serialize(triples[:max_rows], format=by_name(GRAPHS, format_name).oxigraph_format)
    return Result(data, len(triples) > max_rows, rows=min(len(triples), max_rows))


def _solutions_result(answer: dict, format_name: str, max_rows: int) -> Result:
    """A SELECT or ASK answer (SPARQL JSON from the server) in ``format_name``, cut at ``max_rows``."""
    truncated, rows = False, None
    if "results" in answer:
        bindings = answer["results"]["bindings"]
        truncated = len(bindings) > max_rows
        answer["results"]["bindings"] = bindings[:max_rows]
        rows = len(answer["results"]["bindings"])
    data = json.dumps(answer).encode()
    body = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON).serialize(
        format=by_name(RESULTS, format_name).oxigraph_format
    )
    return Result(body, truncated, rows=rows)


class RemoteStore:
    """An external SPARQL 1.1 server, queried with the knowledge-base graph as the default graph."""

    def __init__(
        self,
        endpoint: str,
        timeout: float = 30.0,
        max_rows: int = 10000,
        base_uri: str = uris.SOURCE_BASE,
        service_allow: frozenset[str] = frozenset(),
    ) -> None:
        self.endpoint, self.timeout, self.max_rows = endpoint, timeout, max_rows
        self.service_allow = service_allow
        self.graph = uris.rebase(KB_GRAPH, base_uri)
        # (An external server's named graphs are the client's to name: none by default.)
        self.dataset = Dataset((self.graph,))

    def run(
        self, query: str | Query, format_name: str, dataset: Dataset | None = None, bindings: Bindings = ()
    ) -> Result:
        try:
            return self._run(query, format_name, dataset, bindings)
        except QuerySyntaxError as error:
            raise explain_syntax_error(getattr(query, "text", query), str(error)) from None
        except QueryRefused:  # the client's query, refused before it was sent
            raise
        except (ValueError, SyntaxError, KeyError, TypeError) as error:  # 200, but not SPARQL results
            raise RemoteUnavailable(
                f"the SPARQL server at {self.endpoint} answered with something that is not SPARQL "
                f"results: {str(error)[:200]}"
            ) from None

    def _run(
        self, query: str | Query, format_name: str, dataset: Dataset | None, bindings: Bindings
    ) -> Result:
        if isinstance(query, str):
            query = check_query(query, self.service_allow)
        form, text = query.form, bind_values(query.text, bindings)
        dataset = dataset or self.dataset
        client = _client(self.endpoint, self.timeout)
        client.setQuery(text)
        client.setMethod(POST)
        for graph in dataset.default_graphs:
            client.addDefaultGraph(graph)
        for graph in dataset.named_graphs:
            client.addNamedGraph(graph)
        if form in ("CONSTRUCT", "DESCRIBE"):
            client.setOnlyConneg(True)
            client.addCustomHttpHeader("Accept", "application/n-triples")
            return _graph_result(_call(client, self.endpoint, self.timeout), format_name, self.max_rows)
        client.setReturnFormat(JSON)
        answer = json.loads(_call(client, self.endpoint, self.timeout))
        return _solutions_result(answer, format_name, self.max_rows)

    def ready(self) -> bool:
        try:
            return b"true" in self.run("ASK { ?s ?p ?o }", "json").body
        except (QueryTimeout, QueryFailed, StoreUnavailable):
            return False

    def triples(self) -> int:
        counted = json.loads(self.run(COUNT_TRIPLES, "json").body)
        return int(counted["results"]["bindings"][0]["n"]["value"])

    def describe(self) -> str:
        return f"external SPARQL server at {self.endpoint} (graph {self.graph})"

    def is_newest(self) -> bool:
        return False  # the server's data can change without the service knowing

    def dump(self, format_name: str, target: Path) -> None:
        client = _client(self.endpoint, self.timeout)
        client.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        client.setMethod(POST)
        client.addDefaultGraph(self.graph)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", "application/n-triples")
        triples = ox.parse(_call(client, self.endpoint, self.timeout), format=ox.RdfFormat.N_TRIPLES)
        ox.serialize(triples, str(target), format=by_name(GRAPHS, format_name).oxigraph_format)

    def close(self) -> None:
        pass


def load_remote(
    update_endpoint: str,
    files: Sequence[Path] | None = None,
    base_uri: str = uris.SOURCE_BASE,
    timeout: float = 120.0,
) -> int:
    """Replace the knowledge-base graph of an external server, and the graph of each source's figures as
    published, with the shipped Turtle; returns the triples sent."""
    store = load_knowledge_base(list(files) if files is not None else paths.knowledge_base_files(), base_uri)
    sent = 0
    for graph in sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)):
        triples = (q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8").splitlines()
        _replace_graph(update_endpoint, f"<{graph}>", lines, timeout)
        sent += len(lines)
    return sent


def _replace_graph(update_endpoint: str, graph: str, lines: list[str], timeout: float) -> None:
    # A blank node means one node only within one request: send every triple that has one together.
    with_blank = [line for line in lines if "_:" in line]
    batches = [with_blank] + [
        chunk
        for start in range(0, len(lines), _BATCH)
        if (chunk := [x for x in lines[start : start + _BATCH] if "_:" not in x])
    ]
    _update(update_endpoint, f"DROP SILENT GRAPH {graph}", timeout)
    for number, batch in enumerate(batches):
        triples = "\n".join(batch)
        if number == 0 and batch:
            # Blank nodes go in an INSERT template: Virtuoso refuses them in INSERT DATA, and a
            # template keeps each blank node one node within the request.
            _update(update_endpoint, f"INSERT {{ GRAPH {graph} {{\n{triples}\n}} }} WHERE {{}}", timeout)
        elif batch:
            _update(update_endpoint, f"INSERT DATA {{ GRAPH {graph} {{\n{triples}\n}} }}", timeout)


def _update(endpoint: str, update: str, timeout: float) -> None:
    client = _client(endpoint, timeout)
    client.setMethod(POST)
    client.setRequestMethod(POSTDIRECTLY)
    client.setQuery(update)
    _call(client, endpoint, timeout)
