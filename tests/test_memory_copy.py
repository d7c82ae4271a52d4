"""Query workers answer from an in-memory copy of the store once it has loaded, with the same answers."""

from __future__ import annotations

import time
from pathlib import Path

from mappa_kb.engine.embedded import EmbeddedStore
from mappa_kb.engine.versions import build_store
from mappa_kb.engine.workers import memory_snapshot

from .conftest import wait_for

QUERIES = [
    (
        "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?s",
        "csv",
    ),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", "json"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s a <http://purl.org/linked-data/cube#Observation> ; ?p ?o }", "nt"),
]


def _answered_from_memory(store: EmbeddedStore, seconds: float = 60) -> bool:
    """Ask (each time a new text, so no cached answer) until a worker answers from memory."""
    return wait_for(lambda: store.run(f"# {time.monotonic_ns()}\nASK {{}}", "json").copy == "memory", seconds)


def _sorted_lines(body: bytes) -> list[bytes]:
    return sorted(body.splitlines())


def test_the_memory_copy_gives_the_disk_store_s_answers(built_store: Path) -> None:
    on_disk = EmbeddedStore(built_store, workers=1, memory_copy_mb=0)
    in_memory = EmbeddedStore(built_store, workers=1, memory_copy_mb=1024)
    try:
        assert _answered_from_memory(in_memory)
        for text, format_name in QUERIES:
            disk_answer, memory_answer = on_disk.run(text, format_name), in_memory.run(text, format_name)
            assert disk_answer.copy == "disk" and memory_answer.copy == "memory"
            assert _sorted_lines(memory_answer.body) == _sorted_lines(disk_answer.body)
            assert len(_sorted_lines(disk_answer.body)) > 1 or b'"value"' in disk_answer.body
    finally:
        on_disk.close()
        in_memory.close()


def test_without_its_snapshot_a_store_is_answered_from_disk(tmp_path: Path) -> None:
    target, triples, _ = build_store(tmp_path / "store")
    memory_snapshot(target.resolve()).unlink()
    store = EmbeddedStore(target, workers=1, memory_copy_mb=1024)
    try:
        time.sleep(2)  # time enough for a copy to load, were there one
        answer = store.run("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } }", "csv")  # (not its size)
        assert answer.copy == "disk" and answer.body.split()[-1] == str(triples).encode()
    finally:
        store.close()


def test_a_snapshot_that_does_not_parse_leaves_the_disk_store_answering(tmp_path: Path) -> None:
    target, triples, _ = build_store(tmp_path / "store")
    memory_snapshot(target.resolve()).write_text('<broken> <not> "closed .\n', encoding="utf-8")
    store = EmbeddedStore(target, workers=1, memory_copy_mb=1024)
    try:
        assert not _answered_from_memory(store, seconds=3)
        answer = store.run("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } }", "csv")  # (not its size)
        assert answer.body.split()[-1] == str(triples).encode()
    finally:
        store.close()


def test_a_copy_over_the_budget_is_not_made_and_the_log_says_why(built_store: Path, capfd) -> None:
    store = EmbeddedStore(built_store, workers=1, memory_copy_mb=1)  # the shipped copy takes about 4 MB
    try:
        assert "over MAPPA_KB_MEMORY_COPY_MB=1" in capfd.readouterr().err
        assert not _answered_from_memory(store, seconds=3)
    finally:
        store.close()
