"""A lookup of one subject's values (one triple pattern with an IRI subject) is answered in the service
process from the store it holds, without the pipe to a query worker: the workers' answer byte for byte,
with the same truncation signal, and only for queries whose work is bounded; anything else, and any
failure, goes to the workers as before."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mappa_kb.engine import embedded as store_module
from mappa_kb.engine.embedded import INLINE_CHARACTERS, INLINE_GRAPHS, INLINE_ROWS, EmbeddedStore
from mappa_kb.engine.interface import Dataset, QueryRefused, Result, StoreUnavailable
from mappa_kb.engine.versions import build_store, versions_folder
from mappa_kb.negotiation import RESULTS

from .conftest import running_service, wait_for
from .test_operations import _metric

FORMATS = [choice.format_name for choice in RESULTS]
SDMXM = "PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>\n"
OBSERVATION = (
    "<https://w3id.org/mappa-kb/id/observation/durham/2010-11/eligible-snapshot/level-all/category-all>"
)
NATIONAL = "<https://w3id.org/mappa-kb/id/area/england-and-wales>"  # 51 values, the most of any subject
GRAND_TOTAL = f"{SDMXM}SELECT ?v WHERE {{ {OBSERVATION} sdmxm:obsValue ?v }}"
# Lookups, each written so that `{ ... FILTER(true) }` makes it a query the workers answer.
LOOKUPS = {
    "one value": GRAND_TOTAL,
    "every value": f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }}",
    "a fixed object": f"SELECT ?p WHERE {{ {OBSERVATION} ?p <https://w3id.org/mappa-kb/id/area/durham> }}",
    "with a limit": f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }} LIMIT 7",
    "a variable not bound": f"SELECT ?v ?unbound WHERE {{ {NATIONAL} a ?v }}",
}

NOT_LOOKUPS = {
    "two patterns": f"{SDMXM}SELECT ?v ?w WHERE {{ {OBSERVATION} sdmxm:obsValue ?v . {NATIONAL} a ?w }}",
    "a variable subject": f"{SDMXM}SELECT ?s ?v WHERE {{ ?s sdmxm:obsValue ?v }} LIMIT 1",
    "distinct": f"SELECT DISTINCT ?p WHERE {{ {NATIONAL} ?p ?v }}",
    "ordered": f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }} ORDER BY ?p",
    "an offset": f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }} OFFSET 1",
    "a limit and an offset": f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }} LIMIT 5 OFFSET 1",
    "an aggregate": f"SELECT (COUNT(*) AS ?n) WHERE {{ {NATIONAL} ?p ?v }}",
    "grouped": f"SELECT ?p (COUNT(?v) AS ?n) WHERE {{ {NATIONAL} ?p ?v }} GROUP BY ?p",
    "a filter": f"{SDMXM}SELECT ?v WHERE {{ {OBSERVATION} sdmxm:obsValue ?v FILTER(true) }}",
    # A variable twice: every triple of the subject is read for the few rows kept.
    "a repeated variable": f"SELECT ?x WHERE {{ {NATIONAL} ?x ?x }}",
    "a path (two patterns)": f"SELECT ?label WHERE {{ {OBSERVATION} <http://purl.org/linked-data/cube#dataSet>/"
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }",
    "select all": f"SELECT * WHERE {{ {NATIONAL} ?p ?v }}",
    "ask": f"ASK {{ {NATIONAL} ?p ?v }}",
    "construct": f"CONSTRUCT {{ {NATIONAL} ?p ?v }} WHERE {{ {NATIONAL} ?p ?v }}",
}


def _fresh(text: str) -> str:
    """The query under a new comment: the answer cache has never seen it."""
    return f"# {time.monotonic_ns()}\n{text}"


def _by_workers(text: str) -> str:
    """The same query with a filter that changes nothing but makes it no lookup."""
    head, _, tail = text.rpartition("}")
    return f"{head} FILTER(true) }}{tail}"


@pytest.fixture(scope="module")
def store(built_store: Path) -> Iterator[EmbeddedStore]:
    # No memory copy: the workers read the disk store too, so rows come in the same order.
    opened = EmbeddedStore(built_store, workers=1, memory_copy_mb=0)
    yield opened
    opened.close()


@pytest.mark.parametrize("format_name", FORMATS)
@pytest.mark.parametrize("label", LOOKUPS)
def test_a_lookup_is_answered_inline_as_the_workers_answer_it(
    store: EmbeddedStore, label: str, format_name: str
) -> None:
    text = _fresh(LOOKUPS[label])
    inline = store.run(text, format_name)
    workers = store.run(_by_workers(text), format_name)
    assert inline.copy == "inline" and workers.copy == "disk"
    assert inline.body == workers.body
    assert (inline.truncated, inline.rows) == (workers.truncated, workers.rows) and not inline.truncated
    assert inline.rows and inline.rows > (1 if label in ("every value", "with a limit") else 0)


def test_the_grand_total_is_right(store: EmbeddedStore) -> None:
    answer = store.run(_fresh(GRAND_TOTAL), "csv")
    assert answer.copy == "inline" and answer.body.split() == [b"v", b"593"]


@pytest.mark.parametrize("label", NOT_LOOKUPS)
def test_any_other_query_is_left_to_the_workers(store: EmbeddedStore, label: str) -> None:
    text = NOT_LOOKUPS[label]
    format_name = "nt" if text.startswith("CONSTRUCT") else "json"
    assert store.run(_fresh(text), format_name).copy != "inline"


def test_a_query_with_bindings_is_left_to_the_workers(store: EmbeddedStore) -> None:
    text = _fresh(f"SELECT ?p ?v WHERE {{ {OBSERVATION} ?p ?v }}")
    obs_value = "http://purl.org/linked-data/sdmx/2009/measure#obsValue"
    answer = store.run(text, "tsv", bindings=(("p", obs_value),))
    assert answer.copy != "inline" and answer.body.split() == [
        b"?p",
        b"?v",
        f"<{obs_value}>".encode(),
        b"593",
    ]
    assert store.run(text, "csv").copy == "inline"  # the same text without them is a lookup


def test_a_data_set_of_more_graphs_than_the_bound_is_left_to_the_workers(store: EmbeddedStore) -> None:
    # A lookup has no GRAPH clause: only the default graphs are scanned, so only they count.
    others = tuple(f"http://example.org/graph/{number}" for number in range(INLINE_GRAPHS))
    within = Dataset((store.graph, *others[1:]), tuple(f"http://example.org/named/{n}" for n in range(100)))
    beyond = Dataset((store.graph, *others))
    text = _fresh(GRAND_TOTAL)
    inline, workers = store.run(text, "csv", within), store.run(text, "csv", beyond)
    assert inline.copy == "inline" and workers.copy != "inline"
    assert inline.body == workers.body == b"v\r\n593\r\n"
    elsewhere = store.run(text, "csv", Dataset(("http://example.org/graph/empty",)))
    assert elsewhere.copy == "inline" and elsewhere.body.split() == [b"v"]


def test_a_text_longer_than_the_bound_is_left_to_the_workers(store: EmbeddedStore) -> None:
    text = _fresh(GRAND_TOTAL)
    padding = INLINE_CHARACTERS - len(text) - 2
    longest = f"#{'x' * padding}\n{text}"
    assert len(longest) == INLINE_CHARACTERS
    assert store.run(longest, "json").copy == "inline"
    assert store.run(" " + longest, "json").copy != "inline"


@pytest.mark.parametrize(
    "text",
    [
        f"SELECT WHERE {{ {OBSERVATION} ?p ?v }}",  # read by the lookup's parser, not by Oxigraph's
        f"SELECT ?v WHERE {{ {OBSERVATION} <http://x/{{bad}}> ?v }}",
    ],
)
def test_a_syntax_error_is_still_refused_with_its_message(store: EmbeddedStore, text: str) -> None:
    with pytest.raises(QueryRefused, match=r"(?i)syntax"):
        store.run(text, "json")


def test_if_the_store_fails_inline_the_workers_answer(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> Result:
        raise OSError("IO error: No such file or directory")

    monkeypatch.setattr(store_module, "answer", failing)
    answer = store.run(_fresh(GRAND_TOTAL), "csv")
    assert answer.copy == "disk" and answer.body.split() == [b"v", b"593"]


def test_a_closed_store_says_so_for_a_lookup(built_store: Path) -> None:
    closed = EmbeddedStore(built_store, workers=1, memory_copy_mb=0)
    assert closed.run(_fresh(GRAND_TOTAL), "json").copy == "inline"
    closed.close()
    with pytest.raises(StoreUnavailable):
        closed.run(_fresh(GRAND_TOTAL), "json")


def test_at_a_small_row_limit_the_inline_answer_is_cut_with_the_signal(built_store: Path) -> None:
    small = EmbeddedStore(built_store, max_rows=2, workers=1, memory_copy_mb=0)
    try:
        text = _fresh(f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }}")
        for format_name in FORMATS:
            inline, workers = small.run(text, format_name), small.run(_by_workers(text), format_name)
            assert inline.copy == "inline" and inline.truncated and inline.rows == 2
            assert (workers.truncated, workers.rows, workers.body) == (True, 2, inline.body)
        assert len(small.run(text, "csv").body.splitlines()) == 3  # the header and two rows
    finally:
        small.close()


@pytest.fixture(scope="module")
def many_values(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a subject of more values than are read inline, and one of exactly as many."""
    folder = tmp_path_factory.mktemp("inline")
    lines = ["@prefix ex: <https://example.org/> ."]
    for name, count in (("many", INLINE_ROWS + 50), ("exact", INLINE_ROWS)):
        values = ", ".join(f'"value {number}"' for number in range(count))
        lines.append(f"ex:{name} ex:value {values} .")
    (folder / "many.ttl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    target, _, _ = build_store(folder / "store", [folder / "many.ttl"])
    return target


def _values_of(name: str) -> str:
    return _fresh(f"SELECT ?v WHERE {{ <https://example.org/{name}> <https://example.org/value> ?v }}")


def test_more_values_than_are_read_inline_come_whole_from_the_workers(many_values: Path) -> None:
    large = EmbeddedStore(many_values, max_rows=10000, workers=1, memory_copy_mb=0)
    try:
        answer = large.run(_values_of("many"), "csv")
        assert answer.copy == "disk" and not answer.truncated and answer.rows == INLINE_ROWS + 50
        assert len(answer.body.splitlines()) == INLINE_ROWS + 51
        exact = large.run(_values_of("exact"), "csv")
        assert exact.copy == "inline" and not exact.truncated and exact.rows == INLINE_ROWS
    finally:
        large.close()


def test_at_a_row_limit_of_the_inline_bound_the_inline_answer_is_the_answer(many_values: Path) -> None:
    bounded = EmbeddedStore(many_values, max_rows=INLINE_ROWS, workers=1, memory_copy_mb=0)
    try:
        text = _values_of("many")
        inline, workers = bounded.run(text, "json"), bounded.run(_by_workers(text), "json")
        assert inline.copy == "inline" and inline.truncated and inline.rows == INLINE_ROWS
        assert (workers.copy, workers.truncated, workers.body) == ("disk", True, inline.body)
    finally:
        bounded.close()


def _answered_inline(url: str) -> float:
    metrics = requests.get(f"{url}/metrics", timeout=10).text
    return _metric(metrics, "mappa_kb_queries_answered_total", copy="inline")


def test_over_http_a_lookup_is_answered_inline_and_counted(live_server: str) -> None:
    before = _answered_inline(live_server)
    got = requests.get(
        f"{live_server}/sparql",
        params={"query": _fresh(GRAND_TOTAL)},
        headers={"Accept": "text/csv"},
        timeout=30,
    )
    assert got.status_code == 200, got.text
    assert got.text.split() == ["v", "593"] and "MAPPA-Results-Truncated" not in got.headers
    posted = requests.post(
        f"{live_server}/sparql",
        data={"query": _fresh(GRAND_TOTAL)},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    assert posted.json()["results"]["bindings"] == [
        {"v": {"type": "literal", "value": "593", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}
    ]
    # Service processes are several; each counts for itself, and /metrics sums them.
    assert _answered_inline(live_server) - before == 2


def test_over_http_a_cut_inline_answer_has_the_signal(built_store: Path) -> None:
    # One service process: stopped a second after it answers, several could still be starting (granian
    # then leaves them running).
    with running_service(built_store, serve_args=("--workers", "1"), MAPPA_KB_MAX_ROWS="2") as url:
        before = _answered_inline(url)
        query = _fresh(f"SELECT ?p ?v WHERE {{ {NATIONAL} ?p ?v }}")
        cut = requests.get(
            f"{url}/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30
        )
        assert cut.status_code == 200, cut.text
        assert cut.headers["MAPPA-Results-Truncated"] == "true; limit=2"
        assert len(cut.text.splitlines()) == 3  # the header and two rows
        assert _answered_inline(url) - before == 1


@pytest.mark.parametrize("damage", ["removed", "corrupted"])
def test_a_store_broken_underneath_gives_503s_for_lookups_never_500s(tmp_path: Path, damage: str) -> None:
    store, _, _ = build_store(tmp_path / "store")
    environment = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_QUERY_TIMEOUT": "5"}
    with running_service(store, **environment) as url:
        statuses: list[int] = []

        def lookup() -> requests.Response:
            answer = requests.get(f"{url}/sparql", params={"query": _fresh(GRAND_TOTAL)}, timeout=30)
            statuses.append(answer.status_code)
            return answer

        before = _answered_inline(url)
        assert lookup().status_code == 200
        assert _answered_inline(url) - before == 1
        if damage == "removed":
            store.unlink()
            shutil.rmtree(versions_folder(store))
            says = "has been removed"
        else:
            for file in store.resolve().iterdir():  # every file overwritten in place with garbage
                if file.is_file():
                    file.write_bytes(b"\x00garbage" * (1 + file.stat().st_size // 8))
            says = "broken"

        def every_process_says_so() -> bool:  # several answers: every service process has noticed
            return all(a.status_code == 503 and says in a.text for a in [lookup() for _ in range(6)])

        assert wait_for(every_process_says_so), f"never 503 for every lookup: {statuses[-6:]}"
        assert set(statuses) <= {200, 503}, statuses
