"""Read-only SPARQL over the knowledge base from the command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from mappa_kb import paths, uris
from mappa_kb.engine.guard import check_query, explain_syntax_error
from mappa_kb.engine.interface import QueryRefused
from mappa_kb.engine.loading import load_knowledge_base, published_graphs
from mappa_kb.negotiation import GRAPHS, RESULTS, by_name

__all__ = ["QueryRefused", "run_query"]


def run_query(
    text: str,
    result_format: str = "csv",
    files: Sequence[Path] | None = None,
    base_uri: str = uris.SOURCE_BASE,
) -> bytes:
    """Answer a SELECT, ASK, CONSTRUCT or DESCRIBE query over the shipped knowledge base."""
    check_query(text)
    store = load_knowledge_base(list(files) if files is not None else paths.knowledge_base_files(), base_uri)
    try:  # the data set the service answers over: the knowledge base, and each source as published
        answer = store.query(
            text,
            default_graph=ox.NamedNode(uris.rebase(uris.KB_GRAPH, base_uri)),
            named_graphs=[ox.NamedNode(g) for g in published_graphs(store, base_uri)],
        )
    except SyntaxError as error:
        raise explain_syntax_error(text, f"SPARQL syntax error: {error}") from None
    offers = GRAPHS if isinstance(answer, ox.QueryTriples) else RESULTS
    names = {o.format_name for o in offers}
    choice = by_name(offers, result_format if result_format in names else offers[0].format_name)
    return answer.serialize(format=choice.oxigraph_format)
