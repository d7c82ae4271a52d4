"""The SPARQL endpoint beside its peers, measured in one run on one machine.

Builds a national-scale synthetic cube (42 areas x 24 years, about 50,000 observations, with the
project's own cube builder), loads it into mappa-kb's embedded store, an Oxigraph server, Virtuoso
(when `virtuoso-t` is installed) and a plain rdflib endpoint, and for typical research queries prints
p50 and p99 latency and requests per second under concurrent load from a loopback client, each as a
ratio to mappa-kb (every request's text is new; then one text is repeated, on mappa-kb, which sends
its kept answer, and on Virtuoso, which keeps compiled queries), plus each server's startup time and
memory (peak, with its ratio, and at the end with pages shared between a server's processes counted
once), and then the issue's five goals, each with its measured ratio and whether it is met. Beside the
repeated lookup it measures the HTTP floor: granian sending the same answer and doing nothing else
(http_floor.py), the least any Python WSGI service could take for it here; and, when Debian's nginx
is installed, every repeated query through the nginx of docs/deploy, whose cache answers it (kept
under the newest store version, and checked with the service every second). With Virtuoso it also
measures the service over Virtuoso (`mappa-kb serve --endpoint`), the deployment for data that outgrows
one machine.

    python benchmarks/endpoint.py                    # national scale, 4 connections, 5 s per query
    python benchmarks/endpoint.py --scale 20         # 20 times larger (about 11 million triples)
    python benchmarks/endpoint.py --years 2 --seconds 2
    python benchmarks/endpoint.py --before /work/base/.venv/bin/python   # an earlier checkout beside

With ``--before``, the service of an earlier checkout (the Python of a virtual environment where that
checkout is installed) is started on the same store and measured beside the current one, so that a
change is judged before and after in one run on one machine.

The peers load the N-Quads snapshot that `mappa-kb build` writes beside the store: Oxigraph server with
its bulk loader (`oxigraph load`), Virtuoso with its bulk loader (`ld_dir`, `rdf_loader_run`). The rdflib
baseline holds everything in Python objects in each of its processes, so it runs at national scale only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout: docs/deploy's nginx front
from validate_national import build_national_cube

from mappa_kb import paths
from mappa_kb.cli import SERVE_PROCESSES, SERVE_THREADS
from mappa_kb.engine.interface import KB_GRAPH
from mappa_kb.engine.versions import build_store
from mappa_kb.engine.workers import memory_snapshot
from mappa_kb.validation.validate import load_store
from tests.nginx_front import missing as nginx_missing
from tests.nginx_front import nginx_front

P = """PREFIX mcube: <https://w3id.org/mappa-kb/def/cube/>
PREFIX sdmxd: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmxm: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX level: <https://w3id.org/mappa-kb/id/management-level/>
PREFIX category: <https://w3id.org/mappa-kb/id/offender-category/>
PREFIX statistic: <https://w3id.org/mappa-kb/id/statistic/>
"""
QUERIES = {
    "lookup": P + "SELECT ?v WHERE { <https://w3id.org/mappa-kb/id/observation/durham/2010-11/"
    "eligible-snapshot/level-all/category-all> sdmxm:obsValue ?v }",
    "totals by year": P
    + "SELECT ?end (SUM(?v) AS ?total) WHERE { ?o mcube:statistic statistic:eligible-snapshot ;"
    " mcube:managementLevel level:all ; mcube:offenderCategory category:all ; sdmxd:refPeriod ?p ;"
    " sdmxm:obsValue ?v . ?p dcat:endDate ?end } GROUP BY ?end ORDER BY ?end",
    "one area's series": P
    + "SELECT ?end ?v WHERE { ?o sdmxd:refArea <https://w3id.org/mappa-kb/id/area/kent> ;"
    " mcube:statistic statistic:eligible-snapshot ; mcube:managementLevel level:all ;"
    " mcube:offenderCategory category:all ; sdmxd:refPeriod/dcat:endDate ?end ; sdmxm:obsValue ?v }"
    " ORDER BY ?end",
    "top areas by rate": P
    + "SELECT ?area (AVG(?v) AS ?rate) WHERE { ?o mcube:statistic statistic:rso-per-100k ;"
    " sdmxd:refArea/skos:prefLabel ?area ; sdmxm:obsValue ?v } GROUP BY ?area ORDER BY DESC(?rate) LIMIT 10",
    "label join": P + "SELECT ?area ?stat ?v WHERE { ?o sdmxd:refArea/skos:prefLabel ?area ;"
    " mcube:statistic/skos:prefLabel ?stat ; sdmxm:obsValue ?v } LIMIT 500",
    "glossary search": P
    + "SELECT ?c ?label WHERE { ?c skos:inScheme <https://w3id.org/mappa-kb/id/glossary> ;"
    ' skos:prefLabel|skos:altLabel ?label FILTER (CONTAINS(LCASE(STR(?label)), "order")) }',
    "describe": P + "DESCRIBE <https://w3id.org/mappa-kb/id/area/durham>",
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    # The count above is the size of the data set, which mappa-kb knows without counting; this one is
    # counted by the engine each time.
    "count observations": P + "SELECT (COUNT(?o) AS ?n) WHERE { ?o sdmxm:obsValue ?v }",
}
BACKENDS = {"mappa-kb/virtuoso": "virtuoso", "behind nginx": "mappa-kb"}  # a server measured through another
AGGREGATES = ("totals by year", "top areas by rate", "count", "count observations")  # GROUP BY or COUNT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, timeout: float = 120) -> float:
    started = time.perf_counter()
    query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    while time.perf_counter() - started < timeout:
        try:
            urllib.request.urlopen(f"{url}?{query}", timeout=2).read()
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """Memory of a server and all its processes: peak (VmHWM) or resident now (VmRSS)."""
    total = 0.0
    for proc in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def shared_mb(pid: int) -> float:
    """Memory of a server and all its processes now, each page shared between them counted once
    (Pss: a page mapped by n processes counts 1/n in each). A file several processes map, as mappa-kb's
    query workers map the columnar copy, is counted whole in each one's VmHWM."""
    total = 0.0
    for proc in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{proc}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def cpu_seconds(*pids: int) -> float:
    """CPU time used so far by servers and all their processes."""
    total = 0.0
    for proc in [proc for pid in pids for proc in (pid, *children(pid))]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_idle(*pids: int, timeout: float = 120, every: float = 1.0) -> float:
    """Wait until servers are quiet (mappa-kb's query workers load their copies of the store after it
    answers; a peer may still be writing after its load): until their processes together use under a
    tenth of a core; the seconds waited."""
    started = time.perf_counter()
    before = cpu_seconds(*pids)
    while time.perf_counter() - started < timeout:
        time.sleep(every)
        now = cpu_seconds(*pids)
        if now - before < 0.1 * every:
            break
        before = now
    return time.perf_counter() - started


