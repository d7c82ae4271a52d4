"""Soak: mixed traffic at the highest rate the machine sustains, with new figures published mid-way.

Starts `mappa-kb serve` on a store of the shipped knowledge base (fair-use limits off: this measures
capacity), then for --seconds sends, from --connections loopback clients, a mix of SPARQL lookups and
aggregates, glossary searches and summaries, and page views. Half-way through it ingests a new
area-year (a tidy CSV) into a copy of data/ and runs `mappa-kb build`, as a publisher would. It prints
requests per second, p50 and p99 per route, 5xx and failed requests (before, across and after the swap),
the service's memory at start and end, and how long after the ingest the new figures were served.

    python benchmarks/soak.py                  # 60 s, 8 connections
    python benchmarks/soak.py --seconds 20
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import children, free_port, start, wait_ready

from mappa_kb import paths

NEW_FIGURES = """area,period_start,period_end,table,level,category,value,source_url,notes
Kent,2025-03-31,2025-03-31,eligible_snapshot,total,1,1777,https://soak.example/kent-2025,
"""
NEW_FIGURE_QUERY = (
    "PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#> ASK { ?o sdmxm:obsValue 1777 ; "
    "<http://purl.org/linked-data/sdmx/2009/dimension#refArea> <https://w3id.org/mappa-kb/id/area/kent> }"
)
P = "PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/> PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#> "
MIX = [
    ("sparql lookup", "/sparql?" + urllib.parse.urlencode({"query": P + "SELECT ?v WHERE { <https://w3id.org/mappa-kb/id/observation/durham/2010-11/eligible-snapshot/level-all/category-all> sdmxm:obsValue ?v }"})),
    ("sparql aggregate", "/sparql?" + urllib.parse.urlencode({"query": P + "SELECT ?s (SUM(?v) AS ?t) WHERE { ?o mcube:statistic ?s ; sdmxm:obsValue ?v } GROUP BY ?s"})),
    # A new text each time ({n} is the request's number): answered by the store, never the answer cache.
    ("sparql new lookup", "/sparql?query=" + urllib.parse.quote("# {n}\n" + P + "SELECT ?v WHERE { <https://w3id.org/mappa-kb/id/observation/durham/2010-11/eligible-snapshot/level-all/category-all> sdmxm:obsValue ?v }").replace("%7Bn%7D", "{n}")),
    ("sparql new aggregate", "/sparql?query=" + urllib.parse.quote("# {n}\n" + P + "SELECT ?s (SUM(?v) AS ?t) WHERE { ?o mcube:statistic ?s ; sdmxm:obsValue ?v } GROUP BY ?s").replace("%7Bn%7D", "{n}")),
    ("glossary search", "/glossary/search?q=sopo"),
    ("glossary search", "/glossary/search?q=lay%20adviser"),
    ("glossary summary", "/glossary/shpo/summary"),
    ("page", "/doc/dataset/durham-2010-11"),
    ("page", "/doc/area/durham"),
    ("page", "/"),
]  # fmt: skip


def _pss_mb(pid: int) -> float:
    """Proportional set size: shared pages (libraries, copy-on-write) split between the processes."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory_by_role(pid: int) -> dict[str, float]:
    """PSS in MB of the master process, the service processes, and their query workers (with the
    forker that starts them and the multiprocessing resource tracker), and the total."""
    started = children(pid, recursive=False)
    services = [child for child in started if b"mappa_kb" in Path(f"/proc/{child}/cmdline").read_bytes()]
    helpers = [child for child in started if child not in services]
    workers = [worker for helper in helpers for worker in children(helper)]
    roles = {
        "master": _pss_mb(pid),
        "service processes": sum(map(_pss_mb, services)),
        "query workers": sum(map(_pss_mb, helpers + workers)),
    }
    return {**roles, "total": sum(roles.values())}


