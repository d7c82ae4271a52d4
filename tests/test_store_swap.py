"""New figures without downtime: `mappa-kb build` points the store at a new version while the service
runs; every process swaps to it within seconds, no request fails across the swap, and the kept answers
(glossary, query cache, ETags) change with the data."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import requests

from mappa_kb import paths
from mappa_kb.store import build_store, versions_folder

from .conftest import running_service

COUNT = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
EXTRA = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/mappa-kb/id/glossary/swap-test> a skos:Concept ;
    skos:inScheme <https://w3id.org/mappa-kb/id/glossary> ;
    skos:prefLabel "Swap test term"@en ;
    skos:definition "A term that exists only in the second version of the store."@en ;
    <http://purl.org/dc/terms/source> <https://example.org/swap> .
"""


def _count(url: str) -> int:
    answer = requests.get(f"{url}/sparql", params=COUNT, headers={"Accept": "text/csv"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.text.split()[1])


def test_a_rebuilt_store_is_served_without_a_restart_and_no_request_fails(tmp_path: Path) -> None:
    store, before, _ = build_store(tmp_path / "store")
    assert store.is_symlink()
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA)
    with running_service(store, MAPPA_KB_RATE_LIMIT="0") as url:
        assert _count(url) == before
        old_etag = requests.get(f"{url}/glossary", timeout=10).headers["ETag"]
        failures: list[str] = []
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                for path in (
                    "/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D",
                    "/glossary/search?q=sopo",
                    "/doc/area/durham",
                ):
                    answer = requests.get(f"{url}{path}", timeout=30)
                    if answer.status_code != 200:
                        failures.append(f"{path}: {answer.status_code}")

        clients = [threading.Thread(target=traffic) for _ in range(3)]
        for client in clients:
            client.start()
        _, after, _ = build_store(store, [*paths.knowledge_base_files(), extra])
        published = time.monotonic()
        while time.monotonic() - published < 20:
            counts = {_count(url) for _ in range(6)}  # several answers: every process has swapped
            if counts == {after}:
                break
            time.sleep(0.2)
        stop.set()
        for client in clients:
            client.join()
        assert counts == {after} and after == before + 5
        assert failures == []
        found = requests.get(f"{url}/glossary/search", params={"q": "swap test"}, timeout=10).json()
        assert found["results"][0]["id"] == "swap-test"  # the glossary followed the data
        assert requests.get(f"{url}/glossary", timeout=10).headers["ETag"] != old_etag
    assert len(list(versions_folder(store).iterdir())) == 2


def test_only_the_newest_versions_are_kept(tmp_path: Path) -> None:
    for _ in range(5):
        store, _, _ = build_store(tmp_path / "store")
    assert len(list(versions_folder(store).iterdir())) == 3
    assert store.resolve().parent == versions_folder(store)
