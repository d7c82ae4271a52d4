"""New figures without downtime: `mappa-kb build` points the store at a new version while the service
runs; every process swaps to it within seconds, no request fails across the swap, and the kept answers
(glossary, query cache, ETags) change with the data."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import requests

from mappa_kb import paths
from mappa_kb.engine import columnar
from mappa_kb.engine.versions import VERSION_FILE, build_store, size_record, versions_folder
from mappa_kb.engine.workers import memory_snapshot

from .conftest import running_service, wait_for

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
    assert len([p for p in versions_folder(store).iterdir() if p.is_dir()]) == 2


def test_only_the_newest_versions_are_kept_with_their_snapshots_sizes_and_columnar_copies(
    tmp_path: Path,
) -> None:
    for _ in range(5):
        store, triples, _ = build_store(tmp_path / "store")
    kept = sorted(p for p in versions_folder(store).iterdir() if p.is_dir())
    snapshots = sorted(versions_folder(store).glob("*.nq"))
    assert len(kept) == 3 and snapshots == [memory_snapshot(version) for version in kept]
    assert sorted(versions_folder(store).glob("*.triples")) == [size_record(version) for version in kept]
    assert size_record(store.resolve()).read_text() == f"{triples}\n"
    assert sorted(versions_folder(store).glob("*.columns")) == [
        columnar.copy_file(version) for version in kept
    ]
    assert len(list(versions_folder(store).iterdir())) == 12
    assert store.resolve().parent == versions_folder(store)


def test_each_version_names_itself_to_a_front_even_when_two_are_built_within_a_second(
    tmp_path: Path,
) -> None:
    small = tmp_path / "small.ttl"
    small.write_text("<https://example.org/s> <https://example.org/p> 1 .\n")
    names = set()
    for _ in range(3):  # a small store builds in well under a second
        store, _, _ = build_store(tmp_path / "store", [small])
        version_file = (store / VERSION_FILE).stat()
        names.add((int(version_file.st_mtime), version_file.st_size))  # what nginx's ETag is made of
        assert (store / VERSION_FILE).read_text() == store.resolve().name + "\n"
    assert len(names) == 3


def _every_kind_of_get(url: str) -> list[requests.Response]:
    """A new query, a repeated one (sent again from the kept answer), a glossary lookup twice (the
    second sent again), a page and a conditional GET, each answered 200."""
    csv = {"Accept": "text/csv"}
    answers = [_sparql(url)]
    answers += [requests.get(f"{url}/sparql", params=COUNT, headers=csv, timeout=10) for _ in range(2)]
    summary = f"{url}/glossary/sopo/summary"
    answers += [requests.get(summary, headers={"Accept": "text/plain"}, timeout=10) for _ in range(2)]
    answers.append(requests.get(f"{url}/doc/area/durham", headers={"Accept": "text/html"}, timeout=10))
    answers.append(
        requests.get(f"{url}/sparql", params=COUNT, headers={**csv, "If-None-Match": '"other"'}, timeout=10)
    )
    assert [a.status_code for a in answers] == [200] * len(answers)
    return answers


def test_answers_from_a_version_that_is_no_longer_the_newest_tell_a_front_not_to_keep_them(
    tmp_path: Path,
) -> None:
    store, triples, _ = build_store(tmp_path / "store")
    with running_service(store, MAPPA_KB_RATE_LIMIT="0") as url:
        assert not any("X-Accel-Expires" in a.headers for a in _every_kind_of_get(url))
        # A newer version that does not open: the service goes on serving the one it has.
        newer, _, _ = build_store(tmp_path / "newer")
        for file in newer.resolve().iterdir():
            if file.is_file() and file.name != VERSION_FILE:
                file.write_bytes(b"\x00garbage" * (1 + file.stat().st_size // 8))
        link = store.with_name("store.link")
        link.symlink_to(newer.resolve())
        link.replace(store)
        answers = _every_kind_of_get(url)
        assert [a.headers.get("X-Accel-Expires") for a in answers] == ["0"] * len(answers)
        assert int(answers[0].text.split()[1]) == triples  # still the version it has
        # A good newer version is swapped in, and its answers may be kept again.
        _, triples, _ = build_store(store)
        assert wait_for(lambda: all(_counted(url) == triples for _ in range(8))), "never swapped"
        assert wait_for(lambda: not any("X-Accel-Expires" in a.headers for a in _every_kind_of_get(url)))


def _sparql(url: str) -> requests.Response:
    # A new text each time, so that no kept answer hides what the store does now.
    query = f"# {time.monotonic_ns()}\n{COUNT['query']}"
    return requests.get(f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)


def _status(url: str) -> int:
    return requests.get(url, timeout=10).status_code


def _page_says(url: str, status: int, says: str) -> bool:
    page = requests.get(f"{url}/doc/area/durham", headers={"Accept": "text/html"}, timeout=10)
    return page.status_code == status and says in page.text


def _counted(url: str) -> int | None:
    """The number of triples the service counts, or None if it does not answer with one."""
    answer = _sparql(url)
    return int(answer.text.split()[1]) if answer.status_code == 200 else None


def _out_of_service_then_mended(url: str, store: Path, says: str) -> None:
    """The service answers 503s that say ``says`` (and is alive, not ready), then serves a new build."""

    def every_process_says_so() -> bool:  # several answers: every service process has noticed
        answers = [_sparql(url) for _ in range(6)]
        return all(a.status_code == 503 and says in a.text and a.headers.get("Retry-After") for a in answers)

    # Each request goes to whichever service process takes it, and the six answers above may not have
    # reached every one (each process checks its store on its own clock): so no check below takes one
    # answer for all, each waits until the process that answers it has noticed too.
    assert wait_for(every_process_says_so), "the broken store was never noticed (or a 503 had no Retry-After)"
    assert wait_for(lambda: _status(f"{url}/healthz/ready") == 503), "still said ready"
    assert _status(f"{url}/healthz/live") == 200
    assert wait_for(lambda: _page_says(url, 503, says)), "a page did not say the store was out of service"
    _, triples, _ = build_store(store)
    assert wait_for(lambda: all(_counted(url) == triples for _ in range(8))), "no recovery"
    assert wait_for(lambda: _status(f"{url}/healthz/ready") == 200), "never ready again"
    assert wait_for(lambda: _status(f"{url}/doc/area/durham") == 200), "pages never came back"


def test_a_store_removed_underneath_gives_503s_until_a_new_one_is_built(tmp_path: Path) -> None:
    store, triples, _ = build_store(tmp_path / "store")
    with running_service(store, MAPPA_KB_RATE_LIMIT="0", MAPPA_KB_QUERY_TIMEOUT="5") as url:
        assert int(_sparql(url).text.split()[1]) == triples
        store.unlink()
        shutil.rmtree(versions_folder(store))
        _out_of_service_then_mended(url, store, "has been removed")


def test_a_store_corrupted_underneath_gives_503s_until_a_good_one_appears(tmp_path: Path) -> None:
    store, triples, _ = build_store(tmp_path / "store")
    with running_service(store, MAPPA_KB_RATE_LIMIT="0", MAPPA_KB_QUERY_TIMEOUT="5") as url:
        assert int(_sparql(url).text.split()[1]) == triples
        for file in store.resolve().iterdir():  # every file overwritten in place with garbage
            if file.is_file():
                file.write_bytes(b"\x00garbage" * (1 + file.stat().st_size // 8))
        _out_of_service_then_mended(url, store, "broken")


def test_with_no_cache_time_every_reuse_is_revalidated_and_a_rebuild_ends_it(tmp_path: Path) -> None:
    store, triples, _ = build_store(tmp_path / "store")
    extra = tmp_path / "extra.ttl"
    extra.write_text(EXTRA)
    with running_service(store, MAPPA_KB_CACHE_SECONDS="0", MAPPA_KB_RATE_LIMIT="0") as url:
        first = requests.get(f"{url}/sparql", params=COUNT, headers={"Accept": "text/csv"}, timeout=10)
        assert first.headers["Cache-Control"] == "public, no-cache" and first.headers["ETag"]
        etag = {"If-None-Match": first.headers["ETag"], "Accept": "text/csv"}
        again = requests.get(f"{url}/sparql", params=COUNT, headers=etag, timeout=10)
        assert again.status_code == 304  # revalidated, nothing sent again
        dump = requests.get(f"{url}/dumps/knowledge-base.nt", timeout=60)
        assert dump.headers["Cache-Control"] == "public, no-cache"
        build_store(store, [*paths.knowledge_base_files(), extra])

        def new_data_for_the_old_etag() -> bool:  # every process: several answers in a row
            answers = [
                requests.get(f"{url}/sparql", params=COUNT, headers=etag, timeout=10) for _ in range(6)
            ]
            return all(a.status_code == 200 and int(a.text.split()[1]) == triples + 5 for a in answers)

        assert wait_for(new_data_for_the_old_etag), "a cache revalidating its answer was told it was fresh"