def _memory_line(label: str, memory: dict[str, float]) -> str:
    parts = ", ".join(f"{role} {mb:.0f}" for role, mb in memory.items() if role != "total")
    return f"  {label:44s} {memory['total']:6.0f} MB  ({parts})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mappa-bench-soak-"))
    data = work / "data"
    shutil.copytree(paths.kb_root() / "data", data)
    store = work / "store"
    env = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000", "MAPPA_KB_STORE": str(store)}
    subprocess.run(
        [sys.executable, "-m", "mappa_kb.cli", "build", "--store", str(store)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    service = start(
        [sys.executable, "-m", "mappa_kb.cli", "serve", "--port", str(port), "--store", str(store)], env=env
    )
    root = f"http://127.0.0.1:{port}"
    wait_ready(f"{root}/sparql")
    for _, path in MIX:  # warm up: the glossary and the first answers
        urllib.request.urlopen(root + path.replace("{n}", "0"), timeout=30).read()
    start_memory = memory_by_role(service.pid)
    samples: list[tuple[float, float]] = []

    def sample_memory() -> None:  # every 5 s until the old version has surely been closed
        while not finished.is_set():
            samples.append((time.perf_counter() - began, memory_by_role(service.pid)["total"]))
            finished.wait(5)

    finished = threading.Event()

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    counter = itertools.count()
    began = time.perf_counter()
    stop = began + args.seconds
    threading.Thread(target=sample_memory, daemon=True).start()
    swap_window: list[float] = []

    def client() -> None:
        while time.perf_counter() < stop:
            number = next(counter)
            label, path = MIX[number % len(MIX)]
            started = time.perf_counter()
            try:
                urllib.request.urlopen(root + path.replace("{n}", str(number)), timeout=60).read()
                with lock:
                    latencies[label].append(time.perf_counter() - started)
            except (urllib.error.URLError, OSError) as problem:
                phase = (
                    "across the swap"
                    if swap_window and swap_window[0] <= started <= swap_window[-1] + 5
                    else "outside the swap"
                )
                with lock:
                    errors[f"{label}, {phase}: {getattr(problem, 'code', type(problem).__name__)}"] += 1

    clients = [threading.Thread(target=client) for _ in range(args.connections)]
    for thread in clients:
        thread.start()
    time.sleep(args.seconds / 2)
    new = work / "kent-2025.csv"
    new.write_text(NEW_FIGURES)
    published = time.perf_counter()
    swap_window.append(published)
    subprocess.run(
        [sys.executable, "-m", "mappa_kb.cli", "ingest", str(new), "--out", str(data)],
        check=True,
        capture_output=True,
    )
    files = [str(p) for p in paths.turtle_files("ontology")] + [str(p) for p in sorted(data.rglob("*.ttl"))]
    subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from mappa_kb.engine.versions import build_store; "
         "build_store(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])", str(store), *files],
        check=True,
    )  # fmt: skip
    built = time.perf_counter()
    ask = f"{root}/sparql?{urllib.parse.urlencode({'query': NEW_FIGURE_QUERY})}"
    while b"true" not in urllib.request.urlopen(ask, timeout=30).read():
        time.sleep(0.05)
    served = time.perf_counter()
    swap_window.append(served)
    for thread in clients:
        thread.join()
    end_memory = memory_by_role(service.pid)
    # The old version's query workers are closed twice the query time limit (30 s) and 5 s after the swap.
    time.sleep(max(0.0, served + 66 - time.perf_counter()))
    settled_memory = memory_by_role(service.pid)
    finished.set()
    os.killpg(service.pid, 15)

    total = sum(len(v) for v in latencies.values())
    print(
        f"{args.seconds:.0f} s, {args.connections} connections: {total / args.seconds:.0f} requests/s in all"
    )
    print(f"\n{'route':18s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for label, values in sorted(latencies.items()):
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{label:18s} {len(values) / args.seconds:8.0f} {statistics.median(values) * 1000:8.1f} {p99 * 1000:8.1f}"
        )
    print(f"\nfailed or 5xx requests: {sum(errors.values())}")
    for what, number in sorted(errors.items()):
        print(f"  {what}: {number}")
    print(
        f"ingest + build took {built - published:.1f} s; the new figure was served {served - published:.1f} s after the ingest began"
    )
    print("memory of the service (PSS):")
    print(_memory_line("at start (after a warm-up request of each kind)", start_memory))
    print(_memory_line("at the end of the traffic (old version open)", end_memory))
    print(_memory_line("once the old version was closed", settled_memory))
    print("  every 5 s: " + ", ".join(f"{t:.0f} s {mb:.0f}" for t, mb in samples))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
