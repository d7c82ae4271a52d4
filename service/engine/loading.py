"""Reading the Turtle of the knowledge base into a store: the one loader every command uses.

Two shapes of the same files: ``load_store`` puts every file in one graph (what validation and the
headline layer read, where each data set is checked on its own); ``load_knowledge_base`` puts each
source's figures as published in a named graph of its own and everything else (the ontology, the
glossary, the headline figures) in the knowledge base's graph, which is what the service serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyoxigraph as ox

from mappa_kb import paths, uris


class UnreadableInput(ValueError):
    """A file that is missing or not valid Turtle; the message names the file and the line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


def _load(store: ox.Store, path: Path, base_uri: str, graph: ox.NamedNode | ox.DefaultGraph) -> None:
    try:  # (load, not bulk_load: in memory it is faster, and so is the store it makes)
        if base_uri == uris.SOURCE_BASE:
            store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
        else:
            text = uris.rebase(path.read_text(encoding="utf-8"), base_uri)
            store.load(input=text.encode("utf-8"), format=ox.RdfFormat.TURTLE, to_graph=graph)
    except SyntaxError as error:
        raise UnreadableInput(path, f"Turtle syntax error: {error.msg}", error.lineno) from None
    except (OSError, ValueError) as error:
        raise UnreadableInput(path, f"cannot read: {error}") from None


def load_store(files: Sequence[Path], base_uri: str = uris.SOURCE_BASE) -> ox.Store:
    """An in-memory Oxigraph store with every file in its default graph, under ``base_uri``."""
    store = ox.Store()
    for path in files:
        _load(store, path, base_uri, ox.DefaultGraph())
    return store


def graph_of(path: Path, base_uri: str = uris.SOURCE_BASE) -> str:
    """The named graph a file of the knowledge base is served in."""
    key = paths.source_key_of(path)
    graph = uris.source_graph(key) if key is not None else uris.KB_GRAPH
    return uris.rebase(graph, base_uri)


def load_knowledge_base(files: Sequence[Path], base_uri: str = uris.SOURCE_BASE) -> ox.Store:
    """An in-memory Oxigraph store with each file in the named graph ``graph_of`` gives it."""
    store = ox.Store()
    for path in files:
        _load(store, path, base_uri, ox.NamedNode(graph_of(path, base_uri)))
    return store


def published_graphs(store: ox.Store, base_uri: str = uris.SOURCE_BASE) -> list[str]:
    """The named graphs of ``store`` that hold sources' figures as published (every graph but the
    knowledge base's own): the named graphs of the data set every query is asked over by default."""
    kb = uris.rebase(uris.KB_GRAPH, base_uri)
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value != kb)