def beside_quiet_peers(pids: dict[str, int], measured: str, measure: Callable[[], dict]) -> dict:
    """``measure()`` once every server is quiet (a peer still busy in the background, say a database
    writing after a load, would take CPU from the one measured), with ``peers``: the cores the other
    servers used meanwhile, which should stay near 0."""
    wait_idle(*pids.values(), timeout=30, every=0.3)
    # (the service over Virtuoso is measured with Virtuoso: its work there is the service's own)
    others = [pid for name, pid in pids.items() if name not in (measured, BACKENDS.get(measured))]
    before, began = cpu_seconds(*others), time.perf_counter()
    row = measure()
    row["peers"] = (cpu_seconds(*others) - before) / (time.perf_counter() - began)
    return row


def children(pid: int, recursive: bool = True) -> list[int]:
    """The processes ``pid`` started (and, if ``recursive``, the ones they started)."""
    found = [
        int(p)
        for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    ]
    return found + [c for p in found for c in children(p)] if recursive else found


COUNTER = "__COUNTER__"  # in a URL given to load_urls: a number no other request of the run has


def load_urls(urls: list[str], connections: int, seconds: float, accept: str) -> dict:
    """Concurrent keep-alive GETs from wrk for ``seconds``, cycling through ``urls`` (one server's), each
    ``COUNTER`` in them replaced by a fresh number: req/s, p50 and p99, and how many failed (non-2xx/3xx
    answers and socket errors). wrk is written in C, so the client takes little of the CPU it measures."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("the benchmarks need wrk, the HTTP load generator: apt-get install wrk")
    base = urllib.parse.urlsplit(urls[0])
    with tempfile.NamedTemporaryFile("w", suffix=".paths") as paths_file:
        for url in urls:
            parts = urllib.parse.urlsplit(url)
            paths_file.write(parts.path + (f"?{parts.query}" if parts.query else "") + "\n")
        paths_file.flush()
        command = [
            wrk,
            f"--threads={min(connections, 2)}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=60s",
            f"--script={Path(__file__).with_name('load.lua')}",
            f"{base.scheme}://{base.netloc}",
            "--",
            paths_file.name,
            accept,
            str(time.time_ns()),  # this run's own token: its cold requests repeat no earlier run's
        ]
        printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    summary = next(line for line in printed.splitlines() if line.startswith("WRK "))
    figures = {key: float(value) for key, value in (pair.split("=") for pair in summary.split()[1:])}
    errors = int(figures["status_errors"] + figures["socket_errors"])
    answered = figures["requests"] - figures["status_errors"]
    return {
        "rps": answered / figures["seconds"],
        "p50": figures["p50"],
        "p99": figures["p99"],
        "errors": errors,
    }


LOAD_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9"


def query_url(url: str, query: str, vary: bool = False, graph: bool = True) -> str:
    """The GET URL the benchmark asks ``query`` with; ``vary`` adds a comment so that no two are alike."""
    text = f"# {COUNTER}\n{query}" if vary else query
    # The knowledge-base graph as the default graph: Virtuoso would otherwise add its own graphs.
    params = {"query": text, **({"default-graph-uri": KB_GRAPH} if graph else {})}
    return f"{url}?{urllib.parse.urlencode(params)}"


def load(url: str, query: str, connections: int, seconds: float, vary: bool, graph: bool = True) -> dict:
    """Concurrent SPARQL GETs for ``seconds`` (see query_url)."""
    return load_urls([query_url(url, query, vary, graph)], connections, seconds, LOAD_ACCEPT)


def _count(url: str, graph: bool) -> int:
    params = {"query": QUERIES["count"], **({"default-graph-uri": KB_GRAPH} if graph else {})}
    accept = {"Accept": "application/sparql-results+json"}
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(params)}", headers=accept)
    with urllib.request.urlopen(request, timeout=600) as answer:
        return int(json.load(answer)["results"]["bindings"][0]["n"]["value"])


STARTED: list[subprocess.Popen] = []  # every server this run started, stopped when it ends, however


def start(command: list[str], env: dict | None = None, cwd: str | None = None) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    STARTED.append(process)
    return process


def stop_started() -> None:
    """Stop what this run started that is still running: each in its own session, by its group's id."""
    for process in STARTED:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)


