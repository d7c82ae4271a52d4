"""Isolation, side by side: how each way of running the engine holds up when queries misbehave.

Builds the national-scale synthetic cube (as endpoint.py does), then runs it two ways and measures
the same things on each, in one run on one machine:

- "worker pool": `mappa-kb serve` on the embedded store (queries in worker processes it starts);
- "oxigraph server": `oxigraph serve-read-only --timeout-s` on the same store version, with
  `mappa-kb serve --endpoint` in front of it (the remote path any external server takes).

For each: memory at rest, a small query's latency alone and beside eight runaway queries (every
worker busy), what a memory bomb (a short query doubling a string 29 times) does to the memory of
the whole server and what the client is told, and what a query nested 5,000 deep gets.

    python benchmarks/isolation.py                 # national scale
    python benchmarks/isolation.py --years 4       # quicker
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import free_port, memory_mb, scratch, shared_mb, start, stop_started, wait_idle, wait_ready
from validate_national import build_national_cube

from mappa_kb import paths
from mappa_kb.engine.versions import build_store

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "SELECT (COUNT(*) AS ?n) WHERE { <https://w3id.org/mappa-kb/id/area/durham> ?p ?o } # {number}"
TIMEOUT = 20
NOT_FAIR_USE = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"}


def doubling(times: int) -> str:
    binds = " ".join(f"BIND(CONCAT(?y{n}, ?y{n}) AS ?y{n + 1})" for n in range(times))
    return f'SELECT ?y{times} WHERE {{ BIND("x" AS ?y0) {binds} }}'


def ask(url: str, query: str, timeout: float = 120) -> tuple[int, str, float]:
    began = time.perf_counter()
    response = requests.post(url, data={"query": query}, headers={"Accept": "text/csv"}, timeout=timeout)
    return response.status_code, response.text[:120].strip(), time.perf_counter() - began


def small_latencies(url: str, count: int, start_at: int) -> list[float]:
    return [ask(url, SMALL.replace("{number}", str(start_at + n)))[2] * 1000 for n in range(count)]


def beside_runaways(url: str) -> tuple[list[float], list[int]]:
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda n=n: statuses.append(ask(url, f"# {n}\n{RUNAWAY}")[0]))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    time.sleep(2)  # all eight running
    latencies = small_latencies(url, 20, 1000)
    for thread in threads:
        thread.join(TIMEOUT * 3)
    return latencies, statuses


def memory_bomb(url: str, pids: list[int]) -> tuple[int, str, float, float]:
    before = sum(memory_mb(pid, "VmRSS") for pid in pids)
    peak = before
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(memory_mb(pid, "VmRSS") for pid in pids))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        status, text, _ = ask(url, doubling(29))
    except requests.RequestException as error:
        status, text = 0, f"no answer: {error}"[:120]
    done.set()
    watcher.join()
    return status, text, before, peak


def measure(name: str, url: str, pids: list[int]) -> None:
    for pid in pids:  # warm: every process has loaded what it loads
        wait_idle(pid)
    rest = sum(shared_mb(pid) for pid in pids)
    alone = small_latencies(url, 20, 0)
    busy, statuses = beside_runaways(url)
    bomb_status, bomb_text, before, peak = memory_bomb(url, pids)
    nested = ask(url, "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000)
    after = ask(url, SMALL.replace("{number}", "after"))
    print(f"\n{name}")
    print(f"  memory at rest (pages shared between its processes once): {rest:7.0f} MB")
    print(f"  small query alone:      p50 {statistics.median(alone):7.1f} ms, max {max(alone):7.1f} ms")
    print(f"  beside 8 runaways:      p50 {statistics.median(busy):7.1f} ms, max {max(busy):7.1f} ms")
    print(f"  the runaways got:       {sorted(statuses)}")
    print(f"  memory bomb:            {bomb_status} {bomb_text!r}")
    print(f"                          resident {before:.0f} MB before, {peak:.0f} MB at the peak")
    print(f"  nested 5,000 deep:      {nested[0]} {nested[1]!r}")
    print(f"  a small query after:    {after[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=24)
    args = parser.parse_args()
    with scratch("mappa-isolation-") as work:
        (work / "data").mkdir()
        observations = build_national_cube(work / "data", args.years)
        files = paths.turtle_files("ontology") + sorted((work / "data").glob("*.ttl"))
        store, triples, _ = build_store(work / "store", files)
        print(f"synthetic national cube: {observations} observations, {triples} triples")
        limits = {**NOT_FAIR_USE, "MAPPA_KB_QUERY_TIMEOUT": str(TIMEOUT)}
        try:
            port = free_port()
            serve = [
                sys.executable,
                "-m",
                "mappa_kb.cli",
                "serve",
                "--port",
                str(port),
                "--store",
                str(store),
            ]
            pool = start(serve, env=limits)
            url = f"http://127.0.0.1:{port}/sparql"
            wait_ready(url)
            measure("worker pool (mappa-kb serve)", url, [pool.pid])

            oxigraph_port = free_port()
            oxigraph = [
                str(Path(sys.executable).with_name("oxigraph")),
                "serve-read-only",
                "--location",
                str(store.resolve()),
                "--bind",
                f"127.0.0.1:{oxigraph_port}",
                "--timeout-s",
                str(TIMEOUT),
            ]
            server = start(oxigraph)
            endpoint = f"http://127.0.0.1:{oxigraph_port}/query"
            wait_ready(endpoint)
            port = free_port()
            front = [
                sys.executable,
                "-m",
                "mappa_kb.cli",
                "serve",
                "--port",
                str(port),
                "--endpoint",
                endpoint,
            ]
            remote = start(front, env=limits)
            url = f"http://127.0.0.1:{port}/sparql"
            wait_ready(url)
            measure(
                "oxigraph server (serve-read-only --timeout-s, behind mappa-kb serve --endpoint)",
                url,
                [
                    server.pid,
                    remote.pid,
                ],
            )
        finally:
            stop_started()
        print(f"\n(queries: small = {urllib.parse.quote(SMALL[:40])}..., runaway = {RUNAWAY})")


if __name__ == "__main__":
    main()
