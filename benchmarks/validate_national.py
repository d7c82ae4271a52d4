"""Validation speed at national scale: mappa-kb's engine beside plain pySHACL, measured in one run.

Builds a synthetic national cube (42 areas x N years of the seed's tables, about 60,000 observations
at the default 24 years) with the project's own cube builder, writes it as Turtle, and validates the
whole knowledge base with both engines, printing seconds, the ratio and whether the verdicts agree.

    python benchmarks/validate_national.py               # national scale, both engines
    python benchmarks/validate_national.py --years 2     # smaller, quicker
    python benchmarks/validate_national.py --fast-only   # skip pySHACL (it takes minutes)
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from mappa_kb import paths
from mappa_kb.knowledge.cube import AreaYear, Cell, SourceTable, to_turtle
from mappa_kb.uris import MAPPA
from mappa_kb.validation.validate import validate_files

GRIDS = {  # table -> levels it has (categories are always 1, 2, 3, total)
    "eligible_snapshot": ("1", "2", "3", "total"),
    "level23_yearly": ("2", "3", "total"),
    "custody_breach_licence": ("2", "3", "total"),
    "custody_breach_sopo": ("2", "3", "total"),
}
SINGLES = ("rso_breach_notification", "orders_sopo", "orders_no", "orders_fto", "rso_per_100k")


def _grid(table: str, rng: random.Random) -> list[Cell]:
    cells = []
    # Returns to custody stay well below the yearly Level 2 and 3 counts, as in real reports.
    high = 5 if table.startswith("custody") else 400
    low = 10 if table == "level23_yearly" else 0
    parts = {level: [rng.randint(low, high) for _ in range(3)] for level in GRIDS[table][:-1]}
    for level, values in parts.items():
        if table == "eligible_snapshot" and level == "1":
            values[2] = None  # Category 3 is never at Level 1: a dash
        if table == "custody_breach_sopo":
            values[1] = values[2] = None  # only Category 1 can breach a SOPO
        row = [*values, sum(v for v in values if v is not None)]
        cells += [Cell(table, level, c, v, 1) for c, v in zip(("1", "2", "3", "total"), row, strict=True)]
    for index, category in enumerate(("1", "2", "3")):
        column = [parts[level][index] for level in parts]
        value = None if all(v is None for v in column) else sum(v for v in column if v is not None)
        cells.append(Cell(table, "total", category, value, 1))
    cells.append(
        Cell(
            table,
            "total",
            "total",
            sum(c.value for c in cells if c.level != "total" and c.category == "total"),
            1,
        )
    )
    return cells


def synthetic_area_year(area: str, label: str, start_year: int, rng: random.Random) -> AreaYear:
    figures = AreaYear(area, label, start_year, f"synthetic-{area}-{start_year}", generated_by="benchmark")
    figures.tables.append(SourceTable(1, "synthetic table", 3))
    for table in GRIDS:
        figures.cells += _grid(table, rng)
    # SOPOs, NOs and FTOs exist from May 2004: earlier years have no order figures.
    singles = [t for t in SINGLES if start_year >= 2004 or not t.startswith("orders_")]
    figures.cells += [Cell(t, "total", "1", rng.randint(0, 90), 1) for t in singles]
    return figures


def build_national_cube(folder: Path, years: int) -> int:
    areas = Graph().parse(paths.kb_root() / "ontology" / "areas.ttl")
    rng = random.Random(2011)
    observations = 0
    for area in sorted(areas.subjects(RDF.type, MAPPA.MappaArea)):
        slug, label = str(area).rsplit("/", 1)[1], str(areas.value(area, SKOS.prefLabel))
        for year in range(2014 - years, 2014):  # before 2015: no SHPO/SRO, no Category 4
            figures = synthetic_area_year(slug, label, year, rng)
            observations += sum(c.value is not None for c in figures.cells)
            (folder / f"{slug}-{year}.ttl").write_text(to_turtle(figures), encoding="utf-8")
    return observations


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", type=int, default=24, help="reporting years per area (default 24)")
    parser.add_argument("--fast-only", action="store_true", help="do not run plain pySHACL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        observations = build_national_cube(folder, args.years)
        files = paths.turtle_files("ontology") + sorted(folder.glob("*.ttl"))
        print(f"synthetic national cube: 42 areas x {args.years} years, {observations} observations")
        started = time.perf_counter()
        fast = validate_files(files, include_ontology=False)
        fast_seconds = time.perf_counter() - started
        print(
            f"mappa-kb validate (fast engine): {fast_seconds:8.2f} s  conforms={fast.conforms} "
            f"results={len(fast.results)}"
        )
        if args.fast_only:
            return
        started = time.perf_counter()
        plain = validate_files(files, include_ontology=False, engine="pyshacl")
        plain_seconds = time.perf_counter() - started
        print(
            f"plain pySHACL:                   {plain_seconds:8.2f} s  conforms={plain.conforms} "
            f"results={len(plain.results)}"
        )
        print(
            f"ratio pySHACL / mappa-kb: {plain_seconds / fast_seconds:.1f}x; "
            f"same verdicts: {set(fast.results) == set(plain.results)}"
        )


if __name__ == "__main__":
    main()