_PER_CONNECTION = ("connection", "keep-alive", "transfer-encoding", "date", "server")


def start_http_floor(url: str, query: str, work: Path) -> tuple[str, subprocess.Popen]:
    """granian serving exactly what mappa-kb answers to ``query`` at ``url``, with `mappa-kb serve`'s
    processes and threads (see http_floor.py); returns its URL and process."""
    request = urllib.request.Request(query_url(url, query), headers={"Accept": LOAD_ACCEPT})
    with urllib.request.urlopen(request, timeout=60) as answer:
        recorded = {
            "status": f"{answer.status} {answer.reason}",
            # The answer's own headers, not those of this connection (urllib asked it to close).
            "headers": [list(pair) for pair in answer.getheaders() if pair[0].lower() not in _PER_CONNECTION],
            "body": base64.b64encode(answer.read()).decode(),
        }
    (work / "floor-answer.json").write_text(json.dumps(recorded))
    port = free_port()
    granian = [
        str(Path(sys.executable).with_name("granian")),
        "--interface=wsgi",
        f"--workers={SERVE_PROCESSES}",
        f"--blocking-threads={SERVE_THREADS}",
        "--log-level=warning",
        f"--port={port}",
        "http_floor:app",
    ]
    environment = {"MAPPA_KB_FLOOR_ANSWER": str(work / "floor-answer.json")}
    process = start(granian, env=environment, cwd=str(Path(__file__).resolve().parent))
    floor = f"http://127.0.0.1:{port}/sparql"
    wait_ready(floor)
    return floor, process


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base and value == value and base == base else "-"


