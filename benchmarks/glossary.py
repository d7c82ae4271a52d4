"""Glossary lookups beside the SPARQL endpoint answering the same lookups, at national scale.

Builds the national-scale synthetic cube (42 areas x 24 years) beside the shipped glossary, starts
`mappa-kb serve`, and from a loopback client with several connections measures requests per second, p50
and p99 for: glossary search (a different term each request), the hovercard summary of a concept, and
the SPARQL query a site would otherwise send for each of them (cold: every request differs by a comment;
repeated: the same text, answered from the answer cache).

    python benchmarks/glossary.py                 # national scale, 4 connections, 5 s per case
    python benchmarks/glossary.py --years 2 --seconds 2
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint import COUNTER, free_port, load_urls, memory_mb, scratch, start, wait_idle, wait_ready
from validate_national import build_national_cube

from mappa_kb import paths
from mappa_kb.engine.versions import build_store

TERMS = [
    "sopo",
    "lay adviser",
    "category 3",
    "visor",
    "Sexual Offences Prev",
    "mappa",
    "level 2",
    "shpo",
    "licence",
]
CONCEPTS = ["sopo", "lay-adviser", "category-3", "visor", "shpo", "mappa", "level-2", "licence"]
SKOS = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
SEARCH_QUERY = (
    SKOS + "SELECT ?c ?label WHERE {{ ?c skos:inScheme <https://w3id.org/mappa-kb/id/glossary> ; "
    'skos:prefLabel|skos:altLabel ?label FILTER (CONTAINS(LCASE(STR(?label)), "{term}")) }}'
)
SUMMARY_QUERY = (
    SKOS + "SELECT ?label ?definition WHERE {{ <https://w3id.org/mappa-kb/id/glossary/{concept}> "
    "skos:prefLabel ?label ; skos:definition ?definition }}"
)


def load(urls: list[str], connections: int, seconds: float) -> dict:
    return load_urls(urls, connections, seconds, "application/json")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=24)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with scratch("mappa-bench-glossary-") as work:
        measure(args, work)


def measure(args: argparse.Namespace, work: Path) -> None:
    """Build the cube in ``work``, start the service, load it and print the figures."""
    (work / "data").mkdir()
    observations = build_national_cube(work / "data", args.years)
    files = paths.turtle_files("ontology") + sorted((work / "data").glob("*.ttl"))
    _, triples, _ = build_store(work / "store", files)
    print(f"synthetic national cube: {observations} observations, {triples} triples")
    port = free_port()
    process = start(
        [sys.executable, "-m", "mappa_kb.cli", "serve", "--port", str(port), "--store", str(work / "store")],
        env={"MAPPA_KB_RATE_LIMIT": "0", "MAPPA_KB_CONCURRENT_QUERIES": "1000"},  # capacity, not fair use
    )
    root = f"http://127.0.0.1:{port}"
    print(f"mappa-kb ready in {wait_ready(root + '/sparql'):.2f} s")

    def sparql(text: str) -> str:
        return f"{root}/sparql?{urllib.parse.urlencode({'query': text})}"

    cases: dict[str, list[str]] = {
        "glossary search": [f"{root}/glossary/search?{urllib.parse.urlencode({'q': t})}" for t in TERMS],
        "  SPARQL, cold": [sparql(f"# {COUNTER}\n" + SEARCH_QUERY.format(term=t.lower())) for t in TERMS],
        "  SPARQL, repeated": [sparql(SEARCH_QUERY.format(term=t.lower())) for t in TERMS],
        "summary": [f"{root}/glossary/{c}/summary" for c in CONCEPTS],
        "  SPARQL, cold ": [sparql(f"# {COUNTER}\n" + SUMMARY_QUERY.format(concept=c)) for c in CONCEPTS],
        "  SPARQL, repeated ": [sparql(SUMMARY_QUERY.format(concept=c)) for c in CONCEPTS],
    }
    wait_idle(process.pid)  # the query workers load their copies of the store after the service is ready
    for urls in cases.values():  # warm up: each service process reads the glossary once, at start
        load(urls, args.connections, 1.0)
    print(f"\n{'lookup':22s} {'req/s':>9s} {'p50 ms':>9s} {'p99 ms':>9s}  errors")
    for label, urls in cases.items():
        row = load(urls, args.connections, args.seconds)
        print(f"{label:22s} {row['rps']:9.1f} {row['p50']:9.1f} {row['p99']:9.1f}  {row['errors']}")
    print(f"\nmappa-kb peak memory {memory_mb(process.pid):.0f} MB")
    os.killpg(process.pid, 15)


if __name__ == "__main__":
    main()
