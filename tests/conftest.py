"""Shared fixtures: where the shipped knowledge base and the shared real data live."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from mappa_kb import paths

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "000_fa645a06b25c6f03.txt"
SEED_DATA = "durham-2010-11.ttl"


def shared_file(relative: str) -> Path:
    """A file of ../shared, which CI lays beside the clone; its absence is a failure, not a skip."""
    path = SHARED / relative
    assert path.is_file(), f"{path} is missing: the tests need ../shared beside the checkout"
    return path


@pytest.fixture(scope="session")
def kb_root() -> Path:
    return paths.kb_root()


@pytest.fixture
def data_copy(tmp_path: Path, kb_root: Path) -> Path:
    """A private copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(kb_root / "data", target)
    return target


@pytest.fixture(scope="session")
def kb() -> Graph:
    """The shipped knowledge base (ontology, glossary, areas, statistics) as one rdflib graph."""
    graph = Graph()
    for path in paths.knowledge_base_files():
        graph.parse(path)
    return graph


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real service on a free loopback port (waitress in a thread), over a freshly built store."""
    import waitress

    from mappa_kb.config import Settings
    from mappa_kb.store import build_store
    from mappa_kb.web import create_app

    store_path = tmp_path_factory.mktemp("store") / "store"
    build_store(store_path)
    app = create_app(Settings(store_path=store_path))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