def report_goals(results: dict[str, dict[str, dict]], ready_seconds: float) -> None:
    """The issue's five goals, each as measured in this run: the ratio, and whether it is met."""
    print("\ngoals (issue 3), from the figures above:")

    def line(goal: str, query: str, value: float, met: bool, aside: str = "") -> None:
        print(f"  {goal:44s} {query:18s} {value:8.2f}x  {'met' if met else 'MISSED'}{aside}")

    # Goals 2 and 4 are about aggregates; the other queries' ratios are in the table above.
    aggregates = [label for label in results if label in AGGREGATES]
    for label, rows in results.items():
        if "virtuoso" in rows and label == "lookup":
            ratio = rows["mappa-kb"]["rps"] / rows["virtuoso"]["rps"]
            line("1. lookups/s at least Virtuoso's (>= 1)", label, ratio, ratio >= 1)
    for label in aggregates:
        rows = results[label]
        if "virtuoso" in rows:
            ratio = rows["mappa-kb"]["p50"] / rows["virtuoso"]["p50"]
            line("2. cold p50 within 1.5x Virtuoso's (<= 1.5)", label, ratio, ratio <= 1.5)
    for label, rows in results.items():
        if "virtuoso" in rows:
            # Against the faster of Virtuoso's answers to varied and to repeated text (it keeps compiled
            # queries, so its repeats can be quicker); the ratio to its varied text is printed beside.
            # Through docs/deploy's nginx, as the service runs in public (its cache answers repeats);
            # the service alone is printed beside.
            front = "behind nginx" if "behind nginx" in rows else "mappa-kb repeated"
            ours = max(rows[front]["p50"], 1e-3)
            best = min(rows["virtuoso"]["p50"], rows["virtuoso repeated"]["p50"])
            ratio = best / ours
            aside = f"  ({rows['virtuoso']['p50'] / ours:.2f}x its p50 on varied text"
            aside += f"; the service alone: {best / max(rows['mappa-kb repeated']['p50'], 1e-3):.2f}x"
            if "http floor" in rows:  # what a server that does no work at all would score
                aside += f"; the HTTP floor here: {best / max(rows['http floor']['p50'], 1e-3):.2f}x"
            aside += ")"
            line("3. repeated p50 10x below Virtuoso's (>= 10)", label, ratio, ratio >= 10, aside)
    for label in aggregates:
        rows = results[label]
        if "rdflib" in rows and rows["rdflib"]["rps"]:
            ratio = rows["mappa-kb"]["rps"] / rows["rdflib"]["rps"]
            line("4. req/s 20x the rdflib baseline's (>= 20)", label, ratio, ratio >= 20)
    met = ready_seconds < 2
    print(f"  {'5. ready in under 2 s':44s} {'':18s} {ready_seconds:7.2f} s  {'met' if met else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=24)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--scale", type=int, default=1, help="multiply the years (20: about 11M triples)")
    parser.add_argument(
        "--before", metavar="PYTHON", help="the Python of an earlier checkout, measured beside"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:NAME=VALUE[,NAME=VALUE]",
        help="also measure this service with these settings, e.g. 'no copy:MAPPA_KB_MEMORY_COPY_MB=0'",
    )
    args = parser.parse_args()
    with scratch("mappa-bench-") as work:
        try:
            measure(args, work)
        finally:
            stop_started()


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A folder for one run's cube, stores and snapshots, removed afterwards (gigabytes at --scale 20)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Build the cube in ``work``, start the servers, load them and print the figures."""
    (work / "data").mkdir()
    observations = build_national_cube(work / "data", args.years * args.scale)
    files = paths.turtle_files("ontology") + sorted((work / "data").glob("*.ttl"))
    store, triples, build_seconds = build_store(work / "store", files)
    snapshot = memory_snapshot(store.resolve())
    print(
        f"synthetic national cube: {observations} observations, {triples} triples "
        f"(mappa-kb build: {build_seconds:.1f} s)"
    )

    servers: dict[str, tuple[str, subprocess.Popen, float]] = {}
    test_servers: list[int] = []  # the process ids tools/start-test-servers.sh reports
    port = free_port()
    process = start(
        [sys.executable, "-m", "mappa_kb.cli", "serve", "--port", str(port), "--store", str(work / "store")],
        env={"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"},  # capacity, not fair use
    )
    url = f"http://127.0.0.1:{port}/sparql"
    servers["mappa-kb"] = (url, process, wait_ready(url))
    capacity = {"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"}  # not fair use
    others = [("mappa-kb before", args.before, {})] if args.before else []
    for variant in args.variant:
        label, _, settings = variant.partition(":")
        others.append((label, sys.executable, dict(s.split("=", 1) for s in settings.split(",") if s)))
    for label, python, settings in others:
        port = free_port()
        command = [python, "-m", "mappa_kb.cli", "serve", "--port", str(port), "--store", str(work / "store")]
        process = start(command, env={**capacity, **settings})
        url = f"http://127.0.0.1:{port}/sparql"
        servers[label] = (url, process, wait_ready(url))

    port = free_port()
    oxigraph = str(Path(sys.executable).with_name("oxigraph"))
    bulk_load = [
        oxigraph,
        "load",
        "--location",
        str(work / "oxigraph"),
        "--file",
        str(snapshot),
        "--format",
        "nq",
    ]
    subprocess.run(bulk_load, check=True, capture_output=True)
    process = start([oxigraph, "serve", "--location", str(work / "oxigraph"), "--bind", f"127.0.0.1:{port}"])
    servers["oxigraph server"] = (
        f"http://127.0.0.1:{port}/query",
        process,
        wait_ready(f"http://127.0.0.1:{port}/query"),
    )

    if subprocess.run(["which", "virtuoso-t"], capture_output=True).returncode == 0:
        env_file = work / "virtuoso.env"
        subprocess.run(
            ["bash", "tools/start-test-servers.sh", str(env_file)],
            check=True,
            # Not captured: the servers it starts would hold the pipe open.
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "PYTHON": sys.executable},  # its oxigraph, beside this Python
        )
        settings = dict(
            line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
        )
        virtuoso = settings["MAPPA_KB_TEST_VIRTUOSO_QUERY"]
        # Virtuoso's bulk loader reads only from the folders its DirsAllowed names: "." is its own.
        shutil.copy(snapshot, Path(settings["MAPPA_KB_TEST_VIRTUOSO_DIR"]) / "kb.nq")
        loader = f"ld_dir('.', 'kb.nq', '{KB_GRAPH}'); rdf_loader_run(); checkpoint;"
        isql = ["isql-vt", settings["MAPPA_KB_TEST_VIRTUOSO_ISQL_PORT"], "dba", "dba", f"exec={loader}"]
        subprocess.run(isql, check=True, capture_output=True)
        test_servers += [int(pid) for pid in settings["MAPPA_KB_TEST_SERVER_PIDS"].strip('"').split()]
        pid = test_servers[1]  # (the script starts Oxigraph server, then Virtuoso)
        servers["virtuoso"] = (virtuoso, subprocess.Popen(["sleep", "0"]), float("nan"))
        servers["virtuoso"][1].pid = pid  # for peak memory
        # The scale-out deployment: the same service over Virtuoso (`mappa-kb serve --endpoint`).
        port = free_port()
        over_virtuoso = [
            sys.executable,
            "-m",
            "mappa_kb.cli",
            "serve",
            "--port",
            str(port),
            "--endpoint",
            virtuoso,
        ]
        process = start(
            over_virtuoso, env={"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"}
        )
        url = f"http://127.0.0.1:{port}/sparql"
        servers["mappa-kb/virtuoso"] = (url, process, wait_ready(url))

    if args.scale == 1:
        nt = work / "all.nt"
        nt.write_bytes(ox.serialize(load_store(files), format=ox.RdfFormat.N_TRIPLES))
        port = free_port()
        rdflib_command = [
            sys.executable,
            str(Path(__file__).with_name("rdflib_endpoint.py")),
            str(port),
            str(nt),
        ]
        process = start(rdflib_command)
        url = f"http://127.0.0.1:{port}/sparql"
        servers["rdflib"] = (url, process, wait_ready(url, timeout=600))
    else:
        print(
            "rdflib baseline: not run above national scale (every process holds the graph in Python objects)"
        )
    for name, (url, process, startup) in servers.items():
        held = _count(url, graph=name != "rdflib")
        # Measured once every server is warm (mappa-kb's workers load their copies after it is ready).
        warm = wait_idle(process.pid)
        print(f"{name:18s} ready in {startup:6.2f} s, warm {warm:5.1f} s later, holds {held} triples")
        if held != triples:  # a peer that lost data would look fast for the wrong reason
            sys.exit(f"{name} holds {held} triples, not the {triples} built: its load failed")

    # The least a repeated lookup could take here: granian sending mappa-kb's answer, doing nothing else.
    floor_url, floor = start_http_floor(servers["mappa-kb"][0], QUERIES["lookup"], work)
    print(
        f"\n{'query':18s} {'server':18s} {'req/s':>9s} {'p50 ms':>9s} {'p99 ms':>9s}"
        "   rps ÷ mappa-kb  p50 ÷ mappa-kb  errors  peers' cores"
    )
    pids = {name: process.pid for name, (_, process, _) in servers.items()}
    pids["http floor"] = floor.pid
    # docs/deploy's nginx before mappa-kb, as the README runs it in public, with Debian's "auto" workers.
    fronts = contextlib.ExitStack()
    if nginx_missing() is None:
        service = servers["mappa-kb"][0].removesuffix("/sparql")
        front = fronts.enter_context(nginx_front(service, work / "store", "auto"))
        pids["behind nginx"] = front.pid
    else:
        print(f"behind nginx: not measured ({nginx_missing()})")
    results: dict[str, dict[str, dict]] = {}
    for label, query in QUERIES.items():
        rows = results[label] = {}
        for name, (url, _, _) in servers.items():
            seconds = args.seconds if name != "rdflib" else max(args.seconds, 5)
            rows[name] = beside_quiet_peers(
                pids,
                name,
                functools.partial(load, url, query, args.connections, seconds, True, graph=name != "rdflib"),
            )
        # The same text again and again: mappa-kb sends its kept answer; Virtuoso, which keeps compiled
        # queries, is measured the same way, so that goal 3 compares like with like.
        for name in servers:
            if name not in ("oxigraph server", "mappa-kb/virtuoso", "rdflib"):
                rows[f"{name} repeated"] = beside_quiet_peers(
                    pids,
                    name,
                    functools.partial(load, servers[name][0], query, args.connections, args.seconds, False),
                )
        if "behind nginx" in pids:
            # Asked once first, as a repeat is: otherwise the four connections' first requests would
            # meet nginx's cache lock, whose waiters look again only every 500 ms.
            ask = urllib.request.Request(
                query_url(f"{front.url}/sparql", query), headers={"Accept": LOAD_ACCEPT}
            )
            urllib.request.urlopen(ask, timeout=600).close()
            rows["behind nginx"] = beside_quiet_peers(
                pids,
                "behind nginx",
                functools.partial(load, f"{front.url}/sparql", query, args.connections, args.seconds, False),
            )
        if label == "lookup":
            rows["http floor"] = beside_quiet_peers(
                pids,
                "http floor",
                functools.partial(load, floor_url, query, args.connections, args.seconds, False),
            )
        base = rows["mappa-kb"]
        for name, row in rows.items():
            print(
                f"{label:18s} {name:18s} {row['rps']:9.1f} {row['p50']:9.2f} {row['p99']:9.1f}"
                f"  {_ratio(row['rps'], base['rps']):>14s}  {_ratio(row['p50'], base['p50']):>14s}"
                f"  {row['errors']:6d}  {row['peers']:12.2f}"
            )
    print()
    memory = {name: memory_mb(process.pid) for name, (_, process, _) in servers.items()}
    shared = {name: shared_mb(process.pid) for name, (_, process, _) in servers.items()}
    for name, (_, _, startup) in servers.items():
        print(
            f"{name:18s} ready in {startup:6.2f} s ({_ratio(startup, servers['mappa-kb'][2])} mappa-kb's), "
            f"peak memory {memory[name]:8.0f} MB ({_ratio(memory[name], memory['mappa-kb'])} mappa-kb's), "
            f"now, shared pages once {shared[name]:6.0f} MB"
        )
    report_goals(results, servers["mappa-kb"][2])
    if "virtuoso" in memory:
        for what, figures in (("peak", memory), ("now, shared pages once", shared)):
            ratio = figures["mappa-kb"] / max(figures["virtuoso"], 1e-3)
            goal = f"6. memory within 1.5x Virtuoso's ({what})"
            print(f"  {goal:44s} {'':18s} {ratio:8.2f}x  {'met' if ratio <= 1.5 else 'MISSED'}")
    fronts.close()
    os.killpg(floor.pid, 15)
    for name, (_, process, _) in servers.items():
        if name != "virtuoso":
            os.killpg(process.pid, 15)
    for pid in test_servers:  # what tools/start-test-servers.sh started, by its process ids
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 15)


if __name__ == "__main__":
    main()
